/* test-sync-twoway: the decision table of the two-way sync (every
 * combination of present / changed on each side, with and without
 * delete), the reverse rewrite, and a plan of a small tree on disk. */
#include "error.h"
#include "manifest-sync.h"
#include "sync-apply.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-tree.h"
#include "sync-twoway.h"
#include "tap.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum sync_twoway_action decide(int src, int sc, int dst, int dc, int same, int delete)
{
	struct sync_twoway_state st = { src, dst, sc, dc, same };

	return sync_twoway_decide(&st, delete);
}

static void test_decide(void)
{
	/* present on both sides */
	is_int(decide(1, 0, 1, 0, 0, 0), SYNC_TW_KEEP, "unchanged on both sides: kept");
	is_int(decide(1, 1, 1, 0, 0, 0), SYNC_TW_TO_DEST, "changed on the from side only: moves to the to side");
	is_int(decide(1, 0, 1, 1, 0, 0), SYNC_TW_TO_SOURCE, "changed on the to side only: moves to the from side");
	is_int(decide(1, 1, 1, 1, 0, 0), SYNC_TW_CONFLICT, "changed on both sides differently: a conflict");
	is_int(decide(1, 1, 1, 1, 1, 0), SYNC_TW_RECORD, "changed on both sides alike: only recorded");
	is_int(decide(1, 1, 1, 1, 0, 1), SYNC_TW_CONFLICT, "delete: does not change a conflict");
	/* new on one side (no record: changed = present) */
	is_int(decide(1, 1, 0, 0, 0, 0), SYNC_TW_TO_DEST, "new on the from side: copied");
	is_int(decide(0, 0, 1, 1, 0, 1), SYNC_TW_TO_SOURCE, "new on the to side: copied back");
	/* deleted on one side, unchanged on the other */
	is_int(decide(0, 1, 1, 0, 0, 1), SYNC_TW_DELETE_DEST, "deleted on the from side, with delete: deleted");
	is_int(decide(0, 1, 1, 0, 0, 0), SYNC_TW_TO_SOURCE, "deleted on the from side, without delete: re-copied");
	is_int(decide(1, 0, 0, 1, 0, 1), SYNC_TW_DELETE_SOURCE, "deleted on the to side, with delete: deleted");
	is_int(decide(1, 0, 0, 1, 0, 0), SYNC_TW_TO_DEST, "deleted on the to side, without delete: re-copied");
	/* deleted on one side, changed on the other: the change wins */
	is_int(decide(0, 1, 1, 1, 0, 1), SYNC_TW_TO_SOURCE, "deleted here, changed there: the change is copied back");
	is_int(decide(1, 1, 0, 1, 0, 1), SYNC_TW_TO_DEST, "and the other way round");
	is_int(decide(0, 1, 0, 1, 0, 1), SYNC_TW_FORGET, "deleted on both sides: forgotten");
	is_str(sync_twoway_action_name(SYNC_TW_CONFLICT), "conflict", "actions have names");
}

