/* dockerfile: logical lines (continuations, comments, the escape
 * directive), then FROM / ARG / COPY --from / RUN --mount from= only. */
#include "dockerfile.h"
#include "error.h"
#include "imageref.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct dfparse {
	const char *file;
	int line, end_line; /* physical lines of the instruction at hand */
	struct kvlist vars; /* global ARGs, then build args over them */
	const struct kvlist *args;
	struct dockerfile *df;
	struct cc_error **err;
};

/* Expand $VAR, ${VAR}, ${VAR:-d}, ${VAR:+a} from vars, as the builder
 * does for FROM (unknown variables are empty). */
static char *expand(const struct kvlist *vars, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = s, *end, *val;
	char *name, *op;

	while (*p) {
		if (*p != '$' || !p[1]) {
			strbuf_addch(&sb, *p++);
			continue;
		}
		if (p[1] == '{' && (end = strchr(p + 2, '}'))) {
			name = xstrndup(p + 2, (size_t)(end - p - 2));
			op = strchr(name, ':');
			if (op)
				*op = '\0';
			val = kvlist_get(vars, name);
			if (op && op[1] == '-' && (!val || !*val))
				val = op + 2;
			else if (op && op[1] == '+')
				val = val && *val ? op + 2 : "";
			strbuf_addstr(&sb, val ? val : "");
			free(name);
			p = end + 1;
		} else if (isalpha((unsigned char)p[1]) || p[1] == '_') {
			for (end = p + 1; isalnum((unsigned char)*end) || *end == '_'; end++)
				;
			name = xstrndup(p + 1, (size_t)(end - p - 1));
			val = kvlist_get(vars, name);
			strbuf_addstr(&sb, val ? val : "");
			free(name);
			p = end;
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	return strbuf_detach(&sb);
}

/* Split into whitespace-separated words; caller releases. */
static void split_words(const char *s, struct strlist *out)
{
	const char *p = s, *start;
	char *w;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		w = xstrndup(start, (size_t)(p - start));
		strlist_push(out, w);
		free(w);
	}
}

/* Record an image reference; one that is not a valid reference is an
 * error at its line, as the builder stops there (unless the builder
 * expands it later: a '$' left in a COPY --from value). */
static int add_ref(struct dfparse *dp, const char *word, size_t off, size_t len, const char *ref, int per_platform,
		   int expanded)
{
	struct dockerfile_ref r = { xstrdup(word), off, len, xstrdup(ref), dp->line, dp->end_line, per_platform };
	cleanup_free char *norm = NULL;
	struct cc_error *e = NULL;
	int rc = 0;

	VEC_PUSH(dp->df->refs, dp->df->nrefs, dp->df->refs_cap, r);
	if (!strcmp(ref, "scratch") || (!expanded && strchr(ref, '$')))
		return 0;
	if (imageref_normalize(ref, &norm, &e) < 0)
		rc = cc_error_set(dp->err, "%s:%d: %s", dp->file, dp->line, e->msg);
	cc_error_free(e);
	return rc;
}

static void handle_arg(struct dfparse *dp, const char *rest)
{
	struct strlist words = { 0 };
	size_t i;
	char *eq, *val, *name;

	if (dp->df->nstages) /* stage-local ARGs do not affect FROM */
		return;
	split_words(rest, &words);
	for (i = 0; i < words.n; i++) {
		eq = strchr(words.v[i], '=');
		name = eq ? xstrndup(words.v[i], (size_t)(eq - words.v[i])) : xstrdup(words.v[i]);
		if (dp->args && kvlist_get(dp->args, name))
			val = xstrdup(kvlist_get(dp->args, name));
		else if (eq)
			val = expand(&dp->vars, eq + 1);
		else
			val = NULL;
		if (val && val[0] == '"' && strlen(val) >= 2 && val[strlen(val) - 1] == '"') {
			memmove(val, val + 1, strlen(val));
			val[strlen(val) - 1] = '\0';
		}
		if (val || !kvlist_get(&dp->vars, name))
			kvlist_set(&dp->vars, name, val ? val : "");
		free(val);
		free(name);
	}
	strlist_release(&words);
}

static int handle_from(struct dfparse *dp, const char *rest, int line)
{
	struct strlist w = { 0 };
	struct dockerfile_stage st = { 0 };
	size_t i = 0;
	int rc = 0;

	split_words(rest, &w);
	st.line = line;
	st.per_platform = 1;
	for (; rc == 0 && i < w.n && str_has_prefix(w.v[i], "--"); i++)
		if (str_has_prefix(w.v[i], "--platform=") && st.platform) /* as the builder's flag parser */
			rc = cc_error_set(dp->err, "%s:%d: FROM: duplicate flag specified: --platform", dp->file, line);
		else if (str_has_prefix(w.v[i], "--platform=")) {
			st.platform = expand(&dp->vars, w.v[i] + 11);
			st.per_platform =
				!strcmp(w.v[i] + 11, "$TARGETPLATFORM") || !strcmp(w.v[i] + 11, "${TARGETPLATFORM}");
		}
	if (rc < 0 || i >= w.n || (w.n - i != 1 && w.n - i != 3) || (w.n - i == 3 && strcasecmp(w.v[i + 1], "as"))) {
		if (rc == 0)
			rc = cc_error_set(dp->err, "%s:%d: FROM must be 'FROM [--platform=P] IMAGE [AS NAME]'",
					  dp->file, line);
		free(st.platform);
		strlist_release(&w);
		return rc;
	}
	st.base = expand(&dp->vars, w.v[i]);
	if (!st.base[0])
		rc = cc_error_set(dp->err, "%s:%d: FROM '%s' expands to an empty image name (missing ARG default?)",
				  dp->file, line, w.v[i]);
	if (w.n - i == 3) {
		st.name = xstrdup(w.v[i + 2]);
		for (char *c = st.name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	st.base_is_stage = dockerfile_has_stage(dp->df, st.base);
	if (rc == 0 && !st.base_is_stage)
		rc = add_ref(dp, w.v[i], 0, strlen(w.v[i]), st.base, st.per_platform, 1);
	VEC_PUSH(dp->df->stages, dp->df->nstages, dp->df->cap, st);
	strlist_release(&w);
	return rc;
}

/* The value of the from= option of a RUN --mount= value, or NULL. */
static const char *mount_from(const char *opts)
{
	const char *p = opts;

	for (; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (str_has_prefix(p, "from="))
			return p + 5;
	return NULL;
}

static int handle_from_flags(struct dfparse *dp, const char *rest)
{
	struct strlist w = { 0 };
	struct dockerfile_stage *st;
	const char *v, *from;
	size_t i;
	int rc = 0;

	if (!dp->df->nstages)
		return 0;
	st = &dp->df->stages[dp->df->nstages - 1];
	split_words(rest, &w);
	for (i = 0; rc == 0 && i < w.n && str_has_prefix(w.v[i], "--"); i++) {
		v = w.v[i];
		if (str_has_prefix(v, "--from=")) {
			strlist_push(&st->copy_from, v + 7);
			if (!dockerfile_has_stage(dp->df, v + 7))
				rc = add_ref(dp, v, 7, strlen(v + 7), v + 7, 1, 0);
		} else if (str_has_prefix(v, "--mount=") && (from = mount_from(v + 8))) {
			char *val = xstrndup(from, strcspn(from, ","));

			strlist_push(&st->copy_from, val);
			if (!dockerfile_has_stage(dp->df, val))
				rc = add_ref(dp, v, (size_t)(from - v), strlen(val), val, 1, 0);
			free(val);
		}
	}
	strlist_release(&w);
	return rc;
}

static int handle_instruction(struct dfparse *dp, const char *text, int line, int end_line)
{
	const char *p = text;
	char word[16];
	size_t n = 0;

	dp->line = line;
	dp->end_line = end_line;
	while (*p && !isspace((unsigned char)*p) && n < sizeof(word) - 1)
		word[n++] = (char)toupper((unsigned char)*p++);
	word[n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (!strcmp(word, "FROM"))
		return handle_from(dp, p, line);
	if (!strcmp(word, "ARG"))
		handle_arg(dp, p);
	else if (!strcmp(word, "COPY") || !strcmp(word, "ADD") || !strcmp(word, "RUN"))
		return handle_from_flags(dp, p);
	return 0;
}

/* The escape character from a leading "# escape=X" directive. */
static char escape_char(const char *text)
{
	const char *p = text;

	while (*p == '#') {
		const char *nl = strchr(p, '\n'), *e = strstr(p, "escape=");

		if (e && (!nl || e < nl) && (e[7] == '`' || e[7] == '\\'))
			return e[7];
		if (!nl)
			break;
		p = nl + 1;
	}
	return '\\';
}

int dockerfile_parse(const char *file, const char *text, const struct kvlist *args, struct dockerfile **out,
		     struct cc_error **err)
{
	struct dfparse dp = { file, 0, 0, { 0 }, args, xcalloc(1, sizeof(struct dockerfile)), err };
	struct strbuf logical = STRBUF_INIT;
	const char *p = text, *nl;
	char esc = escape_char(text);
	int line = 0, start = 0, rc = 0;
	size_t len;

	*out = NULL;
	for (; *p && rc == 0; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		{
			const char *q = p;

			while (q < p + len && isspace((unsigned char)*q))
				q++;
			if (q < p + len && *q == '#')
				continue; /* comments, also inside continuations */
			if (!logical.len)
				start = line;
			if (len && p[len - 1] == esc) {
				strbuf_add(&logical, q, (size_t)(p + len - 1 - q));
				strbuf_addch(&logical, ' ');
				continue;
			}
			strbuf_add(&logical, q, (size_t)(p + len - q));
		}
		if (logical.len)
			rc = handle_instruction(&dp, logical.buf, start, line);
		strbuf_release(&logical);
		if (!nl)
			break;
	}
	if (rc == 0 && logical.len)
		rc = handle_instruction(&dp, logical.buf, start, line);
	strbuf_release(&logical);
	kvlist_release(&dp.vars);
	if (rc == 0 && !dp.df->nstages)
		rc = cc_error_set(err, "%s: no FROM instruction", file);
	if (rc < 0) {
		dockerfile_free(dp.df);
		return -1;
	}
	dp.df->escape = esc;
	*out = dp.df;
	return 0;
}

static long stage_index(const struct dockerfile *df, const char *name, size_t before)
{
	size_t i;
	char *end;
	long n;

	for (i = 0; i < before; i++)
		if (df->stages[i].name && !strcasecmp(df->stages[i].name, name))
			return (long)i;
	n = strtol(name, &end, 10); /* COPY --from=0 names a stage by index */
	if (!*end && end != name && n >= 0 && (size_t)n < before)
		return n;
	return -1;
}

int dockerfile_has_stage(const struct dockerfile *df, const char *name)
{
	return stage_index(df, name, df->nstages) >= 0;
}

/* only_per_platform: leave out bases of FROM --platform=OTHER stages. */
static void reach(const struct dockerfile *df, size_t i, char *seen, int only_per_platform, struct strlist *out)
{
	const struct dockerfile_stage *st = &df->stages[i];
	long j;
	size_t k;

	if (seen[i])
		return;
	seen[i] = 1;
	j = st->base_is_stage ? stage_index(df, st->base, i) : -1;
	if (j >= 0)
		reach(df, (size_t)j, seen, only_per_platform, out);
	else if (strcmp(st->base, "scratch") && !strlist_has(out, st->base) && (!only_per_platform || st->per_platform))
		strlist_push(out, st->base);
	for (k = 0; k < st->copy_from.n; k++) {
		j = stage_index(df, st->copy_from.v[k], i);
		if (j >= 0)
			reach(df, (size_t)j, seen, only_per_platform, out);
		else if (!strlist_has(out, st->copy_from.v[k]))
			strlist_push(out, st->copy_from.v[k]);
	}
}

static void refs_from(const struct dockerfile *df, const char *target, int only_per_platform, struct strlist *out)
{
	char *seen = xcalloc(df->nstages, 1);
	long t = target ? stage_index(df, target, df->nstages) : -1;
	size_t i;

	if (t >= 0)
		reach(df, (size_t)t, seen, only_per_platform, out);
	else
		for (i = 0; i < df->nstages; i++)
			reach(df, i, seen, only_per_platform, out);
	free(seen);
}

void dockerfile_external_refs(const struct dockerfile *df, const char *target, struct strlist *out)
{
	refs_from(df, target, 0, out);
}

void dockerfile_platform_refs(const struct dockerfile *df, const char *target, struct strlist *out)
{
	refs_from(df, target, 1, out);
}

void dockerfile_free(struct dockerfile *df)
{
	size_t i;

	if (!df)
		return;
	for (i = 0; i < df->nstages; i++) {
		free(df->stages[i].name);
		free(df->stages[i].base);
		free(df->stages[i].platform);
		strlist_release(&df->stages[i].copy_from);
	}
	free(df->stages);
	for (i = 0; i < df->nrefs; i++) {
		free(df->refs[i].word);
		free(df->refs[i].ref);
	}
	free(df->refs);
	free(df);
}

/* The first occurrence of word in line[0..len) standing as a whole word:
 * after white space or at the start, before white space, the end, or the
 * escape character that continues the line. */
static const char *find_word(const char *line, size_t len, const char *word, char esc)
{
	size_t wl = strlen(word);
	const char *p = line, *end = line + len;

	for (; p + wl <= end; p++)
		if (!memcmp(p, word, wl) && (p == line || isspace((unsigned char)p[-1])) &&
		    (p + wl == end || isspace((unsigned char)p[wl]) || p[wl] == esc))
			return p;
	return NULL;
}

/* 1 when line[0..len) is a comment (which the parser skips, also inside a
 * continuation). */
static int comment_line(const char *line, size_t len)
{
	while (len && isspace((unsigned char)*line))
		line++, len--;
	return len && *line == '#';
}

/* dockerfile_retarget (all 0: per-platform references only) and
 * dockerfile_rename (all 1: every reference). */
static int replace_refs(const char *file, const char *text, const struct dockerfile *df, const struct kvlist *map,
			int all, char **out, struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	char *done = xcalloc(df->nrefs ? df->nrefs : 1, 1);
	const char *p = text, *nl, *at;
	size_t len, i, changed = 0;
	int line = 0, rc = 0;

	*out = NULL;
	for (; *p; p = nl ? nl + 1 : p + len) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		for (i = 0; !comment_line(p, len) && i < df->nrefs; i++) {
			const struct dockerfile_ref *r = &df->refs[i];
			cleanup_free char *norm = NULL;
			const char *to;

			if (done[i] || !(all || r->per_platform) || line < r->line || line > r->end_line)
				continue;
			norm = imageref_normalized(r->ref);
			if (!norm || !(to = kvlist_get(map, norm)) || !(at = find_word(p, len, r->word, df->escape)))
				continue;
			strbuf_add(&sb, p, (size_t)(at - p));
			strbuf_add(&sb, r->word, r->off);
			strbuf_addstr(&sb, to);
			strbuf_addstr(&sb, r->word + r->off + r->len);
			len -= (size_t)(at - p) + strlen(r->word);
			p = at + strlen(r->word);
			done[i] = 1;
			changed++;
			i = (size_t)-1; /* another reference may follow on this line */
		}
		strbuf_add(&sb, p, len + (nl ? 1 : 0));
		if (!nl)
			break;
	}
	for (i = 0; rc == 0 && i < df->nrefs; i++) {
		cleanup_free char *norm = imageref_normalized(df->refs[i].ref);

		if (!done[i] && (all || df->refs[i].per_platform) && norm && kvlist_get(map, norm))
			rc = cc_error_set(err, "%s:%d: cannot %s '%s' here: write '%s' as one word on one line", file,
					  df->refs[i].line,
					  all ? "point at the named context" : "name each platform's image of",
					  df->refs[i].ref, df->refs[i].word);
	}
	free(done);
	if (rc < 0 || !changed) {
		strbuf_release(&sb);
		return rc;
	}
	*out = strbuf_detach(&sb);
	return 0;
}

int dockerfile_retarget(const char *file, const char *text, const struct dockerfile *df, const struct kvlist *map,
			char **out, struct cc_error **err)
{
	return replace_refs(file, text, df, map, 0, out, err);
}

int dockerfile_rename(const char *file, const char *text, const struct dockerfile *df, const struct kvlist *map,
		      char **out, struct cc_error **err)
{
	return replace_refs(file, text, df, map, 1, out, err);
}
