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

/* 1 when tag is named by keep_tags; -1 on a bad regexp. */
static int tag_protected(const struct strlist *keep_tags, const char *tag, char **which, struct cc_error **err)
{
	size_t i, n;

	for (i = 0; i < keep_tags->n; i++) {
		const char *k = keep_tags->v[i];

		n = strlen(k);
		if (n >= 2 && k[0] == '/' && k[n - 1] == '/') {
			cleanup_free char *re = xstrndup(k + 1, n - 2);
			struct goregex *rx = goregex_compile(re, err);
			int m;

			if (!rx)
				return cc_error_wrap(err, "keep_tags %s", k);
			m = goregex_match(rx, tag, strlen(tag));
			goregex_free(rx);
			if (m) {
				*which = xstrdup(k);
				return 1;
			}
		} else if (!strcmp(k, tag)) {
			*which = xstrdup(k);
			return 1;
		}
	}
	return 0;
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
	struct digest_age *v = xcalloc(n + 1, sizeof(*v));
	size_t i, j, nd = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nd && strcmp(v[j].digest, items[i].digest); j++)
			;
		if (j == nd)
			v[nd++] = (struct digest_age){ items[i].digest, items[i].created };
	}
	qsort(v, nd, sizeof(*v), newest_first);
	for (i = 0; i < n && rc == 0; i++) {
		struct retention_item *it = &items[i];
		size_t rank = rank_of(v, nd, it->digest);
		char *which = NULL;

		it->keep = 1;
		if ((rc = tag_protected(&p->keep_tags, it->tag, &which, err)) < 0)
			break;
		if (rc == 1) {
			it->why = xasprintf("keep_tags %s", which);
			free(which);
			rc = 0;
		} else if (it->created < 0)
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
	for (i = 0; i < n && rc == 0; i++)
		for (j = 0; j < n; j++)
			if (items[i].keep && !items[j].keep && !strcmp(items[i].digest, items[j].digest)) {
				items[j].keep = 1;
				free(items[j].why);
				items[j].why = xasprintf("same image as %s", items[i].tag);
			}
	free(v);
	return rc < 0 ? -1 : 0;
}

void retention_items_release(struct retention_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].why);
		items[i].why = NULL;
	}
}
