/* ctxwalk: the files the Docker CLI would send for a build context, with
 * their stat data.  Order ("walk order") is the CLI's tar order: pre-order,
 * siblings sorted bytewise by name, i.e. paths compared bytewise with '/'
 * below every other byte (ctx_path_cmp). */
#ifndef CC_CTXWALK_H
#define CC_CTXWALK_H

#include "arena.h"
#include "cancel.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct ignore;
struct stat;

struct ctx_entry {
	const char *path; /* relative, '/'-separated, no "./"; in the list's arena */
	const char *link; /* symlink target, else NULL; in the list's arena */
	uint32_t mode;	  /* st_mode: type and permission bits */
	uint32_t nlink;	  /* st_nlink: > 1 for a hard-linked file */
	uint64_t size, ino, dev, rdev;
	int64_t mtime_ns, ctime_ns;
};

struct ctx_list {
	struct ctx_entry *v;
	size_t n, cap;
	struct arena arena;
};
#define CTX_LIST_INIT                                                                                                  \
	{                                                                                                              \
		NULL, 0, 0, ARENA_INIT                                                                                 \
	}

/* Walk directory `dir` (symlinks not followed below it) applying `ig`
 * (NULL: nothing excluded) and append the entries to `out` in walk order.
 * Excluded directories are pruned unless a '!' pattern starts inside them;
 * an excluded directory is itself never listed; sockets are skipped.
 * Stops with an error ("interrupted") soon after *cancel (may be NULL) is
 * raised. */
int ctxwalk(const char *dir, const struct ignore *ig, const atomic_int *cancel, struct ctx_list *out,
	    struct cc_error **err);
/* Append the entry path (len bytes) with stat data st and symlink target
 * link (may be NULL) to l, copying the strings into its arena. */
void ctx_list_add(struct ctx_list *l, const char *path, size_t len, const struct stat *st, const char *link);
/* Free the entries and their strings; the list is empty and reusable. */
void ctx_list_release(struct ctx_list *l);
/* The entry for `path` (binary search), or NULL; borrowed. */
const struct ctx_entry *ctx_list_find(const struct ctx_list *l, const char *path);
/* Walk order: <0, 0, >0 like strcmp. */
int ctx_path_cmp(const char *a, const char *b);

#endif
