/* tarstream: libarchive writes into an in-memory buffer that the reader
 * drains; the buffer is refilled one step at a time (one header, or one
 * 64 KiB piece of a file), so memory stays bounded by a step. */
#include "error.h"
#include "tarstream.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIECE (64 * 1024)

struct tarstream {
	const struct tar_entry *entries;
	size_t n, next; /* next entry to start */
	struct archive *a;
	struct strbuf out; /* produced, not yet read from out.buf + pos */
	size_t pos;
	unsigned long long total;
	int fd;			     /* file being copied, -1 none */
	const struct tar_entry *cur; /* its entry */
	off_t left;		     /* its bytes still to copy */
	int done, failed;
	char *piece;
};

static la_ssize_t tarstream_sink(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct tarstream *ts = ctx;

	strbuf_add(&ts->out, buf, len);
	ts->total += len;
	return (la_ssize_t)len;
}

struct tarstream *tarstream_new(const struct tar_entry *entries, size_t n)
{
	struct tarstream *ts = xcalloc(1, sizeof(*ts));

	ts->entries = entries;
	ts->n = n;
	ts->fd = -1;
	ts->piece = xmalloc(PIECE);
	ts->a = archive_write_new();
	if (!ts->a)
		die_oom();
	archive_write_set_format_pax_restricted(ts->a);
	archive_write_open2(ts->a, ts, NULL, tarstream_sink, NULL, NULL);
	return ts;
}

static int archive_fail(struct tarstream *ts, const char *what, struct cc_error **err)
{
	ts->failed = 1;
	return cc_error_set(err, "tar: %s: %s", what, archive_error_string(ts->a));
}

static int entry_fill(struct archive_entry *ae, const struct tar_entry *e, struct cc_error **err)
{
	char target[4096];
	ssize_t n;

	archive_entry_set_pathname(ae, e->path);
	if (e->data) /* the permissions and mtime of st when given, else 0644 and 0 */
		archive_entry_set_mode(ae, S_IFREG | (e->st.st_mode ? e->st.st_mode & 07777 : 0644));
	else
		archive_entry_set_mode(ae, e->st.st_mode);
	archive_entry_set_mtime(ae, e->st.st_mtime, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	if (e->data)
		archive_entry_set_size(ae, (la_int64_t)e->data_len);
	else if (e->hardlink && S_ISREG(e->st.st_mode))
		archive_entry_set_hardlink(ae, e->hardlink); /* size 0: no content */
	else if (S_ISREG(e->st.st_mode))
		archive_entry_set_size(ae, e->st.st_size);
	else if (S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode))
		archive_entry_set_rdev(ae, e->st.st_rdev);
	if (e->data || !S_ISLNK(e->st.st_mode))
		return 0;
	if (e->link) {
		archive_entry_set_symlink(ae, e->link);
		return 0;
	}
	n = readlink(e->abspath, target, sizeof(target) - 1);
	if (n < 0)
		return cc_error_set(err, "tar: readlink %s: %s", e->abspath, strerror(errno));
	target[n] = '\0';
	archive_entry_set_symlink(ae, target);
	return 0;
}

/* 0 when the open file still has the size and mtime it was stat'ed (and
 * hashed) with: what is sent is what the build's hash says. */
static int unchanged(struct tarstream *ts, struct cc_error **err)
{
	const struct stat *was = &ts->cur->st;
	struct stat now;

	if (fstat(ts->fd, &now) < 0) {
		ts->failed = 1;
		return cc_error_set(err, "tar: stat %s: %s", ts->cur->abspath, strerror(errno));
	}
	if (now.st_size == was->st_size && now.st_mtim.tv_sec == was->st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == was->st_mtim.tv_nsec)
		return 0;
	ts->failed = 1;
	return cc_error_set(err, "tar: %s changed while the context was being sent; run again", ts->cur->abspath);
}

