/* eventlog: appending JSON lines that two runs can share.
 *
 * Format, version 1 (docs/technical/observability.md has the events):
 *   one JSON object per line, UTF-8, "\n"-terminated, keys in this order:
 *   {"v":1, "ts":"2026-12-01T12:00:00.123Z", "run_id":"<32 hex>",
 *    "event":"...", ...the event's own fields}
 * A reader skips lines whose "v" it does not know.  Rotation: when PATH
 * reaches its size limit, PATH.KEEP is removed, PATH.N becomes PATH.N+1
 * and PATH becomes PATH.1, so the newest lines are always in PATH.
 *
 * Concurrency: appenders hold PATH.lock shared (flock) around each write
 * and reopen PATH when it is no longer the file they have open (another
 * run rotated it); the rotating run holds it exclusive.  Appends on
 * O_APPEND are whole lines on a local filesystem (not over NFS).  The
 * metrics history and traces.jsonl are appended and rotated the same way
 * (eventlog_append_to), with lines of their own formats. */
#include "eventlog.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct eventlog {
	const char *what; /* "events log", for messages; static */
	char *path, *lock_path, *run_id;
	int fd, lock_fd;
	int64_t max_bytes;
	int keep;
};

static int open_log(struct eventlog *log, struct cc_error **err)
{
	int fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return cc_error_set(err, "%s %s: %s", log->what, log->path, strerror(errno));
	if (log->fd >= 0)
		close(log->fd);
	log->fd = fd;
	return 0;
}

static int open_named(const char *what, const char *path, int64_t max_bytes, int keep, const char *run_id,
		      struct eventlog **out, struct cc_error **err)
{
	struct eventlog *log = xcalloc(1, sizeof(*log));

	*out = NULL;
	log->what = what;
	log->path = xstrdup(path);
	log->lock_path = xasprintf("%s.lock", path);
	log->run_id = xstrdup(run_id);
	log->fd = log->lock_fd = -1;
	log->max_bytes = max_bytes;
	log->keep = keep < 1 ? 1 : keep;
	if (open_log(log, err) < 0) {
		eventlog_close(log);
		return -1;
	}
	log->lock_fd = open(log->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (log->lock_fd < 0) {
		cc_error_set(err, "%s lock %s: %s", log->what, log->lock_path, strerror(errno));
		eventlog_close(log);
		return -1;
	}
	*out = log;
	return 0;
}

int eventlog_open(const char *path, int64_t max_bytes, int keep, const char *run_id, struct eventlog **out,
		  struct cc_error **err)
{
	return open_named("events log", path, max_bytes, keep, run_id, out, err);
}

void eventlog_close(struct eventlog *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	if (log->lock_fd >= 0)
		close(log->lock_fd);
	free(log->path);
	free(log->lock_path);
	free(log->run_id);
	free(log);
}

char *eventlog_format(const json_t *ev, const char *run_id, const struct timespec *when)
{
	char stamp[40], iso[24];
	struct tm tm;
	json_t *line;
	char *text, *out;

	gmtime_r(&when->tv_sec, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%03ldZ", iso, when->tv_nsec / 1000000L);
	line = json_pack("{s:i, s:s, s:s}", "v", EVENTLOG_VERSION, "ts", stamp, "run_id", run_id);
	json_object_update_missing(line, (json_t *)ev);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(line);
	out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/* 1 when PATH is no longer the file log->fd has open. */
static int replaced(const struct eventlog *log)
{
	struct stat a, b;

	if (stat(log->path, &a) < 0 || fstat(log->fd, &b) < 0)
		return 1;
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* Under the exclusive lock: shift PATH.N up and PATH to PATH.1, unless
 * another run did so since this one looked. */
static int rotate(struct eventlog *log, struct cc_error **err)
{
	struct stat st;
	int k, rc = 0;

	if (flock(log->lock_fd, LOCK_EX) < 0)
		return cc_error_set(err, "%s lock %s: %s", log->what, log->lock_path, strerror(errno));
	if (!replaced(log) && fstat(log->fd, &st) == 0 && st.st_size >= log->max_bytes) {
		cleanup_free char *last = xasprintf("%s.%d", log->path, log->keep);

		if (unlink(last) < 0 && errno != ENOENT)
			rc = cc_error_set(err, "%s %s: %s", log->what, last, strerror(errno));
		for (k = log->keep - 1; rc == 0 && k >= 0; k--) {
			cleanup_free char *from = k ? xasprintf("%s.%d", log->path, k) : xstrdup(log->path);
			cleanup_free char *to = xasprintf("%s.%d", log->path, k + 1);

			if (rename(from, to) < 0 && errno != ENOENT)
				rc = cc_error_set(err, "%s: rotating %s: %s", log->what, from, strerror(errno));
		}
	}
	if (rc == 0 && replaced(log))
		rc = open_log(log, err);
	flock(log->lock_fd, LOCK_UN);
	return rc;
}

static int append_line(struct eventlog *log, const char *line, struct cc_error **err)
{
	struct stat st;
	int rc = 0, full = 0;

	if (flock(log->lock_fd, LOCK_SH) < 0)
		return cc_error_set(err, "%s lock %s: %s", log->what, log->lock_path, strerror(errno));
	if (replaced(log))
		rc = open_log(log, err);
	if (rc == 0 && write_full(log->fd, line, strlen(line)) < 0)
		rc = cc_error_set(err, "%s %s: %s", log->what, log->path, strerror(errno));
	if (rc == 0 && log->max_bytes > 0 && fstat(log->fd, &st) == 0)
		full = st.st_size >= log->max_bytes;
	flock(log->lock_fd, LOCK_UN);
	if (full)
		rc = rotate(log, err);
	return rc;
}

int eventlog_append(struct eventlog *log, const json_t *ev, struct cc_error **err)
{
	struct timespec now;
	cleanup_free char *line = NULL;

	clock_gettime(CLOCK_REALTIME, &now);
	line = eventlog_format(ev, log->run_id, &now);
	return append_line(log, line, err);
}

int eventlog_append_to(const char *what, const char *path, int64_t max_bytes, int keep, const char *line,
		       struct cc_error **err)
{
	struct eventlog *log;
	int rc;

	if (open_named(what, path, max_bytes, keep, "", &log, err) < 0)
		return -1;
	rc = append_line(log, line, err);
	eventlog_close(log);
	return rc;
}
