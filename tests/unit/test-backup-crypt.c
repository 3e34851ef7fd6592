/* backup-crypt: key files (mode 600, never overwritten, exactly 32
 * bytes), keyed ids, sealing round trips, and every way a sealed object
 * can be wrong (a flipped byte anywhere, truncation at every length,
 * another key, another label) refused; then an encrypted repository: its
 * objects and manifests sealed on disk, a changed object named, a plain
 * or other-key open refused before anything is read. */
#include "backup-crypt.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "error.h"
#include "hash.h"
#include "tap.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/test-backup-crypt.XXXXXX";

static struct bk_crypt *new_key(const char *name)
{
	cleanup_free char *path = path_join(tmp, name);
	struct bk_crypt *c = NULL;

	if (bk_crypt_init_key(path, NULL) < 0 || bk_crypt_load(path, &c, NULL) < 0)
		abort();
	return c;
}

static void test_key_file(void)
{
	cleanup_free char *path = path_join(tmp, "k"), *bad = path_join(tmp, "short");
	struct cc_error *err = NULL;
	struct bk_crypt *c = NULL;
	struct stat st;
	int fd, rc;

	umask(022);
	ok(bk_crypt_init_key(path, NULL) == 0 && stat(path, &st) == 0, "init-key writes a key");
	is_int(st.st_mode & 07777, 0600, "with mode 600");
	is_int(st.st_size, 32, "of 32 bytes");
	rc = bk_crypt_init_key(path, &err);
	ok(rc < 0 && err && strstr(err->msg, "exists already"), "an existing key is never overwritten: %s",
	   err ? err->msg : "(overwritten)");
	cc_error_free(err);
	err = NULL;
	ok(bk_crypt_load(NULL, &c, NULL) == 0 && !c, "no key file: no encryption");
	fd = open(bad, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "0123456789", 10) == 10 && close(fd) == 0, "a 10-byte file");
	rc = bk_crypt_load(bad, &c, &err);
	ok(rc < 0 && !c && err && strstr(err->msg, "exactly 32 bytes"), "is no key: %s", err ? err->msg : "(loaded)");
	cc_error_free(err);
}

static void test_ids(void)
{
	struct bk_crypt *a = new_key("ida"), *b = new_key("idb");
	unsigned char x[32], y[32], z[32], plain[32];

	bk_crypt_object_id(a, "chunk", 5, x);
	bk_crypt_object_id(NULL, "chunk", 5, plain);
	bk_crypt_object_id(a, "chunk", 5, y);
	ok(!memcmp(x, y, 32), "a keyed id is a function of the content (dedup still works)");
	bk_crypt_object_id(b, "chunk", 5, z);
	ok(memcmp(x, z, 32), "another key, another id");
	hash_sha256("chunk", 5, y);
	ok(!memcmp(plain, y, 32) && memcmp(x, plain, 32), "no key: the SHA-256; a key hides it");
	bk_crypt_free(a);
	bk_crypt_free(b);
}

static void test_seal(void)
{
	struct bk_crypt *a = new_key("sa"), *b = new_key("sb");
	const char text[] = "the content of one chunk, or a tree";
	struct cc_error *err = NULL;
	unsigned char *s = NULL, *copy;
	void *out = NULL;
	size_t slen = 0, olen = 0, i, failures = 0;
	int rc;

	rc = bk_crypt_seal(a, "id1", 3, text, sizeof(text), (void **)&s, &slen, NULL);
	ok(rc == 0 && slen == sizeof(text) + BK_SEAL_OVERHEAD, "sealed: %zu bytes for %zu", slen, sizeof(text));
	ok(!memmem(s, slen, "content", 7), "the plaintext does not show");
	ok(bk_crypt_open(a, "id1", 3, s, slen, &out, &olen, NULL) == 0 && olen == sizeof(text) &&
		   !memcmp(out, text, olen),
	   "round trip");
	free(out);
	copy = xmalloc(slen);
	for (i = 0; i < slen * 8; i++) { /* every bit of header, nonce, ciphertext, tag */
		memcpy(copy, s, slen);
		copy[i / 8] ^= (unsigned char)(1 << (i % 8));
		if (bk_crypt_open(a, "id1", 3, copy, slen, &out, &olen, NULL) < 0 && !out)
			failures++;
		else
			free(out);
	}
	ok(failures == slen * 8, "each of the %zu single-bit changes is refused", slen * 8);
	for (i = 0, failures = 0; i < slen; i++)
		failures += bk_crypt_open(a, "id1", 3, s, i, &out, &olen, NULL) < 0 && !out;
	is_int(failures, slen, "truncated at every length: refused");
	rc = bk_crypt_open(a, "id1", 3, s, 10, &out, &olen, &err);
	ok(rc < 0 && strstr(err->msg, "truncated"), "and said so: %s", err ? err->msg : "");
	cc_error_free(err);
	err = NULL;
	rc = bk_crypt_open(b, "id1", 3, s, slen, &out, &olen, &err);
	ok(rc < 0 && !out && strstr(err->msg, "authentication"), "another key: refused (%s)",
	   err ? err->msg : "opened");
	cc_error_free(err);
	ok(bk_crypt_open(a, "id2", 3, s, slen, &out, &olen, NULL) < 0, "under another name (a moved object): refused");
	free(s);
	ok(bk_crypt_seal(a, "e", 1, "", 0, (void **)&s, &slen, NULL) == 0 &&
		   bk_crypt_open(a, "e", 1, s, slen, &out, &olen, NULL) == 0 && olen == 0,
	   "an empty object round-trips");
	free(out);
	free(s);
	free(copy);
	bk_crypt_free(a);
	bk_crypt_free(b);
}

