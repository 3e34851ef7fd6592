/* backup-crypt: keys, keyed ids and sealing (backup-crypt.h).
 *
 * KEYS.  A key file is 32 bytes from the CSPRNG (RAND_bytes), nothing
 * else.  Three keys are derived from it, each HMAC-SHA256(file bytes,
 * "ccbuild-backup-1 " LABEL) with LABEL "encryption", "object-id" and
 * "key-check", so no key is used for two purposes.
 *
 * IDS.  An encrypted repository names an object by HMAC-SHA256(id key,
 * plaintext), not by its SHA-256.  It is still a function of the content
 * alone, so everything content addressing gives stays: the same chunk is
 * stored once, an unchanged directory is the same tree object, equal root
 * ids mean equal content, and every destination of one backup (one key)
 * holds the same snapshot under the same names.  But without the key
 * nobody can compute an id: a plain SHA-256 name would let whoever holds
 * the offsite copy confirm that a file they know (a leaked document, one
 * of a few guessable configurations) is in the backup, and link equal
 * data across repositories; a keyed name tells them only which objects
 * are equal to each other.  The plaintext SHA-256 of each file lives in
 * the tree objects, which are sealed like everything else.
 *
 * SEALED FORMAT of an object and of a snapshot manifest:
 *   "ccE1"  NONCE (12 bytes)  CIPHERTEXT (as long as the plaintext)  TAG (16)
 * AES-256-GCM under the encryption key, the nonce fresh from RAND_bytes
 * for every write (at 2^32 writes per key the chance that two nonces
 * collide stays below 2^-32, NIST SP 800-38D's bound), the additional
 * authenticated data "ccE1" and the object's label: its id for an object,
 * "snapshot NAME/ID" for a manifest.  So a changed byte, a truncated file,
 * another key, and a valid sealed object moved under another name all fail
 * the tag check; the reader then also checks the plaintext against its
 * keyed id (backup-repo.c).  The repository's config records the key
 * check (HMAC of a fixed label) so another key is refused before anything
 * is read or written. */
#include "backup-crypt.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "ccE1"
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN 16

/* Create the missing directories above path, mode 0700 (a key's home). */
static int make_parents(const char *path, struct cc_error **err)
{
	cleanup_free char *p = xstrdup(path);
	char *s;

	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return cc_error_set(err, "%s: %s", p, strerror(errno));
		*s = '/';
	}
	return 0;
}

int bk_crypt_init_key(const char *path, struct cc_error **err)
{
	unsigned char key[BK_KEY_LEN];
	int fd, bad;

	if (make_parents(path, err) < 0)
		return -1;
	if (RAND_bytes(key, sizeof(key)) != 1)
		return cc_error_set(err, "%s: the random number generator failed", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		return cc_error_set(err, "%s: %s", path,
				    errno == EEXIST ? "exists already (a key is never overwritten: the backups made "
						      "with it could not be read any more)"
						    : strerror(errno));
	}
	bad = fchmod(fd, 0600) < 0 || write_full(fd, key, sizeof(key)) < 0 || fsync(fd) < 0;
	OPENSSL_cleanse(key, sizeof(key));
	if (close(fd) < 0)
		bad = 1;
	if (bad) {
		int e = errno ? errno : EIO;

		unlink(path);
		return cc_error_set(err, "writing %s: %s", path, strerror(e));
	}
	return 0;
}

static void derive(const unsigned char *master, const char *label, unsigned char out[32])
{
	cleanup_free char *info = xasprintf("ccbuild-backup-1 %s", label);
	unsigned int n = 32;

	if (!HMAC(EVP_sha256(), master, BK_KEY_LEN, (const unsigned char *)info, strlen(info), out, &n))
		BUG("HMAC-SHA256 failed");
}

