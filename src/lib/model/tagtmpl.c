/* tagtmpl: tag templates → tags. */
#include "tagtmpl.h"
#include "error.h"
#include "gitinfo.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *git_field(const struct gitinfo *g, const char *name)
{
	if (!strcmp(name, "git.sha"))
		return g->sha;
	if (!strcmp(name, "git.short"))
		return g->shortsha;
	if (!strcmp(name, "git.branch"))
		return g->branch;
	if (!strcmp(name, "git.describe"))
		return g->describe;
	return NULL;
}

static int placeholder(const char *name, const struct gitinfo *git, const char *hash, struct strbuf *out,
		       struct cc_error **err)
{
	if (!strncmp(name, "git.", 4)) {
		const char *v = git ? git_field(git, name) : NULL;

		if (git && !v)
			return cc_error_set(err,
					    "unknown placeholder {%s} (known: git.sha, git.short, git.branch, "
					    "git.describe, hash, hash:N)",
					    name),
			       -1;
		if (!git || !*v)
			return cc_error_set(err, "{%s}: not inside a git repository with a commit", name), -1;
		strbuf_addstr(out, v);
		return 0;
	}
	if (!strcmp(name, "hash") || !strncmp(name, "hash:", 5)) {
		char *end;
		long n = name[4] ? strtol(name + 5, &end, 10) : 64;

		if (name[4] && (!isdigit((unsigned char)name[5]) || *end || n < 1 || n > 64))
			return cc_error_set(err, "{%s}: length must be 1 to 64", name), -1;
		if (!hash)
			return cc_error_set(err, "{%s}: input hash not known yet", name), -1;
		strbuf_addf(out, "%.*s", (int)n, hash);
		return 0;
	}
	return cc_error_set(
		       err,
		       "unknown placeholder {%s} (known: git.sha, git.short, git.branch, git.describe, hash, hash:N)",
		       name),
	       -1;
}

static void sanitise(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			*p = '-';
	if (*s == '.' || *s == '-')
		*s = '_';
	if (strlen(s) > 128)
		s[128] = 0;
}

static void push_unique(struct strlist *out, const char *s, size_t n)
{
	char *t = xstrndup(s, n);

	if (!strlist_has(out, t))
		strlist_push(out, t);
	free(t);
}

/* "v1.2.3" → also "v1.2", "v1"; pre-release or build suffixes: no expansion. */
static void semver_expand(const char *tag, struct strlist *out)
{
	const char *p = tag + (tag[0] == 'v');
	const char *dot1, *dot2;
	size_t i;

	dot1 = strchr(p, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
		return;
	for (i = 0; p[i]; i++)
		if (!isdigit((unsigned char)p[i]) && p[i] != '.')
			return;
	if (dot1 == p || dot2 == dot1 + 1 || !dot2[1])
		return;
	push_unique(out, tag, (size_t)(dot2 - tag));
	push_unique(out, tag, (size_t)(dot1 - tag));
}

int tagtmpl_expand(const char *t, const struct gitinfo *git, const char *hash, struct strlist *out,
		   struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = t;

	while (*p) {
		const char *close;
		char *name;
		int rc;

		if (*p != '{') {
			strbuf_addch(&sb, *p++);
			continue;
		}
		close = strchr(p, '}');
		if (!close) {
			strbuf_release(&sb);
			return cc_error_set(err, "tag '%s': '{' without '}'", t), -1;
		}
		name = xstrndup(p + 1, (size_t)(close - p - 1));
		rc = placeholder(name, git, hash, &sb, err);
		free(name);
		if (rc < 0) {
			strbuf_release(&sb);
			return cc_error_wrap(err, "tag '%s'", t), -1;
		}
		p = close + 1;
	}
	if (!sb.buf || !*sb.buf) {
		strbuf_release(&sb);
		return cc_error_set(err, "tag '%s' expands to nothing", t), -1;
	}
	sanitise(sb.buf);
	push_unique(out, sb.buf, strlen(sb.buf));
	semver_expand(sb.buf, out);
	strbuf_release(&sb);
	return 0;
}

int tagtmpl_valid(const char *s)
{
	const char *p;

	if (!*s || *s == '.' || *s == '-' || strlen(s) > 128)
		return 0;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return 0;
	return 1;
}
