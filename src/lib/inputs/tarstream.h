/* tarstream: a build context as a tar stream, produced a chunk at a time
 * so that it never exists whole in memory or on disk.  The caller pulls
 * (tarstream_read, shaped for libcurl's CURLOPT_READFUNCTION) or pushes
 * everything into a callback (tarstream_write).
 *
 * Output is deterministic for the same entries: entries in the given
 * order, uid/gid 0 with no user/group names, mode and mtime (whole
 * seconds) from the given stat, no atime/ctime; POSIX ustar, with pax
 * headers only where ustar cannot hold a value (long names).  Directory
 * names get a trailing slash, as in docker's own tars; a file whose inode
 * was sent before goes as a hard link to it, as the docker CLI sends it. */
#ifndef CC_TARSTREAM_H
#define CC_TARSTREAM_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct cc_error;

struct tar_entry {
	const char *path;     /* in the archive: relative, '/'-separated */
	const char *abspath;  /* where content and link targets are read */
	struct stat st;	      /* st_mode (type + permissions), st_size, st_mtime */
	const char *link;     /* symlink target; NULL = readlink(abspath) */
	const char *hardlink; /* non-NULL: a regular file sent as a hard link to
			       * this earlier entry's path (no content) */
	const void *data;     /* non-NULL: regular file with these bytes;
			       * abspath and st_size are then unused, and
			       * st_mode and st_mtime give its permissions
			       * and mtime when set (else 0644 and 0) */
	size_t data_len;
};

struct tarstream;

/* A stream over entries[0..n); entries are borrowed until tarstream_free. */
struct tarstream *tarstream_new(const struct tar_entry *entries, size_t n);
/* Copy up to len next bytes into buf: >0 bytes, 0 at the end, -1 on error
 * (a file vanished, or its size or mtime is not the stat given: what
 * would be sent is not what was hashed; libarchive failed). */
ssize_t tarstream_read(struct tarstream *ts, void *buf, size_t len, struct cc_error **err);
/* Bytes produced so far (for progress). */
unsigned long long tarstream_total(const struct tarstream *ts);
void tarstream_free(struct tarstream *ts);

/* Push the whole stream through write(ctx, buf, len), which returns 0 or
 * -1 to stop; returns 0 or -1 (err set when the stream failed). */
int tarstream_write(const struct tar_entry *entries, size_t n, int (*write)(void *ctx, const void *buf, size_t len),
		    void *ctx, struct cc_error **err);

#endif
