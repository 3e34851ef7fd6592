/* envfile: a hand-written reader that follows python-dotenv 0.21's
 * parser.py regexes step by step, because compose users rely on its quirks
 * (quoted values spanning lines, "${A:-x}" keeping an empty A, bare keys). */
#include "envfile.h"
#include "warnings.h"

#include "error.h"
#include "lists.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct reader {
	const char *s, *end;
	int line;
};

static int is_hspace(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static int is_space(int c)
{
	return is_hspace(c) || c == '\n' || c == '\r';
}

static void advance(struct reader *r, size_t n)
{
	for (; n && r->s < r->end; n--, r->s++)
		if (*r->s == '\n' || (*r->s == '\r' && (r->s + 1 == r->end || r->s[1] != '\n')))
			r->line++;
}

static void skip_hspace(struct reader *r)
{
	while (r->s < r->end && is_hspace(*r->s))
		advance(r, 1);
}

/* "'" or '"' closing quote as the regex '((?:\\'|[^'])*)' finds it: the
 * first quote not after a backslash, else (backtracking) the last quote. */
static const char *find_close(const char *s, const char *end, char q)
{
	const char *p, *last = NULL;

	for (p = s; p < end; p++) {
		if (*p != q)
			continue;
		if (p[-1] != '\\')
			return p;
		last = p;
	}
	return last;
}

static char *decode_escapes(const char *s, size_t n, int dquote)
{
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	struct strbuf sb = STRBUF_INIT;
	const char *hit;
	size_t i;

	for (i = 0; i < n; i++) {
		hit = s[i] == '\\' && i + 1 < n && s[i + 1] ? strchr(from, s[i + 1]) : NULL;
		if (hit && (dquote || hit - from < 2)) {
			strbuf_addch(&sb, to[hit - from]);
			i++;
		} else {
			strbuf_addch(&sb, s[i]);
		}
	}
	return strbuf_detach(&sb);
}

static char *parse_unquoted(struct reader *r)
{
	const char *start = r->s, *p;
	size_t n;

	while (r->s < r->end && *r->s != '\n' && *r->s != '\r')
		advance(r, 1);
	n = (size_t)(r->s - start);
	for (p = start; p < start + n; p++)
		if (is_space(*p)) {
			const char *q = p;

			while (q < start + n && is_space(*q))
				q++;
			if (q < start + n && *q == '#') {
				n = (size_t)(p - start);
				break;
			}
		}
	while (n && (is_space(start[n - 1])))
		n--;
	return xstrndup(start, n);
}

/* Value after "=": NULL on a parse error. */
static char *parse_value(struct reader *r)
{
	char q = r->s < r->end ? *r->s : '\0';
	const char *close;
	char *val;

	if (q == '\'' || q == '"') {
		close = find_close(r->s + 1, r->end, q);
		if (!close)
			return NULL;
		val = decode_escapes(r->s + 1, (size_t)(close - r->s - 1), q == '"');
		advance(r, (size_t)(close - r->s) + 1);
		return val;
	}
	if (!q || q == '\n' || q == '\r')
		return xstrdup("");
	return parse_unquoted(r);
}

/* Key, or NULL with *comment set for a comment line, or NULL on error. */
static char *parse_key(struct reader *r, int *comment)
{
	const char *start = r->s, *close;

	*comment = 0;
	if (r->s < r->end && *r->s == '#') {
		*comment = 1;
		return NULL;
	}
	if (r->s < r->end && *r->s == '\'') {
		close = memchr(r->s + 1, '\'', (size_t)(r->end - r->s - 1));
		if (!close || close == r->s + 1)
			return NULL;
		advance(r, (size_t)(close - start) + 1);
		return xstrndup(start + 1, (size_t)(close - start) - 1);
	}
	while (r->s < r->end && *r->s != '=' && *r->s != '#' && !is_space(*r->s))
		advance(r, 1);
	return r->s > start ? xstrndup(start, (size_t)(r->s - start)) : NULL;
}

/* Trailing " # comment" and the end of the line; 0 or -1 on junk. */
static int parse_line_end(struct reader *r)
{
	skip_hspace(r);
	if (r->s < r->end && *r->s == '#')
		while (r->s < r->end && *r->s != '\n' && *r->s != '\r')
			advance(r, 1);
	if (r->s == r->end)
		return 0;
	if (*r->s == '\r' && r->s + 1 < r->end && r->s[1] == '\n')
		advance(r, 2);
	else if (*r->s == '\n' || *r->s == '\r')
		advance(r, 1);
	else
		return -1;
	return 0;
}

static void skip_export(struct reader *r)
{
	size_t n = strlen("export");

	if ((size_t)(r->end - r->s) > n && !strncmp(r->s, "export", n) && is_hspace(r->s[n])) {
		advance(r, n);
		skip_hspace(r);
	}
}

static void envfile_put(struct envfile *ef, char *key, char *val, int line)
{
	struct envfile_var v = { key, val, line };
	size_t i;

	for (i = 0; i < ef->n; i++)
		if (!strcmp(ef->v[i].key, key)) {
			free(ef->v[i].key);
			free(ef->v[i].val);
			ef->v[i] = v;
			return;
		}
	VEC_PUSH(ef->v, ef->n, ef->cap, v);
}

/* Expand ${NAME} and ${NAME:-default} as dotenv's variables.py does: the
 * default only applies when NAME is absent, not when it is empty. */
static char *expand(const char *s, const struct envfile *ef, envfile_lookup_fn lookup, void *data)
{
	struct strbuf sb = STRBUF_INIT;
	const char *close, *p, *colon, *val;
	const struct envfile_var *var;

	while ((p = strstr(s, "${")) && (close = strchr(p + 2, '}'))) {
		cleanup_free char *name = NULL;

		colon = memchr(p + 2, ':', (size_t)(close - p - 2));
		if (colon && colon[1] != '-') {
			strbuf_add(&sb, s, (size_t)(p - s) + 2);
			s = p + 2;
			continue;
		}
		strbuf_add(&sb, s, (size_t)(p - s));
		name = xstrndup(p + 2, (size_t)((colon ? colon : close) - p - 2));
		var = envfile_get(ef, name);
		val = var ? var->val : lookup ? lookup(data, name) : NULL;
		if (!var && !val && colon)
			strbuf_add(&sb, colon + 2, (size_t)(close - colon - 2));
		else if (val)
			strbuf_addstr(&sb, val);
		s = close + 1;
	}
	strbuf_addstr(&sb, s);
	return strbuf_detach(&sb);
}

/* One statement; returns 1 when it bound a key, 0 for blank/comment, -1 on error. */
static int parse_binding(struct reader *r, char **key, char **val, int *line)
{
	int comment;

	while (r->s < r->end && is_space(*r->s))
		advance(r, 1);
	if (r->s == r->end)
		return 0;
	*line = r->line;
	skip_export(r);
	*key = parse_key(r, &comment);
	if (!*key && !comment)
		return -1;
	skip_hspace(r);
	*val = NULL;
	if (*key && r->s < r->end && *r->s == '=') {
		advance(r, 1);
		skip_hspace(r);
		if (!(*val = parse_value(r)))
			return -1;
	}
	if (parse_line_end(r) < 0)
		return -1;
	return *key ? 1 : 0;
}

/* 1-based line of position off in buf. */
static int line_at(const char *buf, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 == off || buf[i + 1] != '\n')))
			line++;
	return line;
}

