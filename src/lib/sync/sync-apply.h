/* sync-apply: make a host destination directory match a source tree,
 * moving only what changed, against the record of the last sync
 * (sync-record.h).  The rules, in docs/technical/sync.md:
 *  - a source file whose content is what the record says was synced, and
 *    whose destination is as recorded, is not touched;
 *  - a destination entry that is not as recorded (changed by hand, or
 *    there before the first sync) and that the sync would replace or
 *    delete is first kept under keep_dir, and listed in the summary;
 *  - every file is written atomically and read back to verify its hash;
 *  - the caller saves the new record last.
 * A single-file sync (job->only) looks at that one name in dst, never at
 * its siblings, and a directory or symlink there is an error. */
#ifndef CC_SYNC_APPLY_H
#define CC_SYNC_APPLY_H

#include "cancel.h"
#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct ignore;
struct sync_record;
struct sync_rewriter;
struct sync_tree;

struct sync_job {
	const char *src, *dst;		      /* host directories, borrowed */
	const struct ignore *ignore;	      /* exclude: on both sides (NULL none) */
	int delete;			      /* remove what is not in the source */
	const struct sync_rewriter *rewriter; /* borrowed */
	const char *keep_dir;		      /* where replaced hand changes go */
	const atomic_int *cancel;
	const char *only; /* a single-file sync: the one destination entry, a file in dst (delete is 0); else NULL */
};

struct sync_summary {
	size_t copied, deleted, same;
	uint64_t bytes;		/* bytes written */
	size_t verify_failures; /* files that did not read back as written */
	struct strlist kept;	/* destination paths kept under keep_dir */
};

/* The fast no-op check: 1 when a walk of the destination gives the
 * fingerprint saved beside record_file (sync-record.h), with *n its entry
 * count; 0 when it does not, there is none or the walk fails (then
 * sync_dest_check decides and says why). */
int sync_dest_fast(const struct sync_job *job, const char *record_file, size_t *n);
/* 1 when job->dst is exactly as rec records (with delete, nothing more;
 * without, extra unrecorded entries are ignored), 0 with *why (caller
 * frees) naming the first difference, -1 error. */
int sync_dest_check(const struct sync_job *job, const struct sync_record *rec, char **why, struct cc_error **err);
/* Make job->dst match src; *out gets the new record (caller releases),
 * sum what was done (caller releases sum->kept). */
int sync_apply(const struct sync_job *job, const struct sync_tree *src, const struct sync_record *rec,
	       struct sync_record *out, struct sync_summary *sum, struct cc_error **err);

#endif
