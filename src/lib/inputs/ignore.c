/* ignore: .dockerignore parsing and matching as the Docker CLI does it.
 *
 * Three layers reproduce three pieces of Go code (read, not copied):
 *  - reading (patternmatcher/ignorefile): BOM strip, '#' in column 1 is a
 *    comment (checked before trimming), Unicode TrimSpace, '!' then trim
 *    again, filepath.Clean, one leading '/' dropped;
 *  - compiling (patternmatcher.New): TrimSpace + Clean again, a bare '!' is
 *    an error, filepath.Match syntax check, then one of four match types:
 *    exact, prefix ("dir/" + "**"), suffix ("**" + literal) or a Go regexp that we
 *    rebuild character for character and run through goregex (regcomp);
 *  - matching: MatchesOrParentMatches for one-off questions, the tar walk's
 *    MatchesUsingParentResults (per-pattern state inherited from the parent
 *    directory) for ctxwalk, and the deprecated Matches that the CLI uses to
 *    decide whether to force-include the Dockerfile and .dockerignore. */
#include "ignore.h"
#include "error.h"
#include "goregex.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };

struct pattern {
	char *text; /* cleaned, without the '!' */
	size_t len;
	int exception;
	enum match_type type;
	struct goregex *rx;
	size_t ndirs;	 /* path components in text */
	int fixed_depth; /* a regexp that matches only paths of ndirs components */
};

/* Each regexp pattern is a regex_t of 8-13 KB: 100,000 of them took
 * 1.2 GB.  Real ignore files have tens; past these a file is an error. */
#define IGNORE_MAX_REGEXPS 4096
#define IGNORE_MAX_PATTERNS 65536

struct ignore {
	struct pattern *v;
	size_t n, cap;
	size_t nregexps;
	int exceptions;
	int full; /* a limit was reached: the rest of the file is not read */
};

struct ignore *ignore_new(void)
{
	return xcalloc(1, sizeof(struct ignore));
}

void ignore_free(struct ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->n; i++) {
		free(ig->v[i].text);
		goregex_free(ig->v[i].rx);
	}
	free(ig->v);
	free(ig);
}

/* Go's unicode.IsSpace for a UTF-8 sequence at s; its length or 0. */
static size_t space_len(const unsigned char *s, size_t n)
{
	static const char *const multi[] = {
		"\xc2\x85",	"\xc2\xa0",	"\xe1\x9a\x80", "\xe2\x80\xa8",
		"\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
	};
	size_t i, l;

	if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		return 1;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0x80 && s[2] <= 0x8a)
		return 3; /* U+2000..U+200A */
	for (i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		l = strlen(multi[i]);
		if (n >= l && !memcmp(s, multi[i], l))
			return l;
	}
	return 0;
}

/* strings.TrimSpace; caller frees. */
static char *trim_space(const char *s)
{
	const unsigned char *b = (const unsigned char *)s;
	size_t start = 0, end = strlen(s), l, k;

	while (start < end && (l = space_len(b + start, end - start)))
		start += l;
	for (;;) {
		for (k = 1; k <= 3 && k <= end - start; k++)
			if (space_len(b + end - k, k) == k)
				break;
		if (k > 3 || k > end - start)
			break;
		end -= k;
	}
	return xstrndup(s + start, end - start);
}

/* filepath.Match's syntax check: every [class] well formed, no dangling
 * '\'.  Which chunk a character falls in does not matter for validity. */
static int class_char_ok(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	size_t n;

	if (!*p || *p == '-' || *p == ']')
		return 0;
	if (*p == '\\' && !*++p)
		return 0;
	if (*p < 0x80)
		n = 1;
	else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80)
		n = 2;
	else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
		n = 3;
	else if ((*p & 0xF8) == 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80)
		n = 4;
	else
		return 0;
	p += n;
	*pp = p;
	return *p != '\0';
}

