/* sync-twoway: the two-way sync (direction: both) of two host
 * directories, a three-way comparison per path of the from side, the to
 * side and the record of the last sync (sync-record.h).  The rules, in
 * docs/technical/sync.md ("Two-way"):
 *  - changed on one side only: it moves that way (atomically, read back);
 *  - changed on both sides to different content: a conflict; neither
 *    file is touched, both sides get both versions beside it
 *    (NAME.conflict-from-TIME, NAME.conflict-to-TIME) and the caller fails;
 *  - deleted on one side and unchanged on the other: deleted there with
 *    delete, else copied back; a change wins over a deletion.
 * Planning (which reads but never writes) and applying are apart, so a
 * caller can back up what is about to change in between. */
#ifndef CC_SYNC_TWOWAY_H
#define CC_SYNC_TWOWAY_H

#include "ctxwalk.h"
#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct sync_file;
struct sync_job;
struct sync_record;
struct sync_rewriter;
struct sync_tree;

enum sync_twoway_action {
	SYNC_TW_KEEP,	       /* as recorded on both sides */
	SYNC_TW_TO_DEST,       /* from side -> to side */
	SYNC_TW_TO_SOURCE,     /* to side -> from side */
	SYNC_TW_DELETE_DEST,   /* gone from the from side: removed from the to side */
	SYNC_TW_DELETE_SOURCE, /* gone from the to side: removed from the from side */
	SYNC_TW_RECORD,	       /* changed alike on both sides: only recorded */
	SYNC_TW_FORGET,	       /* gone from both sides */
	SYNC_TW_CONFLICT,      /* changed on both sides, differently */
};

/* One path as the planner sees it. */
struct sync_twoway_state {
	int src, dst;		      /* present on that side */
	int src_changed, dst_changed; /* differs from the record (no record: present) */
	int same;		      /* both present with the same content (after rewrites) */
};

struct sync_twoway_item {
	const struct ctx_entry *s, *d; /* the from and to sides' entries, NULL when absent; borrowed */
	const struct sync_file *r;     /* the record's, or NULL; borrowed */
	const unsigned char *digest;   /* s's content (regular files); borrowed */
	enum sync_twoway_action action;
};

struct sync_twoway_plan {
	struct ctx_list dest; /* the to side as walked */
	struct sync_twoway_item *v;
	size_t n, cap;
	size_t changes;		  /* items that write, delete or conflict */
	struct strlist src_temps; /* temporaries a killed sync left on the from side */
};

struct sync_twoway_summary {
	size_t to_dest, to_source, deleted, same;
	uint64_t bytes;		  /* bytes written, both sides */
	struct strlist conflicts; /* "PATH (what was kept)" per conflict */
};

/* The action for one path; delete is the sync's delete:. */
enum sync_twoway_action sync_twoway_decide(const struct sync_twoway_state *st, int delete);
/* A short name of an action ("to-dest", "conflict", ...); static. */
const char *sync_twoway_action_name(enum sync_twoway_action a);
/* Plan the sync of job->src (walked and hashed as src, borrowed for the
 * plan's life) with job->dst against rec (borrowed too).  Release plan
 * with sync_twoway_plan_release, also on failure. */
int sync_twoway_plan(const struct sync_job *job, const struct sync_tree *src, const struct sync_record *rec,
		     struct sync_twoway_plan *plan, struct cc_error **err);
/* Carry plan out; reverse (may be NULL: no rewrite) undoes job->rewriter
 * for what moves to the from side.  *out gets the new record (caller
 * releases; a conflict keeps its old entry), sum what was done (caller
 * releases sum->conflicts).  0 also with conflicts; -1 with err. */
int sync_twoway_apply(const struct sync_job *job, const struct sync_rewriter *reverse,
		      const struct sync_twoway_plan *plan, struct sync_record *out, struct sync_twoway_summary *sum,
		      struct cc_error **err);
void sync_twoway_plan_release(struct sync_twoway_plan *plan);

#endif
