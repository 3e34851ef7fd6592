/* sync-host: writing a host directory safely (sync-host.h). */
#include "sync-host.h"
#include "ctxwalk.h"
#include "error.h"
#include "statcache.h"
#include "sync-record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1 << 20)

int sync_host_open_root(const char *root, int create, struct cc_error **err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		cleanup_free char *copy = xstrdup(root);

		for (char *p = copy + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				if (mkdir(copy, 0755) < 0 && errno != EEXIST)
					return cc_error_set(err, "%s: %s", copy, strerror(errno));
				*p = '/';
			}
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return cc_error_set(err, "%s: %s", root, strerror(errno));
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return cc_error_set(err, "%s: %s", root, strerror(errno));
	return fd;
}

/* The directory holding path below rootfd, opened component by component
 * without following a symlink; *base points at the last component.  An fd
 * the caller closes, or -1 with err. */
static int open_parent(int rootfd, const char *path, const char **base, struct cc_error **err)
{
	cleanup_free char *copy = xstrdup(path);
	char *p = copy, *slash;
	int fd = dup(rootfd);

	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	while (fd >= 0 && (slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			cc_error_set(err, "%s: %s%s", path, strerror(errno),
				     errno == ELOOP || errno == ENOTDIR ? " (a parent is not a directory)" : "");
		close(fd);
		fd = next;
		if (fd < 0)
			return -1;
		p = slash + 1;
	}
	if (fd < 0)
		return cc_error_set(err, "dup: %s", strerror(errno));
	return fd;
}

static void stat_into(const struct stat *st, struct sync_file *f)
{
	if (!f)
		return;
	f->mode = st->st_mode;
	f->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	f->ino = st->st_ino;
}

int sync_host_hash(int rootfd, const char *path, unsigned char sha[32], struct cc_error **err)
{
	const char *base;
	int pfd = open_parent(rootfd, path, &base, err), rc;

	if (pfd < 0)
		return -1;
	rc = statcache_hash_file(pfd, base, sha, NULL, err);
	close(pfd);
	return rc;
}

int sync_host_matches(int rootfd, const struct ctx_entry *e, const struct sync_file *f, struct cc_error **err)
{
	unsigned char sha[32];

	if ((e->mode & S_IFMT) != (f->mode & S_IFMT))
		return 0;
	if (S_ISLNK(e->mode))
		return e->link && f->link && !strcmp(e->link, f->link);
	if ((e->mode & 07777) != (f->mode & 07777))
		return 0;
	if (!S_ISREG(e->mode))
		return 1;
	if (e->size != f->size)
		return 0;
	if (e->mtime_ns == f->mtime_ns && e->ctime_ns == f->ctime_ns && e->ino == f->ino)
		return 1;
	if (sync_host_hash(rootfd, e->path, sha, err) < 0)
		return -1;
	return !memcmp(sha, f->sha, 32);
}

/* A temporary name beside base: ".BASE.ccbuild-RANDOM". */
static char *temp_name(const char *base)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned long long)getpid() * 2654435761u ^ (unsigned long long)(uintptr_t)&r;
	return xasprintf(".%.200s.ccbuild-%016llx", base, r);
}

int sync_host_is_temp(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *tag = strstr(base, ".ccbuild-");
	size_t k;

	if (base[0] != '.' || !tag)
		return 0;
	while (strstr(tag + 1, ".ccbuild-"))
		tag = strstr(tag + 1, ".ccbuild-");
	for (k = 0; k < 16 && strchr("0123456789abcdef", tag[9 + k]) && tag[9 + k]; k++)
		;
	return k == 16 && tag[25] == '\0';
}

/* Write the new contents to tfd, hashing them: data, or the file srcpath
 * below srcfd.  0, or -1 with err. */
