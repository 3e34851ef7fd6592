/* backup-tree: listings as tree objects (backup-tree.h).
 *
 * FORMAT of a tree object (version 1): compact JSON, one directory,
 *   {"entries": [ENTRY, ...]}   entries sorted bytewise by name
 * ENTRY, fields in this order:
 *   {"name": "base.conf", "type": "file", "mode": 420, "uid": 0, "gid": 0,
 *    "mtime": NANOSECONDS, "size": 6, "sha256": "HEX", "chunks": ["HEX", ...]}
 *   {"name": "sub", "type": "dir", "mode": 493, "uid": 0, "gid": 0,
 *    "mtime": NANOSECONDS, "tree": "HEX"}
 *   {"name": "link", "type": "symlink", "mode": 511, "uid": 0, "gid": 0,
 *    "mtime": NANOSECONDS, "target": "base.conf"}
 * The object's id is the SHA-256 of these bytes (keyed in an encrypted
 * repository: backup-crypt.c), so an unchanged directory
 * is the same object in every snapshot, and the root tree's id is the
 * snapshot's content hash: equal ids, nothing changed. */
#include "backup-tree.h"
#include "backup-crypt.h"
#include "backup-idset.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "ctxwalk.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

struct bk_entry *bk_entries_add(struct bk_entries *e, const char *path, int type)
{
	struct bk_entry *x;

	if (e->n == e->cap)
		xgrow(&e->v, &e->cap, e->n + 1, sizeof(*e->v));
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->path = xstrdup(path);
	x->type = type;
	return x;
}

static int entry_cmp(const void *a, const void *b)
{
	return ctx_path_cmp(((const struct bk_entry *)a)->path, ((const struct bk_entry *)b)->path);
}

void bk_entries_sort(struct bk_entries *e)
{
	if (e->n)
		qsort(e->v, e->n, sizeof(*e->v), entry_cmp);
}

void bk_entries_release(struct bk_entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].link);
		free(e->v[i].chunks);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static json_t *hex_string(const unsigned char id[32])
{
	char hex[65];

	bk_id_hex(id, hex);
	return json_string(hex);
}

static json_t *entry_json(const struct bk_entry *x, const char *name, const unsigned char sub[32])
{
	static const char *const types[] = { ['f'] = "file", ['d'] = "dir", ['l'] = "symlink" };
	json_t *j = json_object(), *chunks;
	size_t k;

	json_object_set_new(j, "name", json_string(name));
	json_object_set_new(j, "type", json_string(types[x->type]));
	json_object_set_new(j, "mode", json_integer(x->mode));
	json_object_set_new(j, "uid", json_integer(x->uid));
	json_object_set_new(j, "gid", json_integer(x->gid));
	json_object_set_new(j, "mtime", json_integer(x->mtime_ns));
	if (x->type == BK_FILE) {
		json_object_set_new(j, "size", json_integer((json_int_t)x->size));
		json_object_set_new(j, "sha256", hex_string(x->sha));
		chunks = json_array();
		for (k = 0; k < x->nchunks; k++)
			json_array_append_new(chunks, hex_string(x->chunks[k]));
		json_object_set_new(j, "chunks", chunks);
	} else if (x->type == BK_DIR)
		json_object_set_new(j, "tree", hex_string(sub));
	else
		json_object_set_new(j, "target", json_string(x->link ? x->link : ""));
	return j;
}

struct tree_out {
	const struct bk_crypt *keys;
	struct bk_repo *const *repos;
	size_t nrepos;
	uint64_t *new_bytes, *stored_bytes;
};

static int store_tree(struct tree_out *o, json_t *entries, unsigned char id[32], struct cc_error **err)
{
	json_t *doc = json_pack("{s:o}", "entries", entries);
	char *text = json_dumps(doc, JSON_COMPACT);
	size_t len = strlen(text), i;
	uint64_t stored = 0;
	int rc = 0, wrote = 0, r;

	json_decref(doc);
	bk_crypt_object_id(o->keys, text, len, id);
	for (i = 0; rc == 0 && i < o->nrepos; i++) {
		if ((r = bk_repo_put(o->repos[i], id, text, len, wrote ? NULL : &stored, err)) < 0)
			rc = -1;
		wrote |= r == 1;
	}
	if (wrote && o->new_bytes)
		*o->new_bytes += len;
	if (wrote && o->stored_bytes)
		*o->stored_bytes += stored;
	free(text);
	return rc;
}

/* The tree of directory dir (length dlen; 0 for the root) from entries
 * *i onwards, consuming its whole subtree. */
static int build(struct tree_out *o, const struct bk_entries *e, size_t *i, const char *dir, size_t dlen, int depth,
		 unsigned char id[32], struct cc_error **err)
{
	json_t *entries = json_array();
	int rc = 0;

	while (rc == 0 && *i < e->n) {
		const struct bk_entry *x = &e->v[*i];
		const char *name = x->path + (dlen ? dlen + 1 : 0);
		unsigned char sub[32];

		if (dlen && (strncmp(x->path, dir, dlen) || x->path[dlen] != '/'))
			break; /* past this directory's subtree */
		if (strchr(name, '/')) {
			rc = cc_error_set(err, "backup listing: %s comes without its directory", x->path);
			break;
		}
		(*i)++;
		if (x->type == BK_DIR && depth >= MAX_DEPTH)
			rc = cc_error_set(err, "backup listing: %s is nested more than %d deep", x->path, MAX_DEPTH);
		else if (x->type == BK_DIR)
			rc = build(o, e, i, x->path, strlen(x->path), depth + 1, sub, err);
		if (rc == 0)
			json_array_append_new(entries, entry_json(x, name, sub));
	}
	if (rc < 0) {
		json_decref(entries);
		return -1;
	}
	return store_tree(o, entries, id, err);
}

