/* test-sync: the pure parts of src/lib/sync/: rewrite rules, the record's
 * format, the temporary names a killed sync leaves. */
#include "error.h"
#include "manifest-sync.h"
#include "sync-host.h"
#include "sync-record.h"
#include "sync-rewrite.h"
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

int main(void)
{
	test_rewrite();
	test_record();
	test_temp_names();
	return done_testing();
}
