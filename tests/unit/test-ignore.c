/* .dockerignore semantics (moby/patternmatcher + docker/cli).  Expected
 * results follow patternmatcher's matching rules; the contexts in
 * tests/ignore-cases/compare.sh are also checked against a real dockerd.
 *
 * `test-ignore --list DIR [DOCKERFILE]` prints the walk of DIR (one path a
 * line, with implied parent directories, as `find` shows the COPY'd tree);
 * with --classic it also drops the Dockerfile and .dockerignore when the
 * user's patterns exclude them, as the classic daemon does. */
#include "ctxwalk.h"
#include "error.h"
#include "ignore.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ignore *rules(const char *text)
{
	struct ignore *ig = ignore_new();
	struct cc_error *err = NULL;

	if (ignore_parse(ig, text, strlen(text), "t", &err) < 0) {
		printf("# unexpected error: %s\n", err->msg);
		cc_error_free(err);
	}
	return ig;
}

static int excluded(const char *text, const char *path)
{
	struct ignore *ig = rules(text);
	int m = ignore_match(ig, path);

	ignore_free(ig);
	return m;
}

struct mcase {
	const char *rules, *path;
	int excluded;
};

static const struct mcase match_cases[] = {
	{ "*.go", "main.go", 1 },
	{ "*.go", "dir/main.go", 0 },
	{ "**/*.go", "dir/sub/main.go", 1 },
	{ "**/*.go", "main.go", 1 },
	{ "**/foo", "foo", 1 },
	{ "**/foo", "a/b/foo", 1 },
	{ "**/foo", "a/xfoo", 0 },
	{ "**foo", "a/xfoo", 1 },
	{ "**", "anything/at/all", 1 },
	{ "dir", "dir/file", 1 },
	{ "dir", "dir/sub/file", 1 },
	{ "dir", "dirx", 0 },
	{ "dir/", "dir/file", 1 },
	{ "/dir", "dir/file", 1 },
	{ "./dir/../dir", "dir/file", 1 },
	{ "dir/**", "dir", 0 },
	{ "dir/**", "dir/x/y", 1 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/x/y/bc", 0 },
	{ "a/*/c", "a/b/c", 1 },
	{ "a/*/c", "a/b/d/c", 0 },
	{ "a*", "abc/def", 1 },
	{ "?.txt", "a.txt", 1 },
	{ "?.txt", "\xc3\xa9.txt", 1 },
	{ "?.txt", "ab.txt", 0 },
	{ "[a-c].txt", "b.txt", 1 },
	{ "[a-c].txt", "d.txt", 0 },
	{ "[^a-c].txt", "d.txt", 1 },
	{ "[^a].txt", "\xc3\xa9.txt", 1 },
	{ "[\xc3\xa0-\xc3\xaf].txt", "\xc3\xa9.txt", 1 },
	{ "[\xc3\xa0-\xc3\xaf].txt", "e.txt", 0 },
	{ "\\*", "*", 1 },
	{ "\\*", "x", 0 },
	{ "a\\?b", "a?b", 1 },
	{ "a\\?b", "axb", 0 },
	{ "a.b", "axb", 0 },
	{ "a+b(c)", "a+b(c)", 1 },
	{ "x{1}$", "x{1}$", 1 },
	{ "*.md\n!README.md", "README.md", 0 },
	{ "*.md\n!README.md", "other.md", 1 },
	{ "!a\na", "a", 1 },
	{ "a\n!a", "a", 0 },
	{ "docs\n!docs/keep.md", "docs/keep.md", 0 },
	{ "docs\n!docs/keep.md", "docs/other.md", 1 },
	{ "#comment\n", "#comment", 0 },
	{ " #notcomment", "#notcomment", 1 },
	{ "\xef\xbb\xbf"
	  "bom",
	  "bom", 1 },
	{ "  spaced  \r\n", "spaced", 1 },
	{ "! keep \n*\n! keep", "keep", 0 },
	{ "*\n!keep", "other", 1 },
	{ "a/b/../c", "a/c", 1 },
	{ "*/", "dir/file", 1 },
	{ "*", ".hidden", 1 },
};

static void test_match_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct mcase *c = &match_cases[i];

		is_int(excluded(c->rules, c->path), c->excluded, c->path);
		if (excluded(c->rules, c->path) != c->excluded)
			printf("#   rules: %s\n", c->rules);
	}
}

