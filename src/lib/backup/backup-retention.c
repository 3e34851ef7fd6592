/* backup-retention: restic's forget policy (backup-retention.h).  Each
 * bucket remembers the key of the last snapshot it kept; a snapshot whose
 * key differs (or the oldest, while the bucket has count left) is kept by
 * that bucket, which then counts down (-1: never). */
#include "backup-retention.h"
#include "backup-spec.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum bucket { B_LAST, B_HOURLY, B_DAILY, B_WEEKLY, B_MONTHLY, B_YEARLY, NBUCKETS };

static const char *const reasons[NBUCKETS] = { "last snapshot",	  "hourly snapshot",  "daily snapshot",
					       "weekly snapshot", "monthly snapshot", "yearly snapshot" };

/* The bucket key of time t: YYYYMMDDHH, YYYYMMDD, ISO YYYYWW, YYYYMM, YYYY;
 * for last, the snapshot's position (unique). */
static long bucket_key(enum bucket b, int64_t t, size_t nr)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char week[16];

	gmtime_r(&tt, &tm);
	switch (b) {
	case B_LAST: return (long)nr;
	case B_HOURLY: return ((tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday) * 100 + tm.tm_hour;
	case B_DAILY: return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	case B_WEEKLY: strftime(week, sizeof(week), "%G%V", &tm); return atol(week);
	case B_MONTHLY: return (tm.tm_year + 1900L) * 100 + tm.tm_mon + 1;
	default: return tm.tm_year + 1900L;
	}
}

/* latest minus the duration, as Go's AddDate(-y, -m, -d).Add(-h hours):
 * timegm normalises an out-of-range day the same way (Mar 31 - 1 month =
 * Mar 3). */
static int64_t within_start(int64_t latest, const char *within)
{
	time_t tt = (time_t)latest;
	int y, m, d, h;
	struct tm tm;

	backup_duration_parse(within, &y, &m, &d, &h);
	gmtime_r(&tt, &tm);
	tm.tm_year -= y;
	tm.tm_mon -= m;
	tm.tm_mday -= d;
	return (int64_t)timegm(&tm) - (int64_t)h * 3600;
}

struct order {
	int64_t t;
	size_t i;
};

static int newest_first(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i; /* stable */
}

static int policy_empty(const struct backup_keep *k)
{
	return !k->last && !k->hourly && !k->daily && !k->weekly && !k->monthly && !k->yearly && !k->within;
}

void bk_retention_decide(const struct backup_keep *k, const int64_t *times, size_t n, int64_t now,
			 struct bk_keep_decision *out)
{
	long count[NBUCKETS] = { k->last, k->hourly, k->daily, k->weekly, k->monthly, k->yearly };
	long last[NBUCKETS] = { -1, -1, -1, -1, -1, -1 };
	struct order *o = xcalloc(n ? n : 1, sizeof(*o));
	int64_t latest = INT64_MIN, start = 0;
	size_t nr, b;

	memset(out, 0, n * sizeof(*out));
	for (nr = 0; nr < n; nr++) {
		o[nr] = (struct order){ times[nr], nr };
		if (times[nr] > latest && times[nr] < now)
			latest = times[nr];
	}
	qsort(o, n, sizeof(*o), newest_first);
	if (k->within)
		start = latest == INT64_MIN ? INT64_MIN : within_start(latest, k->within);
	for (nr = 0; nr < n; nr++) {
		struct bk_keep_decision *d = &out[o[nr].i];

		if (policy_empty(k)) {
			d->keep = 1;
			strlist_push(&d->reasons, "policy is empty");
			continue;
		}
		if (k->within && o[nr].t > start) {
			cleanup_free char *why = xasprintf("within %s", k->within);

			d->keep = 1;
			strlist_push(&d->reasons, why);
		}
		for (b = 0; b < NBUCKETS; b++) {
			long key;

			if (count[b] == 0 || count[b] < -1)
				continue;
			key = bucket_key((enum bucket)b, o[nr].t, nr);
			if (key != last[b] || nr == n - 1) {
				cleanup_free char *oldest = key == last[b] ? xasprintf("oldest %s", reasons[b]) : NULL;

				d->keep = 1;
				last[b] = key;
				if (count[b] > 0)
					count[b]--;
				strlist_push(&d->reasons, oldest ? oldest : reasons[b]);
			}
		}
		if (nr == 0 && !d->keep) { /* never the newest: a source keeps its last snapshot */
			d->keep = 1;
			strlist_push(&d->reasons, "newest (always kept)");
		}
	}
	free(o);
}

void bk_keep_decision_release(struct bk_keep_decision *d)
{
	strlist_release(&d->reasons);
}
