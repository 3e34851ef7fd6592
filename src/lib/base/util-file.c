/* util-file: read_file and read_file_max of util.h, the part of util that
 * fails through cc_error; apart from util.c so that error.c (which
 * allocates with util.c) and util.c do not call each other. */
#include "util.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* Up to max + 1 bytes of fd into sb (a file may grow after fstat). */
static int read_fd(int fd, struct strbuf *sb, size_t max)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		strbuf_add(sb, buf, (size_t)n);
		if (sb->len > max)
			return 0;
	}
}

int read_file_max(const char *path, size_t max, char **out, size_t *len, struct cc_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct strbuf sb = STRBUF_INIT;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
	if ((unsigned long long)st.st_size > max)
		return cc_error_set(err, "%s: too large (%lld bytes, the limit is %zu)", path, (long long)st.st_size,
				    max);
	if (read_fd(fd, &sb, max) < 0) {
		strbuf_release(&sb);
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	}
	if (sb.len > max) {
		strbuf_release(&sb);
		return cc_error_set(err, "%s: too large (grew past the limit of %zu bytes)", path, max);
	}
	if (len)
		*len = sb.len;
	*out = strbuf_detach(&sb);
	return 0;
}

int read_file(const char *path, char **out, size_t *len, struct cc_error **err)
{
	return read_file_max(path, READ_FILE_MAX, out, len, err);
}

int write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
