/* test-sync: the pure parts of src/lib/sync/: rewrite rules, the record's
 * format, the temporary names a killed sync leaves, the plan of a sync
 * into a volume or container, which create bodies mount a destination. */
#include "error.h"
#include "manifest-sync.h"
#include "sync-host.h"
#include "sync-record.h"
#include "sync-plan.h"
#include "sync-rewrite.h"
#include "sync-target.h"
#include "sync-tree.h"
#include "ignore.h"
#include "tap.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_rewrite(void)
{
	struct sync_rewrite rule = { 0 };
	struct sync_rewriter *rw;
	char *out = NULL;
	size_t len = 0;
	const char *in = "{\"a\": \"/Users/me/x\", \"b\": \"/Users/me/y\"}";

	strlist_push(&rule.files, "*.json");
	kvlist_set(&rule.replace, "/Users/me/", "/root/");
	rw = sync_rewriter_new(&rule, 1);
	ok(sync_rewriter_matches(rw, "c.json") && sync_rewriter_matches(rw, "deep/er/c.json"),
	   "a pattern without / matches at any depth");
	ok(!sync_rewriter_matches(rw, "c.jsonl"), "and only what it names");
	is_int(sync_rewriter_apply(rw, "a/c.json", in, strlen(in), &out, &len), 1, "a matching text file is rewritten");
	is_str(out, "{\"a\": \"/root/x\", \"b\": \"/root/y\"}", "every occurrence replaced");
	free(out);
	is_int(sync_rewriter_apply(rw, "c.json", "/Users/me/\0bin", 14, &out, &len), 0,
	       "a file with a NUL byte is not");
	is_int(strlen(sync_rewriter_hash(rw)), 64, "the rules have a hash");
	sync_rewriter_free(rw);
	rw = sync_rewriter_new(NULL, 0);
	is_str(sync_rewriter_hash(rw), "", "no rules: no hash");
	sync_rewriter_free(rw);
	strlist_release(&rule.files);
	kvlist_release(&rule.replace);
}

