/* sync-tree: one side of a sync as a list of entries with content
 * hashes.  The source is hashed through a stat cache (statcache.h), so an
 * unchanged source costs stats only. */
#ifndef CC_SYNC_TREE_H
#define CC_SYNC_TREE_H

#include "cancel.h"
#include "ctxwalk.h"
#include "statcache.h"

struct cc_error;
struct ignore;

struct sync_tree {
	struct ctx_list list;	      /* walk order, root itself not listed */
	unsigned char (*digests)[32]; /* content SHA-256 per regular file; owned */
	struct statcache_stats stats;
	/* A single-file sync: the file's name in root (its one entry is
	 * named for the destination); owned, else NULL. */
	char *src_name;
};

/* Walk root applying ig (NULL: nothing excluded) and hash its regular
 * files through the stat cache file cache (NULL: read them all); with
 * save, the cache is rewritten when it changed.  A cache warning goes to *warning
 * (caller frees).  Release out with sync_tree_release, also on failure. */
int sync_tree_scan(const char *root, const struct ignore *ig, const char *cache, int save, const atomic_int *cancel,
		   struct sync_tree *out, char **warning, struct cc_error **err);
/* The single-file form: the one regular file root/name (symlinks not
 * followed), listed as `as` (its name at the destination). */
int sync_tree_scan_file(const char *root, const char *name, const char *as, const char *cache, int save,
			const atomic_int *cancel, struct sync_tree *out, char **warning, struct cc_error **err);
/* Where entry k is read, relative to the root (src_name or its path); borrowed. */
const char *sync_tree_source(const struct sync_tree *t, size_t k);
void sync_tree_release(struct sync_tree *t);

#endif
