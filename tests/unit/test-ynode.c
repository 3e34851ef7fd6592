#include "error.h"
#include "tap.h"
#include "util.h"
#include "ynode.h"

#include <stdlib.h>

static struct ynode *parse(const char *text)
{
	struct ynode *n = NULL;
	struct cc_error *err = NULL;

	if (ynode_parse_buffer("t.yml", text, strlen(text), &n, &err) < 0) {
		printf("# parse error: %s\n", err->msg);
		cc_error_free(err);
	}
	return n;
}

static void test_positions(void)
{
	struct ynode *n = parse("a: 1\nb:\n  c: [x, 'y']\n");
	struct ynode *c = ynode_map_get(ynode_map_get(n, "b"), "c");

	ok(c && c->kind == YNODE_SEQ && c->len == 2, "nested sequence parsed");
	is_int(c->pos.line, 3, "line of c's value");
	is_int(c->pos.col, 6, "column of c's value");
	ok(!c->items[0]->quoted && c->items[1]->quoted, "quoted flag kept");
	ynode_free(n);
}

static void test_anchors_and_merge(void)
{
	struct ynode *n = parse("x-base: &base\n  a: 1\n  b: 2\n"
				"x-more: &more\n  b: 3\n  d: 4\n"
				"svc:\n  <<: [*base, *more]\n  a: 9\n"
				"alias: *base\n");
	struct ynode *svc = ynode_map_get(n, "svc");

	ok(svc != NULL, "merge target exists");
	is_str(ynode_map_get(svc, "a")->str, "9", "explicit key wins over merged");
	is_str(ynode_map_get(svc, "b")->str, "2", "earlier merge source wins");
	is_str(ynode_map_get(svc, "d")->str, "4", "later source fills missing key");
	ok(ynode_map_get(svc, "<<") == NULL, "merge key removed");
	is_str(ynode_map_get(ynode_map_get(n, "alias"), "b")->str, "2", "alias is a copy of its anchor");
	ynode_free(n);
}

static void test_errors(void)
{
	struct ynode *n = NULL;
	struct cc_error *err = NULL;
	const char *bad = "a: 1\nb: [1, 2\n";

	ok(ynode_parse_buffer("bad.yml", bad, strlen(bad), &n, &err) < 0, "syntax error reported");
	ok(err && str_has_prefix(err->msg, "bad.yml:"), "error names the file: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	bad = "a: &a [*a]\n";
	ok(ynode_parse_buffer("rec.yml", bad, strlen(bad), &n, &err) < 0, "recursive alias is an error");
	cc_error_free(err);
}

static void test_emit(void)
{
	struct ynode *n = parse("s: 'true'\nn: 80:80\nq: '22:22'\nm: {}\nl: [a, '1']\nt: true\n");
	char *out = ynode_emit_string(n);

	is_str(out, "s: 'true'\nn: 80:80\nq: '22:22'\nm: {}\nl:\n- a\n- '1'\nt: true\n", "PyYAML-style quoting");
	free(out);
	ynode_free(n);
}

static void test_resolution(void)
{
	ok(yaml_plain_is_ambiguous("yes") && yaml_plain_is_ambiguous("1.5") && yaml_plain_is_ambiguous("0x1f"),
	   "bool, float, hex are not plain strings");
	ok(yaml_plain_is_ambiguous("22:22") && !yaml_plain_is_ambiguous("8000:8000"),
	   "sexagesimal ints only up to 59");
	ok(!yaml_plain_is_ambiguous("hello") && !yaml_plain_is_ambiguous("1.2.3"), "words and versions are plain");
}

int main(void)
{
	test_positions();
	test_anchors_and_merge();
	test_errors();
	test_emit();
	test_resolution();
	return done_testing();
}