/* Write the next entry's header and open its content. */
static int tarstream_start_entry(struct tarstream *ts, struct cc_error **err)
{
	const struct tar_entry *e = &ts->entries[ts->next++];
	struct archive_entry *ae;
	int rc;

	if (!e->data && S_ISSOCK(e->st.st_mode))
		return 0; /* sockets cannot be archived; docker skips them too */
	ae = archive_entry_new();
	rc = entry_fill(ae, e, err);
	if (rc == 0 && archive_write_header(ts->a, ae) != ARCHIVE_OK)
		rc = archive_fail(ts, e->path, err);
	archive_entry_free(ae);
	if (rc < 0)
		return ts->failed = 1, -1;
	if (e->data && e->data_len > 0 && archive_write_data(ts->a, e->data, e->data_len) != (la_ssize_t)e->data_len)
		return archive_fail(ts, e->path, err);
	if (e->data || e->hardlink || !S_ISREG(e->st.st_mode) || e->st.st_size == 0)
		return 0;
	ts->fd = open(e->abspath, O_RDONLY | O_CLOEXEC);
	if (ts->fd < 0) {
		ts->failed = 1;
		return cc_error_set(err, "tar: open %s: %s", e->abspath, strerror(errno));
	}
	ts->cur = e;
	ts->left = e->st.st_size;
	return unchanged(ts, err);
}

/* Copy the next piece of the open file; the header promised st_size bytes,
 * so a file that shrank since it was stat'ed is an error, and so is one
 * written to (a new mtime) before its last byte was read. */
static int tarstream_copy_piece(struct tarstream *ts, struct cc_error **err)
{
	size_t want = ts->left < PIECE ? (size_t)ts->left : PIECE;
	ssize_t got;

	do
		got = read(ts->fd, ts->piece, want);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		ts->failed = 1;
		return cc_error_set(err, "tar: read %s: %s", ts->cur->abspath,
				    got < 0 ? strerror(errno) : "file shrank while being sent");
	}
	if (archive_write_data(ts->a, ts->piece, (size_t)got) != got)
		return archive_fail(ts, ts->cur->path, err);
	ts->left -= got;
	if (ts->left == 0) {
		int rc = unchanged(ts, err);

		close(ts->fd);
		ts->fd = -1;
		return rc;
	}
	return 0;
}

/* Produce one step of output (which libarchive may keep buffered). */
static int tarstream_step(struct tarstream *ts, struct cc_error **err)
{
	if (ts->fd >= 0)
		return tarstream_copy_piece(ts, err);
	if (ts->next < ts->n)
		return tarstream_start_entry(ts, err);
	if (archive_write_close(ts->a) != ARCHIVE_OK)
		return archive_fail(ts, "close", err);
	ts->done = 1;
	return 0;
}

ssize_t tarstream_read(struct tarstream *ts, void *buf, size_t len, struct cc_error **err)
{
	size_t avail;

	if (ts->failed)
		return cc_error_set(err, "tar: stream already failed");
	while (ts->pos == ts->out.len && !ts->done) {
		ts->pos = ts->out.len = 0;
		if (tarstream_step(ts, err) < 0)
			return -1;
	}
	avail = ts->out.len - ts->pos;
	if (len > avail)
		len = avail;
	if (len)
		memcpy(buf, ts->out.buf + ts->pos, len);
	ts->pos += len;
	return (ssize_t)len;
}

unsigned long long tarstream_total(const struct tarstream *ts)
{
	return ts->total;
}

void tarstream_free(struct tarstream *ts)
{
	if (!ts)
		return;
	if (ts->fd >= 0)
		close(ts->fd);
	archive_write_free(ts->a); /* also closes; output is discarded */
	strbuf_release(&ts->out);
	free(ts->piece);
	free(ts);
}

int tarstream_write(const struct tar_entry *entries, size_t n, int (*write)(void *ctx, const void *buf, size_t len),
		    void *ctx, struct cc_error **err)
{
	struct tarstream *ts = tarstream_new(entries, n);
	cleanup_free char *buf = xmalloc(PIECE);
	ssize_t got;
	int rc = 0;

	while ((got = tarstream_read(ts, buf, PIECE, err)) > 0)
		if (write(ctx, buf, (size_t)got) < 0)
			break;
	if (got != 0)
		rc = -1;
	tarstream_free(ts);
	return rc;
}
