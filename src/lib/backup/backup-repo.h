/* backup-repo: one backup repository on disk (a destination directory):
 * content-addressed objects, snapshot manifests, a lock.  The format is
 * specified at the top of backup-repo.c and in docs/technical/backup.md. */
#ifndef CC_BACKUP_REPO_H
#define CC_BACKUP_REPO_H

#include "cancel.h"

#include <stddef.h>
#include <stdint.h>

struct bk_codec;
struct bk_crypt;
struct cc_error;
struct bk_snapshot;

#define BK_ID_LEN 32 /* SHA-256 */

struct bk_repo {
	char *dir;		/* owned */
	int lockfd;		/* holds the flock; -1 when closed */
	int dirfd;		/* the repository directory */
	struct bk_crypt *crypt; /* its keys, owned; NULL: not encrypted */
	int version;		/* its format: 1 (plain objects only) or 2 (some compressed) */
	struct bk_codec *codec; /* owned: how objects are compressed when written */
	char *lock_note;	/* owned, or NULL: how taking the lock went (backup-lock.h) */
};

/* How bk_repo_open_opts opens a repository.  A format-1 repository
 * opened to write with a zlevel becomes format 2 (backup-repo.c). */
struct bk_repo_opts {
	int write;		  /* take the lock, create what is missing */
	const char *key_file;	  /* encrypt: key, or NULL */
	int zlevel;		  /* zstd level for what is written (0: plain; else format 2) */
	long lock_wait_ms;	  /* write: wait this long for another holder of the lock */
	const atomic_int *cancel; /* stops that wait; may be NULL */
};

/* Open (creating it when absent) the repository at dir and take its lock
 * (backup-lock.h: an flock, released by the kernel when the process dies,
 * so never stale); what a killed run left in tmp/ is removed.  Another
 * process holding the lock is an error naming it (bk_repo_open_opts can
 * wait).  0 or -1; close with bk_repo_close either way. */
int bk_repo_open(struct bk_repo *r, const char *dir, struct cc_error **err);
/* Open an existing repository for reading only (no lock, nothing
 * created or removed); 0 or -1. */
int bk_repo_open_read(struct bk_repo *r, const char *dir, struct cc_error **err);
/* Open as bk_repo_open (write set) or bk_repo_open_read, with the key in
 * key_file (NULL: none).  The repository's config (REPO/config) must
 * agree: an encrypted repository without its key, a plain one with a key
 * or one encrypted under another key is an error saying which, before
 * anything is read or written.  A new repository records whether it is
 * encrypted (and the key check) in its config. */
int bk_repo_open_keyed(struct bk_repo *r, const char *dir, int write, const char *key_file, struct cc_error **err);
/* Open as o says (bk_repo_open_keyed with a compression level);
 * 0 or -1, close with bk_repo_close either way. */
int bk_repo_open_opts(struct bk_repo *r, const char *dir, const struct bk_repo_opts *o, struct cc_error **err);
void bk_repo_close(struct bk_repo *r);
/* 1 when object id is stored (or written by this run, in tmp/), else 0. */
int bk_repo_has(const struct bk_repo *r, const unsigned char id[BK_ID_LEN]);
/* Store data as object id (bk_crypt_object_id of it under r->crypt, the
 * caller's) in tmp/ unless the repository has it, compressed when that
 * is smaller (r->codec), then sealed when r is encrypted: 1 written (its
 * size on disk into *stored, which may be NULL), 0 present already, -1
 * error. */
int bk_repo_put(struct bk_repo *r, const unsigned char id[BK_ID_LEN], const void *data, size_t len, uint64_t *stored,
		struct cc_error **err);
/* Read object id into *data (caller frees; opened when r is encrypted,
 * decompressed when stored compressed) and check its id: -1 with "object
 * HEX missing" or "object HEX corrupt: WHY" when it is not intact. */
int bk_repo_get(const struct bk_repo *r, const unsigned char id[BK_ID_LEN], void **data, size_t *len,
		struct cc_error **err);
/* Make this run's objects durable (syncfs, rename into objects/, syncfs),
 * then write snapshot s's manifest atomically: only now does s exist. */
int bk_repo_commit(struct bk_repo *r, const struct bk_snapshot *s, struct cc_error **err);
/* Drop this run's uncommitted objects (tmp/). */
void bk_repo_discard(struct bk_repo *r);
/* The snapshots of backup name (all names when NULL), oldest first, into
 * *out (caller frees with bk_snapshots_free).  An unreadable manifest is
 * an error naming it. */
int bk_repo_snapshots(const struct bk_repo *r, const char *name, struct bk_snapshot **out, size_t *n,
		      struct cc_error **err);
/* Remove snapshot s's manifest (its objects stay until bk_repo_gc). */
int bk_repo_forget(struct bk_repo *r, const struct bk_snapshot *s, struct cc_error **err);
/* Call fn for every committed object (id, size); stops at fn's first
 * non-zero return, which it returns; -1 with err when objects/ cannot be
 * read. */
int bk_repo_each_object(const struct bk_repo *r,
			int (*fn)(const unsigned char id[BK_ID_LEN], uint64_t size, void *data), void *data,
			struct cc_error **err);
/* Remove committed object id (garbage collection); 0 or -1. */
int bk_repo_remove_object(struct bk_repo *r, const unsigned char id[BK_ID_LEN], struct cc_error **err);
/* The path of object id (caller frees; HEX.zst when it is stored
 * compressed); for messages and tests. */
char *bk_repo_object_path(const struct bk_repo *r, const unsigned char id[BK_ID_LEN]);

#endif