static void test_reverse(void)
{
	struct sync_rewrite rules[2] = { 0 };
	struct sync_rewriter *fw, *rv;
	const char *in = "{\"a\": \"/Users/me/x\", \"b\": \"/opt/me\"}";
	char *out = NULL, *back = NULL;
	size_t len = 0, blen = 0;

	strlist_push(&rules[0].files, "*.json");
	kvlist_set(&rules[0].replace, "/Users/me/", "/root/");
	strlist_push(&rules[1].files, "*.json");
	kvlist_set(&rules[1].replace, "/opt/me", "/srv/me");
	fw = sync_rewriter_new(rules, 2);
	rv = sync_rewriter_reverse(rules, 2);
	is_int(sync_rewriter_apply(fw, "c.json", in, strlen(in), &out, &len), 1, "the rules rewrite");
	is_int(sync_rewriter_apply(rv, "c.json", out, len, &back, &blen), 1, "the reverse rules rewrite back");
	is_str(back, in, "the way back gives the original bytes");
	ok(strcmp(sync_rewriter_hash(fw), sync_rewriter_hash(rv)), "the reverse rules have their own hash");
	ok(!sync_rewriter_matches(rv, "c.txt"), "for the same files only");
	free(out);
	free(back);
	sync_rewriter_free(fw);
	sync_rewriter_free(rv);
	for (int i = 0; i < 2; i++) {
		strlist_release(&rules[i].files);
		kvlist_release(&rules[i].replace);
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	cleanup_free char *path = path_join(dir, name);
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* The action planned for path, or -1 when it is not in the plan. */
static int planned(const struct sync_twoway_plan *plan, const char *path)
{
	for (size_t k = 0; k < plan->n; k++) {
		const char *p = plan->v[k].s   ? plan->v[k].s->path
				: plan->v[k].d ? plan->v[k].d->path
					       : plan->v[k].r->path;

		if (!strcmp(p, path))
			return (int)plan->v[k].action;
	}
	return -1;
}

/* The plan borrows from the tree: both released by done(). */
static struct sync_tree tree;

static void done(struct sync_twoway_plan *plan, struct sync_twoway_summary *sum)
{
	sync_twoway_plan_release(plan);
	sync_tree_release(&tree);
	strlist_release(&sum->conflicts);
}

static void plan_and_apply(struct sync_job *job, struct sync_record *rec, struct sync_twoway_plan *plan,
			   struct sync_twoway_summary *sum)
{
	struct sync_record out;
	struct cc_error *err = NULL;
	char *warning = NULL;

	if (sync_tree_scan(job->src, NULL, NULL, 0, NULL, &tree, &warning, &err) < 0 ||
	    sync_twoway_plan(job, &tree, rec, plan, &err) < 0 ||
	    sync_twoway_apply(job, NULL, plan, &out, sum, &err) < 0)
		BUG("%s", err ? err->msg : "?");
	free(warning);
	sync_record_release(rec);
	*rec = out;
}

static void test_tree(void)
{
	char dir[] = "/tmp/test-sync-twoway.XXXXXX";
	cleanup_free char *src = NULL, *dst = NULL;
	struct sync_record rec = { 0 };
	struct sync_twoway_plan plan;
	struct sync_twoway_summary sum;
	struct sync_job job = { 0 };
	char cmd[256];

	if (!mkdtemp(dir))
		abort();
	src = path_join(dir, "src");
	dst = path_join(dir, "dst");
	mkdir(src, 0755);
	put(src, "a", "one\n");
	put(src, "b", "two\n");
	job.src = src;
	job.dst = dst;
	job.delete = 1;
	plan_and_apply(&job, &rec, &plan, &sum);
	is_int(sum.to_dest, 2, "a first sync copies the from side");
	is_int(rec.n, 2, "and records both files");
	done(&plan, &sum);

	put(dst, "a", "ONE\n");
	put(src, "b", "TWO\n");
	put(dst, "b", "2\n");
	put(dst, "c", "three\n");
	plan_and_apply(&job, &rec, &plan, &sum);
	is_int(planned(&plan, "a"), SYNC_TW_TO_SOURCE, "a changed on the to side moves back");
	is_int(planned(&plan, "b"), SYNC_TW_CONFLICT, "b changed on both sides is a conflict");
	is_int(planned(&plan, "c"), SYNC_TW_TO_SOURCE, "c new on the to side moves back");
	is_int(sum.conflicts.n, 1, "one conflict reported");
	ok(sum.conflicts.n && strstr(sum.conflicts.v[0], "b.conflict-from-") &&
		   strstr(sum.conflicts.v[0], "b.conflict-to-"),
	   "naming both kept versions");
	done(&plan, &sum);

	plan_and_apply(&job, &rec, &plan, &sum);
	is_int(sum.to_dest + sum.to_source, 0, "a rerun moves nothing");
	is_int(sum.conflicts.n, 1, "and the conflict stands until both sides agree");
	done(&plan, &sum);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
	sync_record_release(&rec);
}

int main(void)
{
	test_decide();
	test_reverse();
	test_tree();
	return done_testing();
}
