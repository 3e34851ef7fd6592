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
	size_t first; /* where its tags start in the by-digest order */
};

static int newest_first(const void *a, const void *b)
{
	const struct digest_age *x = a, *y = b;

	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->digest, y->digest);
}

/* Item indexes by digest, then position: an image's tags together. */
static int by_digest(const void *a, const void *b, void *arg)
{
	const struct retention_item *items = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(items[x].digest, items[y].digest);

	return c ? c : x < y ? -1 : x > y;
}

/* rank[i]: the rank of items[i]'s digest among distinct digests, newest
 * first (0-based); ix: the items by digest.  In n log n, for registries
 * with many tags. */
static void rank_digests(const struct retention_item *items, size_t n, size_t *ix, size_t *rank)
{
	struct digest_age *v = xcalloc(n + 1, sizeof(*v));
	size_t i, r, nd = 0;

	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), by_digest, (void *)items);
	for (i = 0; i < n; i++)
		if (!i || strcmp(items[ix[i]].digest, items[ix[i - 1]].digest))
			v[nd++] = (struct digest_age){ items[ix[i]].digest, items[ix[i]].created, i };
	qsort(v, nd, sizeof(*v), newest_first);
	for (r = 0; r < nd; r++)
		for (i = v[r].first; i < n && !strcmp(items[ix[i]].digest, v[r].digest); i++)
			rank[ix[i]] = r;
	free(v);
}

static void decide_one(const struct retention *p, struct retention_item *it, size_t rank, const char *which,
		       int64_t now)
{
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
		it->why = xasprintf("%lld days old, younger than max_age", (long long)((now - it->created) / 86400));
	else {
		it->keep = 0;
		it->why = xasprintf("%lld days old%s", (long long)((now - it->created) / 86400),
				    p->keep >= 0 ? ", not among the newest" : "");
	}
}

/* Tags share their digest's fate: a kept tag (the first) keeps its siblings. */
static void share_fate(struct retention_item *items, size_t n, const size_t *ix)
{
	size_t i, j, end, kept;

	for (i = 0; i < n; i = end) {
		for (end = i + 1; end < n && !strcmp(items[ix[end]].digest, items[ix[i]].digest); end++)
			;
		for (kept = i; kept < end && !items[ix[kept]].keep; kept++)
			;
		for (j = i; kept < end && j < end; j++)
			if (!items[ix[j]].keep) {
				items[ix[j]].keep = 1;
				free(items[ix[j]].why);
				items[ix[j]].why = xasprintf("same image as %s", items[ix[kept]].tag);
			}
	}
}

int retention_decide(const struct retention *p, struct retention_item *items, size_t n, int64_t now,
		     struct cc_error **err)
{
	struct goregex **rx = keep_compile(&p->keep_tags, err);
	size_t *ix, *rank, i;

	if (!rx)
		return -1;
	ix = xcalloc(n + 1, sizeof(*ix));
	rank = xcalloc(n + 1, sizeof(*rank));
	rank_digests(items, n, ix, rank);
	for (i = 0; i < n; i++)
		decide_one(p, &items[i], rank[i], tag_protected(&p->keep_tags, rx, items[i].tag), now);
	share_fate(items, n, ix);
	for (i = 0; i < p->keep_tags.n; i++)
		goregex_free(rx[i]);
	free(rx);
	free(ix);
	free(rank);
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