static int fill_temp(int tfd, const void *data, size_t len, int srcfd, const char *srcpath, unsigned char sha[32],
		     struct cc_error **err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	cleanup_free char *buf = NULL;
	cleanup_close int in = -1;
	ssize_t n = 0;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		die_oom();
	if (data) {
		EVP_DigestUpdate(md, data, len);
		if (write_full(tfd, data, len) < 0)
			rc = cc_error_set(err, "writing: %s", strerror(errno));
	} else if ((in = openat(srcfd, srcpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = cc_error_set(err, "%s: cannot read the source file: %s", srcpath, strerror(errno));
	} else {
		buf = xmalloc(COPY_CHUNK);
		while ((n = read(in, buf, COPY_CHUNK)) > 0 || (n < 0 && errno == EINTR)) {
			if (n < 0)
				continue;
			EVP_DigestUpdate(md, buf, (size_t)n);
			if (write_full(tfd, buf, (size_t)n) < 0)
				break;
		}
		if (n != 0)
			rc = cc_error_set(err, "%s: copying: %s", srcpath, strerror(errno));
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

int sync_host_stage_file(int rootfd, const char *path, mode_t mode, const void *data, size_t len, int srcfd,
			 const char *srcpath, int durable, unsigned char sha[32], char **tmp, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);
	int tfd, rc;

	*tmp = NULL;
	if (pfd < 0)
		return -1;
	*tmp = temp_name(base);
	tfd = openat(pfd, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (tfd < 0) {
		cc_error_set(err, "%s: creating a temporary file: %s", path, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	rc = fill_temp(tfd, data, len, srcfd, srcpath, sha, err);
	if (rc == 0 && (fchmod(tfd, mode & 07777) < 0 || (durable && fsync(tfd) < 0)))
		rc = cc_error_set(err, "%s: %s", path, strerror(errno));
	if (close(tfd) < 0 && rc == 0)
		rc = cc_error_set(err, "%s: %s", path, strerror(errno));
	if (rc < 0) {
		unlinkat(pfd, *tmp, 0);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

/* Rename tmp over base in directory pfd (path names it in errors; tmp is
 * removed on failure) and read what landed into f. */
static int rename_into(int pfd, const char *tmp, const char *base, const char *path, struct sync_file *f,
		       struct cc_error **err)
{
	struct stat st;

	if (renameat(pfd, tmp, pfd, base) < 0) {
		cc_error_set(err, "%s: %s", path, strerror(errno));
		unlinkat(pfd, tmp, 0);
		return -1;
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	stat_into(&st, f);
	return 0;
}

int sync_host_commit_file(int rootfd, const char *path, const char *tmp, struct sync_file *f, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);

	if (pfd < 0)
		return -1;
	return rename_into(pfd, tmp, base, path, f, err);
}

int sync_host_fsync(int rootfd, const char *path, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);
	cleanup_close int fd = -1;

	if (pfd < 0)
		return -1;
	if ((fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fsync(fd) < 0)
		return cc_error_set(err, "%s: fsync: %s", path, strerror(errno));
	return 0;
}

int sync_host_flush(int rootfd, struct cc_error **err)
{
	if (syncfs(rootfd) < 0)
		return cc_error_set(err, "syncfs: %s", strerror(errno));
	return 0;
}

int sync_host_put_file(int rootfd, const char *path, mode_t mode, const void *data, size_t len, int srcfd,
		       const char *srcpath, unsigned char sha[32], struct sync_file *f, struct cc_error **err)
{
	cleanup_free char *tmp = NULL;

	if (sync_host_stage_file(rootfd, path, mode, data, len, srcfd, srcpath, 1, sha, &tmp, err) < 0)
		return -1;
	return sync_host_commit_file(rootfd, path, tmp, f, err);
}

int sync_host_put_link(int rootfd, const char *path, const char *target, struct sync_file *f, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);
	cleanup_free char *tmp = NULL;

	if (pfd < 0)
		return -1;
	tmp = temp_name(base);
	if (symlinkat(target, pfd, tmp) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	return rename_into(pfd, tmp, base, path, f, err);
}

int sync_host_put_dir(int rootfd, const char *path, mode_t mode, struct sync_file *f, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);
	struct stat st;

	if (pfd < 0)
		return -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && unlinkat(pfd, base, 0) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if (mkdirat(pfd, base, mode & 07777) < 0 && errno != EEXIST)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 07777) != (mode & 07777) && fchmodat(pfd, base, mode & 07777, 0) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	st.st_mode = (st.st_mode & ~07777u) | (mode & 07777);
	stat_into(&st, f);
	return 0;
}

int sync_host_remove(int rootfd, const char *path, struct cc_error **err)
{
	const char *base;
	struct cc_error *perr = NULL;
	cleanup_close int pfd = open_parent(rootfd, path, &base, &perr);

	if (pfd < 0) { /* a parent gone already: so is path */
		cc_error_free(perr);
		return 0;
	}
	if (unlinkat(pfd, base, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno == EISDIR || errno == EPERM) && unlinkat(pfd, base, AT_REMOVEDIR) == 0)
		return 0;
	return cc_error_set(err, "%s: removing: %s", path, strerror(errno));
}

int sync_host_sync_dir(int rootfd, const char *path, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);

	if (pfd < 0)
		return -1;
	if (fsync(pfd) < 0)
		return cc_error_set(err, "%s: fsync of its directory: %s", path, strerror(errno));
	return 0;
}

int sync_host_keep(int rootfd, const char *path, const char *keep_root, struct cc_error **err)
{
	const char *base;
	cleanup_close int pfd = open_parent(rootfd, path, &base, err);
	cleanup_free char *dst = NULL, *dir = NULL;
	cleanup_close int kfd = -1;
	unsigned char sha[32];
	char link[4096];
	struct stat st;
	ssize_t n;

	if (pfd < 0)
		return -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return 0;
	dst = path_join(keep_root, path);
	dir = path_dirname(dst);
	if ((kfd = sync_host_open_root(dir, 1, err)) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(pfd, base, link, sizeof(link) - 1)) < 0)
			return cc_error_set(err, "%s: %s", path, strerror(errno));
		link[n] = '\0';
		return sync_host_put_link(kfd, base, link, NULL, err);
	}
	return sync_host_put_file(kfd, base, st.st_mode, NULL, 0, pfd, base, sha, NULL, err);
}