static int glob_syntax_ok(const char *pattern)
{
	const unsigned char *p = (const unsigned char *)pattern;
	int nrange;

	while (*p) {
		if (*p == '\\') {
			if (!*++p)
				return 0;
			p++;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			for (nrange = 0;; nrange++) {
				if (*p == ']' && nrange > 0) {
					p++;
					break;
				}
				if (!class_char_ok(&p))
					return 0;
				if (*p == '-' && (p++, !class_char_ok(&p)))
					return 0;
			}
		} else {
			p++;
		}
	}
	return 1;
}

static size_t rune_len(const char *p)
{
	unsigned char c = (unsigned char)*p;
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
	size_t i;

	for (i = 1; i < n; i++)
		if (((unsigned char)p[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* patternmatcher's compile: the match type and, for M_REGEXP, the regexp. */
static enum match_type compile_regexp(const char *p, struct strbuf *re)
{
	enum match_type type = M_EXACT;
	size_t iter, w;

	strbuf_addch(re, '^');
	for (iter = 0; *p; iter++) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/')
				p++;
			if (*p) {
				strbuf_addstr(re, "(.*/)?");
				type = M_REGEXP;
			} else if (type == M_EXACT) {
				type = M_PREFIX;
			} else {
				strbuf_addstr(re, ".*");
				type = M_REGEXP;
			}
			if (iter == 0)
				type = M_SUFFIX;
		} else if (*p == '*' || *p == '?') {
			strbuf_addstr(re, *p == '*' ? "[^/]*" : "[^/]");
			type = M_REGEXP;
			p++;
		} else if (strchr(".+()|{}$", *p)) {
			strbuf_addch(re, '\\');
			strbuf_addch(re, *p++);
		} else if (*p == '\\') {
			p++;
			strbuf_addch(re, '\\');
			if (*p) {
				w = rune_len(p);
				strbuf_add(re, p, w);
				p += w;
				type = M_REGEXP;
			}
		} else {
			if (*p == '[' || *p == ']')
				type = M_REGEXP;
			w = rune_len(p);
			strbuf_add(re, p, w);
			p += w;
		}
	}
	strbuf_addch(re, '$');
	return type;
}

static int pattern_compile(struct ignore *ig, struct pattern *pt, const char *where, struct cc_error **err)
{
	struct strbuf re = STRBUF_INIT;
	const char *s;

	if (!glob_syntax_ok(pt->text))
		return cc_error_set(err, "%s: syntax error in pattern '%s'", where, pt->text);
	pt->type = compile_regexp(pt->text, &re);
	if (pt->type == M_REGEXP && ++ig->nregexps > IGNORE_MAX_REGEXPS) {
		ig->full = 1;
		strbuf_release(&re);
		return cc_error_set(err,
				    "%s: more than %d patterns with wildcards, classes or escapes (each is a "
				    "compiled regular expression)",
				    where, IGNORE_MAX_REGEXPS);
	}
	if (pt->type == M_REGEXP) {
		pt->rx = goregex_compile(re.buf, err);
		if (!pt->rx) {
			strbuf_release(&re);
			return cc_error_wrap(err, "%s: pattern '%s'", where, pt->text);
		}
	}
	strbuf_release(&re);
	pt->len = strlen(pt->text);
	pt->ndirs = 1;
	for (s = pt->text; *s; s++)
		pt->ndirs += *s == '/';
	/* '*' and '?' never match '/', so without '**', classes and escapes
	 * (which might) the regexp needs exactly as many components: most
	 * paths of a deep tree are then rejected without running it. */
	pt->fixed_depth = pt->type == M_REGEXP && !strstr(pt->text, "**") && !strpbrk(pt->text, "[\\");
	return 0;
}

/* The ignorefile reading step for one line; NULL when it is skipped.
 * Caller frees. */
static char *read_step(const char *line)
{
	char *t, *rest, *clean, *out;
	int invert;

	if (line[0] == '#')
		return NULL;
	t = trim_space(line);
	if (!*t) {
		free(t);
		return NULL;
	}
	invert = t[0] == '!';
	rest = invert ? trim_space(t + 1) : xstrdup(t);
	free(t);
	if (*rest) {
		clean = path_clean(rest);
		free(rest);
		rest = clean[0] == '/' && clean[1] ? xstrdup(clean + 1) : xstrdup(clean);
		free(clean);
	}
	out = xasprintf("%s%s", invert ? "!" : "", rest);
	free(rest);
	return out;
}

int ignore_add(struct ignore *ig, const char *line, const char *name, int lineno, struct cc_error **err)
{
	cleanup_free char *read = read_step(line);
	cleanup_free char *t = NULL, *where = NULL;
	struct pattern pt = { 0 };

	if (!read)
		return 0;
	t = trim_space(read);
	where = xasprintf("%s:%d", name ? name : "<patterns>", lineno);
	if (!*t)
		return 0;
	pt.text = path_clean(t);
	if (pt.text[0] == '!') {
		if (!pt.text[1]) {
			free(pt.text);
			return cc_error_set(err, "%s: illegal exclusion pattern: \"!\"", where);
		}
		pt.exception = 1;
		memmove(pt.text, pt.text + 1, strlen(pt.text));
	}
	if (ig->n >= IGNORE_MAX_PATTERNS) {
		ig->full = 1;
		free(pt.text);
		return cc_error_set(err, "%s: more than %d patterns", where, IGNORE_MAX_PATTERNS);
	}
	if (pattern_compile(ig, &pt, where, err) < 0) {
		free(pt.text);
		return -1;
	}
	ig->exceptions |= pt.exception;
	VEC_PUSH(ig->v, ig->n, ig->cap, pt);
	return 0;
}

int ignore_parse(struct ignore *ig, const char *text, size_t len, const char *name, struct cc_error **err)
{
	size_t pos = 0, end, l;
	int lineno = 0, rc = 0;
	char *line;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < len && !ig->full) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		end = nl ? (size_t)(nl - text) : len;
		l = end - pos;
		if (l && text[pos + l - 1] == '\r')
			l--;
		line = xstrndup(text + pos, l);
		lineno++;
		if (ignore_add(ig, line, name, lineno, err) < 0)
			rc = -1;
		free(line);
		pos = end + 1;
	}
	return rc;
}

