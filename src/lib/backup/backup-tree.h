/* backup-tree: a snapshot's listing (every path with its type, mode,
 * owner, mtime, size, SHA-256 and chunks) as tree objects, one per
 * directory (format at the top of backup-tree.c). */
#ifndef CC_BACKUP_TREE_H
#define CC_BACKUP_TREE_H

#include <stddef.h>
#include <stdint.h>

struct bk_crypt;
struct bk_idset;
struct bk_repo;
struct cc_error;

#define BK_CHUNK_SIZE (1u << 20) /* files are cut into chunks of this size */

enum bk_type { BK_FILE = 'f', BK_DIR = 'd', BK_SYMLINK = 'l' };

struct bk_entry {
	char *path;		 /* relative, '/'-separated; owned */
	char *link;		 /* symlink target, owned; else NULL */
	int type;		 /* enum bk_type */
	uint32_t mode, uid, gid; /* mode: permission bits (07777) */
	int64_t mtime_ns;
	uint64_t size;
	unsigned char sha[32];	     /* file: SHA-256 of the content */
	unsigned char (*chunks)[32]; /* file: its chunks in order, owned */
	size_t nchunks;
};

struct bk_entries {
	struct bk_entry *v;
	size_t n, cap;
};

/* Append a zeroed entry for path (copied) of type; returns it. */
struct bk_entry *bk_entries_add(struct bk_entries *e, const char *path, int type);
/* Sort into walk order (parents before children, siblings bytewise). */
void bk_entries_sort(struct bk_entries *e);
void bk_entries_release(struct bk_entries *e);
/* The tree objects of e (walk order, every parent listed): *root gets
 * the root tree's id (ids keyed with keys, borrowed; NULL: SHA-256); each
 * tree is stored in every one of repos (none when nrepos is 0) that lacks
 * it, its bytes added to *new_bytes and what it takes on disk (the first
 * repository's, compressed and sealed) to *stored_bytes (either may be
 * NULL). */
int bk_tree_write(const struct bk_entries *e, const struct bk_crypt *keys, struct bk_repo *const *repos, size_t nrepos,
		  unsigned char root[32], uint64_t *new_bytes, uint64_t *stored_bytes, struct cc_error **err);
/* Read the listing under root from r (every tree checked against its
 * id) into out, in walk order. */
int bk_tree_read(const struct bk_repo *r, const unsigned char root[32], struct bk_entries *out, struct cc_error **err);
/* Add to reach every object id under root (trees and chunks); trees
 * already in reach are not read again. */
int bk_tree_reach(const struct bk_repo *r, const unsigned char root[32], struct bk_idset *reach, struct cc_error **err);

#endif
