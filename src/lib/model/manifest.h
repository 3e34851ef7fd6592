/* manifest: ccbuild.yaml (grammar v1, grammar/README.md) loaded into a
 * validated model.  Every value keeps the position it was written at, and
 * every problem is reported (not just the first) as FILE:LINE:COL. */
#ifndef CC_MANIFEST_H
#define CC_MANIFEST_H

#include "backup-spec.h"
#include "lists.h"
#include "manifest-sync.h"
#include "ynode.h"

#include <stddef.h>

struct cc_error;

enum image_field {
	IMG_CONTEXT = 1 << 0,
	IMG_DOCKERFILE = 1 << 1,
	IMG_IMAGE = 1 << 2,
	IMG_TARGET = 1 << 3,
	IMG_ARGS = 1 << 4,
	IMG_LABELS = 1 << 5,
	IMG_PLATFORMS = 1 << 6,
	IMG_TAGS = 1 << 7,
	IMG_CACHE_FROM = 1 << 8,
	IMG_DEPENDS_ON = 1 << 9,
	IMG_SECRETS = 1 << 10,
	IMG_SSH = 1 << 11,
	IMG_NO_CACHE = 1 << 12,
	IMG_PULL = 1 << 13,
	IMG_ULIMITS = 1 << 14,
};

/* retention: what `ccbuild prune` keeps in a repository (retention.h). */
struct retention_spec {
	int set;       /* written */
	long keep;     /* -1: not set */
	char *max_age; /* "30d", or NULL */
	struct strlist keep_tags;
	struct ypos pos;
};

struct image_spec {
	char *key;
	struct ypos pos; /* where the image (or override) is written */
	unsigned set;	 /* enum image_field bits written explicitly */
	char *context, *dockerfile, *target;
	char *ref; /* image: the reference it is tagged as */
	struct kvlist args, labels;
	struct strlist platforms, tags, cache_from, depends_on;
	struct retention_spec retention;
	/* secrets: ID -> a file (as written: relative to the manifest's
	 * directory) or an environment variable's name; ssh: "ID" or
	 * "ID=SOCKET", as compose's build.ssh */
	struct kvlist secret_files, secret_envs;
	struct strlist ssh;
	int no_cache, pull;    /* build without BuildKit's cache; pull=1 (docs/hashing.md) */
	struct kvlist ulimits; /* name -> "SOFT:HARD", as the engine takes them */
};

struct scan_spec {
	char *name;
	struct ypos pos;
	struct strlist images; /* empty: every image */
	struct kvlist rules;   /* rule -> error|warn|off (max_size: a size) */
	struct strlist required_labels;
	struct strlist command; /* external scanner; empty for policy scans */
};

struct profile_spec {
	char *name;
	struct ypos pos;
	struct strlist compose, env_file, scans, services;
	struct strlist compose_profiles; /* compose profiles it activates */
	struct strlist tests;		 /* compose services run to completion as test:SERVICE steps */
	struct strlist syncs;		 /* syncs: it runs (sync:NAME steps) */
	struct strlist backups;		 /* backups: names it runs (backup:NAME steps) */
	struct kvlist env;
	struct image_spec *images; /* per-image overrides */
	size_t nimages;
	int push;
	int up; /* deploy the compose services (up:SERVICE steps) */
};

/* observability: what every run leaves (obs.h); paths as written,
 * relative to the manifest's directory; NULL when not set. */
struct observability_spec {
	char *events, *metrics, *history, *traces;
	long long events_max_bytes;		       /* events.max_size; -1 not set */
	long events_keep;			       /* events.keep; -1 not set */
	long long history_max_bytes, traces_max_bytes; /* history.max_size, traces.max_size; -1 not set */
	long history_keep, traces_keep;		       /* history.keep, traces.keep; -1 not set */
};

struct manifest {
	char *path; /* as given; positions point at this string */
	char *dir;  /* directory of the manifest */
	char *project, *registry;
	struct strlist compose, env_file;
	struct image_spec *images;
	size_t nimages;
	struct profile_spec *profiles;
	size_t nprofiles;
	struct scan_spec *scans;
	size_t nscans;
	struct retention_spec retention;
	struct observability_spec observability;
	struct sync_spec *syncs; /* manifest-sync.h */
	size_t nsyncs;
	struct backup_spec *backups; /* backups: (backup-spec.h) */
	size_t nbackups;
	struct ynode *root; /* the parsed document; syncs/backups live here */
};

/* Find the manifest: `file` when given, else ccbuild.yaml or ccbuild.yml in
 * the current directory.  Caller frees the returned path. */
char *manifest_find(const char *file, struct cc_error **err);
/* Load and validate; on failure *err lists every problem found. */
int manifest_load(const char *path, struct manifest **out, struct cc_error **err);
void manifest_free(struct manifest *m);

const struct profile_spec *manifest_profile(const struct manifest *m, const char *name);
const struct image_spec *manifest_image(const struct manifest *m, const char *key);
const struct scan_spec *manifest_scan(const struct manifest *m, const char *name);
/* The backup named name, or NULL; borrowed. */
const struct backup_spec *manifest_backup(const struct manifest *m, const char *name);
/* Copy the explicitly set fields of src over dst: maps merge key by key,
 * lists replace, except platforms and tags with add_lists (added to). */
void image_spec_overlay(struct image_spec *dst, const struct image_spec *src, int add_lists);
void image_spec_release(struct image_spec *img);

#endif
