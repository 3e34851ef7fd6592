/* sync-lock: flock with a timeout and the holder's pid (sync-lock.h).
 * flock(2) locks are not visible to fcntl(F_GETLK); Linux lists them in
 * /proc/locks as "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF". */
#include "sync-lock.h"
#include "sync-host.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* The pid holding an flock on (dev, ino), other than us; 0 unknown. */
static long lock_holder(dev_t dev, ino_t ino)
{
	cleanup_file FILE *f = fopen("/proc/locks", "re");
	char line[256];
	long self = (long)getpid();

	while (f && fgets(line, sizeof(line), f)) {
		char type[16];
		long pid;
		unsigned maj, min;
		unsigned long long inode;

		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &pid, &maj, &min, &inode) == 5 &&
		    !strcmp(type, "FLOCK") && inode == (unsigned long long)ino && maj == major(dev) &&
		    min == minor(dev) && pid != self)
			return pid;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Open (create) the lock file, and its directory when that is missing:
 * a lock beside a staging directory that the first sync makes. */
static int lock_open(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	cleanup_free char *dir = NULL;
	int dfd;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	dir = path_dirname(file);
	if ((dfd = sync_host_open_root(dir, 1, NULL)) < 0)
		return -1;
	close(dfd);
	return open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
}

int sync_lock_take(const char *file, long timeout_s, const atomic_int *cancel, void (*waiting)(long pid, void *data),
		   void *data, struct cc_error **err)
{
	int fd = lock_open(file);
	long deadline = now_ms() + timeout_s * 1000L, pid = 0;
	struct stat st;
	int told = 0, failed = 1;

	if (fd < 0)
		return cc_error_set(err, "lock %s: %s", file, strerror(errno));
	while ((failed = flock(fd, LOCK_EX | LOCK_NB) < 0)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			cc_error_set(err, "lock %s: %s", file, strerror(errno));
			break;
		}
		if (!told++ && fstat(fd, &st) == 0) {
			pid = lock_holder(st.st_dev, st.st_ino);
			if (waiting)
				waiting(pid, data);
		}
		if (cancel_pending(cancel)) {
			cc_error_set(err, "lock %s: interrupted", file);
			break;
		}
		if (now_ms() >= deadline) {
			if (pid > 0)
				cc_error_set(err, "lock %s: still held by pid %ld after %lds (lock_timeout)", file, pid,
					     timeout_s);
			else
				cc_error_set(err, "lock %s: still held by another process after %lds (lock_timeout)",
					     file, timeout_s);
			break;
		}
		usleep(20000);
	}
	if (failed) {
		close(fd);
		return -1;
	}
	return fd;
}

void sync_lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the only descriptor drops the flock */
}
