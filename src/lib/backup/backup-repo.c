/* backup-repo: a backup repository on disk (backup-repo.h).
 *
 * FORMAT (version 2; docs/technical/backup.md says why):
 *
 *   REPO/CCBUILD-BACKUP          "ccbuild backup repository 2\n" (1: no
 *                                object is compressed)
 *   REPO/config                  {"ccbuild_repository": 2, "encryption":
 *                                "none"} or "aes-256-gcm" with "ids":
 *                                "hmac-sha256" and "key_check": "HEX"
 *                                (written before the marker; a repository
 *                                without one is not encrypted)
 *   REPO/lock                    flock(2)ed by the one process writing,
 *                                with its record (backup-lock.c)
 *   REPO/objects/HH/HEX          an object: bytes whose SHA-256 is HEX (64
 *                                lower-case hex digits; HH its first two)
 *   REPO/objects/HH/HEX.zst      (format 2) an object stored as one zstd
 *                                frame, with its content size, of the bytes
 *                                whose SHA-256 is HEX
 *   REPO/tmp/HEX[.zst]           objects of a run not yet committed
 *   REPO/snapshots/NAME/ID.json  a snapshot manifest (NAME: the backup)
 *
 * Objects are immutable and never rewritten.  There are two kinds, told
 * apart only by who refers to them: a chunk is up to 1 MiB of a file's
 * content (a file of S bytes is ceil(S / 1 MiB) chunks, cut at fixed
 * offsets); a tree is one directory's listing (JSON, backup-tree.c).
 * Unchanged data is never stored twice: a chunk or tree already present
 * is not written again, in this snapshot or any other of any backup.
 *
 * A snapshot manifest is a JSON object:
 *   {"ccbuild_snapshot": 1, "id": "16 hex", "name": "pgdata",
 *    "source": "volume:pgdata", "time": "2026-12-01T12:00:00Z",
 *    "tree": "HEX of the root tree", "files": N, "bytes": N, "new_bytes": N}
 * id is the first 16 hex digits of the SHA-256 of "ccbuild-snapshot\n" NAME
 * "\n" SOURCE "\n" TIME "\n" TREE, so every destination of one run holds
 * the same snapshot under the same id.
 *
 * Compression (format 2): an object or manifest is written compressed
 * only when the frame is smaller than its bytes, so incompressible data
 * costs nothing; the name says which (an object's id is always that of
 * its uncompressed bytes, so dedup and verification do not change).  A
 * manifest keeps its name; its bytes are a zstd frame (magic 28 b5 2f fd)
 * or JSON ('{'), never ambiguous.  A format-1 repository is made format 2
 * by the first run that writes to it with compression on (config, then
 * marker); its old objects are read as they are.  ccbuild of format 1
 * refuses a format-2 repository by its marker; this one refuses a format
 * above 2 by its marker or config, naming both.
 *
 * A snapshot exists only when complete.  A run writes its new objects to
 * tmp/ (not fsynced one by one), then commits: syncfs(2) makes their
 * contents durable, each is renamed into objects/, a second syncfs makes
 * the renames durable, and only then is the manifest written (a unique
 * temporary file, fsync, rename, fsync of the directory).  A run killed at
 * any instant leaves every earlier snapshot as it was: its tmp/ is removed
 * by the next run (under the lock), and objects it committed without a
 * manifest are unreferenced and removed by the next garbage collection.
 * An object in objects/ always has its full contents, so "present" can
 * be trusted by later runs.
 *
 * An encrypted repository (backup-crypt.c) has the same layout; its HEX
 * are keyed ids (HMAC-SHA256 of the content) and every object and
 * manifest file holds the content (compressed first, when it is) sealed
 * with AES-256-GCM.  The config
 * decides, once, when the repository is made: plain and encrypted
 * backups, or two keys, never share one repository, so an id always
 * means one content under one key. */
#include "backup-repo.h"
#include "atomicfile.h"
#include "backup-codec.h"
#include "backup-crypt.h"
#include "backup-lock.h"
#include "backup-snapshot.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_PREFIX "ccbuild backup repository "
#define FORMAT_MAX 2 /* the newest format this ccbuild reads and writes */
#define OBJECT_MAX (64u << 20)
#define MANIFEST_MAX (1u << 20)

