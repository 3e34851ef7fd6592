/* backup-gc: mark (every tree and chunk under every snapshot of every
 * backup in the repository), then sweep objects/. */
#include "backup-gc.h"
#include "backup-idset.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "backup-tree.h"
#include "error.h"

struct sweep {
	struct bk_repo *r;
	const struct bk_idset *reach;
	size_t removed;
	uint64_t freed;
	struct cc_error **err;
};

static int sweep_one(const unsigned char id[BK_ID_LEN], uint64_t size, void *data)
{
	struct sweep *s = data;

	if (bk_idset_get(s->reach, id, NULL))
		return 0;
	if (bk_repo_remove_object(s->r, id, s->err) < 0)
		return -1;
	s->removed++;
	s->freed += size;
	return 0;
}

int bk_gc(struct bk_repo *r, size_t *removed, uint64_t *freed, struct cc_error **err)
{
	struct bk_idset reach = { 0 };
	struct bk_snapshot *snaps = NULL;
	struct sweep s = { r, &reach, 0, 0, err };
	size_t n = 0, i;
	int rc = bk_repo_snapshots(r, NULL, &snaps, &n, err);

	for (i = 0; rc == 0 && i < n; i++)
		if (bk_tree_reach(r, snaps[i].tree, &reach, err) < 0)
			rc = cc_error_wrap(err, "%s: snapshot %s of %s (nothing collected)", r->dir, snaps[i].id,
					   snaps[i].name);
	if (rc == 0)
		rc = bk_repo_each_object(r, sweep_one, &s, err);
	if (removed)
		*removed = s.removed;
	if (freed)
		*freed = s.freed;
	bk_snapshots_free(snaps, n);
	bk_idset_release(&reach);
	return rc < 0 ? -1 : 0;
}
