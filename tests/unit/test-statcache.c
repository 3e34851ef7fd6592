/* statcache: unchanged files are not read, touched/edited ones are, racy
 * entries are verified by content, a damaged cache is a warning.
 *
 * `test-statcache --bench N DIR` generates N files under DIR (when DIR does
 * not exist yet) and times walk + hash cold (no cache) and warm. */
#include "ctxwalk.h"
#include "error.h"
#include "statcache.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text, time_t mtime)
{
	cleanup_free char *p = path_join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	if (mtime && utimensat(AT_FDCWD, p, ts, 0) < 0)
		abort();
}

/* Walk + hash through cache file `cache`; digests of the walk in *d. */
static struct statcache_stats run(const char *dir, const char *cache, unsigned char (**d)[32], char **warning)
{
	struct ctx_list l = CTX_LIST_INIT;
	struct statcache_stats st = { 0 };
	struct cc_error *err = NULL;
	struct statcache *sc = statcache_open(cache, warning);

	if (ctxwalk(dir, NULL, NULL, &l, &err) < 0)
		abort();
	free(*d);
	*d = xcalloc(l.n + 1, 32);
	if (statcache_hash_list(sc, dir, &l, NULL, *d, &st, &err) < 0 ||
	    statcache_save(sc, &l, (const unsigned char(*)[32]) * d, &err) < 0) {
		printf("# error: %s\n", err->msg);
		cc_error_free(err);
	}
	statcache_free(sc);
	ctx_list_release(&l);
	return st;
}

static void rm_rf(char *dir)
{
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd))
		printf("# could not remove %s\n", dir);
	free(dir);
}

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/ccb-statcache-XXXXXX");

	if (!mkdtemp(d))
		abort();
	return d;
}

static void test_touch_edit_racy(void)
{
	char *root = tmpdir(), *w = NULL;
	cleanup_free char *ctx = path_join(root, "ctx"), *cache = path_join(root, "cache");
	unsigned char(*d)[32] = NULL, first[32];
	time_t old = time(NULL) - 3600;
	struct statcache_stats st;

	mkdir(ctx, 0755);
	put(ctx, "a", "alpha", old);
	put(ctx, "b", "beta", old);
	put(ctx, "c", "gamma", old);
	st = run(ctx, cache, &d, &w);
	ok(!w, "missing cache is no warning");
	is_int(st.hashed, 3, "cold: all files hashed");
	memcpy(first, d[0], 32);
	st = run(ctx, cache, &d, &w);
	is_int(st.hashed, 0, "warm: nothing read");
	ok(!memcmp(first, d[0], 32), "cached digest equals the computed one");
	put(ctx, "a", "alpha", old - 10);
	st = run(ctx, cache, &d, &w);
	is_int(st.hashed, 1, "touched file is re-read");
	ok(!memcmp(first, d[0], 32), "touch keeps the digest");
	put(ctx, "a", "ALPHA", old - 10);
	st = run(ctx, cache, &d, &w);
	is_int(st.hashed, 1, "same size, same mtime, new content: ctime catches it");
	ok(memcmp(first, d[0], 32), "edit changes the digest");
	put(ctx, "b", "beta", time(NULL) + 3600);
	run(ctx, cache, &d, &w);
	st = run(ctx, cache, &d, &w);
	is_int(st.racy, 1, "mtime not older than the cache file: racy, verified by content");
	is_int(st.hashed, 1, "only the racy file is read");
	free(d);
	rm_rf(root);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void test_damaged_cache(void)
{
	char *root = tmpdir(), *w = NULL, *text = NULL;
	cleanup_free char *ctx = path_join(root, "ctx"), *cache = path_join(root, "cache");
	unsigned char(*d)[32] = NULL;
	struct statcache_stats st;
	size_t len;

	mkdir(ctx, 0755);
	put(ctx, "a", "alpha", time(NULL) - 100);
	put(ctx, "b", "beta", time(NULL) - 100);
	run(ctx, cache, &d, &w);
	if (read_file(cache, &text, &len, NULL) < 0)
		abort();
	write_bytes(cache, text, len - 7);
	st = run(ctx, cache, &d, &w);
	ok(w && strstr(w, "checksum"), "truncated cache: warning (%s)", w ? w : "none");
	is_int(st.hashed, 2, "truncated cache: everything rehashed");
	free(w);
	text[40] ^= 1;
	write_bytes(cache, text, len);
	st = run(ctx, cache, &d, &w);
	ok(w != NULL, "flipped bit: warning");
	is_int(st.hashed, 2, "flipped bit: everything rehashed");
	free(w);
	write_bytes(cache, "", 0);
	st = run(ctx, cache, &d, &w);
	ok(w != NULL && st.hashed == 2, "empty cache file: warning, rehash");
	free(w);
	write_bytes(cache, "garbage that is long enough to pass the size check........", 58);
	st = run(ctx, cache, &d, &w);
	ok(w && strstr(w, "not a ccbuild"), "foreign file: warning");
	free(w);
	st = run(ctx, cache, &d, &w);
	ok(!w && st.hashed == 0, "and the rewritten cache is good again");
	free(text);
	free(d);
	rm_rf(root);
}

static void test_large_file(void)
{
	char *root = tmpdir(), *w = NULL;
	size_t n = 3 * (1u << 20) + 12345, i;
	unsigned char *buf = xmalloc(n), want[32];
	unsigned int dl = 32;
	unsigned char(*d)[32] = NULL;
	cleanup_free char *p = path_join(root, "big");

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 11));
	write_bytes(p, buf, n);
	EVP_Digest(buf, n, want, &dl, EVP_sha256(), NULL);
	run(root, NULL, &d, &w);
	ok(!memcmp(d[0], want, 32), "3 MB file streamed in 1 MiB chunks hashes right");
	free(buf);
	free(d);
	rm_rf(root);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *raise_later(void *arg)
{
	usleep(100000);
	atomic_store((atomic_int *)arg, SIGTERM);
	return NULL;
}

