/* sync-plan: what a sync into a destination seen only as a listing (a
 * volume or a container, read back through the engine: sync-container.h)
 * has to do, decided by content: a source entry whose bytes, mode, type
 * or link target the destination already has is left alone; everything
 * else is written; with delete, what the destination has and the source
 * has not is removed (excluded paths are never touched).  Pure but for
 * reading the source files that a rewrite: rule applies to. */
#ifndef CC_SYNC_PLAN_H
#define CC_SYNC_PLAN_H

#include "lists.h"

#include <stddef.h>

struct cc_error;
struct ignore;
struct sync_record;
struct sync_rewriter;
struct sync_tree;

/* The name, at the destination's root, that a container sync stages its
 * files under (a directory while it writes, an empty file after). */
#define SYNC_STAGE_NAME ".ccbuild-sync"

enum sync_action_kind { SYNC_ACT_DIR, SYNC_ACT_FILE, SYNC_ACT_LINK };

struct sync_action {
	enum sync_action_kind kind;
	size_t src;	       /* its entry in the source tree */
	char *data;	       /* the rewritten bytes (owned), or NULL: the source file as it is */
	size_t len;	       /* of data */
	unsigned char sha[32]; /* of what the destination gets (files) */
};

struct sync_plan {
	struct sync_action *v; /* in the source's walk order */
	size_t n, cap;
	struct strlist remove;	 /* destination paths to remove (topmost first, walk order) */
	struct strlist replaced; /* destination files that were not as last synced, replaced or removed */
	size_t same;		 /* source entries the destination has already */
};

/* Plan the sync of src (its root srcroot, rewrites rw, may be NULL) into
 * dest (the destination's listing, sorted), against rec (the record of
 * the last sync); ig is the exclude: matcher (NULL none).  *next gets the
 * record the destination will match once the plan is carried out (caller
 * releases, with sync_plan_release for out).  0, or -1 with err when a
 * source file to rewrite cannot be read. */
int sync_plan_make(const struct sync_tree *src, const char *srcroot, const struct sync_rewriter *rw,
		   const struct ignore *ig, int delete, const struct sync_record *dest, const struct sync_record *rec,
		   struct sync_plan *out, struct sync_record *next, struct cc_error **err);
void sync_plan_release(struct sync_plan *p);

#endif
