/* backup-source: reading a host directory or an archive into a listing
 * and chunks (backup-source.h). */
#include "backup-source.h"
#include "backup-crypt.h"
#include "backup-repo.h"
#include "backup-tree.h"
#include "ctxwalk.h"
#include "error.h"
#include "hash.h"
#include "statcache.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bk_store_chunk(struct bk_store *st, const void *data, size_t len, unsigned char id[32], struct cc_error **err)
{
	uint64_t stored = 0;
	size_t i;
	int r, wrote = 0;

	bk_crypt_object_id(st->keys, data, len, id);
	for (i = 0; i < st->nrepos; i++) {
		if ((r = bk_repo_put(st->repos[i], id, data, len, wrote ? NULL : &stored, err)) < 0)
			return -1;
		wrote |= r == 1;
	}
	if (wrote && bk_idset_add(&st->written, id, len)) {
		st->new_bytes += len;
		st->stored_bytes += stored;
	}
	return 0;
}

void bk_store_release(struct bk_store *st)
{
	bk_idset_release(&st->written);
}

static void take_chunks(struct bk_entry *x, const struct bk_entry *from);

void bk_entries_fill_from(struct bk_entries *e, const struct bk_entries *prev)
{
	struct bk_idset ix = { 0 };
	size_t i, j;

	for (i = 0; i < prev->n; i++)
		if (prev->v[i].type == BK_FILE)
			bk_idset_add(&ix, prev->v[i].sha, i);
	for (i = 0; i < e->n; i++)
		if (e->v[i].type == BK_FILE && !e->v[i].nchunks && e->v[i].size && bk_idset_get(&ix, e->v[i].sha, &j))
			take_chunks(&e->v[i], &prev->v[j]);
	bk_idset_release(&ix);
}

void bk_entries_digest(const struct bk_entries *e, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t i;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < e->n; i++) {
		const struct bk_entry *x = &e->v[i];
		char meta[160];
		int n = snprintf(meta, sizeof(meta), "%c %o %u %u %lld %llu ", x->type, x->mode, x->uid, x->gid,
				 (long long)x->mtime_ns, (unsigned long long)x->size);

		EVP_DigestUpdate(md, x->path, strlen(x->path) + 1);
		EVP_DigestUpdate(md, meta, (size_t)n);
		if (x->type == BK_FILE)
			EVP_DigestUpdate(md, x->sha, 32);
		if (x->link)
			EVP_DigestUpdate(md, x->link, strlen(x->link) + 1);
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

int bk_entries_pending(const struct bk_entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].type == BK_FILE && e->v[i].size && !e->v[i].nchunks)
			return 1;
	return 0;
}

static void take_chunks(struct bk_entry *x, const struct bk_entry *from)
{
	x->nchunks = from->nchunks;
	x->chunks = xcalloc(x->nchunks ? x->nchunks : 1, 32);
	memcpy(x->chunks, from->chunks, x->nchunks * 32);
	x->size = from->size;
}

/* One walked entry into out; prev_ix maps file hashes to entries of prev. */
static int add_walked(int dirfd, const struct ctx_entry *c, const unsigned char digest[32],
		      const struct bk_entries *prev, const struct bk_idset *prev_ix, struct bk_entries *out,
		      struct bk_path_stats *stats, struct cc_error **err)
{
	int type = S_ISREG(c->mode) ? BK_FILE : S_ISDIR(c->mode) ? BK_DIR : S_ISLNK(c->mode) ? BK_SYMLINK : 0;
	struct bk_entry *x;
	struct stat st;
	size_t at;