int bk_tree_write(const struct bk_entries *e, const struct bk_crypt *keys, struct bk_repo *const *repos, size_t nrepos,
		  unsigned char root[32], uint64_t *new_bytes, uint64_t *stored_bytes, struct cc_error **err)
{
	struct tree_out o = { keys, repos, nrepos, new_bytes, stored_bytes };
	size_t i = 0;

	if (build(&o, e, &i, "", 0, 0, root, err) < 0)
		return -1;
	if (i != e->n)
		BUG("backup listing not in walk order at %s", e->v[i].path);
	return 0;
}

static int load_tree(const struct bk_repo *r, const unsigned char id[32], json_t **entries, struct cc_error **err)
{
	cleanup_free char *data = NULL;
	json_t *doc;
	size_t len;
	char hex[65];

	if (bk_repo_get(r, id, (void **)&data, &len, err) < 0)
		return -1;
	doc = json_loadb(data, len, 0, NULL);
	*entries = json_incref(json_object_get(doc, "entries"));
	json_decref(doc);
	if (!json_is_array(*entries)) {
		json_decref(*entries);
		bk_id_hex(id, hex);
		return cc_error_set(err, "tree %s is not a listing", hex);
	}
	return 0;
}

static int parse_entry(json_t *j, const char *dir, struct bk_entries *out, unsigned char sub[32])
{
	const char *name = NULL, *type = NULL, *sha = NULL, *tree = NULL, *target = NULL;
	json_int_t mode = 0, uid = 0, gid = 0, mtime = 0, size = 0;
	json_t *chunks = NULL;
	struct bk_entry *x;
	cleanup_free char *path = NULL;
	size_t k;

	if (json_unpack(j, "{s:s, s:s, s:I, s:I, s:I, s:I, s?I, s?s, s?o, s?s, s?s}", "name", &name, "type", &type,
			"mode", &mode, "uid", &uid, "gid", &gid, "mtime", &mtime, "size", &size, "sha256", &sha,
			"chunks", &chunks, "tree", &tree, "target", &target) < 0 ||
	    !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -1;
	path = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	x = bk_entries_add(out, path, !strcmp(type, "file") ? BK_FILE : !strcmp(type, "dir") ? BK_DIR : BK_SYMLINK);
	x->mode = (uint32_t)mode & 07777;
	x->uid = (uint32_t)uid;
	x->gid = (uint32_t)gid;
	x->mtime_ns = mtime;
	x->size = (uint64_t)size;
	if (x->type == BK_DIR)
		return bk_id_parse(tree, sub);
	if (x->type == BK_SYMLINK) {
		x->link = target ? xstrdup(target) : NULL;
		return target && !strcmp(type, "symlink") ? 0 : -1;
	}
	if (bk_id_parse(sha, x->sha) < 0 || !json_is_array(chunks))
		return -1;
	x->nchunks = json_array_size(chunks);
	x->chunks = xcalloc(x->nchunks ? x->nchunks : 1, 32);
	for (k = 0; k < x->nchunks; k++)
		if (bk_id_parse(json_string_value(json_array_get(chunks, k)), x->chunks[k]) < 0)
			return -1;
	return 0;
}

static int read_dir(const struct bk_repo *r, const unsigned char id[32], const char *dir, int depth,
		    struct bk_entries *out, struct cc_error **err)
{
	json_t *entries;
	unsigned char sub[32];
	char hex[65];
	size_t k;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return cc_error_set(err, "backup listing: %s is nested more than %d deep", dir, MAX_DEPTH);
	if (load_tree(r, id, &entries, err) < 0)
		return cc_error_wrap(err, "listing of /%s", dir);
	for (k = 0; rc == 0 && k < json_array_size(entries); k++) {
		if (parse_entry(json_array_get(entries, k), dir, out, sub) < 0) {
			bk_id_hex(id, hex);
			rc = cc_error_set(err, "tree %s (/%s): entry %zu is malformed", hex, dir, k);
		} else if (out->v[out->n - 1].type == BK_DIR) {
			cleanup_free char *path = xstrdup(out->v[out->n - 1].path);

			rc = read_dir(r, sub, path, depth + 1, out, err);
		}
	}
	json_decref(entries);
	return rc;
}

int bk_tree_read(const struct bk_repo *r, const unsigned char root[32], struct bk_entries *out, struct cc_error **err)
{
	return read_dir(r, root, "", 0, out, err);
}

static int reach_dir(const struct bk_repo *r, const unsigned char id[32], int depth, struct bk_idset *reach,
		     struct cc_error **err)
{
	struct bk_entries one = { 0 };
	json_t *entries;
	unsigned char sub[32];
	size_t k, c;
	int rc = 0;

	if (!bk_idset_add(reach, id, 0))
		return 0;
	if (depth > MAX_DEPTH)
		return cc_error_set(err, "backup listing nested more than %d deep", MAX_DEPTH);
	if (load_tree(r, id, &entries, err) < 0)
		return -1;
	for (k = 0; rc == 0 && k < json_array_size(entries); k++) {
		if (parse_entry(json_array_get(entries, k), "", &one, sub) < 0)
			rc = cc_error_set(err, "a tree entry is malformed");
		else if (one.v[one.n - 1].type == BK_DIR)
			rc = reach_dir(r, sub, depth + 1, reach, err);
		else
			for (c = 0; c < one.v[one.n - 1].nchunks; c++)
				bk_idset_add(reach, one.v[one.n - 1].chunks[c], 0);
		bk_entries_release(&one);
	}
	json_decref(entries);
	return rc;
}

int bk_tree_reach(const struct bk_repo *r, const unsigned char root[32], struct bk_idset *reach, struct cc_error **err)
{
	return reach_dir(r, root, 0, reach, err);
}
