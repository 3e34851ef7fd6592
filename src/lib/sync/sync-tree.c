/* sync-tree: walk and hash one side of a sync (sync-tree.h). */
#include "sync-tree.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int sync_tree_scan_file(const char *root, const char *name, const char *as, const char *cache, int save,
			const atomic_int *cancel, struct sync_tree *out, char **warning, struct cc_error **err)
{
	cleanup_free char *path = path_join(root, name);
	struct statcache *sc;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	*warning = NULL;
	if (lstat(path, &st) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, "%s is not a regular file", path);
	ctx_list_add(&out->list, name, strlen(name), &st, NULL);
	out->digests = xcalloc(1, 32);
	sc = statcache_open(cache, warning);
	rc = statcache_hash_list(sc, root, &out->list, cancel, out->digests, &out->stats, err);
	if (rc == 0 && cache && save)
		rc = statcache_save(sc, &out->list, (const unsigned char(*)[32])out->digests, err);
	statcache_free(sc);
	/* The cache knows the file by its own name, the destination by as. */
	out->list.v[0].path = arena_strndup(&out->list.arena, as, strlen(as));
	out->src_name = xstrdup(name);
	return rc;
}

const char *sync_tree_source(const struct sync_tree *t, size_t k)
{
	return t->src_name ? t->src_name : t->list.v[k].path;
}

void sync_tree_release(struct sync_tree *t)
{
	free(t->src_name);
	ctx_list_release(&t->list);
	free(t->digests);
	memset(t, 0, sizeof(*t));
}
