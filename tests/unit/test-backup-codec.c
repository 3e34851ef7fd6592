/* backup-codec: zstd frames of backup objects — a round trip, data that
 * does not shrink left plain, every truncation and trailing byte
 * refused, a frame above the bound refused before allocating; then a
 * repository: a compressible object stored as HEX.zst and read back, a
 * flip of any of its bytes refused (plain and encrypted), a format-1
 * repository made format 2 by a compressing writer with its old objects
 * read as they are, and a newer format refused by its marker and config. */
#include "backup-codec.h"
#include "backup-crypt.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "error.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/test-backup-codec.XXXXXX";

/* n bytes of text a JSON tree object could hold. */
static char *text(size_t n)
{
	char *s = xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = "{\"name\": \"file-0001\", \"mode\": 420}, "[i % 37] + (char)(i / 37 % 3);
	s[n] = 0;
	return s;
}

static void test_frames(void)
{
	struct bk_codec *c = bk_codec_new(BK_ZSTD_AUTO), *off = bk_codec_new(0);
	cleanup_free char *in = text(20000);
	unsigned char noise[4096];
	void *z = NULL, *back = NULL, *t;
	size_t zlen, blen, k, refused = 0;
	struct cc_error *err = NULL;
	unsigned long long x;
	int rc;

	for (k = 0, x = 88172645463325252ull; k < sizeof(noise); k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		noise[k] = (unsigned char)(x >> 24);
	}
	is_int(bk_codec_compress(c, in, 20000, &z, &zlen, NULL), 1, "text compresses");
	ok(zlen < 2000 && bk_codec_is_frame(z, zlen), "to a zstd frame under a tenth (%zu bytes)", zlen);
	ok(bk_codec_decompress(c, z, zlen, 1 << 20, &back, &blen, NULL) == 0 && blen == 20000 &&
		   !memcmp(back, in, blen) && !((char *)back)[blen],
	   "and back, byte for byte, NUL terminated");
	free(back);
	is_int(bk_codec_compress(off, in, 20000, &t, &blen, NULL), 0, "level 0 stores plain");
	ok(bk_codec_compress(c, noise, sizeof(noise), &t, &blen, NULL) == 0 && !t, "noise is stored plain");
	ok(bk_codec_compress(c, "tiny", 4, &t, &blen, NULL) == 0, "so is a tiny object");
	for (k = 0; k < zlen; k++)
		if (bk_codec_decompress(c, z, k, 1 << 20, &t, &blen, NULL) < 0 && !t)
			refused++;
	ok(refused == zlen, "every truncation (0 to %zu bytes) is refused (%zu)", zlen - 1, refused);
	t = xmalloc(zlen + 1);
	memcpy(t, z, zlen);
	((char *)t)[zlen] = 0;
	rc = bk_codec_decompress(c, t, zlen + 1, 1 << 20, &back, &blen, &err);
	ok(rc < 0 && strstr(err->msg, "after"), "a trailing byte is refused: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	free(t);
	rc = bk_codec_decompress(c, z, zlen, 19999, &back, &blen, &err);
	ok(rc < 0 && strstr(err->msg, "more than 19999"), "a frame larger than the bound is refused: %s",
	   err ? err->msg : "");
	cc_error_free(err);
	ok(bk_codec_decompress(c, in, 100, 1 << 20, &back, &blen, NULL) < 0, "plain text is not a frame");
	free(z);
	bk_codec_free(c);
	bk_codec_free(off);
}

static void put_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
		abort();
}

/* Flip each byte of file path in turn; how many flips bk_repo_get refused
 * (*size: the file's size).  The file is as it was afterwards. */
static size_t flips_refused(struct bk_repo *r, const unsigned char id[32], const char *path, size_t *size)
{
	cleanup_free char *orig = NULL;
	size_t len, k, refused = 0, got;
	void *data;

	if (read_file(path, &orig, &len, NULL) < 0)
		abort();
	chmod(path, 0644);
	for (k = 0; k < len; k++) {
		orig[k] ^= 0xff;
		put_file(path, orig, len);
		orig[k] ^= 0xff;
		if (bk_repo_get(r, id, &data, &got, NULL) < 0)
			refused++;
		else
			free(data);
	}
	put_file(path, orig, len);
	*size = len;
	return refused;
}

/* Commit r's objects under a snapshot of tree id. */
static int commit(struct bk_repo *r, const unsigned char id[32])
{
	struct bk_snapshot s = { .name = "t", .source = "path:/t", .time = 1800000000 };

	memcpy(s.tree, id, 32);
	bk_snapshot_set_id(&s);
	return bk_repo_commit(r, &s, NULL);
}

