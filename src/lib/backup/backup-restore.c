/* backup-restore: restore into a host directory (backup-restore.h). */
#include "backup-restore.h"
#include "backup-repo.h"
#include "backup-tree.h"
#include "error.h"
#include "hash.h"
#include "statcache.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int bk_remove_tree(const char *path, struct cc_error **err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", path, strerror(errno));
	nftw(path, make_writable, 64, FTW_PHYS);
	if (nftw(path, remove_one, 64, FTW_DEPTH | FTW_PHYS) < 0)
		return cc_error_set(err, "removing %s: %s", path, strerror(errno));
	return 0;
}

static int write_file(const struct bk_repo *r, int dirfd, const struct bk_entry *x, uint64_t *bytes,
		      struct cc_error **err)
{
	cleanup_close int fd = openat(dirfd, x->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t k, len;
	void *data;
	int rc = 0;

	if (fd < 0)
		return cc_error_set(err, "/%s: %s", x->path, strerror(errno));
	for (k = 0; rc == 0 && k < x->nchunks; k++) {
		if (bk_repo_get(r, x->chunks[k], &data, &len, err) < 0)
			return cc_error_wrap(err, "/%s", x->path);
		if (write_full(fd, data, len) < 0)
			rc = cc_error_set(err, "writing /%s: %s", x->path, strerror(errno ? errno : EIO));
		*bytes += len;
		free(data);
	}
	return rc; /* made durable by one syncfs before the swap (fill) */
}

static int create_entry(const struct bk_repo *r, int dirfd, const struct bk_entry *x, uint64_t *bytes,
			struct cc_error **err)
{
	if (x->type == BK_DIR)
		return mkdirat(dirfd, x->path, 0700) < 0 ? cc_error_set(err, "/%s: %s", x->path, strerror(errno)) : 0;
	if (x->type == BK_SYMLINK)
		return symlinkat(x->link, dirfd, x->path) < 0 ? cc_error_set(err, "/%s: %s", x->path, strerror(errno))
							      : 0;
	return write_file(r, dirfd, x, bytes, err);
}

/* Owner (when root), mode and mtime of x; children come first (the
 * caller goes backwards), so a directory's mtime is its last change. */
static int set_meta(int dirfd, const struct bk_entry *x, int root, struct cc_error **err)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { x->mtime_ns / 1000000000, x->mtime_ns % 1000000000 } };

	if (root && fchownat(dirfd, x->path, x->uid, x->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, "/%s: chown: %s", x->path, strerror(errno));
	if (x->type != BK_SYMLINK && fchmodat(dirfd, x->path, x->mode, 0) < 0)
		return cc_error_set(err, "/%s: chmod: %s", x->path, strerror(errno));
	if (utimensat(dirfd, x->path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, "/%s: mtime: %s", x->path, strerror(errno));
	return 0;
}

/* Read every restored file back and compare with the listing. */
static int check_written(int dirfd, const struct bk_entries *e, struct cc_error **err)
{
	unsigned char got[32];
	uint64_t size;
	size_t i;

	for (i = 0; i < e->n; i++) {
		const struct bk_entry *x = &e->v[i];

		if (x->type != BK_FILE)
			continue;
		if (statcache_hash_file(dirfd, x->path, got, &size, err) < 0)
			return -1;
		if (size != x->size || memcmp(got, x->sha, 32))
			return cc_error_set(err, "/%s: restored content does not match the snapshot", x->path);
	}
	return 0;
}

static int fill(const struct bk_repo *r, const struct bk_entries *e, const char *tmp, uint64_t *bytes,
		struct cc_error **err)
{
	cleanup_close int dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i;
	int root = geteuid() == 0;

	if (dirfd < 0)
		return cc_error_set(err, "%s: %s", tmp, strerror(errno));
	for (i = 0; i < e->n; i++)
		if (create_entry(r, dirfd, &e->v[i], bytes, err) < 0)
			return -1;
	for (i = e->n; i-- > 0;)
		if (set_meta(dirfd, &e->v[i], root, err) < 0)
			return -1;
	if (check_written(dirfd, e, err) < 0)
		return -1;
	if (syncfs(dirfd) < 0)
		return cc_error_set(err, "%s: syncfs: %s", tmp, strerror(errno));
	return 0;
}

int bk_restore_dir(const struct bk_repo *r, const struct bk_entries *e, const char *target, uint64_t *bytes,
		   struct cc_error **err)
{
	cleanup_free char *tmp = xasprintf("%s.ccbuild-restore", target);
	uint64_t n = 0;
	struct stat st;
	int exists = stat(target, &st) == 0;

	if (exists && !S_ISDIR(st.st_mode))
		return cc_error_set(err, "%s exists and is not a directory", target);
	if (bk_remove_tree(tmp, err) < 0) /* what a killed restore left */
		return -1;
	if (mkdir(tmp, 0700) < 0)
		return cc_error_set(err, "%s: %s", tmp, strerror(errno));
	if (fill(r, e, tmp, &n, err) < 0 || chmod(tmp, exists ? st.st_mode & 07777 : 0755) < 0) {
		bk_remove_tree(tmp, NULL);
		return cc_error_wrap(err, "restoring into %s (left as it was)", target);
	}
	if (exists ? renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_EXCHANGE) < 0 : rename(tmp, target) < 0) {
		cc_error_set(err, "swapping %s into %s: %s", tmp, target, strerror(errno));
		bk_remove_tree(tmp, NULL);
		return -1;
	}
	if (bytes)
		*bytes = n;
	return exists ? bk_remove_tree(tmp, err) : 0;
}
