/* sync-host: a host directory as a sync destination.  Paths are relative
 * to the root's descriptor and are opened one component at a time without
 * following symlinks, so nothing is ever written outside the root.  Every
 * file lands atomically: a temporary name in the same directory, fsync,
 * rename over the target. */
#ifndef CC_SYNC_HOST_H
#define CC_SYNC_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;
struct ctx_entry;
struct sync_file;

/* Open directory root, created with its parents when missing and create
 * is set; the fd, or -1 with err. */
int sync_host_open_root(const char *root, int create, struct cc_error **err);
/* 1 when the walked destination entry e is what f records (a regular file
 * whose stat data differs is read and compared by content), 0 not, -1
 * error. */
int sync_host_matches(int rootfd, const struct ctx_entry *e, const struct sync_file *f, struct cc_error **err);
/* SHA-256 of the regular file path below rootfd. */
int sync_host_hash(int rootfd, const char *path, unsigned char sha[32], struct cc_error **err);
/* Write path (temp, fsync, rename) with `mode` bits from len bytes of data
 * (data NULL: copy the file srcpath below srcfd); sha gets the SHA-256 of
 * what was written, f (may be NULL) size and mtime after the rename. */
int sync_host_put_file(int rootfd, const char *path, mode_t mode, const void *data, size_t len, int srcfd,
		       const char *srcpath, unsigned char sha[32], struct sync_file *f, struct cc_error **err);
/* put_file in two halves, so that many files share one flush: write the
 * new contents to a temporary file beside path (*tmp, caller frees;
 * fsync'ed when durable), then rename it over path (commit).  Between
 * the two, sync_host_flush makes every staged file durable at once. */
int sync_host_stage_file(int rootfd, const char *path, mode_t mode, const void *data, size_t len, int srcfd,
			 const char *srcpath, int durable, unsigned char sha[32], char **tmp, struct cc_error **err);
int sync_host_commit_file(int rootfd, const char *path, const char *tmp, struct sync_file *f, struct cc_error **err);
/* fsync(2) of the file path below rootfd. */
int sync_host_fsync(int rootfd, const char *path, struct cc_error **err);
/* syncfs(2) of the root's filesystem: what was written is on disk. */
int sync_host_flush(int rootfd, struct cc_error **err);
/* Make path a symlink to target, atomically (replaces a file or link). */
int sync_host_put_link(int rootfd, const char *path, const char *target, struct sync_file *f, struct cc_error **err);
/* Make path a directory with mode bits (replaces a file or link). */
int sync_host_put_dir(int rootfd, const char *path, mode_t mode, struct sync_file *f, struct cc_error **err);
/* Remove path (a directory must be empty); gone already is fine. */
int sync_host_remove(int rootfd, const char *path, struct cc_error **err);
/* Copy the file or link path below rootfd to keep_root/path (directories
 * made), before it is replaced or removed. */
int sync_host_keep(int rootfd, const char *path, const char *keep_root, struct cc_error **err);
/* 1 when path's last component is a temporary name of put_file or
 * put_link (".BASE.ccbuild-" and 16 hex digits): left by a killed sync. */
int sync_host_is_temp(const char *path);
/* fsync the directory that holds path (after renames or unlinks in it). */
int sync_host_sync_dir(int rootfd, const char *path, struct cc_error **err);

#endif