size_t ignore_count(const struct ignore *ig)
{
	return ig->n;
}

const char *ignore_pattern(const struct ignore *ig, size_t i, int *exception)
{
	if (exception)
		*exception = ig->v[i].exception;
	return ig->v[i].text;
}

static int pattern_match(const struct pattern *pt, const char *path, size_t len)
{
	const char *suffix;
	size_t sl;

	switch (pt->type) {
	case M_EXACT: return len == pt->len && !memcmp(path, pt->text, len);
	case M_PREFIX: return len >= pt->len - 2 && !memcmp(path, pt->text, pt->len - 2);
	case M_SUFFIX:
		suffix = pt->text + 2;
		sl = pt->len - 2;
		if (len >= sl && !memcmp(path + len - sl, suffix, sl))
			return 1;
		return suffix[0] == '/' && len == sl - 1 && !memcmp(path, suffix + 1, len);
	case M_REGEXP: return goregex_match(pt->rx, path, len);
	}
	return 0;
}

/* Does pt match any proper parent directory of path? */
static int parent_match(const struct pattern *pt, const char *path)
{
	const char *s;

	for (s = strchr(path, '/'); s; s = strchr(s + 1, '/'))
		if (pattern_match(pt, path, (size_t)(s - path)))
			return 1;
	return 0;
}

int ignore_match(const struct ignore *ig, const char *path)
{
	size_t i, len = strlen(path);
	int matched = 0, m;

	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->v[i];

		if (pt->exception != matched)
			continue;
		m = pattern_match(pt, path, len) || parent_match(pt, path);
		if (m)
			matched = !pt->exception;
	}
	return matched;
}