	if (!type) {
		stats->skipped++;
		return 0;
	}
	if (fstatat(dirfd, c->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, "%s: %s", c->path, strerror(errno));
	x = bk_entries_add(out, c->path, type);
	x->mode = c->mode & 07777;
	x->uid = st.st_uid;
	x->gid = st.st_gid;
	x->mtime_ns = c->mtime_ns;
	if (type == BK_SYMLINK)
		x->link = xstrdup(c->link ? c->link : "");
	if (type != BK_FILE)
		return 0;
	stats->files++;
	x->size = c->size;
	memcpy(x->sha, digest, 32);
	if (bk_idset_get(prev_ix, digest, &at))
		take_chunks(x, &prev->v[at]);
	return 0;
}

int bk_scan_path(const char *dir, const char *statcache, int save, const struct bk_entries *prev,
		 const atomic_int *cancel, struct bk_entries *out, struct bk_path_stats *stats, struct cc_error **err)
{
	struct ctx_list l = CTX_LIST_INIT;
	struct bk_idset prev_ix = { 0 };
	unsigned char(*digests)[32] = NULL;
	struct statcache *sc = NULL;
	int dirfd = -1, rc = -1;
	size_t i;

	if (ctxwalk(dir, NULL, cancel, &l, err) < 0)
		goto out;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		cc_error_set(err, "%s: %s", dir, strerror(errno));
		goto out;
	}
	sc = statcache_open(statcache, &stats->warning);
	digests = xcalloc(l.n ? l.n : 1, 32);
	if (statcache_hash_list(sc, dir, &l, cancel, digests, NULL, err) < 0)
		goto out;
	if (save && statcache && statcache_save(sc, &l, (const unsigned char(*)[32])digests, err) < 0)
		goto out;
	for (i = 0; prev && i < prev->n; i++)
		if (prev->v[i].type == BK_FILE)
			bk_idset_add(&prev_ix, prev->v[i].sha, i);
	for (i = 0; i < l.n; i++)
		if (add_walked(dirfd, &l.v[i], digests[i], prev, &prev_ix, out, stats, err) < 0)
			goto out;
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	bk_idset_release(&prev_ix);
	statcache_free(sc);
	free(digests);
	ctx_list_release(&l);
	return rc;
}

/* 1 when every repository of st has every chunk of x. */
static int chunks_present(const struct bk_store *st, const struct bk_entry *x)
{
	size_t r, k;

	for (k = 0; k < x->nchunks; k++) {
		if (bk_idset_get(&st->written, x->chunks[k], NULL))
			continue;
		for (r = 0; r < st->nrepos; r++)
			if (!bk_repo_has(st->repos[r], x->chunks[k]))
				return 0;
	}
	return 1;
}

/* Read file x (relative to dirfd) chunk by chunk into st; its size, hash
 * and chunks become what was read. */