static void write_text(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void test_record(void)
{
	char dir[] = "/tmp/test-sync.XXXXXX";
	struct sync_record r = { 0 }, back;
	struct sync_file *f;
	char *warning = NULL, *file;

	if (!mkdtemp(dir))
		abort();
	file = xasprintf("%s/r.json", dir);
	is_int(sync_record_load(file, &back, &warning), 0, "no record: 0");
	ok(!warning, "and no warning");
	f = sync_record_add(&r, "a", NULL);
	f->mode = 0100644, f->size = 3, f->mtime_ns = 1234567890123456789, f->ino = 42;
	memset(f->sha, 0xab, 32);
	memset(f->src, 0xcd, 32);
	f = sync_record_add(&r, "a/l", "../x");
	f->mode = 0120777;
	ok(sync_record_save(file, &r, NULL) == 0, "saved");
	is_int(sync_record_load(file, &back, &warning), 1, "loaded");
	is_int(back.n, 2, "both entries");
	ok(back.v[0].mtime_ns == 1234567890123456789 && back.v[0].ino == 42 && back.v[0].sha[31] == 0xab &&
		   back.v[0].src[0] == 0xcd,
	   "stat data and hashes round-trip");
	is_str(sync_record_find(&back, "a/l")->link, "../x", "the link target too");
	ok(!sync_record_find(&back, "b"), "a path not recorded is not found");
	sync_record_release(&back);
	write_text(file, "{\"version\": 1, \"rules\": \"\", \"files\": [[\"b\", 1, 0, 0, 0, 0, \"\", \"\", "
			 "null], [\"a\", 1, 0, 0, 0, 0, \"\", \"\", null]]}");
	is_int(sync_record_load(file, &back, &warning), 0, "entries out of walk order are refused");
	ok(warning && strstr(warning, "malformed sync record"), "with a warning: %s", warning ? warning : "");
	free(warning);
	sync_record_release(&r);
	unlink(file);
	rmdir(dir);
	free(file);
}

static void test_temp_names(void)
{
	ok(sync_host_is_temp("d/.f.txt.ccbuild-0123456789abcdef"), "a temporary name");
	ok(!sync_host_is_temp("d/f.txt.ccbuild-0123456789abcdef"), "without the leading dot: a user's file");
	ok(!sync_host_is_temp(".f.ccbuild-0123"), "too short: a user's file");
}

/* A destination listing entry. */
static void listed(struct sync_record *r, const char *path, unsigned mode, int sha, const char *link)
{
	struct sync_file *f = sync_record_add(r, path, link);

	f->mode = mode;
	memset(f->sha, sha, 32);
}

static void test_plan(void)
{
	static const struct ctx_entry src_v[] = {
		{ .path = "d", .mode = 040755 },
		{ .path = "d/f", .mode = 0100644, .size = 3 },
		{ .path = "l", .mode = 0120777, .link = "same" },
		{ .path = "same", .mode = 0100600, .size = 3 },
	};
	unsigned char digests[4][32];
	struct sync_tree tree = { .list = { (struct ctx_entry *)src_v, 4, 4, ARENA_INIT }, .digests = digests };
	struct sync_record dest = { 0 }, rec = { 0 }, next;
	struct sync_plan plan;
	struct ignore *ig = ignore_new();
	char *joined;

	memset(digests, 0, sizeof(digests));
	memset(digests[1], 'X', 32);
	memset(digests[3], 'Y', 32);
	ignore_add(ig, "cache/", "exclude", 1, NULL);
	ignore_add(ig, "**/*.log", "exclude", 2, NULL);
	listed(&dest, ".ccbuild-sync", 0100600, 0, NULL);
	listed(&dest, "cache", 040755, 0, NULL);
	listed(&dest, "cache/k", 0100644, 1, NULL);
	listed(&dest, "d", 040755, 0, NULL);
	listed(&dest, "d/f", 0100644, 'Z', NULL);
	listed(&dest, "keepdir", 040755, 0, NULL);
	listed(&dest, "keepdir/x.log", 0100644, 2, NULL);
	listed(&dest, "l", 0120777, 0, "other");
	listed(&dest, "old", 0100644, 'V', NULL);
	listed(&dest, "olddir", 040755, 0, NULL);
	listed(&dest, "olddir/x", 0100644, 3, NULL);
	listed(&dest, "same", 0100600, 'Y', NULL);
	listed(&rec, "d/f", 0100644, 'Z', NULL);
	listed(&rec, "old", 0100644, 'W', NULL);
	is_int(sync_plan_make(&tree, "/nonexistent", NULL, ig, 1, &dest, &rec, &plan, &next, NULL), 0, "a plan");
	is_int(plan.n, 2, "two entries to write: the changed file and the changed link");
	ok(plan.n == 2 && plan.v[0].src == 1 && plan.v[0].kind == SYNC_ACT_FILE && plan.v[1].kind == SYNC_ACT_LINK,
	   "d/f as a file, l as a link");
	is_int(plan.same, 1, "the file the destination has already is left alone");
	is_str((joined = strlist_join(&plan.remove, ",")), "old,olddir",
	       "delete: the topmost of what the source lacks; never what is excluded, the staging name, or a"
	       " directory that holds an excluded file");
	free(joined);
	is_str((joined = strlist_join(&plan.replaced, ",")), "l,old", "what was not as last synced is named");
	free(joined);
	is_int(next.n, 4, "the next record lists the source's entries");
	ok(next.n == 4 && !memcmp(next.v[1].sha, digests[1], 32) && next.v[3].mode == 0100600,
	   "with their hashes and modes");
	sync_plan_release(&plan);
	sync_record_release(&next);
	is_int(sync_plan_make(&tree, "/nonexistent", NULL, ig, 0, &dest, &rec, &plan, &next, NULL), 0,
	       "without delete");
	is_int(plan.remove.n, 0, "nothing is removed");
	sync_plan_release(&plan);
	sync_record_release(&next);
	sync_record_release(&dest);
	sync_record_release(&rec);
	ignore_free(ig);
}

static void test_mounted(void)
{
	json_t *create = json_pack("{s:{s:[{s:s, s:s, s:s}], s:[s]}}", "HostConfig", "Mounts", "Type", "volume",
				   "Source", "p_data", "Target", "/srv", "Binds", "/host/dir:/etc/x:rw");
	char t[64] = "";

	ok(sync_target_mounted(create, "p_data", NULL, t, sizeof(t)), "a named volume in Mounts");
	is_str(t, "/srv", "mounted at its target");
	ok(!sync_target_mounted(create, "p_other", NULL, t, sizeof(t)), "not another volume");
	ok(sync_target_mounted(create, NULL, "/host/dir/sub", t, sizeof(t)) && !strcmp(t, "/etc/x"),
	   "a bind holding the host destination");
	ok(sync_target_mounted(create, NULL, "/host", t, sizeof(t)) && !strcmp(t, "/etc/x"), "a bind inside it");
	ok(!sync_target_mounted(create, NULL, "/host/dirx", t, sizeof(t)), "not a sibling that shares a prefix");
	json_decref(create);
}

int main(void)
{
	test_rewrite();
	test_record();
	test_temp_names();
	test_plan();
	test_mounted();
	return done_testing();
}
