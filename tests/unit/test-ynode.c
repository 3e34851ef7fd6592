#include "error.h"
#include "tap.h"
#include "util.h"
#include "ynode.h"

#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
	ok(yaml_plain_is_ambiguous("22:22") && !yaml_plain_is_ambiguous("8000:8000"), "sexagesimal ints only up to 59");
	ok(!yaml_plain_is_ambiguous("hello") && !yaml_plain_is_ambiguous("1.2.3"), "words and versions are plain");
}

/* The regexps the scanners replaced (PyYAML's resolver.py), as the oracle. */
static const char *const old_int_re = "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
				      "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$";
static const char *const old_float_re =
	"^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9_]+([eE][-+][0-9]+)?"
	"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$";
static const char *const old_ambiguous_re =
	"^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
	"|[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
	"|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
	"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
	"(([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)?"
	"|<<|=|~|null|Null|NULL|yes|Yes|YES|true|True|TRUE|on|On|ON|no|No|NO|false|False|FALSE|off|Off|OFF|)$";
static const char *const old_dec_re = "^[-+]?(0|[1-9][0-9]*)$";

struct oracle {
	regex_t rx[4];
	long mismatches[4], tried;
};

static int scanner(int i, const char *s)
{
	struct ynode n = { .kind = YNODE_SCALAR, .str = (char *)s };

	switch (i) {
	case 0: return yaml_plain_is_int(s);
	case 1: return yaml_plain_is_float(s);
	case 2: return yaml_plain_is_ambiguous(s);
	default: return ynode_is_int(&n, NULL);
	}
}

static void oracle_check(struct oracle *o, const char *s)
{
	int i, want;

	o->tried++;
	for (i = 0; i < 4; i++) {
		want = regexec(&o->rx[i], s, 0, NULL, 0) == 0;
		if (i == 2 && (!strcmp(s, ".") || !strcmp(s, "+") || !strcmp(s, "-")))
			want = 0;
		if (scanner(i, s) != want && o->mismatches[i]++ < 5)
			printf("# scanner %d on '%s': %d, regexp %d\n", i, s, !want, want);
	}
}

/* every string of up to `len` characters of `alpha` */
static void oracle_all(struct oracle *o, const char *alpha, char *buf, size_t at, size_t len)
{
	size_t i;

	buf[at] = '\0';
	oracle_check(o, buf);
	if (at == len)
		return;
	for (i = 0; alpha[i]; i++) {
		buf[at] = alpha[i];
		oracle_all(o, alpha, buf, at + 1, len);
	}
}

/* mutations of str: each character replaced by, or followed by, one of alpha */
static void oracle_mutate(struct oracle *o, const char *str, const char *alpha, unsigned *seed, int rounds)
{
	char buf[64];
	size_t n = strlen(str), k;
	int r, m;

	oracle_check(o, str);
	for (r = 0; r < rounds; r++) {
		snprintf(buf, sizeof(buf), "%s", str);
		for (m = 0; m < 3; m++) {
			k = (size_t)rand_r(seed) % (n + 1);
			if (rand_r(seed) % 2 && k < n)
				buf[k] = alpha[rand_r(seed) % strlen(alpha)];
			else if (strlen(buf) < sizeof(buf) - 2) {
				memmove(buf + k + 1, buf + k, strlen(buf + k) + 1);
				buf[k] = alpha[rand_r(seed) % strlen(alpha)];
			}
			oracle_check(o, buf);
		}
	}
}

