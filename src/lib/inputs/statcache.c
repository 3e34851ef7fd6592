/* statcache: stat data -> content digest, one binary file per context.
 *
 * File format, version 1 (written by statcache_save; integers
 * little-endian):
 *
 *   8 bytes   magic "CCBSTAT\n"
 *   u32       version (1)
 *   u32       reserved (0)
 *   u64       number of entries
 *   entries, in walk order (ctx_path_cmp), each:
 *     u64 size, i64 mtime_ns, i64 ctime_ns, u64 ino, u64 dev,
 *     u32 st_mode, u32 path length N,
 *     32 bytes SHA-256 of the file's content,
 *     N bytes of context-relative path, then one NUL
 *   32 bytes  SHA-256 of every byte before it
 *
 * The trailing checksum turns truncation and corruption into "no cache"
 * (a warning and a full rehash), never a wrong digest.  Entries are in the
 * walk's own order so a lookup is a merge with the walk (a cursor that only
 * moves forward), and the file is used in place through mmap: a no-op run
 * over a million files allocates nothing per file.
 *
 * Racy rule (git's racy-git.adoc): a file modified in the same clock tick
 * as the cache was written can change again without changing its stat
 * data, so an entry whose mtime is not older than the cache file itself is
 * verified by content. */
#include "statcache.h"
#include "atomicfile.h"
#include "ctxwalk.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "CCBSTAT\n"
#define VERSION 1
#define HEADER_SIZE 24
#define ENTRY_FIXED 80
#define CHUNK (1u << 20)

struct statcache {
	char *file;
	const unsigned char *map;
	size_t maplen;
	int64_t file_mtime_ns;
	const unsigned char *cursor, *end; /* entries region */
	size_t dropped;			   /* map bytes given back (drop_behind) */
	uint64_t count;			   /* entries in the file */
	int dirty;			   /* the file no longer matches the walk */
	unsigned char *buf;		   /* read buffer, CHUNK bytes */
};

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put64(p, v);
}

/* Pages of the map are read once, front to back; giving each window back
 * behind the reader keeps a million-entry cache (~100 MB) from counting
 * in the resident set.  The kernel refills a dropped page from the page
 * cache if it is touched again. */
#define DROP_WINDOW ((size_t)8 << 20)

static void drop_behind(const unsigned char *map, size_t *dropped, size_t upto)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), end = upto / page * page;

	if (end < *dropped + DROP_WINDOW)
		return;
	madvise((void *)(map + *dropped), end - *dropped, MADV_DONTNEED);
	*dropped = end;
}

static void sha256_windows(const unsigned char *m, size_t len, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;
	size_t off, dropped = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		die_oom(); /* EVP_MD_CTX_new fails only for memory */
	for (off = 0; off < len; off += DROP_WINDOW) {
		EVP_DigestUpdate(md, m + off, len - off < DROP_WINDOW ? len - off : DROP_WINDOW);
		drop_behind(m, &dropped, off + DROP_WINDOW < len ? off + DROP_WINDOW : len);
	}
	EVP_DigestFinal_ex(md, out, &n);
	EVP_MD_CTX_free(md);
}

/* Check the mapped file; NULL if fine, else a static reason. */
static const char *validate(const unsigned char *m, size_t len)
{
	unsigned char sum[32];
	uint64_t count, i;
	size_t off = HEADER_SIZE, body, dropped = 0;
	uint32_t plen;

	if (len < HEADER_SIZE + 32 || memcmp(m, MAGIC, 8))
		return "not a ccbuild stat cache";
	if (get32(m + 8) != VERSION)
		return "unknown version";
	body = len - 32;
	sha256_windows(m, body, sum);
	if (memcmp(sum, m + body, 32))
		return "checksum mismatch (truncated or corrupt)";
	count = get64(m + 16);
	for (i = 0; i < count; i++) {
		drop_behind(m, &dropped, off);
		if (body - off < ENTRY_FIXED)
			return "entry past end";
		plen = get32(m + off + 44);
		if (body - off - ENTRY_FIXED < (size_t)plen + 1 || m[off + ENTRY_FIXED + plen])
			return "bad path";
		off += ENTRY_FIXED + plen + 1;
	}
	return off == body ? NULL : "trailing garbage";
}