/* A raised flag stops the walk, and the hashing inside a large file. */
static void test_cancel(void)
{
	char *root = tmpdir(), *w = NULL;
	cleanup_free char *p = path_join(root, "huge");
	struct ctx_list l = CTX_LIST_INIT;
	struct cc_error *err = NULL;
	struct statcache *sc = statcache_open(NULL, &w);
	unsigned char(*d)[32] = NULL;
	atomic_int flag = SIGINT;
	pthread_t t;
	double t0;
	int rc, fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)64 << 30) < 0) /* 64 GiB, sparse */
		abort();
	close(fd);
	rc = ctxwalk(root, NULL, &flag, &l, &err);
	ok(rc < 0 && err && strstr(err->msg, "interrupted"), "a raised flag stops the walk: %s",
	   err ? err->msg : "no error");
	cc_error_free(err);
	err = NULL;
	atomic_store(&flag, 0);
	if (ctxwalk(root, NULL, &flag, &l, &err) < 0)
		abort();
	d = xcalloc(l.n + 1, 32);
	t0 = now();
	pthread_create(&t, NULL, raise_later, &flag);
	rc = statcache_hash_list(sc, root, &l, &flag, d, NULL, &err);
	ok(rc < 0 && err && strstr(err->msg, "interrupted"), "raised while hashing a 64 GiB file: %s",
	   err ? err->msg : "no error");
	pthread_join(t, NULL);
	ok(now() - t0 < 2, "and it stopped at once (%.2f s)", now() - t0);
	cc_error_free(err);
	statcache_free(sc);
	ctx_list_release(&l);
	free(d);
	rm_rf(root);
}

static void generate(const char *dir, long n)
{
	char name[64], text[64];
	long i;

	mkdir(dir, 0755);
	for (i = 0; i < n; i++) {
		if (i % 100 == 0) {
			snprintf(name, sizeof(name), "%s/d%04ld", dir, i / 100);
			mkdir(name, 0755);
		}
		snprintf(name, sizeof(name), "%s/d%04ld/file%ld.txt", dir, i / 100, i);
		snprintf(text, sizeof(text), "content of file %ld\n", i);
		put("", name, text, 0);
	}
}

static int bench(long n, const char *dir)
{
	cleanup_free char *cache = xasprintf("%s.statcache", dir);
	unsigned char(*d)[32] = NULL;
	struct statcache_stats st;
	char *w = NULL;
	double t;

	if (access(dir, F_OK) < 0) {
		t = now();
		generate(dir, n);
		printf("generated %ld files in %.2fs\n", n, now() - t);
	}
	unlink(cache);
	t = now();
	st = run(dir, cache, &d, &w);
	printf("cold (no cache): %zu files, %zu hashed, %.2fs\n", st.files, st.hashed, now() - t);
	t = now();
	st = run(dir, cache, &d, &w);
	printf("warm (cache):    %zu files, %zu hashed, %.2fs\n", st.files, st.hashed, now() - t);
	free(w);
	free(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--bench"))
		return bench(atol(argv[2]), argv[3]);
	test_touch_edit_racy();
	test_damaged_cache();
	test_large_file();
	test_cancel();
	return done_testing();
}
