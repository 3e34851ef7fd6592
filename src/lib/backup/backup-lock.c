/* backup-lock: a repository's lock (backup-lock.h).
 *
 * REPO/lock is flock(2)ed exclusively by the one process writing to the
 * repository.  While held, it holds one line of JSON, the holder's
 * record:
 *   {"host": "HOSTNAME", "pid": 1234, "since": "2026-12-01T18:00:00Z"}
 * written after the flock is taken and truncated away before it is
 * dropped.  The flock is the lock; the record only names its holder.  A
 * record found when the flock is free was left by a holder that died
 * (kill -9, a crash): it is replaced, and said so.  A record naming a pid
 * that is gone on this host while the flock is still held means another
 * process inherited the descriptor; the flock is not broken (nothing
 * can break one), and the message says so.  A holder without a record
 * (ccbuild before the record, `flock REPO/lock cmd`) is named by the pid
 * /proc/locks gives. */
#include "backup-lock.h"
#include "backup-snapshot.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define RECORD_MAX 1024

struct holder {
	char host[256];
	long pid;
	char since[40];
	int gone; /* on this host, and no process has its pid */
};

/* 1 when no process pid runs here: none has it, or it is a zombie (its
 * locks are released already; its parent has not reaped it yet). */
static int pid_gone(long pid)
{
	cleanup_free char *path = xasprintf("/proc/%ld/stat", pid), *stat = NULL;
	const char *paren;
	size_t len;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	if (read_file_max(path, 4096, &stat, &len, NULL) < 0 || !(paren = strrchr(stat, ')')))
		return 0;
	return paren[1] == ' ' && paren[2] == 'Z';
}

/* The record in fd into *h; 0, or -1 when there is none. */
static int record_read(int fd, struct holder *h)
{
	char buf[RECORD_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *host = NULL, *since = NULL;
	json_int_t pid = 0;
	char self[256] = "";
	json_t *j;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	if (n <= 0 || !(j = json_loadb(buf, (size_t)n, JSON_DISABLE_EOF_CHECK, NULL)))
		return -1;
	if (json_unpack(j, "{s:s, s:I, s:s}", "host", &host, "pid", &pid, "since", &since) == 0) {
		snprintf(h->host, sizeof(h->host), "%s", host);
		snprintf(h->since, sizeof(h->since), "%s", since);
		h->pid = (long)pid;
		gethostname(self, sizeof(self) - 1);
		h->gone = !strcmp(self, h->host) && pid > 0 && pid_gone((long)pid);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

static void record_write(int fd)
{
	char host[256] = "", when[32];
	char *text;
	json_t *j;

	gethostname(host, sizeof(host) - 1);
	bk_time_format((int64_t)time(NULL), when, sizeof(when));
	j = json_pack("{s:s, s:I, s:s}", "host", host, "pid", (json_int_t)getpid(), "since", when);
	if (!j || !(text = json_dumps(j, JSON_COMPACT)))
		BUG("out of memory");
	json_decref(j);
	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, strlen(text), 0) >= 0)
		(void)!pwrite(fd, "\n", 1, (off_t)strlen(text));
	free(text); /* a record that could not be written only names no holder */
}

/* The pid holding an flock on fd's file, other than us (/proc/locks);
 * 0 unknown. */
static long proc_holder(int fd)
{
	cleanup_file FILE *f = fopen("/proc/locks", "re");
	unsigned long long inode;
	unsigned maj, min;
	char line[256], type[16];
	struct stat st;
	long pid;

	if (!f || fstat(fd, &st) < 0)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &pid, &maj, &min, &inode) == 5 &&
		    !strcmp(type, "FLOCK") && inode == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && pid != (long)getpid())
			return pid;
	return 0;
}

/* Who holds the lock on fd, for a message (caller frees). */
static char *holder_describe(int fd)
{
	struct holder h;
	long pid;

	int recorded = record_read(fd, &h) == 0;

	if (recorded && !h.gone)
		return xasprintf("host %s, pid %ld, since %s", h.host, h.pid, h.since);
	pid = proc_holder(fd);
	if (recorded && pid) /* the record is a dead run's; someone else took the flock */
		return xasprintf("pid %ld, which left no record; the record of host %s, pid %ld, since %s is "
				 "a run that died",
				 pid, h.host, h.pid, h.since);
	if (recorded)
		return xasprintf("host %s, pid %ld, since %s; that pid is gone on this host, so a process that "
				 "inherited its lock descriptor holds it, and the lock goes when that process ends",
				 h.host, h.pid, h.since);
	return pid ? xasprintf("pid %ld, which left no record", pid) : xstrdup("a process that left no record");
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Poll for the flock until it is taken (0), or the wait is over or
 * cancelled (-1 with err); *waited: how long, *who: the holder first
 * seen (caller frees). */
static int lock_poll(int fd, const char *dir, long wait_ms, const atomic_int *cancel, long *waited, char **who,
		     struct cc_error **err)
{
	long start = now_ms(), step = 50, left;

	*waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return cc_error_set(err, "%s/lock: %s", dir, strerror(errno));
		if (!*who)
			*who = holder_describe(fd);
		left = wait_ms - (now_ms() - start);
		if (cancel_pending(cancel))
			return cc_error_set(err, "%s: interrupted while waiting for its lock (%s)", dir, *who);
		if (left <= 0 && wait_ms > 0)
			return cc_error_set(err,
					    "%s: locked by another ccbuild backup running now (%s); gave up after "
					    "--retry-lock %lds",
					    dir, *who, wait_ms / 1000);
		if (left <= 0)
			return cc_error_set(err, "%s: locked by another ccbuild backup running now (%s)", dir, *who);
		usleep((useconds_t)(step < left ? step : left) * 1000);
		step = step * 2 > 2000 ? 2000 : step * 2;
	}
	*waited = now_ms() - start;
	return 0;
}

int bk_lock_take(int dirfd, const char *dir, long wait_ms, const atomic_int *cancel, char **note, struct cc_error **err)
{
	cleanup_free char *who = NULL;
	struct holder old;
	long waited;
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	*note = NULL;
	if (fd < 0)
		return cc_error_set(err, "%s/lock: %s", dir, strerror(errno));
	if (lock_poll(fd, dir, wait_ms, cancel, &waited, &who, err) < 0) {
		close(fd);
		return -1;
	}
	if (who)
		*note = xasprintf("%s: waited %.1f s for its lock (%s)", dir, waited / 1000.0, who);
	if (record_read(fd, &old) == 0 && old.gone) {
		char *w = *note;

		*note = xasprintf("%s%s%s: the lock record of host %s, pid %ld, since %s (a run that died: that pid "
				  "is gone) was replaced; the kernel had already released its lock",
				  w ? w : "", w ? "; " : "", dir, old.host, old.pid, old.since);
		free(w);
	}
	record_write(fd);
	return fd;
}

void bk_lock_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0) {
		/* the record stays; the next holder replaces it */
	}
	close(fd);
}
