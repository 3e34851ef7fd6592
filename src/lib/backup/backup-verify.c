/* backup-verify: every object is read back and hashed against its name;
 * a file's chunks are also hashed together against its SHA-256. */
#include "backup-verify.h"
#include "backup-idset.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "backup-tree.h"
#include "error.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static void problem(struct strlist *problems, const struct bk_snapshot *s, const char *path, struct cc_error *err)
{
	char when[32];
	cleanup_free char *line = NULL;

	bk_time_format(s->time, when, sizeof(when));
	line = xasprintf("snapshot %s (%s): /%s: %s", s->id, when, path, err ? err->msg : "damaged");
	strlist_push(problems, line);
	cc_error_free(err);
}

/* Re-hash file x; 0 when intact, else a problem is added. */
static int verify_file(const struct bk_repo *r, const struct bk_snapshot *s, const struct bk_entry *x,
		       struct strlist *problems, uint64_t *bytes)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct cc_error *err = NULL;
	unsigned char got[32];
	uint64_t size = 0;
	size_t k, len;
	void *data;
	int rc = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (k = 0; rc == 0 && k < x->nchunks; k++) {
		if (bk_repo_get(r, x->chunks[k], &data, &len, &err) < 0) {
			problem(problems, s, x->path, err);
			rc = -1;
			break;
		}
		EVP_DigestUpdate(md, data, len);
		size += len;
		free(data);
	}
	EVP_DigestFinal_ex(md, got, NULL);
	EVP_MD_CTX_free(md);
	*bytes += size;
	if (rc == 0 && (size != x->size || memcmp(got, x->sha, 32))) {
		cc_error_set(&err, "its chunks do not make its recorded size and SHA-256");
		problem(problems, s, x->path, err);
		rc = -1;
	}
	return rc;
}

size_t bk_verify_snapshot(const struct bk_repo *r, const struct bk_snapshot *s, struct strlist *problems,
			  uint64_t *bytes)
{
	struct bk_entries e = { 0 };
	struct cc_error *err = NULL;
	uint64_t read = 0;
	size_t i, bad = 0;

	if (bk_tree_read(r, s->tree, &e, &err) < 0) {
		problem(problems, s, "", err);
		bad++;
	}
	for (i = 0; i < e.n; i++)
		if (e.v[i].type == BK_FILE && verify_file(r, s, &e.v[i], problems, &read) < 0)
			bad++;
	bk_entries_release(&e);
	if (bytes)
		*bytes = read;
	return bad;
}

size_t bk_verify_sample(const struct bk_repo *r, const struct bk_idset *written, double share, struct strlist *problems,
			uint64_t *bytes)
{
	struct cc_error *err = NULL;
	uint32_t draw;
	size_t i, bad = 0, len;
	uint64_t read = 0;
	void *data;

	for (i = 0; i < written->cap; i++) {
		if (!written->used[i])
			continue;
		if (share < 1 &&
		    (RAND_bytes((unsigned char *)&draw, sizeof(draw)) != 1 || draw >= share * 4294967296.0))
			continue;
		if (bk_repo_get(r, written->keys[i], &data, &len, &err) < 0) {
			cleanup_free char *line = xasprintf("%s: %s", r->dir, err->msg);

			strlist_push(problems, line);
			cc_error_free(err);
			err = NULL;
			bad++;
			continue;
		}
		read += len;
		free(data);
	}
	if (bytes)
		*bytes = read;
	return bad;
}
