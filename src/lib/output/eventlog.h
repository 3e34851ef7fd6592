/* eventlog: the events of every run appended to one JSON-lines file that
 * outlives the terminal (format: docs/technical/observability.md and the
 * top of eventlog.c).  Each line is written with one write() on an
 * O_APPEND descriptor, so the lines of runs appending at once never mix;
 * the file rotates by size (PATH.1 .. PATH.KEEP) under a lock file
 * PATH.lock that every writer holds shared while it appends. */
#ifndef CC_EVENTLOG_H
#define CC_EVENTLOG_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

struct cc_error;
struct eventlog;

/* The format version every line carries as "v". */
#define EVENTLOG_VERSION 1

/* Open (create, mode 0644) path for appending; rotate once it reaches
 * max_bytes (0: never), keeping `keep` rotated files.  run_id (copied)
 * goes into every line.  Caller closes; -1 with err naming the path. */
int eventlog_open(const char *path, int64_t max_bytes, int keep, const char *run_id, struct eventlog **out,
		  struct cc_error **err);
/* Append ev (borrowed) as one line: {"v","ts","run_id", ev's fields...}.
 * -1 with err (the line is not written; a short write is reported). */
int eventlog_append(struct eventlog *log, const json_t *ev, struct cc_error **err);
/* Append line (its own format, with its "\n") to path as eventlog_append
 * would, rotating at max_bytes (0: never) keeping `keep` files, under the
 * same PATH.lock; for writers of one line per run (the metrics history,
 * traces.jsonl).  Errors name `what` (static) and the path; -1 with err. */
int eventlog_append_to(const char *what, const char *path, int64_t max_bytes, int keep, const char *line,
		       struct cc_error **err);
/* The line eventlog_append writes, with its "\n"; caller frees. */
char *eventlog_format(const json_t *ev, const char *run_id, const struct timespec *when);
/* NULL is fine. */
void eventlog_close(struct eventlog *log);

#endif