int bk_crypt_load(const char *path, struct bk_crypt **out, struct cc_error **err)
{
	unsigned char master[BK_KEY_LEN + 1];
	cleanup_close int fd = -1;
	ssize_t n;
	size_t have = 0;

	*out = NULL;
	if (!path)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cc_error_set(err, "key_file %s: %s", path, strerror(errno));
	while (have < sizeof(master) && (n = read(fd, master + have, sizeof(master) - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cc_error_set(err, "key_file %s: %s", path, strerror(errno));
		have += (size_t)n;
	}
	if (have != BK_KEY_LEN) {
		OPENSSL_cleanse(master, sizeof(master));
		return cc_error_set(err,
				    "key_file %s: a key is exactly %d bytes (ccbuild backup init-key writes one); "
				    "this file has %s%zu",
				    path, BK_KEY_LEN, have > BK_KEY_LEN ? "more than " : "",
				    have > BK_KEY_LEN ? BK_KEY_LEN : have);
	}
	*out = xcalloc(1, sizeof(**out));
	derive(master, "encryption", (*out)->enc);
	derive(master, "object-id", (*out)->id);
	derive(master, "key-check", (*out)->check);
	OPENSSL_cleanse(master, sizeof(master));
	return 0;
}

void bk_crypt_free(struct bk_crypt *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

struct bk_crypt *bk_crypt_dup(const struct bk_crypt *c)
{
	struct bk_crypt *d;

	if (!c)
		return NULL;
	d = xmalloc(sizeof(*d));
	memcpy(d, c, sizeof(*d));
	return d;
}

void bk_crypt_object_id(const struct bk_crypt *c, const void *data, size_t len, unsigned char id[32])
{
	unsigned int n = 32;

	if (!c)
		hash_sha256(data, len, id);
	else if (!HMAC(EVP_sha256(), c->id, sizeof(c->id), data, len, id, &n))
		BUG("HMAC-SHA256 failed");
}

void bk_crypt_check_hex(const struct bk_crypt *c, char out[65])
{
	hash_hex(c->check, out);
}

/* Feed the additional authenticated data: the magic, then the label. */
static int add_aad(EVP_CIPHER_CTX *x, const void *label, size_t alen)
{
	int n;

	return EVP_CipherUpdate(x, NULL, &n, (const unsigned char *)MAGIC, MAGIC_LEN) == 1 &&
	       (!alen || EVP_CipherUpdate(x, NULL, &n, label, (int)alen) == 1);
}

int bk_crypt_seal(const struct bk_crypt *c, const void *label, size_t alen, const void *plain, size_t len, void **out,
		  size_t *olen, struct cc_error **err)
{
	EVP_CIPHER_CTX *x;
	unsigned char *buf, *nonce, *ct;
	int n = 0, ok;

	*out = NULL;
	if (len > (1u << 30) || alen > (1u << 20))
		return cc_error_set(err, "encrypting: %zu bytes is more than one object may hold", len);
	buf = xmalloc(len + BK_SEAL_OVERHEAD);
	memcpy(buf, MAGIC, MAGIC_LEN);
	nonce = buf + MAGIC_LEN;
	ct = nonce + NONCE_LEN;
	if (RAND_bytes(nonce, NONCE_LEN) != 1 || !(x = EVP_CIPHER_CTX_new())) {
		free(buf);
		return cc_error_set(err, "encrypting: the random number generator failed");
	}
	ok = EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	     EVP_EncryptInit_ex(x, NULL, NULL, c->enc, nonce) == 1 && add_aad(x, label, alen) &&
	     (!len || EVP_EncryptUpdate(x, ct, &n, plain, (int)len) == 1) && EVP_EncryptFinal_ex(x, ct + n, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + len) == 1;
	EVP_CIPHER_CTX_free(x);
	if (!ok) {
		free(buf);
		return cc_error_set(err, "encrypting: OpenSSL's AES-256-GCM failed");
	}
	*out = buf;
	*olen = len + BK_SEAL_OVERHEAD;
	return 0;
}

int bk_crypt_open(const struct bk_crypt *c, const void *label, size_t alen, const void *sealed, size_t len, void **out,
		  size_t *olen, struct cc_error **err)
{
	const unsigned char *s = sealed, *nonce = s + MAGIC_LEN, *ct = nonce + NONCE_LEN;
	size_t plen = len >= BK_SEAL_OVERHEAD ? len - BK_SEAL_OVERHEAD : 0;
	EVP_CIPHER_CTX *x;
	unsigned char *buf;
	int n = 0, ok;

	*out = NULL;
	if (len < BK_SEAL_OVERHEAD)
		return cc_error_set(err, "truncated: %zu bytes, an encrypted object has at least %d", len,
				    BK_SEAL_OVERHEAD);
	if (memcmp(s, MAGIC, MAGIC_LEN))
		return cc_error_set(err, "not encrypted by ccbuild (it does not start with \"" MAGIC "\")");
	if (plen > (1u << 30) || !(x = EVP_CIPHER_CTX_new()))
		return cc_error_set(err, "%zu bytes is more than one object may hold", len);
	buf = xmalloc(plen + 1);
	ok = EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	     EVP_DecryptInit_ex(x, NULL, NULL, c->enc, nonce) == 1 && add_aad(x, label, alen) &&
	     (!plen || EVP_DecryptUpdate(x, buf, &n, ct, (int)plen) == 1) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(ct + plen)) == 1 &&
	     EVP_DecryptFinal_ex(x, buf + n, &n) == 1;
	EVP_CIPHER_CTX_free(x);
	if (!ok) {
		OPENSSL_cleanse(buf, plen);
		free(buf);
		return cc_error_set(err, "authentication failed: bytes were changed, or it was sealed under another "
					 "name or key");
	}
	buf[plen] = 0;
	*out = buf;
	*olen = plen;
	return 0;
}
