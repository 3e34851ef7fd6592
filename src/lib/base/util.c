/* util: allocation, strbuf, paths, string helpers (util.h); it cannot
 * fail, so it uses no cc_error: reading files is in util-file.c. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Noreturn void die_oom(void)
{
	fputs("ccbuild: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die_oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		die_oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		die_oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void xgrow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t n = *cap;

	if (need <= n)
		return;
	if (n < 8)
		n = 8;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			die_oom();
		n *= 2;
	}
	*p = xrealloc(*p, n * size);
	*cap = n;
}

void cleanup_freep(void *p)
{
	free(*(void **)p);
}

void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	xgrow(&sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	strbuf_add(sb, &ch, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_addstr(sb, s);
	free(s);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *path_join(const char *dir, const char *rel)
{
	size_t n;

	if (rel[0] == '/' || !dir || !dir[0] || !strcmp(dir, "."))
		return xstrdup(rel);
	n = strlen(dir);
	if (dir[n - 1] == '/')
		return xasprintf("%s%s", dir, rel);
	return xasprintf("%s/%s", dir, rel);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_clean(const char *path)
{
	size_t n = strlen(path), nparts = 0, i;
	char *copy = xstrdup(path), *save = NULL, *tok;
	char **parts = xcalloc(n + 1, sizeof(*parts));
	int absolute = path[0] == '/';
	struct strbuf sb = STRBUF_INIT;

	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (nparts && strcmp(parts[nparts - 1], ".."))
				nparts--;
			else if (!absolute)
				parts[nparts++] = tok;
			continue;
		}
		parts[nparts++] = tok;
	}
	if (absolute)
		strbuf_addch(&sb, '/');
	for (i = 0; i < nparts; i++) {
		if (i)
			strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, parts[i]);
	}
	if (!sb.len)
		strbuf_addch(&sb, '.');
	free(parts);
	free(copy);
	return strbuf_detach(&sb);
}

size_t str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row = xcalloc(lb + 1, sizeof(*row)), prev, tmp, best;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const char *str_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit = strlen(word) / 3 + 1;

	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		d = str_distance(word, candidates[i]);
		if (d < bestd) {
			bestd = d;
			best = candidates[i];
		}
	}
	return bestd <= limit ? best : NULL;
}

int str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char **env_with(const char *entry)
{
	size_t n = 0, k = 0, name = entry && strchr(entry, '=') ? (size_t)(strchr(entry, '=') - entry) + 1 : 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (n = 0; environ[n]; n++)
		if (!name || strncmp(environ[n], entry, name))
			env[k++] = environ[n];
	if (name)
		env[k] = (char *)entry;
	return env;
}

int str_matches(const char *re, const char *s)
{
	regex_t rx;
	int r;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return 0;
	r = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return r;
}