static void test_errors(void)
{
	static const char *bad[] = { "!", "[", "a[b", "[a-]", "x\\", "[]a]" };
	struct cc_error *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ignore *ig = ignore_new();

		ok(ignore_parse(ig, bad[i], strlen(bad[i]), "f", &err) < 0, "bad pattern '%s'", bad[i]);
		ok(err && strstr(err->msg, "f:1"), "error names the line: %s", err ? err->msg : "");
		cc_error_free(err);
		err = NULL;
		ignore_free(ig);
	}
}

/* Build a tree from lines "f PATH [CONTENT]", "d PATH", "l PATH TARGET";
 * '|' in CONTENT is a newline. */
static char *make_tree(const char *spec)
{
	char *root = xstrdup("/tmp/ccb-ignore-XXXXXX");
	cleanup_free char *copy = xstrdup(spec);
	char *line, *save = NULL;

	if (!mkdtemp(root))
		abort();
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arg = strchr(line + 2, ' ');
		cleanup_free char *p = NULL;
		int fd;

		if (arg)
			*arg++ = '\0';
		p = path_join(root, line + 2);
		if (line[0] == 'd') {
			mkdir(p, 0755);
		} else if (line[0] == 'l') {
			if (symlink(arg, p) < 0)
				abort();
		} else {
			for (char *c = arg; c && *c; c++)
				*c = *c == '|' ? '\n' : *c;
			fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, arg ? arg : "", arg ? strlen(arg) : 0) < 0)
				abort();
			close(fd);
		}
	}
	return root;
}

static void remove_tree(const char *root)
{
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
}

/* The walk as "p1 p2 ..." (directories with a trailing '/'); caller frees. */
static char *walk_string(const char *root, const char *dockerfile)
{
	struct ctx_list l = CTX_LIST_INIT;
	struct cc_error *err = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct ignore *ig = ignore_load(root, dockerfile, NULL, &err);
	size_t i;

	if (!ig || ctxwalk(root, ig, NULL, &l, &err) < 0) {
		strbuf_addf(&sb, "error: %s", err->msg);
		cc_error_free(err);
	}
	for (i = 0; i < l.n; i++)
		strbuf_addf(&sb, "%s%s%s", i ? " " : "", l.v[i].path, S_ISDIR(l.v[i].mode) ? "/" : "");
	ctx_list_release(&l);
	ignore_free(ig);
	return strbuf_detach(&sb);
}

struct wcase {
	const char *name, *tree, *dockerfile, *want;
};

static const struct wcase walk_cases[] = {
	{ "order: '/' sorts before every other byte", "d a\nf a/x\nf a-b\nf a.txt\nf B\nf Dockerfile", "Dockerfile",
	  "B Dockerfile a/ a/x a-b a.txt" },
	{ "excluded dir pruned, exception inside rescues a file",
	  "f .dockerignore docs|!docs/keep.md\nd docs\nf docs/keep.md\nf docs/x.md\nf Dockerfile", "Dockerfile",
	  ".dockerignore Dockerfile docs/keep.md" },
	{ "!**/keep cannot rescue inside a pruned dir",
	  "f .dockerignore docs|!**/keep.md\nd docs\nf docs/keep.md\nf keep.md", NULL, ".dockerignore keep.md" },
	{ "Dockerfile and .dockerignore forced in", "f .dockerignore *\nf Dockerfile\nf other", "Dockerfile",
	  ".dockerignore Dockerfile" },
	{ "per-Dockerfile ignore file wins",
	  "f .dockerignore a\nd sub\nf sub/Dockerfile\nf sub/Dockerfile.dockerignore b\nf a\nf b", "sub/Dockerfile",
	  ".dockerignore a sub/ sub/Dockerfile sub/Dockerfile.dockerignore" },
	{ "symlinks are listed, not followed", "d real\nf real/f\nl link real\nl dangling nowhere", NULL,
	  "dangling link real/ real/f" },
	{ "exception on a deeper level with parent state", "f .dockerignore a|!a/b\nd a\nd a/b\nf a/b/c\nf a/d", NULL,
	  ".dockerignore a/b/ a/b/c" },
	{ "empty directories are listed", "d e\nd e/f\nf x", NULL, "e/ e/f/ x" },
	{ "last match wins over exceptions", "f .dockerignore *.log|!keep.log|*.log\nf keep.log\nf x", NULL,
	  ".dockerignore x" },
};