static void test_scanners_match_regexps(void)
{
	static const char *const seeds[] = {
		"0b1_0",
		"-017",
		"+1_000",
		"0x1F_a",
		"190:20:30",
		"1:5",
		"-1.5e+10",
		".5E-3",
		"._",
		"1_0.",
		"+.inf",
		".NaN",
		"-190:20:30.15",
		"2001-12-14",
		"2001-12-14t21:59:43.10-05:00",
		"2001-12-14 21:59:43.10 -5",
		"2001-12-14\t \t21:59:43Z",
		"2002-1-2 1:02:03 +05:30",
		"<<",
		"=",
		"~",
		"Null",
		"ON",
		"1.2.3",
		"80:80",
		"22:22",
		"-0",
		"00",
		"0o7",
		"1e5",
		"+",
	};
	const char *const res[4] = { old_int_re, old_float_re, old_ambiguous_re, old_dec_re };
	const char *const names[4] = { "yaml_plain_is_int", "yaml_plain_is_float", "yaml_plain_is_ambiguous",
				       "ynode_is_int" };
	struct oracle o = { .tried = 0 };
	unsigned seed = 42;
	char buf[16];
	size_t i;

	for (i = 0; i < 4; i++)
		if (regcomp(&o.rx[i], res[i], REG_EXTENDED | REG_NOSUB))
			abort();
	oracle_all(&o, "019_:.-+eEbxa", buf, 0, 4);
	oracle_all(&o, "0169:.- tTZ", buf, 0, 5);
	for (i = 0; i < sizeof(seeds) / sizeof(*seeds); i++)
		oracle_mutate(&o, seeds[i], "0123456789_:.-+eEbxXaAfinNTtZ \t<=~", &seed, 3000);
	for (i = 0; i < 4; i++) {
		is_int(o.mismatches[i], 0, names[i]);
		regfree(&o.rx[i]);
	}
	printf("# %ld strings compared with the regexps\n", o.tried);
}

/* A big map is indexed: lookups, replacement, removal, sorting, cloning and
 * in-place key edits keep finding every key. */
static void test_map_index(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct ynode *n, *c;
	char key[32];
	long bad = 0, i;

	for (i = 0; i < 5000; i++)
		strbuf_addf(&sb, "k%ld: %ld\n", i, i);
	strbuf_addstr(&sb, "k17: again\n");
	n = parse(sb.buf);
	ok(n && n->len == 5000 && n->index, "5,000 keys, one duplicate, indexed");
	is_str(n->vals[17]->str, "again", "a duplicate key replaces the value in place");
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		bad += ynode_map_index(n, key) != i;
	}
	is_int(bad, 0, "every key found at its position");
	ok(ynode_map_index(n, "k5000") < 0 && ynode_map_index(n, "") < 0, "absent keys are absent");
	ok(ynode_map_remove(n, "k0") && ynode_map_index(n, "k1") == 0 && ynode_map_index(n, "k0") < 0,
	   "remove shifts the index");
	ynode_map_sort(n, 0);
	is_str(n->keys[0]->str, "k1", "sorted");
	ok(ynode_map_index(n, "k4999") >= 0 && !strcmp(n->keys[ynode_map_index(n, "k4999")]->str, "k4999"),
	   "sorted map still indexed");
	c = ynode_clone(n);
	ok(c->index && ynode_map_index(c, "k2500") >= 0 && ynode_map_get(c, "k2500") != ynode_map_get(n, "k2500"),
	   "a clone has its own index");
	free(c->keys[3]->str);
	c->keys[3]->str = xstrdup("renamed");
	ynode_map_rekeyed(c);
	ok(ynode_map_index(c, "renamed") == 3, "rekeyed after an in-place key edit");
	ynode_map_set(c, "new", ynode_new_scalar("v", 0, NULL));
	ok(ynode_map_index(c, "new") == (long)c->len - 1, "appended key indexed");
	ynode_free(c);
	ynode_free(n);
	strbuf_release(&sb);
}

/* parse text; the error message (caller frees) or NULL when it parsed */
static char *parse_error(const char *text, size_t len)
{
	struct ynode *n = NULL;
	struct cc_error *err = NULL;
	char *msg;

	if (ynode_parse_buffer("h.yml", text, len, &n, &err) == 0) {
		ynode_free(n);
		return NULL;
	}
	msg = xstrdup(err->msg);
	cc_error_free(err);
	return msg;
}

