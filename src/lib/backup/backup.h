/* backup: one backup of the manifest, run: its source read, a snapshot
 * written to each destination that lacks one of this content, then
 * verified in part, retention applied and garbage collected; and the
 * restore of a snapshot.  Formats: backup-repo.c, backup-tree.c;
 * docs/technical/backup.md. */
#ifndef CC_BACKUP_H
#define CC_BACKUP_H

#include "backup-snapshot.h"
#include "cancel.h"
#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct backup_spec;
struct cc_error;
struct compose_project;
struct engine;

struct backup_opts {
	const char *state_dir;	  /* stat caches and delivery records (STATE/backups/) */
	struct engine *engine;	  /* borrowed; needed for volume sources */
	const atomic_int *cancel; /* may be NULL */
	int64_t now;		  /* the snapshot's time (seconds, UTC) */
	long now_nsec;		  /* and its nanoseconds */
	int dry;		  /* decide only: read the source, write nothing */
	/* For quiesce: and service: sources (may be NULL without them): the
	 * compose project whose containers the hooks act on, and the
	 * profile's compose model (borrowed). */
	const char *project;
	const struct compose_project *compose;
	const char *traceparent; /* W3C traceparent for command destinations, or NULL */
	struct subspans *spans;	 /* the engine's archive transfers are timed into it (subspan.h), or NULL */
	long lock_wait_ms;	 /* how long to wait for a repository another run has locked (0: not) */
};

struct backup_outcome {
	int up_to_date;		 /* every destination already had this content */
	int made;		 /* a snapshot was written to some destination */
	struct bk_snapshot snap; /* the newest snapshot of the content (id "" if none) */
	struct strlist degraded; /* "DESTINATION: why" per failed destination */
	struct strlist problems; /* what verify: found */
	struct strlist notes;	 /* what else happened (retention, collection, verify) */
	size_t files_read;	 /* files whose content was read */
	uint64_t bytes_read;	 /* and their bytes */
	uint64_t verified;	 /* bytes re-read by verify: */
};

/* Run backup b once into out (release with backup_outcome_release).
 * Returns 0 when every destination holds the content, was written or
 * failed (those are listed in out->degraded); -1 with err when nothing
 * could be done (the source unreadable, no destination usable). */
int backup_run(const struct backup_spec *b, const struct backup_opts *o, struct backup_outcome *out,
	       struct cc_error **err);
void backup_outcome_release(struct backup_outcome *out);

/* The content hash of b's source (the root tree id a snapshot of it
 * would have) into root, storing nothing; files the stat cache and the
 * newest snapshot do not know are read (a volume is read whole).  The
 * stat cache is updated unless o->dry.  0 or -1. */
int backup_source_hash(const struct backup_spec *b, const struct backup_opts *o, unsigned char root[32],
		       struct cc_error **err);
/* 1 when the newest snapshot of b in every path destination has tree
 * root; 0 with *missing (the first that lacks it, caller frees); -1. */
int backup_holds(const struct backup_spec *b, const unsigned char root[32], char **missing, struct cc_error **err);

/* The first path destination of b that opens for reading, with its
 * snapshots of b (oldest first): *dir borrowed from b; caller frees the
 * list (bk_snapshots_free).  0 or -1. */
int backup_list(const struct backup_spec *b, const char **dir, struct bk_snapshot **snaps, size_t *n,
		struct cc_error **err);
/* Find snapshot `want` (an id or a unique prefix; NULL or "latest": the
 * newest) in snaps; its index, or -1 with err. */
long backup_find(const struct bk_snapshot *snaps, size_t n, const char *want, struct cc_error **err);

#endif