static int map_file(struct statcache *sc, int fd, char **warning)
{
	struct stat st;
	const char *why;
	void *m;

	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		*warning = xasprintf("%s: empty or unreadable stat cache, rehashing", sc->file);
		return -1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		*warning = xasprintf("%s: mmap: %s, rehashing", sc->file, strerror(errno));
		return -1;
	}
	why = validate(m, (size_t)st.st_size);
	if (why) {
		*warning = xasprintf("%s: %s, rehashing", sc->file, why);
		munmap(m, (size_t)st.st_size);
		return -1;
	}
	sc->map = m;
	sc->maplen = (size_t)st.st_size;
	sc->file_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	sc->cursor = sc->map + HEADER_SIZE;
	sc->end = sc->map + sc->maplen - 32;
	sc->count = get64(sc->map + 16);
	return 0;
}

struct statcache *statcache_open(const char *file, char **warning)
{
	struct statcache *sc = xcalloc(1, sizeof(*sc));
	cleanup_close int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : -1;

	*warning = NULL;
	sc->file = file ? xstrdup(file) : NULL;
	sc->buf = xmalloc(CHUNK);
	if (!file)
		return sc;
	if (fd < 0) {
		if (errno != ENOENT)
			*warning = xasprintf("%s: %s, rehashing", file, strerror(errno));
		return sc;
	}
	map_file(sc, fd, warning);
	return sc;
}

void statcache_free(struct statcache *sc)
{
	if (!sc)
		return;
	if (sc->map)
		munmap((void *)sc->map, sc->maplen);
	free(sc->buf);
	free(sc->file);
	free(sc);
}

/* Hash everything readable from fd with buf (CHUNK bytes); -1 with errno
 * EINTR when *cancel is raised. */
static int hash_fd(int fd, unsigned char *buf, const atomic_int *cancel, unsigned char out[32], uint64_t *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;
	uint64_t total = 0;
	ssize_t r;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die_oom(); /* EVP_MD_CTX_new fails only for memory */
	while ((r = read(fd, buf, CHUNK)) != 0) {
		if (cancel_pending(cancel)) {
			EVP_MD_CTX_free(ctx);
			errno = EINTR;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			EVP_MD_CTX_free(ctx);
			return -1;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)r);
		total += (uint64_t)r;
	}
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
	if (size)
		*size = total;
	return 0;
}

static int hash_at(int dirfd, const char *path, unsigned char *buf, const atomic_int *cancel, unsigned char out[32],
		   uint64_t *size, struct cc_error **err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || hash_fd(fd, buf, cancel, out, size) < 0)
		return cc_error_set(err, "%s: %s", path, cancel_pending(cancel) ? "interrupted" : strerror(errno));
	return 0;
}

int statcache_hash_file(int dirfd, const char *path, unsigned char out[32], uint64_t *size, struct cc_error **err)
{
	cleanup_free unsigned char *buf = xmalloc(CHUNK);

	return hash_at(dirfd, path, buf, NULL, out, size, err);
}

/* The cached entry for path, moving the cursor forward; NULL if none. */
static const unsigned char *cache_seek(struct statcache *sc, const char *path)
{
	int c;

	while (sc->cursor && sc->cursor < sc->end) {
		const unsigned char *e = sc->cursor;
		uint32_t plen = get32(e + 44);

		c = ctx_path_cmp((const char *)e + ENTRY_FIXED, path);
		if (c > 0)
			return NULL;
		sc->cursor = e + ENTRY_FIXED + plen + 1;
		drop_behind(sc->map, &sc->dropped, (size_t)(e - sc->map));
		if (c == 0)
			return e;
	}
	return NULL;
}

static int same_stat(const unsigned char *c, const struct ctx_entry *e)
{
	return get64(c) == e->size && (int64_t)get64(c + 8) == e->mtime_ns && (int64_t)get64(c + 16) == e->ctime_ns &&
	       get64(c + 24) == e->ino && get64(c + 32) == e->dev && get32(c + 40) == e->mode;
}