static void test_walk_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
		const struct wcase *c = &walk_cases[i];
		char *root = make_tree(c->tree);
		char *got = walk_string(root, c->dockerfile);

		is_str(got, c->want, c->name);
		free(got);
		remove_tree(root);
		free(root);
	}
}

static void test_dir_prunable(void)
{
	struct ignore *ig = rules("a\n!a/b/c\n!ab");

	ok(!ignore_dir_prunable(ig, "a"), "exception under a/ keeps a walkable");
	ok(!ignore_dir_prunable(ig, "a/b"), "and a/b");
	ok(ignore_dir_prunable(ig, "a/x"), "a/x prunable");
	ok(ignore_dir_prunable(ig, "b"), "'!ab' does not keep b");
	ignore_free(ig);
}

/* --list mode for tests/ignore-cases/compare.sh. */
static int list_main(int argc, char **argv)
{
	int classic = argc > 2 && !strcmp(argv[2], "--classic");
	const char *dir = argv[2 + classic], *df = argc > 3 + classic ? argv[3 + classic] : "Dockerfile";
	struct ctx_list l = CTX_LIST_INIT;
	struct cc_error *err = NULL;
	struct ignore *ig = ignore_load(dir, df, NULL, &err), *user = ignore_new();
	cleanup_free char *di = path_join(dir, ".dockerignore"), *text = NULL;
	size_t i, len;

	if (!ig || ctxwalk(dir, ig, NULL, &l, &err) < 0) {
		fprintf(stderr, "error: %s\n", err->msg);
		return 1;
	}
	if (classic && access(di, F_OK) == 0 && read_file(di, &text, &len, NULL) == 0)
		ignore_parse(user, text, len, NULL, NULL);
	for (i = 0; i < l.n; i++) {
		const char *p = l.v[i].path, *s;

		if (classic && (!strcmp(p, ".dockerignore") || !strcmp(p, df)) && ignore_match(user, p))
			continue;
		for (s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
			printf("%.*s\n", (int)(s - p), p);
		printf("%s\n", p);
	}
	ctx_list_release(&l);
	ignore_free(ig);
	ignore_free(user);
	return 0;
}

/* The error of parsing text ("" when it parsed); caller frees. */
static char *parse_msg(const struct strbuf *text, size_t *npatterns)
{
	struct ignore *ig = ignore_new();
	struct cc_error *err = NULL;
	char *msg;

	msg = ignore_parse(ig, text->buf, text->len, ".dockerignore", &err) < 0 ? xstrdup(err->msg) : xstrdup("");
	*npatterns = ignore_count(ig);
	cc_error_free(err);
	ignore_free(ig);
	return msg;
}

/* 100,000 wildcard patterns took 1.2 GB (a regex_t each): past the caps
 * the file is one error at the first line over, and reading stops there. */
static void test_pattern_caps(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	char *msg;
	int i;

	for (i = 0; i < 4096; i++)
		strbuf_addf(&sb, "dir%d*/file?.txt\n", i);
	msg = parse_msg(&sb, &n);
	ok(!*msg && n == 4096, "4,096 wildcard patterns are fine");
	free(msg);
	for (; i < 100000; i++)
		strbuf_addf(&sb, "dir%d*/file?.txt\n", i);
	msg = parse_msg(&sb, &n);
	is_str(msg,
	       ".dockerignore:4097: more than 4096 patterns with wildcards, classes or escapes (each is a "
	       "compiled regular expression)",
	       "100,000 wildcard patterns: one error at the first over the cap");
	is_int(n, 4096, "the patterns before it stay");
	free(msg);
	strbuf_release(&sb);
	for (i = 0; i < 70000; i++)
		strbuf_addf(&sb, "dir%d/file.txt\n", i);
	msg = parse_msg(&sb, &n);
	is_str(msg, ".dockerignore:65537: more than 65536 patterns", "70,000 plain patterns: capped too");
	free(msg);
	strbuf_release(&sb);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--list"))
		return list_main(argc, argv);
	test_match_table();
	test_errors();
	test_walk_cases();
	test_dir_prunable();
	test_pattern_caps();
	return done_testing();
}
