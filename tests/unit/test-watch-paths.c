/* watch-paths: tree membership, the changed-path set, the debounce rule. */
#include "lists.h"
#include "tap.h"
#include "watch.h"

#include <stddef.h>

static void test_below(void)
{
	is_str(watch_path_below("/a/b", "/a/b/c/d"), "c/d", "below a root");
	is_str(watch_path_below("/a/b", "/a/b"), "", "the root itself");
	is_str(watch_path_below("/a/b/", "/a/b/c"), "c", "root with a trailing slash");
	ok(watch_path_below("/a/b", "/a/bc") == NULL, "a sibling with the root as prefix is not inside");
	ok(watch_path_below("/a/b", "/a") == NULL, "the parent is not inside");
	is_str(watch_path_below("/", "/x/y"), "x/y", "below /");
}

static void test_set(void)
{
	struct strlist l = { 0 };

	watch_paths_add(&l, "/t/b");
	watch_paths_add(&l, "/t/a");
	watch_paths_add(&l, "/t/b");
	watch_paths_add(&l, "/t/c");
	watch_paths_add(&l, "/t/a");
	is_int(l.n, 3, "duplicates kept once");
	is_str(l.v[0], "/t/a", "sorted: first");
	is_str(l.v[2], "/t/c", "sorted: last");
	strlist_release(&l);
}

static void test_debounce(void)
{
	is_int(watch_debounce_left(0, 0, 10, 50, 1000), 40, "waits the quiet time after the last event");
	is_int(watch_debounce_left(0, 30, 40, 50, 1000), 40, "a later event restarts the quiet time");
	is_int(watch_debounce_left(0, 30, 80, 50, 1000), 0, "due once quiet");
	is_int(watch_debounce_left(0, 990, 995, 50, 1000), 5, "never past the longest wait");
	is_int(watch_debounce_left(0, 1200, 1201, 50, 1000), 0, "a steady stream of writes still gives batches");
}

int main(void)
{
	test_below();
	test_set();
	test_debounce();
	return done_testing();
}
