/* retention: keep/delete decisions for a registry repository. */
#include "error.h"
#include "retention.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400
#define NOW ((int64_t)1800000000)

static int kept(const struct retention_item *v, size_t n, const char *tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].tag, tag))
			return v[i].keep;
	return -1;
}

int main(void)
{
	struct retention_item items[] = {
		{ "latest", "sha256:e", NOW - 1 * DAY, 0, NULL },   { "v1.2.0", "sha256:a", NOW - 90 * DAY, 0, NULL },
		{ "abc1234", "sha256:b", NOW - 60 * DAY, 0, NULL }, { "def5678", "sha256:c", NOW - 40 * DAY, 0, NULL },
		{ "stable", "sha256:c", NOW - 40 * DAY, 0, NULL },  { "0123abc", "sha256:d", NOW - 10 * DAY, 0, NULL },
		{ "e", "sha256:e", NOW - 1 * DAY, 0, NULL },	    { "old", "sha256:f", -1, 0, NULL },
	};
	size_t n = sizeof(items) / sizeof(items[0]);
	struct retention p = { 2, 30 * DAY, { 0 } };
	struct cc_error *err = NULL;

	ok(retention_duration("30d") == 30 * DAY && retention_duration("12h") == 43200 &&
		   retention_duration("2w") == 14 * DAY && retention_duration("90") == 90 &&
		   retention_duration("3 fortnights") < 0,
	   "durations parse");
	/* 213503982334602 days is 2^64 seconds plus ~17 hours: it wrapped */
	ok(retention_duration("213503982334602d") == -2 && retention_duration("99999999999999999999") == -2 &&
		   retention_duration("15250284452472w") == -2 && retention_duration("106751991167301d") == -2,
	   "a duration past 2^63 seconds is too long, not wrapped");
	ok(retention_duration("106751991167300d") == 106751991167300LL * DAY &&
		   retention_duration("9223372036854775807") == INT64_MAX,
	   "the longest durations still parse");
	ok(retention_duration(" 30d") == -1 && retention_duration("+30d") == -1 && retention_duration("-1d") == -1,
	   "a duration starts with a digit");
	strlist_push(&p.keep_tags, "stable");
	strlist_push(&p.keep_tags, "/^v\\d+\\.\\d+\\.\\d+$/");
	ok(retention_decide(&p, items, n, NOW, &err) == 0, "decides");
	ok(kept(items, n, "latest") == 1 && kept(items, n, "e") == 1, "newest digest kept with all its tags");
	ok(kept(items, n, "0123abc") == 1, "second newest kept (keep: 2)");
	ok(kept(items, n, "v1.2.0") == 1, "a version tag matching /regexp/ is kept though old");
	ok(kept(items, n, "stable") == 1 && kept(items, n, "def5678") == 1, "keep_tags keeps the digest's other tags");
	ok(kept(items, n, "abc1234") == 0, "old, not newest, not protected: deleted");
	ok(kept(items, n, "old") == 1, "an undated image is kept");
	ok(items[2].why && strstr(items[2].why, "60 days old"), "the reason says why: %s", items[2].why);
	retention_items_release(items, n);
	strlist_release(&p.keep_tags);

	{
		struct retention none = { -1, -1, { 0 } };
		struct retention_item one[] = { { "x", "sha256:x", NOW - 400 * DAY, 0, NULL } };

		retention_decide(&none, one, 1, NOW, &err);
		ok(one[0].keep == 1, "a policy without keep or max_age keeps everything");
		retention_items_release(one, 1);
	}
	{
		struct retention bad = { 1, -1, { 0 } };
		struct retention_item one[] = { { "x", "sha256:x", NOW, 0, NULL } };

		strlist_push(&bad.keep_tags, "/[unclosed/");
		ok(retention_decide(&bad, one, 1, NOW, &err) < 0 && err, "a bad regexp is an error");
		cc_error_free(err);
		retention_items_release(one, 1);
		strlist_release(&bad.keep_tags);
	}
	{
		/* 200,000 tags on 100,000 images: the pairwise passes took minutes */
		size_t big = 200000, i, kept_n = 0;
		struct retention_item *v = xcalloc(big, sizeof(*v));
		struct retention p2 = { 10, -1, { 0 } };
		struct timespec t0, t1;

		for (i = 0; i < big; i++) {
			v[i].tag = xasprintf("t%zu", i);
			v[i].digest = xasprintf("sha256:%zu", i / 2);
			v[i].created = NOW - (int64_t)(i / 2);
		}
		strlist_push(&p2.keep_tags, "t199999");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok(retention_decide(&p2, v, big, NOW, &err) == 0, "a large repository decides");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (i = 0; i < big; i++)
			kept_n += (size_t)v[i].keep;
		ok(kept_n == 22 && v[199998].keep && strstr(v[199998].why, "same image as t199999"),
		   "the 10 newest images and the protected one kept with their tags (%zu)", kept_n);
		ok((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 10.0,
		   "in bounded time (%.2f s)",
		   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		retention_items_release(v, big);
		for (i = 0; i < big; i++) {
			free((char *)v[i].tag);
			free((char *)v[i].digest);
		}
		free(v);
		strlist_release(&p2.keep_tags);
	}
	return done_testing();
}
