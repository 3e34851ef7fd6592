/* sync-tree: walk and hash one side of a sync (sync-tree.h). */
#include "sync-tree.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int sync_tree_scan(const char *root, const struct ignore *ig, const char *cache, int save, const atomic_int *cancel,
		   struct sync_tree *out, char **warning, struct cc_error **err)
{
	struct statcache *sc;
	int rc;

	memset(out, 0, sizeof(*out));
	*warning = NULL;
	if (ctxwalk(root, ig, cancel, &out->list, err) < 0)
		return -1;
	out->digests = xcalloc(out->list.n ? out->list.n : 1, 32);
	sc = statcache_open(cache, warning);
	rc = statcache_hash_list(sc, root, &out->list, cancel, out->digests, &out->stats, err);
	if (rc == 0 && cache && save)
		rc = statcache_save(sc, &out->list, (const unsigned char(*)[32])out->digests, err);
	statcache_free(sc);
	return rc;
}

void sync_tree_release(struct sync_tree *t)
{
	ctx_list_release(&t->list);
	free(t->digests);
	memset(t, 0, sizeof(*t));
}