int ignore_match_walk(const struct ignore *ig, const char *path, const unsigned char *parent, unsigned char *state)
{
	size_t i, len = strlen(path), ncomp = 1;
	int matched = 0, m;
	const char *s;

	for (s = path; (s = strchr(s, '/')); s++)
		ncomp++;
	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->v[i];

		m = parent ? parent[i] : 0;
		if (!m) {
			if (pt->exception != matched) {
				state[i] = 0;
				continue;
			}
			m = (!(pt->fixed_depth && pt->ndirs != ncomp) && pattern_match(pt, path, len)) ||
			    (!parent && parent_match(pt, path));
		}
		state[i] = (unsigned char)m;
		if (m)
			matched = !pt->exception;
	}
	return matched;
}

int ignore_dir_prunable(const struct ignore *ig, const char *dir)
{
	size_t i, dl = strlen(dir);

	if (!ig->exceptions)
		return 1;
	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->v[i];

		if (pt->exception && pt->len >= dl && !memcmp(pt->text, dir, dl) &&
		    (pt->text[dl] == '/' || pt->text[dl] == '\0'))
			return 0;
	}
	return 1;
}

/* patternmatcher.Matches (deprecated): parents are only tried at the
 * pattern's own depth.  The CLI still uses it for the forced includes. */
static int matches_legacy(const struct ignore *ig, const char *file)
{
	cleanup_free char *path = path_clean(file);
	size_t i, nparent = 0, k;
	const char *slash = strrchr(path, '/'), *s;
	int matched = 0, m;

	if (!strcmp(path, "."))
		return 0;
	for (s = path; slash && s <= slash; s++)
		nparent += *s == '/';
	for (i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->v[i];

		if (pt->exception != matched)
			continue;
		m = pattern_match(pt, path, strlen(path));
		if (!m && slash && pt->ndirs <= nparent) {
			for (s = path, k = 0; k < pt->ndirs; s++)
				k += *s == '/';
			m = pattern_match(pt, path, (size_t)(s - 1 - path));
		}
		if (m)
			matched = !pt->exception;
	}
	return matched;
}

static int force_include(struct ignore *ig, const char *rel, struct cc_error **err)
{
	cleanup_free char *line = NULL;

	if (!matches_legacy(ig, rel))
		return 0;
	line = xasprintf("!%s", rel);
	return ignore_add(ig, line, "<forced include>", 0, err);
}

static int inside_context(const char *rel)
{
	return strcmp(rel, "..") && !str_has_prefix(rel, "../") && rel[0] != '/';
}

/* Read ctxdir/rel into ig; 1 if read, 0 if absent. */
static int load_file(struct ignore *ig, const char *ctxdir, const char *rel, struct cc_error **err)
{
	cleanup_free char *path = path_join(ctxdir, rel), *text = NULL;
	struct stat st;
	size_t len;

	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (read_file(path, &text, &len, err) < 0)
		return cc_error_wrap(err, "reading ignore file");
	return ignore_parse(ig, text, len, path, err) < 0 ? -1 : 1;
}

struct ignore *ignore_load(const char *ctxdir, const char *dockerfile, char **used, struct cc_error **err)
{
	struct ignore *ig = ignore_new();
	cleanup_free char *df = dockerfile ? path_clean(dockerfile) : NULL;
	cleanup_free char *per = df ? xasprintf("%s.dockerignore", df) : NULL;
	const char *rel = NULL;
	int rc = 0;

	if (per)
		rc = load_file(ig, ctxdir, per, err);
	if (rc > 0)
		rel = per;
	else if (rc == 0 && (rc = load_file(ig, ctxdir, ".dockerignore", err)) > 0)
		rel = ".dockerignore";
	if (rc >= 0 && rel && inside_context(rel))
		rc = force_include(ig, rel, err);
	if (rc >= 0 && df && inside_context(df))
		rc = force_include(ig, df, err);
	if (rc < 0) {
		ignore_free(ig);
		return NULL;
	}
	if (used)
		*used = rel ? xstrdup(rel) : NULL;
	return ig;
}