/* A NUL byte would silently cut the value it is in (and every C string
 * after it): an error at its line, as a malformed file. */
static int check_nul(const char *path, const char *buf, size_t len, struct cc_error **err)
{
	const char *nul = memchr(buf, '\0', len);

	if (!nul)
		return 0;
	return cc_error_set(err, "%s:%d: NUL byte in env file", path, line_at(buf, (size_t)(nul - buf)));
}

int envfile_parse(const char *path, const char *buf, size_t len, envfile_lookup_fn lookup, void *data,
		  struct envfile *out, struct cc_warnings *warnings, struct cc_error **err)
{
	struct reader r = { buf, buf + len, 1 };
	char *key, *val, *expanded;
	int line, rc;

	if (check_nul(path, buf, len, err) < 0)
		return -1;
	while (r.s < r.end) {
		key = val = NULL;
		line = r.line;
		rc = parse_binding(&r, &key, &val, &line);
		if (rc < 0) {
			free(key);
			free(val);
			while (r.s < r.end && *r.s != '\n' && *r.s != '\r')
				advance(&r, 1);
			parse_line_end(&r);
			cc_warn(warnings, "%s:%d: could not parse statement", path, line);
			continue;
		}
		if (rc == 0)
			continue;
		expanded = val ? expand(val, out, lookup, data) : NULL;
		free(val);
		envfile_put(out, key, expanded, line);
	}
	return 0;
}

int envfile_parse_raw(const char *path, const char *buf, size_t len, struct envfile *out, struct cc_error **err)
{
	const char *s = buf, *end = buf + len, *eol, *eq;
	int line = 1;

	if (check_nul(path, buf, len, err) < 0)
		return -1;
	for (; s < end; s = eol + 1, line++) {
		size_t n;

		if (!(eol = memchr(s, '\n', (size_t)(end - s))))
			eol = end;
		n = (size_t)(eol - s);
		if (n && s[n - 1] == '\r')
			n--;
		if (!n || s[0] == '#')
			continue;
		eq = memchr(s, '=', n);
		if (eq == s)
			return cc_error_set(err, "%s:%d: no variable name before '='", path, line);
		envfile_put(out, xstrndup(s, eq ? (size_t)(eq - s) : n),
			    eq ? xstrndup(eq + 1, n - (size_t)(eq - s) - 1) : NULL, line);
	}
	return 0;
}

static int load(const char *path, char **buf, size_t *len, struct cc_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int missing = errno == ENOENT;

		cc_error_set(err, "Couldn't find env file: %s", path);
		return missing ? ENVFILE_MISSING : -1;
	}
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, "%s is not a file.", path);
	return read_file(path, buf, len, err);
}

int envfile_load(const char *path, envfile_lookup_fn lookup, void *data, struct envfile *out,
		 struct cc_warnings *warnings, struct cc_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len, bom;
	int rc;

	if ((rc = load(path, &buf, &len, err)) < 0)
		return rc;
	bom = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
	return envfile_parse(path, buf + bom, len - bom, lookup, data, out, warnings, err);
}

int envfile_load_raw(const char *path, struct envfile *out, struct cc_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	int rc;

	if ((rc = load(path, &buf, &len, err)) < 0)
		return rc;
	return envfile_parse_raw(path, buf, len, out, err);
}

void envfile_set(struct envfile *ef, const char *key, const char *val)
{
	envfile_put(ef, xstrdup(key), val ? xstrdup(val) : NULL, 0);
}

const struct envfile_var *envfile_get(const struct envfile *ef, const char *key)
{
	size_t i;

	for (i = 0; i < ef->n; i++)
		if (!strcmp(ef->v[i].key, key))
			return &ef->v[i];
	return NULL;
}

void envfile_release(struct envfile *ef)
{
	size_t i;

	for (i = 0; i < ef->n; i++) {
		free(ef->v[i].key);
		free(ef->v[i].val);
	}
	free(ef->v);
	ef->v = NULL;
	ef->n = ef->cap = 0;
}
