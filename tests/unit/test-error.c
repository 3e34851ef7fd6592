/* test-error: the error convention (error.h): set, wrap, count, BUG(). */
#include "error.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int bug_line;

/* Run BUG() in a child with stderr into a pipe: what it said, and how it died. */
static int bug_in_child(char *buf, size_t cap, int *status)
{
	int fd[2];
	ssize_t n, got = 0;
	pid_t pid;

	fflush(stdout);		 /* or the child's exit may write the TAP lines so far again */
	bug_line = __LINE__ + 6; /* the BUG() below */
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		BUG("step %s has no %s dependency", "push:web", "build");
	}
	close(fd[1]);
	while (got < (ssize_t)cap - 1 && (n = read(fd[0], buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd[0]);
	return waitpid(pid, status, 0) == pid ? 0 : -1;
}

int main(void)
{
	struct cc_error *err = NULL;
	char buf[512], want[256];
	int status = 0;

	ok(cc_error_set(&err, "engine: %d", 500) == -1, "cc_error_set returns -1");
	cc_error_set(&err, "second");
	ok(cc_error_wrap(&err, "building %s", "web") == -1, "cc_error_wrap returns -1");
	is_str(err->msg, "building web: engine: 500", "wrap prefixes the context");
	is_str(err->next->msg, "building web: second", "wrap prefixes every error of the chain");
	is_int(cc_error_count(err), 2, "two errors chained");
	cc_error_free(err);
	ok(cc_error_set(NULL, "dropped") == -1, "a NULL err discards the message");

	ok(bug_in_child(buf, sizeof(buf), &status) == 0, "BUG() ran in a child");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "BUG() aborts (status %#x)", status);
	snprintf(want, sizeof(want), "ccbuild: BUG: %s:%d: step push:web has no build dependency\n", __FILE__,
		 bug_line);
	is_str(buf, want, "BUG() says file:line and what");
	return done_testing();
}
