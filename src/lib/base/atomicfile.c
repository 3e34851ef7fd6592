/* atomicfile: temp + fsync + rename + fsync(dir).  The temporary name holds
 * the pid so that two writers never share a temporary file; the lock in
 * state.c keeps them from racing on the final name. */
#include "atomicfile.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(struct atomicfile *af)
{
	if (af->f)
		fclose(af->f);
	af->f = NULL;
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
}

int atomicfile_open(struct atomicfile *af, const char *path, struct cc_error **err)
{
	int fd;

	af->path = xstrdup(path);
	/* Unique per writer: two threads of one run may replace one file. */
	af->tmp = xasprintf("%s.tmp.XXXXXX", path);
	af->f = NULL;
	fd = mkostemp(af->tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644) < 0 || !(af->f = fdopen(fd, "wb"))) {
		cc_error_set(err, "%s: %s", af->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		release(af);
		return -1;
	}
	return 0;
}

int atomicfile_sync_dir(const char *path, struct cc_error **err)
{
	cleanup_free char *dir = path_dirname(path);
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return cc_error_set(err, "%s: fsync: %s", dir, strerror(errno));
	return 0;
}

static int commit(struct atomicfile *af, int durable, struct cc_error **err)
{
	int bad = fflush(af->f) != 0 || ferror(af->f) || (durable && fsync(fileno(af->f)) < 0);
	int e = errno;

	bad |= fclose(af->f) != 0;
	af->f = NULL;
	if (bad || rename(af->tmp, af->path) < 0) {
		cc_error_set(err, "writing %s: %s", af->path, strerror(bad ? e : errno));
		unlink(af->tmp);
		release(af);
		return -1;
	}
	bad = durable ? atomicfile_sync_dir(af->path, err) : 0;
	release(af);
	return bad;
}

int atomicfile_commit(struct atomicfile *af, struct cc_error **err)
{
	return commit(af, 1, err);
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->tmp)
		unlink(af->tmp);
	release(af);
}

static int write_whole(const char *path, const void *data, size_t len, int durable, struct cc_error **err)
{
	struct atomicfile af;

	if (atomicfile_open(&af, path, err) < 0)
		return -1;
	if (fwrite(data, 1, len, af.f) != len) {
		atomicfile_abort(&af);
		return cc_error_set(err, "writing %s: short write", path);
	}
	return commit(&af, durable, err);
}

int atomicfile_write(const char *path, const void *data, size_t len, struct cc_error **err)
{
	return write_whole(path, data, len, 1, err);
}

int atomicfile_replace(const char *path, const void *data, size_t len, struct cc_error **err)
{
	return write_whole(path, data, len, 0, err);
}
