/* backup-catalog: the snapshots of a backup across its destinations
 * (backup-catalog.h).  Snapshots are matched by id: one run gives every
 * destination the same snapshot under the same id (backup-repo.c). */
#include "backup-catalog.h"
#include "backup-spec.h"
#include "backup-verified.h"
#include "backup-verify.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int entry_cmp(const void *a, const void *b)
{
	const struct bk_snapshot *x = &((const struct bk_catalog_entry *)a)->snap;
	const struct bk_snapshot *y = &((const struct bk_catalog_entry *)b)->snap;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Add the snapshots of destination i to c, merging those already seen. */
static void add_snapshots(struct bk_catalog *c, size_t i, struct bk_snapshot *s, size_t n, size_t *cap)
{
	size_t k, j;

	for (k = 0; k < n; k++) {
		for (j = 0; j < c->n && strcmp(c->v[j].snap.id, s[k].id); j++)
			;
		if (j == c->n) {
			if (c->n == *cap)
				xgrow(&c->v, cap, c->n + 1, sizeof(*c->v));
			c->v[j].snap = s[k];
			memset(&s[k], 0, sizeof(s[k])); /* stolen */
			c->v[j].held = xcalloc(c->ndirs, 1);
			c->n++;
		}
		c->v[j].held[i] = 1;
	}
}

int bk_catalog_load(const struct backup_spec *b, struct bk_catalog *c, struct cc_error **err)
{
	size_t i, n, cap = 0, readable = 0;

	memset(c, 0, sizeof(*c));
	c->dirs = xcalloc(b->ndests + 1, sizeof(*c->dirs));
	c->repos = xcalloc(b->ndests + 1, sizeof(*c->repos));
	c->why = xcalloc(b->ndests + 1, sizeof(*c->why));
	for (i = 0; i < b->ndests; i++)
		if (b->dests[i].path)
			c->dirs[c->ndirs++] = b->dests[i].path;
	for (i = 0; i < c->ndirs; i++) {
		struct cc_error *e = NULL;
		struct bk_snapshot *s = NULL;

		n = 0;
		if (bk_repo_open_keyed(&c->repos[i], c->dirs[i], 0, b->key_file, &e) < 0 ||
		    bk_repo_snapshots(&c->repos[i], b->name, &s, &n, &e) < 0) {
			c->why[i] = xstrdup(e->msg);
			cc_error_free(e);
			continue;
		}
		readable++;
		add_snapshots(c, i, s, n, &cap);
		bk_snapshots_free(s, n);
	}
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), entry_cmp);
	if (!readable)
		return cc_error_set(err, "backup %s: no destination can be read: %s", b->name,
				    c->ndirs ? c->why[0] : "it has no path destination");
	return 0;
}

void bk_catalog_release(struct bk_catalog *c)
{
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		bk_repo_close(&c->repos[i]);
		free(c->why[i]);
	}
	for (i = 0; i < c->n; i++) {
		bk_snapshot_release(&c->v[i].snap);
		free(c->v[i].held);
	}
	free(c->dirs);
	free(c->repos);
	free(c->why);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Verify entry k in destination i: 0 intact, else -1 (skipped gets why). */
static int check_one(struct bk_catalog *c, size_t k, size_t i, const char *name, const char *state_dir,
		     struct strlist *skipped)
{
	struct strlist problems = { 0 };
	size_t bad = bk_verify_snapshot(&c->repos[i], &c->v[k].snap, &problems, NULL);

	if (state_dir)
		bk_verified_record(state_dir, name, c->dirs[i], c->v[k].snap.id, (int64_t)time(NULL), 1,
				   bad ? problems.v[0] : NULL, NULL); /* a record: losing it costs nothing */
	if (bad) {
		cleanup_free char *line =
			xasprintf("%s: %s%s", c->dirs[i], problems.v[0], problems.n > 1 ? " (and more)" : "");

		strlist_push(skipped, line);
	}
	strlist_release(&problems);
	return bad ? -1 : 0;
}

long bk_catalog_find_good(struct bk_catalog *c, const char *name, const char *state_dir, size_t *dest,
			  struct strlist *skipped, struct cc_error **err)
{
	size_t k, i;

	for (k = c->n; k-- > 0;)
		for (i = 0; i < c->ndirs; i++)
			if (c->v[k].held[i] && check_one(c, k, i, name, state_dir, skipped) == 0) {
				*dest = i;
				return (long)k;
			}
	return cc_error_set(err, "backup %s: %s", name,
			    c->n ? "no snapshot verifies in any destination" : "no snapshot yet");
}
