/* fuzz-statcache: the binary stat cache file.  The input is the file
 * without its trailing SHA-256, which is appended here so the entry
 * parser behind the checksum is reached.  The cache is then matched
 * against a small walk (files that exist, with zero stat data a cache
 * entry can equal), saved, and must open again without a warning. */
#include "ctxwalk.h"
#include "error.h"
#include "harness.h"
#include "statcache.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const paths[] = { "Dockerfile", "a", "a/b", "a.txt", "z" };
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

static void walk_make(const char *dir, struct ctx_list *l)
{
	size_t i;

	for (i = 0; i < NPATHS; i++) {
		struct ctx_entry e = { 0 };
		int isdir = !strcmp(paths[i], "a");

		if (!isdir)
			free(fuzz_write(dir, paths[i], paths[i], strlen(paths[i])));
		e.path = arena_strndup(&l->arena, paths[i], strlen(paths[i]));
		e.mode = isdir ? S_IFDIR | 0755 : S_IFREG | 0644;
		e.nlink = 1;
		e.size = strlen(paths[i]);
		VEC_PUSH(l->v, l->n, l->cap, e);
	}
}

static char *write_cache(const char *dir, const uint8_t *data, size_t size)
{
	unsigned char *buf = xmalloc(size + 32);
	unsigned int n = 32;
	char *path;

	memcpy(buf, data, size);
	if (!EVP_Digest(data, size, buf + size, &n, EVP_sha256(), NULL))
		abort();
	path = fuzz_write(dir, "cache", buf, size + 32);
	free(buf);
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir = fuzz_tmpdir(), *ctx = xasprintf("%s/ctx", dir), *file = write_cache(dir, data, size);
	char *warning = NULL;
	struct ctx_list l = CTX_LIST_INIT;
	unsigned char digests[NPATHS][32];
	struct statcache *sc;
	struct cc_error *err = NULL;

	walk_make(ctx, &l);
	sc = statcache_open(file, &warning);
	free(warning);
	if (statcache_hash_list(sc, ctx, &l, NULL, digests, NULL, &err) < 0 ||
	    statcache_save(sc, &l, digests, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		abort(); /* every file of the walk exists and the directory is writable */
	}
	statcache_free(sc);
	sc = statcache_open(file, &warning);
	if (warning) {
		fprintf(stderr, "a saved cache does not open: %s\n", warning);
		abort();
	}
	statcache_free(sc);
	ctx_list_release(&l);
	fuzz_tmpdir_remove(dir);
	free(file);
	free(ctx);
	free(dir);
	return 0;
}