static void test_repo_objects(const char *name, const char *key)
{
	cleanup_free char *dir = path_join(tmp, name), *in = text(5000), *path = NULL;
	struct bk_repo_opts o = { .write = 1, .key_file = key, .zlevel = BK_ZSTD_AUTO };
	struct bk_repo r;
	unsigned char id[32];
	uint64_t stored = 0;
	size_t len, size;
	void *data = NULL;
	int rc;

	ok(bk_repo_open_opts(&r, dir, &o, NULL) == 0, "%s: a new repository opens", name);
	bk_crypt_object_id(r.crypt, in, 5000, id);
	rc = bk_repo_put(&r, id, in, 5000, &stored, NULL);
	ok(rc == 1 && stored < 1000, "%s: stored in %llu bytes", name, (unsigned long long)stored);
	ok(commit(&r, id) == 0, "%s: committed", name);
	path = bk_repo_object_path(&r, id);
	ok(strstr(path, ".zst"), "%s: named HEX.zst", name);
	ok(bk_repo_get(&r, id, &data, &len, NULL) == 0 && len == 5000 && !memcmp(data, in, len), "%s: read back whole",
	   name);
	free(data);
	len = flips_refused(&r, id, path, &size);
	ok(len == size, "%s: a flip of any of its %zu bytes is refused (%zu)", name, size, len);
	ok(bk_repo_get(&r, id, &data, &len, NULL) == 0, "%s: restored, it reads again", name);
	free(data);
	bk_repo_close(&r);
}

static void write_text(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(s, f) < 0 || fclose(f))
		abort();
}

static void test_formats(void)
{
	cleanup_free char *dir = path_join(tmp, "old"), *marker = path_join(dir, "CCBUILD-BACKUP"),
			  *config = path_join(dir, "config"), *in = text(3000), *old = text(4000);
	struct bk_repo_opts plain = { .write = 1 }, z = { .write = 1, .zlevel = BK_ZSTD_AUTO };
	struct cc_error *err = NULL;
	unsigned char a[32], b[32];
	struct bk_repo r;
	void *data;
	size_t len;
	int rc;

	bk_crypt_object_id(NULL, old, 4000, a);
	bk_crypt_object_id(NULL, in, 3000, b);
	ok(bk_repo_open_opts(&r, dir, &plain, NULL) == 0 && r.version == 1 &&
		   bk_repo_put(&r, a, old, 4000, NULL, NULL) == 1 && commit(&r, a) == 0,
	   "compression off makes a format-1 repository of plain objects");
	bk_repo_close(&r);
	ok(bk_repo_open_opts(&r, dir, &z, NULL) == 0 && r.version == 2, "a compressing writer makes it format 2");
	ok(bk_repo_put(&r, b, in, 3000, NULL, NULL) == 1 && commit(&r, b) == 0 &&
		   bk_repo_get(&r, a, &data, &len, NULL) == 0 && len == 4000,
	   "its old plain object reads as it is");
	free(data);
	bk_repo_close(&r);
	ok(bk_repo_open_read(&r, dir, NULL) == 0 && bk_repo_get(&r, b, &data, &len, NULL) == 0 && len == 3000,
	   "a reader gets the new compressed one");
	free(data);
	bk_repo_close(&r);
	write_text(marker, "ccbuild backup repository 3\n");
	rc = bk_repo_open_read(&r, dir, &err);
	ok(rc < 0 && strstr(err->msg, "format 3 is newer than this ccbuild"), "a format-3 marker is refused: %s",
	   err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	bk_repo_close(&r);
	write_text(marker, "ccbuild backup repository 2\n");
	write_text(config, "{\"ccbuild_repository\": 3, \"encryption\": \"none\"}");
	rc = bk_repo_open_read(&r, dir, &err);
	ok(rc < 0 && strstr(err->msg, "format 3 (its config) is newer"), "so is a format-3 config: %s",
	   err ? err->msg : "");
	cc_error_free(err);
	bk_repo_close(&r);
}

int main(void)
{
	cleanup_free char *cmd = NULL, *key = NULL;

	if (!mkdtemp(tmp))
		abort();
	key = path_join(tmp, "key");
	if (bk_crypt_init_key(key, NULL) < 0)
		abort();
	test_frames();
	test_repo_objects("plain", NULL);
	test_repo_objects("sealed", key);
	test_formats();
	cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd))
		printf("# could not remove %s\n", tmp);
	return done_testing();
}
