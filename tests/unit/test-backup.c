/* backup: restic's forget rules on fixed calendars (the restic docs'
 * example, the oldest rule, ISO weeks across a year end, keep_within from
 * the newest), durations, manifest times, snapshot manifests, and a
 * hostile tree object (a name with "..") refused. */
#include "backup-repo.h"
#include "backup-retention.h"
#include "backup-snapshot.h"
#include "backup-spec.h"
#include "backup-tree.h"
#include "error.h"
#include "hash.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t at(const char *s)
{
	int64_t t;

	if (bk_time_parse(s, &t, NULL) < 0)
		abort();
	return t;
}

/* How many of n snapshots k keeps; the keep flags into kept (may be NULL). */
static size_t decide(const struct backup_keep *k, const int64_t *t, size_t n, int *kept)
{
	struct bk_keep_decision *d = xcalloc(n, sizeof(*d));
	size_t i, c = 0;

	bk_retention_decide(k, t, n, at("2030-01-01T00:00:00Z"), d);
	for (i = 0; i < n; i++) {
		c += d[i].keep;
		if (kept)
			kept[i] = d[i].keep;
		bk_keep_decision_release(&d[i]);
	}
	free(d);
	return c;
}

static void test_retention(void)
{
	int64_t days[40], t[3];
	int kept[40];
	size_t i;
	struct backup_keep k = { 0 };

	for (i = 0; i < 40; i++) /* one a day, 2026-01-01 (a Thursday) onwards */
		days[i] = at("2026-01-01T12:00:00Z") + (int64_t)i * 86400;
	k.daily = 7;
	k.weekly = 5;
	/* the 7 dailies (Feb 3-9) span ISO weeks 6 and 7, so the weekly bucket
	 * adds Feb 1, Jan 25 and Jan 18: buckets count independently */
	is_int(decide(&k, days, 40, NULL), 10, "keep_daily 7 keep_weekly 5 over 40 days keeps 7 + 3");
	k = (struct backup_keep){ 0 };
	k.monthly = 3;
	decide(&k, days, 40, kept);
	ok(kept[39] && kept[30] && kept[0], "keep_monthly 3: newest of Feb, of Jan, and the oldest (count left)");
	is_int(decide(&k, days, 40, NULL), 3, "keep_monthly 3 over Jan-Feb keeps 3 (one through the oldest rule)");
	k = (struct backup_keep){ 0 };
	k.weekly = 10;
	t[0] = at("2026-12-31T10:00:00Z"); /* Thursday of ISO week 2026-53 */
	t[1] = at("2027-01-03T10:00:00Z"); /* Sunday: still 2026-W53 */
	t[2] = at("2027-01-04T10:00:00Z"); /* Monday: 2027-W01 */
	decide(&k, t, 3, kept);
	ok(kept[2] && kept[1] && kept[0], "ISO weeks: Jan 3 2027 is in 2026's last week (kept by week, oldest too)");
	k.weekly = 1;
	decide(&k, t, 3, kept);
	ok(kept[2] && !kept[1] && !kept[0], "keep_weekly 1 keeps only the newest week's newest");
	k = (struct backup_keep){ 0 };
	k.within = "2d";
	is_int(decide(&k, days, 40, NULL), 2, "keep_within 2d keeps what is newer than the newest minus 2 days");
	k.within = "1m";
	is_int(decide(&k, days, 40, NULL), 31, "keep_within 1m: Feb 9 minus a month is Jan 9");
	k = (struct backup_keep){ 0 };
	k.last = -1;
	is_int(decide(&k, days, 40, NULL), 40, "keep_last -1 keeps all");
	k = (struct backup_keep){ 0 };
	k.set = 1;
	is_int(decide(&k, days, 40, NULL), 40, "no rule keeps everything");
}

static void test_parse(void)
{
	int y, m, d, h;
	int64_t t;
	long ns;

	ok(backup_duration_parse("1y2m3d4h", &y, &m, &d, &h) == 0 && y == 1 && m == 2 && d == 3 && h == 4,
	   "duration 1y2m3d4h");
	ok(backup_duration_parse("2w", &y, &m, &d, &h) < 0, "2w is not a restic duration");
	ok(backup_duration_parse("", &y, &m, &d, &h) < 0 && backup_duration_parse("d", &y, &m, &d, &h) < 0,
	   "empty and unit-only durations refused");
	ok(bk_time_parse("2026-12-01T12:00:00.5Z", &t, &ns) == 0 && ns == 500000000, "fractional seconds");
	ok(bk_time_parse("2026-12-01T12:00:00+01:00", &t, &ns) < 0, "only UTC times");
}

static void test_snapshot_json(void)
{
	struct bk_snapshot s = { .name = "db", .source = "volume:db", .time = 1796127441, .nsec = 7, .files = 3 };
	struct bk_snapshot back;
	char *text;

	memset(s.tree, 0xab, 32);
	bk_snapshot_set_id(&s);
	text = bk_snapshot_to_json(&s);
	ok(bk_snapshot_parse(text, strlen(text), "m", &back, NULL) == 0 && !strcmp(back.id, s.id) && back.nsec == 7 &&
		   back.files == 3 && !memcmp(back.tree, s.tree, 32),
	   "a manifest reads back as written");
	bk_snapshot_release(&back);
	free(text);
	ok(bk_snapshot_parse("{\"ccbuild_snapshot\": 2}", 22, "m", &back, NULL) < 0, "another format is refused");
}

static void test_hostile_tree(void)
{
	char dir[] = "/tmp/test-backup.XXXXXX";
	const char *doc = "{\"entries\":[{\"name\":\"..\",\"type\":\"dir\",\"mode\":493,\"uid\":0,\"gid\":0,"
			  "\"mtime\":0,\"tree\":\"" /* a tree id */
			  "0000000000000000000000000000000000000000000000000000000000000000\"}]}";
	struct bk_repo r;
	struct bk_entries e = { 0 };
	struct bk_snapshot s = { .name = "t", .source = "path:/t" };
	struct cc_error *err = NULL;
	unsigned char id[32];
	cleanup_free char *cmd = NULL;
	int rc;

	if (!mkdtemp(dir) || bk_repo_open(&r, dir, NULL) < 0)
		abort();
	hash_sha256(doc, strlen(doc), id);
	memcpy(s.tree, id, 32);
	bk_snapshot_set_id(&s);
	ok(bk_repo_put(&r, id, doc, strlen(doc), NULL, NULL) == 1 && bk_repo_commit(&r, &s, NULL) == 0,
	   "a tree object stored and committed");
	rc = bk_tree_read(&r, id, &e, &err);
	ok(rc < 0 && err && strstr(err->msg, "malformed"), "a tree naming '..' is refused: %s",
	   err ? err->msg : "(accepted)");
	cc_error_free(err);
	bk_entries_release(&e);
	bk_repo_close(&r);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	test_retention();
	test_parse();
	test_snapshot_json();
	test_hostile_tree();
	return done_testing();
}
