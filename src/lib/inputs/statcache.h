/* statcache: per build context, the content SHA-256 of every regular file
 * keyed by path and stat data, so an unchanged tree is checked with stats
 * alone (git's index idea, racy rule included). */
#ifndef CC_STATCACHE_H
#define CC_STATCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cancel.h"

struct cc_error;
struct ctx_list;
struct statcache;

struct statcache_stats {
	size_t files;	/* regular files looked at */
	size_t hashed;	/* of which read and hashed */
	size_t racy;	/* of which hashed because of the racy rule */
	uint64_t bytes; /* bytes read */
};

/* Open the cache file `file` (need not exist; NULL: an empty cache that
 * statcache_save does not write).  Never fails: a missing,
 * truncated, corrupt or foreign file gives an empty cache and, unless it
 * was simply missing, a warning in *warning (caller frees; else NULL).
 * Caller frees the cache with statcache_free. */
struct statcache *statcache_open(const char *file, char **warning);
/* Fill digests[i] (32 bytes) for every regular file l->v[i] of the walk of
 * `ctxdir`, reading only files whose stat data changed or that are racy;
 * other entries get zeros.  `stats` may be NULL.  Stops with an error
 * ("interrupted", the cache left unchanged) soon after *cancel (may be
 * NULL) is raised, also inside a large file. */
int statcache_hash_list(struct statcache *sc, const char *ctxdir, const struct ctx_list *l, const atomic_int *cancel,
			unsigned char (*digests)[32], struct statcache_stats *stats, struct cc_error **err);
/* Replace the cache file with exactly the regular files of l (atomic);
 * nothing is written when statcache_hash_list found the file up to date. */
int statcache_save(struct statcache *sc, const struct ctx_list *l, const unsigned char (*digests)[32],
		   struct cc_error **err);
void statcache_free(struct statcache *sc);

/* SHA-256 of the file `path` relative to dirfd (AT_FDCWD for a plain
 * path), read in 1 MiB chunks; symlinks are not followed.  *size gets the
 * bytes read when non-NULL. */
int statcache_hash_file(int dirfd, const char *path, unsigned char out[32], uint64_t *size, struct cc_error **err);

#endif