/* The path of the one regular file below dir/sub (objects or snapshots). */
static char *first_file(const char *dir, const char *sub)
{
	cleanup_free char *cmd = xasprintf("find '%s/%s' -type f | head -n 1", dir, sub);
	char line[4096] = "";
	FILE *f = popen(cmd, "r");

	if (!f || !fgets(line, sizeof(line), f))
		abort();
	pclose(f);
	line[strcspn(line, "\n")] = 0;
	return xstrdup(line);
}

static void test_repo(void)
{
	cleanup_free char *dir = path_join(tmp, "repo"), *key = path_join(tmp, "rk"), *other = path_join(tmp, "ro");
	cleanup_free char *obj = NULL, *man = NULL, *text = NULL;
	struct bk_snapshot s = { .name = "t", .source = "path:/t" }, *v = NULL;
	struct bk_crypt *c;
	struct cc_error *err = NULL;
	struct bk_repo r;
	unsigned char id[32];
	void *data = NULL;
	size_t len = 0, n = 0;
	int fd, rc;

	if (bk_crypt_init_key(key, NULL) < 0 || bk_crypt_init_key(other, NULL) < 0 || bk_crypt_load(key, &c, NULL) < 0)
		abort();
	bk_crypt_object_id(c, "secret data", 11, id);
	memcpy(s.tree, id, 32);
	bk_snapshot_set_id(&s);
	ok(bk_repo_open_keyed(&r, dir, 1, key, NULL) == 0 && bk_repo_put(&r, id, "secret data", 11, NULL, NULL) == 1 &&
		   bk_repo_commit(&r, &s, NULL) == 0,
	   "an encrypted repository: an object and a snapshot committed");
	bk_repo_close(&r);
	obj = first_file(dir, "objects");
	man = first_file(dir, "snapshots");
	ok(read_file_max(obj, 1024, &text, &len, NULL) == 0 && len == 11 + BK_SEAL_OVERHEAD &&
		   !memmem(text, len, "secret", 6),
	   "the object is sealed on disk");
	free(text);
	text = NULL;
	ok(read_file_max(man, 4096, &text, &len, NULL) == 0 && !memmem(text, len, "path:/t", 7),
	   "so is the snapshot manifest");
	ok(bk_repo_open_keyed(&r, dir, 0, key, NULL) == 0 && bk_repo_snapshots(&r, "t", &v, &n, NULL) == 0 && n == 1 &&
		   !strcmp(v[0].source, "path:/t") && bk_repo_get(&r, id, &data, &len, NULL) == 0 && len == 11 &&
		   !memcmp(data, "secret data", 11),
	   "read back with the key");
	free(data);
	bk_snapshots_free(v, n);
	bk_repo_close(&r);
	rc = bk_repo_open_read(&r, dir, &err);
	ok(rc < 0 && strstr(err->msg, "is encrypted"), "no key: refused (%s)", err ? err->msg : "opened");
	bk_repo_close(&r);
	cc_error_free(err);
	err = NULL;
	rc = bk_repo_open_keyed(&r, dir, 1, other, &err);
	ok(rc < 0 && strstr(err->msg, "another key"), "another key: refused up front (%s)", err ? err->msg : "opened");
	bk_repo_close(&r);
	cc_error_free(err);
	err = NULL;
	chmod(obj, 0644);
	fd = open(obj, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "X", 1, 20) == 1 && close(fd) == 0, "one byte of the object changed");
	rc = bk_repo_open_keyed(&r, dir, 0, key, NULL) == 0 ? bk_repo_get(&r, id, &data, &len, &err) : 0;
	ok(rc < 0 && !data && strstr(err->msg, "corrupt"), "is an error naming it: %s", err ? err->msg : "(read)");
	bk_repo_close(&r);
	cc_error_free(err);
	bk_crypt_free(c);
}

int main(void)
{
	cleanup_free char *cmd = NULL;

	if (!mkdtemp(tmp))
		abort();
	test_key_file();
	test_ids();
	test_seal();
	test_repo();
	cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd))
		printf("# could not remove %s\n", tmp);
	return done_testing();
}
