/* watch: the inotify watcher on real directories: edits, new directories
 * (and what was written in them before their watch), ignore rules, a file
 * tree, the debounce (one batch for a burst), timeouts and cancel. */
#include "error.h"
#include "ignore.h"
#include "tap.h"
#include "util.h"
#include "watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static char *at(const char *rel)
{
	return path_join(root, rel);
}

static void put(const char *rel, const char *text)
{
	cleanup_free char *p = at(rel);
	FILE *f = fopen(p, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int has(const struct watch_batch *b, const char *rel)
{
	cleanup_free char *p = at(rel);

	return strlist_has(&b->paths, p);
}

static int next(struct watch *w, long ms, struct watch_batch *b)
{
	struct cc_error *err = NULL;
	int rc = watch_next(w, ms, NULL, b, &err);

	if (rc < 0)
		fprintf(stderr, "# %s\n", err->msg);
	cc_error_free(err);
	return rc;
}

static void test_tree(void)
{
	struct cc_error *err = NULL;
	struct watch *w = watch_new(30, &err);
	struct ignore *ig = ignore_new();
	struct watch_batch b = { 0 };
	cleanup_free char *sub = at("src"), *newdir = at("src/new"), *deep = at("src/new/deeper"),
			  *ign = at("node_modules");

	mkdir(sub, 0755);
	mkdir(ign, 0755);
	ignore_add(ig, "node_modules", ".dockerignore", 1, &err);
	ignore_add(ig, "*.log", ".dockerignore", 2, &err);
	ok(w && watch_add_tree(w, root, ig, NULL, &err) == 0, "a tree is watched");
	is_int(watch_dir_count(w), 2, "the ignored directory has no watch");
	is_int(next(w, 50, &b), 0, "nothing changed: a timeout");

	put("src/a.txt", "1");
	put("src/a.txt", "12");
	put("src/b.txt", "1");
	is_int(next(w, 2000, &b), 1, "an edit gives a batch");
	ok(has(&b, "src/a.txt") && has(&b, "src/b.txt"), "with both files");
	is_int(b.paths.n, 2, "a burst of writes is one batch, each path once");

	put("debug.log", "x");
	put("node_modules/m.js", "x");
	is_int(next(w, 300, &b), 0, "an ignored edit gives no batch");

	mkdir(newdir, 0755);
	mkdir(deep, 0755);
	put("src/new/deeper/c.txt", "x");
	is_int(next(w, 2000, &b), 1, "a new directory gives a batch");
	ok(has(&b, "src/new/deeper/c.txt"), "with what was written in it before its watch existed");
	put("src/new/deeper/d.txt", "x");
	is_int(next(w, 2000, &b), 1, "a new directory is watched");
	ok(has(&b, "src/new/deeper/d.txt") && b.paths.n == 1, "a later file in it is seen, alone");
	watch_batch_release(&b);
	watch_free(w);
	ignore_free(ig);
	cc_error_free(err);
}

static void test_file_tree(void)
{
	struct cc_error *err = NULL;
	struct watch *w = watch_new(20, &err);
	struct watch_batch b = { 0 };
	cleanup_free char *f = at("one.conf");

	put("one.conf", "a");
	ok(watch_add_tree(w, f, NULL, NULL, &err) == 0, "a file is watched");
	put("other.conf", "b");
	is_int(next(w, 200, &b), 0, "its siblings are not");
	put("one.conf", "c");
	is_int(next(w, 2000, &b), 1, "an edit of the file");
	ok(has(&b, "one.conf") && b.paths.n == 1, "names only the file");
	watch_batch_release(&b);
	watch_free(w);
	cc_error_free(err);
}

static void test_cancel(void)
{
	struct cc_error *err = NULL;
	struct watch *w = watch_new(0, &err);
	struct watch_batch b = { 0 };
	atomic_int flag = 2;

	ok(watch_add_tree(w, "relative/dir", NULL, NULL, &err) < 0, "a relative root is refused");
	cc_error_free(err);
	err = NULL;
	watch_add_tree(w, root, NULL, NULL, &err);
	ok(watch_next(w, -1, &flag, &b, &err) < 0 && strstr(err->msg, "interrupted"), "cancel ends a wait");
	watch_free(w);
	cc_error_free(err);
}

/* More events than the kernel queues (max_queued_events): "rescan". */
static void test_overflow(void)
{
	struct cc_error *err = NULL;
	struct watch *w = watch_new(20, &err);
	struct watch_batch b = { 0 };
	cleanup_free char *dir = at("many");
	int n = 0;
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");

	if (!f || fscanf(f, "%d", &n) != 1 || n > 100000) {
		ok(1, "# SKIP max_queued_events unknown or too large");
		if (f)
			fclose(f);
		watch_free(w);
		return;
	}
	fclose(f);
	mkdir(dir, 0755);
	ok(watch_add_tree(w, dir, NULL, NULL, &err) == 0, "a tree for the flood");
	for (int i = 0; i < n / 2 + 10; i++) {
		char name[64];

		snprintf(name, sizeof(name), "many/f%d", i);
		put(name, "x"); /* IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE: 3 events each */
	}
	is_int(next(w, 5000, &b), 1, "a flood gives a batch");
	ok(b.overflow, "that says the queue overflowed");
	watch_batch_release(&b);
	watch_free(w);
	cc_error_free(err);
}

int main(void)
{
	snprintf(root, sizeof(root), "%s/ccb-watch-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	test_tree();
	test_file_tree();
	test_cancel();
	test_overflow();
	{
		cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);

		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
	return done_testing();
}