static int mkdir_at(int dirfd, const char *name, struct cc_error **err, const char *repo)
{
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, "%s/%s: %s", repo, name, strerror(errno));
	return 0;
}

static int mkdir_p(const char *dir, struct cc_error **err)
{
	cleanup_free char *p = xstrdup(dir);
	char *s;

	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return cc_error_set(err, "%s: %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, "%s: %s", p, strerror(errno));
	return 0;
}

/* Remove every file of REPO/tmp (what a killed run left). */
static void clear_tmp(struct bk_repo *r)
{
	int fd = openat(r->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/* REPO/config for r->crypt, written before the marker of a new repository. */
static int config_write(struct bk_repo *r, struct cc_error **err)
{
	cleanup_free char *path = path_join(r->dir, "config"), *text = NULL;
	char check[65];
	json_t *j;

	if (r->crypt) {
		bk_crypt_check_hex(r->crypt, check);
		j = json_pack("{s:i, s:s, s:s, s:s}", "ccbuild_repository", r->version, "encryption", "aes-256-gcm",
			      "ids", "hmac-sha256", "key_check", check);
	} else
		j = json_pack("{s:i, s:s}", "ccbuild_repository", r->version, "encryption", "none");
	if (!j || !(text = json_dumps(j, JSON_INDENT(2))))
		BUG("out of memory");
	json_decref(j);
	return atomicfile_write(path, text, strlen(text), err);
}

/* Does REPO/config agree with r->crypt? */
static int config_check(struct bk_repo *r, struct cc_error **err)
{
	cleanup_free char *path = path_join(r->dir, "config"), *text = NULL;
	const char *enc = NULL, *check = NULL;
	char mine[65];
	json_t *j = NULL;
	json_int_t version = 1;
	size_t len;
	int rc = 0;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		enc = "none"; /* made before repositories had a config */
	else if (read_file_max(path, 4096, &text, &len, err) < 0)
		return -1;
	else if (!(j = json_loadb(text, len, 0, NULL)) ||
		 json_unpack(j, "{s:s, s?s, s?I}", "encryption", &enc, "key_check", &check, "ccbuild_repository",
			     &version) < 0 ||
		 (strcmp(enc, "none") && (strcmp(enc, "aes-256-gcm") || !check))) {
		json_decref(j);
		return cc_error_set(err, "%s: not a repository config this ccbuild reads", path);
	}
	if (r->crypt)
		bk_crypt_check_hex(r->crypt, mine);
	if (version > FORMAT_MAX)
		rc = cc_error_set(err,
				  "%s: repository format %lld (its config) is newer than this ccbuild reads (1 to %d); "
				  "use a newer ccbuild",
				  r->dir, (long long)version, FORMAT_MAX);
	else if (!strcmp(enc, "none") && r->crypt)
		rc = cc_error_set(err,
				  "%s: the repository is not encrypted, and this backup is (encrypt:); an "
				  "encrypted backup needs a repository of its own",
				  r->dir);
	else if (strcmp(enc, "none") && !r->crypt)
		rc = cc_error_set(err,
				  "%s: the repository is encrypted (%s); this backup has no encrypt: {key_file: "
				  "...} to read it with",
				  r->dir, enc);
	else if (r->crypt && strcmp(check, mine))
		rc = cc_error_set(err,
				  "%s: the repository is encrypted under another key (its key check begins "
				  "%.12s, this key_file's %.12s)",
				  r->dir, check, mine);
	json_decref(j);
	return rc;
}

static int write_marker(struct bk_repo *r, struct cc_error **err)
{
	cleanup_free char *path = path_join(r->dir, "CCBUILD-BACKUP");
	char text[64];

	snprintf(text, sizeof(text), MARKER_PREFIX "%d\n", r->version);
	return atomicfile_write(path, text, strlen(text), err);
}

/* r->version from REPO/CCBUILD-BACKUP; a new repository (create) gets
 * its config and marker of format r->version. */
static int check_marker(struct bk_repo *r, int create, struct cc_error **err)
{
	char buf[64], nl = 0;
	ssize_t n;
	int fd = openat(r->dirfd, "CCBUILD-BACKUP", O_RDONLY | O_CLOEXEC), v = 0;

	if (fd < 0 && errno == ENOENT && create)
		return config_write(r, err) < 0 ? -1 : write_marker(r, err);
	if (fd < 0)
		return cc_error_set(err, "%s: not a ccbuild backup repository (%s)", r->dir, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (!str_has_prefix(buf, MARKER_PREFIX) || sscanf(buf + strlen(MARKER_PREFIX), "%3d%c", &v, &nl) != 2 ||
	    nl != '\n' || v < 1)
		return cc_error_set(err, "%s: not a ccbuild backup repository (CCBUILD-BACKUP says '%.*s')", r->dir,
				    (int)strcspn(buf, "\n"), buf);
	if (v > FORMAT_MAX)
		return cc_error_set(err,
				    "%s: repository format %d is newer than this ccbuild reads (1 to %d); use a "
				    "newer ccbuild",
				    r->dir, v, FORMAT_MAX);
	r->version = v;
	return 0;
}

/* Format 1 to 2, before the first compressed object: the config first
 * (a format-1 ccbuild ignores its number), then the marker it checks. */
static int upgrade(struct bk_repo *r, struct cc_error **err)
{
	r->version = 2;
	return config_write(r, err) < 0 ? -1 : write_marker(r, err);
}

static int repo_open(struct bk_repo *r, const char *dir, const struct bk_repo_opts *o, struct cc_error **err)
{
	struct bk_crypt *keys = r->crypt; /* set by the caller, owned from here on */

	r->dir = xstrdup(dir);
	r->lockfd = -1;
	r->dirfd = -1;
	r->crypt = keys;
	r->version = o->zlevel ? 2 : 1; /* a new repository */
	r->codec = bk_codec_new(o->zlevel);
	if (o->write && mkdir_p(dir, err) < 0)
		return -1;
	if ((r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cc_error_set(err, "%s: %s", dir, strerror(errno));
	if (!o->write)
		return check_marker(r, 0, err) < 0 ? -1 : config_check(r, err);
	if ((r->lockfd = bk_lock_take(r->dirfd, dir, o->lock_wait_ms, o->cancel, &r->lock_note, err)) < 0)
		return -1;
	if (check_marker(r, 1, err) < 0 || config_check(r, err) < 0 ||
	    (o->zlevel && r->version < 2 && upgrade(r, err) < 0) || mkdir_at(r->dirfd, "objects", err, dir) < 0 ||
	    mkdir_at(r->dirfd, "tmp", err, dir) < 0 || mkdir_at(r->dirfd, "snapshots", err, dir) < 0)
		return -1;
	clear_tmp(r);
	return 0;
}

int bk_repo_open(struct bk_repo *r, const char *dir, struct cc_error **err)
{
	struct bk_repo_opts o = { .write = 1 };

	return bk_repo_open_opts(r, dir, &o, err);
}

int bk_repo_open_read(struct bk_repo *r, const char *dir, struct cc_error **err)
{
	struct bk_repo_opts o = { 0 };

	return bk_repo_open_opts(r, dir, &o, err);
}

int bk_repo_open_keyed(struct bk_repo *r, const char *dir, int write, const char *key_file, struct cc_error **err)
{
	struct bk_repo_opts o = { .write = write, .key_file = key_file };

	return bk_repo_open_opts(r, dir, &o, err);
}

int bk_repo_open_opts(struct bk_repo *r, const char *dir, const struct bk_repo_opts *o, struct cc_error **err)
{
	r->lockfd = r->dirfd = -1;
	r->dir = NULL;
	r->codec = NULL;
	r->lock_note = NULL;
	if (bk_crypt_load(o->key_file, &r->crypt, err) < 0)
		return -1;
	return repo_open(r, dir, o, err);
}

void bk_repo_close(struct bk_repo *r)
{
	bk_lock_release(r->lockfd);
	free(r->lock_note);
	r->lock_note = NULL;
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->dir);
	bk_crypt_free(r->crypt);
	bk_codec_free(r->codec);
	r->dir = NULL;
	r->crypt = NULL;
	r->codec = NULL;
	r->lockfd = r->dirfd = -1;
}

/* "objects/HH/HEX" and, with z, ".zst" (out: at least 80 bytes). */
static void object_rel(const unsigned char id[BK_ID_LEN], int z, char out[80])
{
	char hex[65];

	bk_id_hex(id, hex);
	snprintf(out, 80, "objects/%.2s/%s%s", hex, hex, z ? ".zst" : "");
}

/* Where object id is: 1 plain, 2 compressed (format 2 only), 0 absent;
 * in objects/, or in tmp/ too when tmp is set. */
static int object_where(const struct bk_repo *r, const unsigned char id[BK_ID_LEN], int tmp)
{
	char rel[80], hex[65], t[80];
	struct stat st;
	int z;

	for (z = 0; z < (r->version >= 2 ? 2 : 1); z++) {
		object_rel(id, z, rel);
		if (fstatat(r->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return 1 + z;
		bk_id_hex(id, hex);
		snprintf(t, sizeof(t), "tmp/%s%s", hex, z ? ".zst" : "");
		if (tmp && fstatat(r->dirfd, t, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return 1 + z;
	}
	return 0;
}

/* An object's file name ("HEX" or "HEX.zst") into id and *z; 0 or -1. */
static int object_name_parse(const char *name, unsigned char id[BK_ID_LEN], int *z)
{
	char hex[65];
	size_t len = strlen(name);

	*z = len == 68 && !strcmp(name + 64, ".zst");
	if (len != 64 && !*z)
		return -1;
	memcpy(hex, name, 64);
	hex[64] = 0;
	return bk_id_parse(hex, id);
}

char *bk_repo_object_path(const struct bk_repo *r, const unsigned char id[BK_ID_LEN])
{
	char rel[80];

	object_rel(id, object_where(r, id, 0) == 2, rel);
	return path_join(r->dir, rel);
}

int bk_repo_has(const struct bk_repo *r, const unsigned char id[BK_ID_LEN])
{
	return object_where(r, id, 1) != 0;
}

/* data as it goes on disk: compressed when smaller (*z set), then sealed
 * under label; *out is what to write, *owned what to free. */
static int object_encode(struct bk_repo *r, const void *label, size_t alen, const void *data, size_t len,
			 const void **out, size_t *olen, void **owned, int *z, struct cc_error **err)
{
	void *packed = NULL;
	size_t plen;

	*owned = NULL;
	if ((*z = bk_codec_compress(r->codec, data, len, &packed, &plen, err)) < 0)
		return -1;
	if (*z) {
		data = packed;
		len = plen;
	}
	*out = data;
	*olen = len;
	*owned = packed;
	if (!r->crypt)
		return 0;
	if (bk_crypt_seal(r->crypt, label, alen, data, len, owned, olen, err) < 0) {
		free(packed);
		*owned = NULL;
		return -1;
	}
	free(packed);
	*out = *owned;
	return 0;
}

int bk_repo_put(struct bk_repo *r, const unsigned char id[BK_ID_LEN], const void *data, size_t len, uint64_t *stored,
		struct cc_error **err)
{
	cleanup_free void *owned = NULL;
	char hex[65], tmp[80];
	int fd, bad, z;

	if (bk_repo_has(r, id))
		return 0;
	if (object_encode(r, id, BK_ID_LEN, data, len, &data, &len, &owned, &z, err) < 0)
		return -1;
	bk_id_hex(id, hex);
	snprintf(tmp, sizeof(tmp), "tmp/%s%s", hex, z ? ".zst" : "");
	fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return cc_error_set(err, "%s/%s: %s", r->dir, tmp, strerror(errno));
	bad = write_full(fd, data, len) < 0;
	if (close(fd) < 0)
		bad = 1;
	if (bad) {
		int e = errno ? errno : EIO;

		unlinkat(r->dirfd, tmp, 0);
		return cc_error_set(err, "writing %s/%s: %s", r->dir, tmp, strerror(e));
	}
	if (stored)
		*stored = len;
	return 1;
}

/* *buf as read from disk (len bytes) back into the object's bytes: opened
 * when r is encrypted, decompressed when z; *why on failure. */
static int object_decode(const struct bk_repo *r, const void *label, size_t alen, int z, size_t max, char **buf,
			 size_t *len, struct cc_error **why)
{
	void *out = NULL;

	if (r->crypt) {
		int rc = bk_crypt_open(r->crypt, label, alen, *buf, *len, &out, len, why);

		free(*buf);
		*buf = out;
		if (rc < 0)
			return -1;
	}
	if (!z)
		return 0;
	if (bk_codec_decompress(r->codec, *buf, *len, max, &out, len, why) < 0)
		return -1;
	free(*buf);
	*buf = out;
	return 0;
}

int bk_repo_get(const struct bk_repo *r, const unsigned char id[BK_ID_LEN], void **data, size_t *len,
		struct cc_error **err)
{
	int where = object_where(r, id, 0);
	cleanup_free char *path = bk_repo_object_path(r, id);
	struct cc_error *why = NULL;
	unsigned char got[32];
	char hex[65];
	char *buf = NULL;

	bk_id_hex(id, hex);
	*data = NULL;
	if (!where)
		return cc_error_set(err, "object %s missing (%s)", hex, path);
	if (read_file_max(path, OBJECT_MAX + BK_SEAL_OVERHEAD, &buf, len, err) < 0)
		return -1;
	if (object_decode(r, id, BK_ID_LEN, where == 2, OBJECT_MAX, &buf, len, &why) < 0) {
		cc_error_set(err, "object %s corrupt: %s (%s)", hex, why->msg, path);
		cc_error_free(why);
		free(buf);
		return -1;
	}
	bk_crypt_object_id(r->crypt, buf, *len, got);
	if (memcmp(got, id, 32)) {
		free(buf);
		return cc_error_set(err, "object %s corrupt: its content does not hash to its name (%s)", hex, path);
	}
	*data = buf;
	return 0;
}

/* Rename every tmp/HEX[.zst] into objects/HH/. */
static int promote_tmp(struct bk_repo *r, struct cc_error **err)
{
	int fd = openat(r->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	unsigned char id[32];
	DIR *d;
	int rc = 0, z;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return cc_error_set(err, "%s/tmp: %s", r->dir, strerror(errno));
	}
	while (rc == 0 && (de = readdir(d))) {
		char rel[80], sub[12];

		if (object_name_parse(de->d_name, id, &z) < 0)
			continue;
		object_rel(id, z, rel);
		snprintf(sub, sizeof(sub), "objects/%.2s", de->d_name);
		if (mkdir_at(r->dirfd, sub, err, r->dir) < 0)
			rc = -1;
		else if (renameat(fd, de->d_name, r->dirfd, rel) < 0)
			rc = cc_error_set(err, "%s: renaming %s into objects/: %s", r->dir, de->d_name,
					  strerror(errno));
	}
	closedir(d);
	return rc;
}

int bk_repo_commit(struct bk_repo *r, const struct bk_snapshot *s, struct cc_error **err)
{
	cleanup_free char *dir = xasprintf("%s/snapshots/%s", r->dir, s->name);
	cleanup_free char *path = xasprintf("%s/%s.json", dir, s->id);
	cleanup_free char *text = NULL, *label = NULL;
	cleanup_free void *owned = NULL;
	const void *data;
	size_t len;
	int z;

	if (syncfs(r->dirfd) < 0)
		return cc_error_set(err, "%s: syncfs: %s", r->dir, strerror(errno));
	if (promote_tmp(r, err) < 0)
		return -1;
	if (syncfs(r->dirfd) < 0)
		return cc_error_set(err, "%s: syncfs: %s", r->dir, strerror(errno));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cc_error_set(err, "%s: %s", dir, strerror(errno));
	text = bk_snapshot_to_json(s);
	label = xasprintf("snapshot %s/%s", s->name, s->id);
	if (object_encode(r, label, strlen(label), text, strlen(text), &data, &len, &owned, &z, err) < 0 ||
	    atomicfile_write(path, data, len, err) < 0)
		return -1;
	return atomicfile_sync_dir(dir, err);
}

void bk_repo_discard(struct bk_repo *r)
{
	clear_tmp(r);
}

static int snapshot_cmp(const void *a, const void *b)
{
	const struct bk_snapshot *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Replace manifest *text (file FILE of backup name) as read by its JSON:
 * opened when r is encrypted, decompressed when it is a zstd frame. */
static int open_manifest(const struct bk_repo *r, const char *name, const char *file, const char *path, char **text,
			 size_t *len, struct cc_error **err)
{
	cleanup_free char *label = xasprintf("snapshot %s/%.16s", name, file);
	struct cc_error *why = NULL;
	void *plain;

	if (r->crypt && bk_crypt_open(r->crypt, label, strlen(label), *text, *len, &plain, len, &why) == 0) {
		free(*text);
		*text = plain;
	}
	if (!why && bk_codec_is_frame(*text, *len) &&
	    bk_codec_decompress(r->codec, *text, *len, MANIFEST_MAX, &plain, len, &why) == 0) {
		free(*text);
		*text = plain;
	}
	if (why) {
		cc_error_set(err, "%s: snapshot manifest corrupt: %s", path, why->msg);
		cc_error_free(why);
		return -1;
	}
	return 0;
}

/* Append the snapshots of snapshots/NAME to *out. */
static int read_name(const struct bk_repo *r, const char *name, struct bk_snapshot **out, size_t *n, size_t *cap,
		     struct cc_error **err)
{
	cleanup_free char *dir = xasprintf("%s/snapshots/%s", r->dir, name);
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		cleanup_free char *path = NULL, *text = NULL;
		struct bk_snapshot s;
		size_t tlen;

		if (len != 21 || strcmp(de->d_name + 16, ".json"))
			continue; /* temporary files of an interrupted write, and strangers */
		path = path_join(dir, de->d_name);
		if (read_file_max(path, MANIFEST_MAX + BK_SEAL_OVERHEAD, &text, &tlen, err) < 0 ||
		    open_manifest(r, name, de->d_name, path, &text, &tlen, err) < 0 ||
		    bk_snapshot_parse(text, tlen, path, &s, err) < 0)
			rc = -1;
		else
			VEC_PUSH(*out, *n, *cap, s);
	}
	closedir(d);
	return rc;
}

int bk_repo_snapshots(const struct bk_repo *r, const char *name, struct bk_snapshot **out, size_t *n,
		      struct cc_error **err)
{
	cleanup_free char *dir = path_join(r->dir, "snapshots");
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (name)
		rc = read_name(r, name, out, n, &cap, err);
	else if (!(d = opendir(dir)))
		rc = errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", dir, strerror(errno));
	else {
		while (rc == 0 && (de = readdir(d)))
			if (de->d_name[0] != '.')
				rc = read_name(r, de->d_name, out, n, &cap, err);
		closedir(d);
	}
	if (rc < 0) {
		bk_snapshots_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), snapshot_cmp);
	return 0;
}

int bk_repo_forget(struct bk_repo *r, const struct bk_snapshot *s, struct cc_error **err)
{
	cleanup_free char *path = xasprintf("%s/snapshots/%s/%s.json", r->dir, s->name, s->id);

	if (unlink(path) < 0 && errno != ENOENT)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	return atomicfile_sync_dir(path, err);
}

int bk_repo_each_object(const struct bk_repo *r,
			int (*fn)(const unsigned char id[BK_ID_LEN], uint64_t size, void *data), void *data,
			struct cc_error **err)
{
	unsigned char id[32];
	struct dirent *de;
	struct stat st;
	char sub[12];
	int i, fd, rc = 0, z;
	DIR *d;

	for (i = 0; rc == 0 && i < 256; i++) {
		snprintf(sub, sizeof(sub), "objects/%02x", i);
		if ((fd = openat(r->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				continue;
			return cc_error_set(err, "%s/%s: %s", r->dir, sub, strerror(errno));
		}
		if (!(d = fdopendir(fd))) {
			close(fd);
			return cc_error_set(err, "%s/%s: %s", r->dir, sub, strerror(errno));
		}
		while (rc == 0 && (de = readdir(d)))
			if (object_name_parse(de->d_name, id, &z) == 0 && fstatat(fd, de->d_name, &st, 0) == 0)
				rc = fn(id, (uint64_t)st.st_size, data);
		closedir(d);
	}
	return rc;
}

int bk_repo_remove_object(struct bk_repo *r, const unsigned char id[BK_ID_LEN], struct cc_error **err)
{
	char rel[80];
	int z;

	for (z = 0; z < 2; z++) {
		object_rel(id, z, rel);
		if (unlinkat(r->dirfd, rel, 0) < 0 && errno != ENOENT)
			return cc_error_set(err, "%s/%s: %s", r->dir, rel, strerror(errno));
	}
	return 0;
}
