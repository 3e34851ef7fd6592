/* backup-crypt: the encryption of a backup repository (`encrypt:
 * {key_file: PATH}`): a key file of 32 random bytes, object ids keyed
 * with it, and AES-256-GCM sealing of every object and snapshot
 * manifest.  The sealed format and why the ids are keyed: the top of
 * backup-crypt.c. */
#ifndef CC_BACKUP_CRYPT_H
#define CC_BACKUP_CRYPT_H

#include <stddef.h>

struct cc_error;

#define BK_KEY_LEN 32	    /* a key file holds exactly this many bytes */
#define BK_SEAL_OVERHEAD 32 /* a sealed object is this much longer than its plaintext */

/* The keys derived from one key file; wipe with bk_crypt_free. */
struct bk_crypt {
	unsigned char enc[32];	 /* AES-256-GCM */
	unsigned char id[32];	 /* HMAC-SHA256 of object contents */
	unsigned char check[32]; /* recorded in a repository's config to recognise the key */
};

/* Write a new key file at path (32 bytes from the OpenSSL CSPRNG, mode
 * 0600, created exclusively: an existing file is an error, never
 * overwritten; missing parent directories are made with mode 0700); 0 or
 * -1. */
int bk_crypt_init_key(const char *path, struct cc_error **err);
/* Load key file path into *out (caller frees with bk_crypt_free); with
 * path NULL, *out is NULL (no encryption) and 0 is returned.  A file that
 * is not exactly 32 bytes is an error naming it. */
int bk_crypt_load(const char *path, struct bk_crypt **out, struct cc_error **err);
/* Wipe and free c (may be NULL). */
void bk_crypt_free(struct bk_crypt *c);
/* A copy of c (NULL for NULL); caller frees with bk_crypt_free. */
struct bk_crypt *bk_crypt_dup(const struct bk_crypt *c);
/* The id of an object of content data: HMAC-SHA256 under c's id key, or
 * the plain SHA-256 when c is NULL (an unencrypted repository). */
void bk_crypt_object_id(const struct bk_crypt *c, const void *data, size_t len, unsigned char id[32]);
/* The key check of c as 64 hex digits into out (a repository records it;
 * it tells keys apart and reveals nothing of them). */
void bk_crypt_check_hex(const struct bk_crypt *c, char out[65]);
/* Seal plain (len bytes) bound to label (alen bytes: an object's id, a
 * snapshot's name) with a fresh random nonce into *out (caller frees),
 * *olen = len + BK_SEAL_OVERHEAD; 0 or -1. */
int bk_crypt_seal(const struct bk_crypt *c, const void *label, size_t alen, const void *plain, size_t len, void **out,
		  size_t *olen, struct cc_error **err);
/* Open what bk_crypt_seal made of label into *out (caller frees, NUL
 * terminated for text), *olen its length.  Truncated data, another
 * format, a changed byte, another label or another key: -1 with err
 * saying which (never unauthenticated bytes). */
int bk_crypt_open(const struct bk_crypt *c, const void *label, size_t alen, const void *sealed, size_t len, void **out,
		  size_t *olen, struct cc_error **err);

#endif
