/* sync-engine: one sync into a volume: or service: destination, on the
 * engine (sync-target.h says where, sync-container.h moves the bytes,
 * sync-plan.h decides what moves).  The destination is read back whole
 * when a sync runs, and a file is written only when its bytes, mode or
 * type differ; the record of the last sync (sync-record.h) is trusted
 * while the destination is the same one (the same volume, not recreated;
 * the same container), so a sync with nothing to do costs no archive
 * call: sync_engine_identity is what tells "the same one". */
#ifndef CC_SYNC_ENGINE_H
#define CC_SYNC_ENGINE_H

#include "cancel.h"
#include "lists.h"
#include "sync-target.h"

#include <stdint.h>

struct cc_error;
struct compose_project;
struct engine;
struct ignore;
struct sync_record;
struct sync_rewriter;
struct sync_spec;
struct sync_tree;

struct subspans;

struct sync_engine_job {
	const struct sync_spec *spec;	       /* borrowed; target volume or service */
	struct engine *e;		       /* borrowed */
	const struct compose_project *compose; /* borrowed, may be NULL */
	sync_built_image_fn built;	       /* images ccbuild builds (may be NULL) */
	void *built_ctx;
	const char *src;		      /* the source directory */
	const struct ignore *ignore;	      /* exclude: (NULL none) */
	const struct sync_rewriter *rewriter; /* borrowed */
	const char *helper_name;	      /* the helper container's name */
	const atomic_int *cancel;
	struct subspans *spans; /* the archive transfers are timed into it (subspan.h), or NULL */
	/* A single-file sync: the destination directory (a volume subdir or a
	 * container path, instead of the spec's) and the file's name in it;
	 * both NULL otherwise.  Nothing is deleted. */
	const char *dir, *only;
};

struct sync_engine_summary {
	size_t copied, deleted, same;
	uint64_t bytes;
	struct strlist replaced; /* destination files not as last synced, replaced or removed */
};

/* "volume NAME CREATED-AT" (with "absent" when it does not exist yet) or
 * "container ID" of the service's running container: *out caller frees.
 * A service without a running container is an error naming it. */
int sync_engine_identity(const struct sync_engine_job *job, char **out, struct cc_error **err);
/* Make the destination match src (tree), against rec; *out the new
 * record (caller releases), *identity the destination's identity after
 * (caller frees), sum what was done (caller releases sum->replaced). */
int sync_engine_run(const struct sync_engine_job *job, const struct sync_tree *tree, const struct sync_record *rec,
		    struct sync_record *out, char **identity, struct sync_engine_summary *sum, struct cc_error **err);

#endif
