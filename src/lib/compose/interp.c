/* interp: compose's ${VAR} interpolation as compose v2 (compose-go's
 * template package) does it: "$$", a name, or a braced group "{NAME}" /
 * "{NAME<sep>text}" where sep is one of ":-", "-", ":+", "+", ":?", "?"
 * and text runs to the '}' that closes the group ("${...}" inside it
 * nest, and a default or alternative is interpolated in turn); a '$'
 * before anything else (a lone "$(") is kept as it is. */
#include "interp.h"

#include "error.h"
#include "lists.h"
#include "util.h"

#include <string.h>

static int is_name_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t name_len(const char *s)
{
	size_t n = 0;

	if (!is_name_start((unsigned char)s[0]))
		return 0;
	while (is_name_char((unsigned char)s[n]))
		n++;
	return n;
}

static const char *env_get(const struct interp_env *env, const char *name)
{
	return env->lookup ? env->lookup(env->data, name) : NULL;
}

/* Plain $NAME / ${NAME}: unset reads as "" (compose warns once per name). */
static void expand_plain(const struct interp_env *env, const char *name, struct strbuf *sb)
{
	const char *v = env_get(env, name);

	if (!v) {
		if (env->unset && !strlist_has(env->unset, name))
			strlist_push(env->unset, name);
		v = "";
	}
	strbuf_addstr(sb, v);
}

/* "${NAME<sep>text}" with NAME, sep and text split out; the text of a
 * default (- :-) or an alternative (+ :+) is itself interpolated first,
 * whether it is used or not, as compose-go does. */
static int expand_braced(const struct interp_env *env, const char *name, const char *sep, const char *text,
			 struct strbuf *sb, struct cc_error **err)
{
	const char *v = env_get(env, name);
	int colon = sep[0] == ':', rc;
	int missing = !v || (colon && !*v);
	char op = sep[colon];
	cleanup_free char *sub = NULL;

	if (op == '?') {
		if (missing) {
			cc_error_set(err, "%s", *text ? text : name);
			return INTERP_REQUIRED;
		}
		strbuf_addstr(sb, v);
		return 0;
	}
	if ((rc = interp_string(text, env, &sub, err)) < 0)
		return rc;
	if (op == '-')
		strbuf_addstr(sb, missing ? sub : v);
	else if (!missing) /* '+': the alternative when set (and not empty) */
		strbuf_addstr(sb, sub);
	return 0;
}

/* The '}' closing a group whose text starts at s, "${...}" nested inside
 * it counted; NULL when there is none. */
static const char *group_close(const char *s)
{
	size_t depth = 1;

	for (; *s; s++) {
		if (s[0] == '$' && s[1] == '{') {
			depth++;
			s++;
		} else if (*s == '}' && --depth == 0) {
			return s;
		}
	}
	return NULL;
}

/* s points after "${"; on success *used is the length consumed after "${". */
static int expand_group(const char *s, const struct interp_env *env, struct strbuf *sb, size_t *used,
			struct cc_error **err)
{
	size_t n = name_len(s), seplen = 0;
	const char *close;
	cleanup_free char *name = NULL, *sep = NULL, *text = NULL;
	int rc;

	if (!n)
		return INTERP_INVALID;
	if (s[n] == '}') {
		name = xstrndup(s, n);
		expand_plain(env, name, sb);
		*used = n + 1;
		return 0;
	}
	if (s[n] == ':' && s[n + 1] && strchr("-+?", s[n + 1]))
		seplen = 2;
	else if (s[n] && strchr("-+?", s[n]))
		seplen = 1;
	close = seplen ? group_close(s + n + seplen) : NULL;
	if (!close)
		return INTERP_INVALID;
	name = xstrndup(s, n);
	sep = xstrndup(s + n, seplen);
	text = xstrndup(s + n + seplen, (size_t)(close - (s + n + seplen)));
	rc = expand_braced(env, name, sep, text, sb, err);
	*used = (size_t)(close - s) + 1;
	return rc;
}

int interp_string(const char *s, const struct interp_env *env, char **out, struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n, used = 0;
	int rc;

	while (*s) {
		const char *d = strchr(s, '$');

		if (!d) {
			strbuf_addstr(&sb, s);
			break;
		}
		strbuf_add(&sb, s, (size_t)(d - s));
		rc = INTERP_INVALID;
		if (d[1] == '$') {
			strbuf_addch(&sb, '$');
			s = d + 2;
		} else if ((n = name_len(d + 1))) {
			cleanup_free char *name = xstrndup(d + 1, n);

			expand_plain(env, name, &sb);
			s = d + 1 + n;
		} else if (d[1] != '{') {
			/* compose v2: a '$' before anything else ("$(", "$ ",
			 * a trailing '$') is itself (1.29: an error). */
			strbuf_addch(&sb, '$');
			s = d + 1;
		} else if ((rc = expand_group(d + 2, env, &sb, &used, err)) == 0) {
			s = d + 2 + used;
		} else {
			if (rc == INTERP_INVALID)
				cc_error_set(err, "invalid interpolation format");
			strbuf_release(&sb);
			return rc;
		}
	}
	*out = strbuf_detach(&sb);
	return 0;
}

int interp_has_vars(const char *s)
{
	return strchr(s, '$') != NULL;
}
