/* eventlog: the line format, rotation by size keeping N files, and
 * processes appending at once (with rotation going on) leave only whole
 * lines. */
#include "error.h"
#include "eventlog.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN "0123456789abcdef0123456789abcdef"

static char *dir;

static void test_format(void)
{
	struct timespec when = { 1796126400, 123456789 }; /* 2026-12-01T12:00:00.123Z */
	json_t *ev = json_pack("{s:s, s:s, s:s}", "event", "step_end", "step", "build:a\nb", "v", "not mine");
	char *line = eventlog_format(ev, RUN, &when);

	is_str(line,
	       "{\"v\":1,\"ts\":\"2026-12-01T12:00:00.123Z\",\"run_id\":\"" RUN
	       "\",\"event\":\"step_end\",\"step\":\"build:a\\nb\"}\n",
	       "v, ts (UTC, ms), run_id first; the event's fields after; newlines escaped; v not overridden");
	free(line);
	json_decref(ev);
}

static size_t count_lines(const char *path, int *bad)
{
	char *buf = NULL, *p, *nl;
	size_t len = 0, n = 0;
	json_t *j;

	if (read_file(path, &buf, &len, NULL) < 0)
		return 0;
	for (p = buf; p < buf + len; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(buf + len - p)))) {
			(*bad)++; /* a last line without its newline: torn */
			break;
		}
		*nl = 0;
		if (!(j = json_loads(p, 0, NULL)) || !json_is_object(j))
			(*bad)++;
		json_decref(j);
		n++;
	}
	free(buf);
	return n;
}

static void test_rotation(void)
{
	char *path = path_join(dir, "rot.jsonl"), *p1 = xasprintf("%s.1", path), *p2 = xasprintf("%s.2", path),
	     *p3 = xasprintf("%s.3", path);
	struct eventlog *log = NULL;
	json_t *ev = json_pack("{s:s, s:s}", "event", "message", "text", "0123456789012345678901234567890123456789");
	struct stat st;
	int i, bad = 0;

	ok(eventlog_open(path, 1000, 2, RUN, &log, NULL) == 0, "open");
	for (i = 0; i < 100; i++)
		eventlog_append(log, ev, NULL);
	eventlog_close(log);
	ok(stat(path, &st) == 0 && st.st_size < 1000, "PATH holds the newest lines, under the limit");
	ok(stat(p1, &st) == 0 && st.st_size >= 1000, "PATH.1 is a full rotated file");
	ok(stat(p2, &st) == 0, "PATH.2 kept");
	ok(stat(p3, &st) < 0, "PATH.3 not kept (keep: 2)");
	count_lines(path, &bad);
	count_lines(p1, &bad);
	is_int(bad, 0, "every line whole");
	json_decref(ev);
	free(path);
	free(p1);
	free(p2);
	free(p3);
}

/* 4 processes x 500 lines of ~1-9 KiB, rotating at 256 KiB, keeping 1000
 * files so nothing is dropped: every line arrives whole, exactly once. */
static void test_concurrent(void)
{
	char *path = path_join(dir, "many.jsonl");
	size_t total = 0;
	int i, k, bad = 0, status, failed = 0;
	pid_t pids[4];

	fflush(stdout); /* the children must not print the parent's buffered lines */
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			struct eventlog *log = NULL;

			if (eventlog_open(path, 256 << 10, 1000, RUN, &log, NULL) < 0)
				_exit(1);
			for (k = 0; k < 500; k++) {
				char *pad = xcalloc(1, (size_t)(1024 * (1 + (k + i) % 9)) + 1);
				json_t *ev;

				memset(pad, 'a' + i, (size_t)(1024 * (1 + (k + i) % 9)));
				ev = json_pack("{s:s, s:i, s:i, s:s}", "event", "message", "writer", i, "n", k, "pad",
					       pad);
				if (eventlog_append(log, ev, NULL) < 0)
					_exit(1);
				json_decref(ev);
				free(pad);
			}
			eventlog_close(log);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++)
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	is_int(failed, 0, "4 writers appended without error");
	total += count_lines(path, &bad);
	for (i = 1; i < 1000; i++) {
		char *p = xasprintf("%s.%d", path, i);

		if (access(p, F_OK) == 0)
			total += count_lines(p, &bad);
		free(p);
	}
	is_int(bad, 0, "no torn or mixed line in any file");
	is_int(total, 2000, "every line exactly once across the rotated files");
	free(path);
}

/* One line per call, as the metrics history and traces.jsonl are written:
 * rotated like the events log, and errors name what and where. */
static void test_append_to(void)
{
	char *path = path_join(dir, "hist.jsonl"), *p1 = xasprintf("%s.1", path), *p2 = xasprintf("%s.2", path),
	     *bad_path = path_join(dir, "no/such/h.jsonl");
	struct cc_error *err = NULL;
	struct stat st;
	int i, rc = 0, bad = 0;

	for (i = 0; i < 50; i++)
		rc |= eventlog_append_to("metrics history", path, 200, 1, "{\"v\":1,\"pad\":\"0123456789\"}\n", NULL);
	is_int(rc, 0, "50 single-line appends");
	ok(stat(path, &st) == 0 && st.st_size < 200, "the file rotates at its size");
	ok(stat(p1, &st) == 0 && stat(p2, &st) < 0, "keep: 1 keeps PATH.1 only");
	is_int(count_lines(path, &bad) + count_lines(p1, &bad) <= 50, 1, "no more lines than were written");
	is_int(bad, 0, "every line whole");
	ok(eventlog_append_to("traces", bad_path, 0, 1, "{}\n", &err) < 0 && err && strstr(err->msg, "traces ") &&
		   strstr(err->msg, bad_path),
	   "an error names what and the path");
	cc_error_free(err);
	free(path);
	free(p1);
	free(p2);
	free(bad_path);
}

static void test_unwritable(void)
{
	struct eventlog *log = NULL;
	struct cc_error *err = NULL;
	char *path = path_join(dir, "no/such/dir/ev.jsonl");

	ok(eventlog_open(path, 0, 1, RUN, &log, &err) < 0 && !log, "a path that cannot be created fails");
	ok(err && strstr(err->msg, path) && strstr(err->msg, "No such file"), "the error names the path and why");
	cc_error_free(err);
	free(path);
}

int main(void)
{
	char tmpl[] = "/tmp/ccbuild-eventlog-XXXXXX";

	dir = mkdtemp(tmpl);
	test_format();
	test_rotation();
	test_concurrent();
	test_unwritable();
	test_append_to();
	if (!tap_failed) {
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	return done_testing();
}