static int read_file_chunks(int dirfd, struct bk_entry *x, struct bk_store *st, uint64_t *bytes, struct cc_error **err)
{
	cleanup_close int fd = openat(dirfd, x->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free unsigned char *buf = NULL;
	EVP_MD_CTX *md;
	size_t have, cap = 0;
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return cc_error_set(err, "%s: %s", x->path, strerror(errno));
	buf = xmalloc(BK_CHUNK_SIZE);
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	free(x->chunks);
	x->chunks = NULL;
	x->nchunks = 0;
	x->size = 0;
	for (;;) {
		for (have = 0; have < BK_CHUNK_SIZE; have += (size_t)n)
			if ((n = read(fd, buf + have, BK_CHUNK_SIZE - have)) <= 0)
				break;
		if (have < BK_CHUNK_SIZE && n < 0) {
			rc = cc_error_set(err, "reading %s: %s", x->path, strerror(errno));
			break;
		}
		if (!have)
			break;
		if (cancel_pending(st->cancel)) {
			rc = cc_error_set(err, "interrupted");
			break;
		}
		xgrow(&x->chunks, &cap, x->nchunks + 1, 32);
		if (bk_store_chunk(st, buf, have, x->chunks[x->nchunks++], err) < 0) {
			rc = -1;
			break;
		}
		EVP_DigestUpdate(md, buf, have);
		x->size += have;
		*bytes += have;
		if (have < BK_CHUNK_SIZE)
			break;
	}
	EVP_DigestFinal_ex(md, x->sha, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

int bk_store_path(const char *dir, struct bk_entries *e, struct bk_store *st, struct bk_path_stats *stats,
		  struct cc_error **err)
{
	cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i;

	if (dirfd < 0)
		return cc_error_set(err, "%s: %s", dir, strerror(errno));
	for (i = 0; i < e->n; i++) {
		struct bk_entry *x = &e->v[i];

		if (x->type != BK_FILE || (x->nchunks && chunks_present(st, x)))
			continue;
		if (!x->nchunks && !x->size) {
			hash_sha256("", 0, x->sha);
			continue; /* empty: no chunks */
		}
		if (cancel_pending(st->cancel))
			return cc_error_set(err, "interrupted");
		stats->read++;
		if (read_file_chunks(dirfd, x, st, &stats->bytes_read, err) < 0)
			return cc_error_wrap(err, "%s", dir);
	}
	return 0;
}

/* The archive's name for an entry without its first component ("data/x"
 * -> "x", "data" -> ""); NULL when it is not a plain relative path. */
static char *strip_name(const char *name)
{
	const char *rest = strchr(name, '/');
	char *p;

	if (!rest)
		return xstrdup("");
	p = path_clean(rest + 1);
	if (!strcmp(p, "."))
		p[0] = 0;
	if (p[0] == '/' || !strcmp(p, "..") || str_has_prefix(p, "../")) {
		free(p);
		return NULL;
	}
	return p;
}

static int read_entry_data(struct archive *a, struct bk_entry *x, struct bk_store *st, unsigned char *buf,
			   struct cc_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t have, cap = 0;
	la_ssize_t n = 0;
	int rc = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (;;) {
		for (have = 0; have < BK_CHUNK_SIZE; have += (size_t)n)
			if ((n = archive_read_data(a, buf + have, BK_CHUNK_SIZE - have)) <= 0)
				break;
		if (n < 0) {
			rc = cc_error_set(err, "reading %s from the archive: %s", x->path, archive_error_string(a));
			break;
		}
		if (!have)
			break;
		xgrow(&x->chunks, &cap, x->nchunks + 1, 32);
		if (bk_store_chunk(st, buf, have, x->chunks[x->nchunks++], err) < 0) {
			rc = -1;
			break;
		}
		EVP_DigestUpdate(md, buf, have);
		x->size += have;
		if (cancel_pending(st->cancel)) {
			rc = cc_error_set(err, "interrupted");
			break;
		}
	}
	EVP_DigestFinal_ex(md, x->sha, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

/* A hard link: the content of the earlier entry it names. */
static int link_to(struct bk_entries *out, struct bk_entry *x, const char *target, struct cc_error **err)
{
	cleanup_free char *t = strip_name(target);
	size_t i;

	for (i = out->n - 1; t && i-- > 0;)
		if (out->v[i].type == BK_FILE && !strcmp(out->v[i].path, t)) {
			take_chunks(x, &out->v[i]);
			memcpy(x->sha, out->v[i].sha, 32);
			return 0;
		}
	return cc_error_set(err, "archive: %s is a hard link to %s, which comes nowhere before it", x->path, target);
}

static int add_archived(struct archive *a, struct archive_entry *ae, struct bk_store *st, struct bk_entries *out,
			unsigned char *buf, struct cc_error **err)
{
	mode_t ft = archive_entry_filetype(ae);
	int type = ft == AE_IFREG ? BK_FILE : ft == AE_IFDIR ? BK_DIR : ft == AE_IFLNK ? BK_SYMLINK : 0;
	cleanup_free char *path = strip_name(archive_entry_pathname(ae));
	struct bk_entry *x;

	if (!path)
		return cc_error_set(err, "archive: entry '%s' is not a relative path inside the volume",
				    archive_entry_pathname(ae));
	if (!path[0] || !type)
		return 0; /* the volume's own directory; devices, FIFOs */
	x = bk_entries_add(out, path, type);
	x->mode = archive_entry_perm(ae) & 07777;
	x->uid = (uint32_t)archive_entry_uid(ae);
	x->gid = (uint32_t)archive_entry_gid(ae);
	x->mtime_ns = (int64_t)archive_entry_mtime(ae) * 1000000000 + archive_entry_mtime_nsec(ae);
	if (type == BK_SYMLINK)
		x->link = xstrdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
	if (type != BK_FILE)
		return 0;
	if (archive_entry_hardlink(ae))
		return link_to(out, x, archive_entry_hardlink(ae), err);
	hash_sha256("", 0, x->sha);
	return read_entry_data(a, x, st, buf, err);
}

/* Every parent directory of every entry listed (tars may omit them). */
static void add_parents(struct bk_entries *out)
{
	struct bk_idset dirs = { 0 };
	unsigned char key[32];
	size_t i, n = out->n;
	char *slash;

	for (i = 0; i < n; i++)
		if (out->v[i].type == BK_DIR) {
			hash_sha256(out->v[i].path, strlen(out->v[i].path), key);
			bk_idset_add(&dirs, key, 0);
		}
	for (i = 0; i < n; i++) {
		cleanup_free char *p = xstrdup(out->v[i].path);

		while ((slash = strrchr(p, '/'))) {
			*slash = 0;
			hash_sha256(p, strlen(p), key);
			if (bk_idset_add(&dirs, key, 0))
				bk_entries_add(out, p, BK_DIR)->mode = 0755;
		}
	}
	bk_idset_release(&dirs);
}

int bk_scan_archive(struct archive *a, struct bk_store *st, struct bk_entries *out, struct cc_error **err)
{
	cleanup_free unsigned char *buf = xmalloc(BK_CHUNK_SIZE);
	struct archive_entry *ae;
	int r;

	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (add_archived(a, ae, st, out, buf, err) < 0)
			return -1;
	if (r != ARCHIVE_EOF)
		return cc_error_set(err, "reading the archive: %s", archive_error_string(a));
	add_parents(out);
	bk_entries_sort(out);
	return 0;
}
