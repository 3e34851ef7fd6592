/* backup-spec: the `backups:` entries of ccbuild.yaml (grammar/README.md,
 * "backups"), parsed and checked; what src/lib/backup runs. */
#ifndef CC_BACKUP_SPEC_H
#define CC_BACKUP_SPEC_H

#include "lists.h"
#include "ynode.h"

#include <stddef.h>

struct cc_error;

enum backup_source_kind { BACKUP_SOURCE_PATH, BACKUP_SOURCE_VOLUME, BACKUP_SOURCE_SERVICE };

/* One quiesce: hook, run before the source is read (backup-quiesce.h):
 * exec runs argv in the service's running container; stop stops the
 * services' containers (started again, in reverse, after the read). */
struct backup_hook {
	char *service;		 /* exec: the service */
	struct strlist argv;	 /* exec: the command (no shell) */
	struct strlist services; /* stop: the services, in order */
	int stop;		 /* 1: a stop: hook, 0: an exec: hook */
	struct ypos pos;
};

/* One destination: a repository directory, or a command run after the
 * path destinations with {repo}, {snapshot}, {id}, {name} expanded. */
struct backup_dest {
	char *path;		/* absolute (resolved against the manifest's directory), or NULL */
	struct strlist command; /* argv, when path is NULL */
	struct ypos pos;
};

/* compression: of a backup's objects (BACKUP_COMPRESS_AUTO is 0, the
 * default): zstd's default level, none, or a high level. */
enum backup_compression { BACKUP_COMPRESS_AUTO, BACKUP_COMPRESS_OFF, BACKUP_COMPRESS_MAX };

/* restic's forget rules: 0 off, -1 unlimited, N keep N. */
struct backup_keep {
	long last, hourly, daily, weekly, monthly, yearly;
	char *within; /* restic duration ("2d", "1y6m"), or NULL */
	int set;      /* a retention: was written */
};

struct backup_spec {
	char *name;
	struct ypos pos;
	enum backup_source_kind kind;
	char *source; /* path: absolute directory; volume: the volume's name; service: its name */
	struct backup_dest *dests;
	size_t ndests;
	struct backup_keep keep;
	double verify;		   /* share (0..1) of new data re-read after a backup */
	char *key_file;		   /* encrypt: {key_file:}, absolute ("~/" expanded), or NULL */
	struct backup_hook *hooks; /* quiesce:, in order */
	size_t nhooks;
	enum backup_compression compression;
	long retry_lock_ms; /* retry_lock: wait this long for a held repository (0: fail at once) */
};

/* Parse the `backups:` mapping n (may be NULL: none) into *out (caller
 * frees with backup_specs_free); relative paths are taken from dir.
 * Every problem is reported as FILE:LINE:COL; 0 or -1. */
int backup_specs_parse(const struct ynode *n, const char *dir, struct backup_spec **out, size_t *nout,
		       struct cc_error **err);
void backup_specs_free(struct backup_spec *v, size_t n);
/* A Go duration as restic's --retry-lock takes it ("30s", "5m", "1h30m",
 * "500ms"; "0") into *ms, at most 30 days; 0, or -1 when it is not one. */
int backup_lock_wait_parse(const char *s, long *ms);
/* "path", "volume" or "service": how b's source is written. */
const char *backup_source_prefix(const struct backup_spec *b);
/* Parse a restic duration ("1y2m3d4h") into its parts; 0, or -1 when it
 * is not one. */
int backup_duration_parse(const char *s, int *years, int *months, int *days, int *hours);

#endif
