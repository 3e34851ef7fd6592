/* retention: keep/delete decisions for a registry repository. */
#include "retention.h"
#include "error.h"
#include "goregex.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int64_t retention_duration(const char *s)
{
	static const struct {
		const char *unit;
		int64_t seconds;
	} units[] = { { "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 }, { "w", 7 * 86400 } };
	char *end;
	long long v;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return errno == ERANGE || v > INT64_MAX / units[i].seconds ? -2 : v * units[i].seconds;
	return -1;
}

/* keep_tags compiled once: rx[i] for a /regexp/, NULL for an exact tag. */
static struct goregex **keep_compile(const struct strlist *keep_tags, struct cc_error **err)
{
	struct goregex **rx = xcalloc(keep_tags->n + 1, sizeof(*rx));
	size_t i, n;

	for (i = 0; i < keep_tags->n; i++) {
		const char *k = keep_tags->v[i];

		n = strlen(k);
		if (n >= 2 && k[0] == '/' && k[n - 1] == '/') {
			cleanup_free char *re = xstrndup(k + 1, n - 2);

			if (!(rx[i] = goregex_compile(re, err))) {
				while (i-- > 0)
					goregex_free(rx[i]);
				free(rx);
				cc_error_wrap(err, "keep_tags %s", k);
				return NULL;
			}
		}
	}
	return rx;
}

/* The keep_tags entry naming tag, or NULL. */
static const char *tag_protected(const struct strlist *keep_tags, struct goregex *const *rx, const char *tag)
{
	size_t i;

	for (i = 0; i < keep_tags->n; i++)
		if (rx[i] ? goregex_match(rx[i], tag, strlen(tag)) : !strcmp(keep_tags->v[i], tag))
			return keep_tags->v[i];
	return NULL;
}

struct digest_age {
	const char *digest;
	int64_t created;
};

static int newest_first(const void *a, const void *b)
{
	const struct digest_age *x = a, *y = b;

	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->digest, y->digest);
}

/* Rank of digest among distinct digests, newest first (0-based). */
static size_t rank_of(const struct digest_age *v, size_t n, const char *digest)
{
	size_t i;

	for (i = 0; i < n && strcmp(v[i].digest, digest); i++)
		;
	return i;
}

int retention_decide(const struct retention *p, struct retention_item *items, size_t n, int64_t now,
		     struct cc_error **err)
{
	struct goregex **rx = keep_compile(&p->keep_tags, err);
	struct digest_age *v;
	size_t i, j, nd = 0;

	if (!rx)
		return -1;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		for (j = 0; j < nd && strcmp(v[j].digest, items[i].digest); j++)
			;
		if (j == nd)
			v[nd++] = (struct digest_age){ items[i].digest, items[i].created };
	}
	qsort(v, nd, sizeof(*v), newest_first);
	for (i = 0; i < n; i++) {
		struct retention_item *it = &items[i];
		size_t rank = rank_of(v, nd, it->digest);
		const char *which = tag_protected(&p->keep_tags, rx, it->tag);

		it->keep = 1;
		if (which)
			it->why = xasprintf("keep_tags %s", which);
		else if (it->created < 0)
			it->why = xstrdup("its age is unknown: kept");
		else if (p->keep < 0 && p->max_age < 0)
			it->why = xstrdup("no keep or max_age: everything is kept");
		else if (p->keep >= 0 && rank < (size_t)p->keep)
			it->why = xasprintf("among the %ld newest", p->keep);
		else if (p->max_age >= 0 && now - it->created < p->max_age)
			it->why = xasprintf("%lld days old, younger than max_age",
					    (long long)((now - it->created) / 86400));
		else {
			it->keep = 0;
			it->why = xasprintf("%lld days old%s", (long long)((now - it->created) / 86400),
					    p->keep >= 0 ? ", not among the newest" : "");
		}
	}
	/* Tags share their digest's fate: a protected tag keeps its siblings. */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (items[i].keep && !items[j].keep && !strcmp(items[i].digest, items[j].digest)) {
				items[j].keep = 1;
				free(items[j].why);
				items[j].why = xasprintf("same image as %s", items[i].tag);
			}
	for (i = 0; i < p->keep_tags.n; i++)
		goregex_free(rx[i]);
	free(rx);
	free(v);
	return 0;
}

void retention_items_release(struct retention_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].why);
		items[i].why = NULL;
	}
}