/* Limits hold while parsing, and each error names FILE:LINE:COL once. */
static void test_hostile_documents(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *msg;
	int i, j;

	for (i = 0; i < 100000; i++)
		strbuf_addch(&sb, '[');
	for (i = 0; i < 100000; i++)
		strbuf_addch(&sb, ']');
	msg = parse_error(sb.buf, sb.len);
	is_str(msg, "h.yml:1:258: document nested deeper than 256 levels", "100,000 nested [ stop at the limit");
	free(msg);
	strbuf_release(&sb);
	for (i = 0; i < 256; i++)
		strbuf_addch(&sb, '[');
	for (i = 0; i < 256; i++)
		strbuf_addch(&sb, ']');
	msg = parse_error(sb.buf, sb.len);
	ok(!msg, "256 nested [ are fine");
	free(msg);
	strbuf_release(&sb);

	strbuf_addstr(&sb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 10; i++) {
		strbuf_addf(&sb, "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			strbuf_addf(&sb, "%s*a%d", j ? ", " : "", i - 1);
		strbuf_addstr(&sb, "]\n");
	}
	msg = parse_error(sb.buf, sb.len);
	ok(msg && strstr(msg, "aliases expand to more than 1000000 nodes") && str_has_prefix(msg, "h.yml:6:"),
	   "an alias bomb is an error: %s", msg ? msg : "");
	free(msg);
	strbuf_release(&sb);

	msg = parse_error("a: &x 1\nb: &x 2\n", 16);
	is_str(msg, "h.yml:2:4: found duplicate anchor 'x'; first occurrence at line 1, column 4", "duplicate anchor");
	free(msg);
	msg = parse_error("a: *y\n", 6);
	is_str(msg, "h.yml:1:4: found undefined alias 'y'", "undefined alias");
	free(msg);
	msg = parse_error("a:\n  b: &p [1, *p]\n", 19);
	is_str(msg, "h.yml:2:13: alias 'p' inside the node it names (a recursive alias)",
	       "recursive alias, once positioned");
	free(msg);
	msg = parse_error("? [a]\n: 1\n", 10);
	is_str(msg, "h.yml:1:3: mapping keys must be scalars, got a sequence", "non-scalar key");
	free(msg);
}

static void test_documents(void)
{
	struct ynode *n = parse("# nothing\n");

	ok(n && n->kind == YNODE_MAP && n->len == 0 && n->pos.line == 1, "an empty stream is an empty map");
	ynode_free(n);
	n = parse("a: !custom x\nb: !!str 1\nc: &s [1]\nd: *s\n---\nsecond: [\n");
	ok(n && n->len == 4, "the first document only");
	is_str(ynode_map_get(n, "a")->tag, "!custom", "an explicit tag is kept");
	ok(!ynode_map_get(n, "b")->tag, "a default tag is not");
	ok(ynode_map_get(n, "d")->kind == YNODE_SEQ && ynode_map_get(n, "d")->pos.line == 3,
	   "an alias copies its anchor, positions included");
	ynode_free(n);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* read_file (under ynode_parse_file) takes regular files only, opened
 * without blocking, and caps their size; alarm() bounds the test so a
 * regression fails rather than hangs. */
static void test_read_bounded(void)
{
	char dir[] = "/tmp/test-ynode.XXXXXX", path[64];
	struct cc_error *err = NULL;
	struct ynode *n = NULL;
	char *buf = NULL;

	alarm(20);
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/fifo.yml", dir);
	ok(mkfifo(path, 0600) == 0 && ynode_parse_file(path, &n, &err) < 0 &&
		   strstr(err->msg, "not a regular file (a FIFO)"),
	   "a FIFO is an error: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	unlink(path);
	snprintf(path, sizeof(path), "%s/zero.yml", dir);
	ok(symlink("/dev/zero", path) == 0 && ynode_parse_file(path, &n, &err) < 0 &&
		   strstr(err->msg, "zero.yml: not a regular file (a character device)"),
	   "a symlink to /dev/zero is an error: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	unlink(path);
	ok(ynode_parse_file(dir, &n, &err) < 0 && strstr(err->msg, "not a regular file (a directory)"),
	   "a directory is an error");
	cc_error_free(err);
	err = NULL;
	snprintf(path, sizeof(path), "%s/big.yml", dir);
	write_text(path, "a: 123456789\n");
	ok(read_file_max(path, 12, &buf, NULL, &err) < 0 && strstr(err->msg, "too large (13 bytes, the limit is 12)"),
	   "a file over the cap is an error: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	ok(read_file_max(path, 13, &buf, NULL, &err) == 0 && !strcmp(buf, "a: 123456789\n"), "at the cap it is read");
	free(buf);
	ok(truncate(path, (off_t)65 << 20) == 0 && ynode_parse_file(path, &n, &err) < 0 &&
		   strstr(err->msg, "too large (68157440 bytes, the limit is 67108864)"),
	   "a YAML file over 64 MiB is an error before it is read: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	unlink(path);
	rmdir(dir);
	alarm(0);
}

int main(void)
{
	test_positions();
	test_anchors_and_merge();
	test_errors();
	test_emit();
	test_resolution();
	test_scanners_match_regexps();
	test_map_index();
	test_hostile_documents();
	test_documents();
	test_read_bounded();
	return done_testing();
}