int statcache_hash_list(struct statcache *sc, const char *ctxdir, const struct ctx_list *l, const atomic_int *cancel,
			unsigned char (*digests)[32], struct statcache_stats *stats, struct cc_error **err)
{
	struct statcache_stats local = { 0 };
	cleanup_close int dfd = open(ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t got;
	size_t i;

	if (dfd < 0)
		return cc_error_set(err, "%s: %s", ctxdir, strerror(errno));
	if (sc->map) {
		sc->cursor = sc->map + HEADER_SIZE;
		sc->dropped = 0;
	}
	for (i = 0; i < l->n; i++) {
		const struct ctx_entry *e = &l->v[i];
		const unsigned char *c;
		int fresh;

		memset(digests[i], 0, 32);
		if (!S_ISREG(e->mode))
			continue;
		local.files++;
		c = cache_seek(sc, e->path);
		fresh = c && same_stat(c, e);
		if (fresh && e->mtime_ns < sc->file_mtime_ns) {
			memcpy(digests[i], c + 48, 32);
			continue;
		}
		if (hash_at(dfd, e->path, sc->buf, cancel, digests[i], &got, err) < 0)
			return cc_error_wrap(err, "hashing %s", ctxdir);
		local.hashed++;
		local.racy += fresh;
		local.bytes += got;
	}
	/* Every file matched an entry in order and none was re-read: with the
	 * same count the file is exactly this walk, no need to rewrite it. */
	sc->dirty = local.hashed > 0 || local.files != sc->count || !sc->map;
	if (stats)
		*stats = local;
	return 0;
}

/* Buffered writer that also checksums. */
struct writer {
	FILE *f;
	EVP_MD_CTX *md;
};

static void w_put(struct writer *w, const void *p, size_t n)
{
	fwrite(p, 1, n, w->f);
	EVP_DigestUpdate(w->md, p, n);
}

static void write_entry(struct writer *w, const struct ctx_entry *e, const unsigned char *digest)
{
	unsigned char b[ENTRY_FIXED];
	size_t plen = strlen(e->path);

	put64(b, e->size);
	put64(b + 8, (uint64_t)e->mtime_ns);
	put64(b + 16, (uint64_t)e->ctime_ns);
	put64(b + 24, e->ino);
	put64(b + 32, e->dev);
	put32(b + 40, e->mode);
	put32(b + 44, (uint32_t)plen);
	memcpy(b + 48, digest, 32);
	w_put(w, b, sizeof(b));
	w_put(w, e->path, plen + 1);
}

int statcache_save(struct statcache *sc, const struct ctx_list *l, const unsigned char (*digests)[32],
		   struct cc_error **err)
{
	struct atomicfile af;
	struct writer w;
	unsigned char hdr[HEADER_SIZE] = MAGIC, sum[32];
	unsigned int n = 32;
	uint64_t count = 0;
	size_t i;

	if (!sc->file || !sc->dirty)
		return 0;
	for (i = 0; i < l->n; i++)
		count += S_ISREG(l->v[i].mode) ? 1 : 0;
	if (atomicfile_open(&af, sc->file, err) < 0)
		return cc_error_wrap(err, "saving stat cache");
	w.f = af.f;
	w.md = EVP_MD_CTX_new();
	if (!w.md || !EVP_DigestInit_ex(w.md, EVP_sha256(), NULL))
		die_oom(); /* EVP_MD_CTX_new fails only for memory */
	put32(hdr + 8, VERSION);
	put32(hdr + 12, 0);
	put64(hdr + 16, count);
	w_put(&w, hdr, sizeof(hdr));
	for (i = 0; i < l->n; i++)
		if (S_ISREG(l->v[i].mode))
			write_entry(&w, &l->v[i], digests[i]);
	EVP_DigestFinal_ex(w.md, sum, &n);
	EVP_MD_CTX_free(w.md);
	fwrite(sum, 1, 32, af.f);
	if (atomicfile_commit(&af, err) < 0)
		return cc_error_wrap(err, "saving stat cache");
	return 0;
}
