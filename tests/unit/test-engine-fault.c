/* engine against a fake daemon on a unix socket (a thread here) that
 * misbehaves: HTTP 500, a connection dropped mid-stream, an error line,
 * garbage.  Errors must be clear, nothing may crash or leak. */
#include "engine.h"
#include "error.h"
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNKED "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

/* One canned answer per connection, in order; NULL ends the server. */
static const char *answers[] = {
	"HTTP/1.1 200 OK\r\nApi-Version: 1.40\r\nBuilder-Version: 1\r\nContent-Length: 2\r\n\r\nOK",
	"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n"
	"{\"message\":\"boom from fake\"}\n",
	CHUNKED "29\r\n{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n\r\n", /* then hangs up */
	CHUNKED "23\r\n{\"stream\":\"Step 2/2 : RUN make\\n\"}\n\r\n"
		"1d\r\n{\"stream\":\"cc: bad thing\\n\"}\n\r\n"
		"3c\r\n{\"errorDetail\":{\"message\":\"it broke\"},\"error\":\"it broke\"}\n\r\n0\r\n\r\n",
	CHUNKED "9\r\nnot json\n\r\n1c\r\n{\"aux\":{\"ID\":\"sha256:abc\"}}\n\r\n0\r\n\r\n",
	CHUNKED
	"4e\r\n{\"errorDetail\":{\"message\":\"no active sessions\"},\"error\":\"no active sessions\"}\n\r\n0\r\n\r\n",
	"hello, I am not HTTP\r\n",
	NULL,
};

struct server {
	int fd;
	struct strbuf requests[9]; /* what each connection sent */
};

/* Read a request: headers, then a chunked body up to its last chunk. */
static void read_request(int c, struct strbuf *req)
{
	char buf[4096];
	ssize_t n;
	char *end;

	while ((n = read(c, buf, sizeof(buf))) > 0) {
		strbuf_add(req, buf, (size_t)n);
		end = strstr(req->buf, "\r\n\r\n");
		if (end && !strstr(req->buf, "chunked"))
			return;
		if (end && req->len >= 5 && !memcmp(req->buf + req->len - 5, "0\r\n\r\n", 5))
			return;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	size_t i;

	for (i = 0; answers[i]; i++) {
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			break;
		read_request(c, &s->requests[i]);
		if (write(c, answers[i], strlen(answers[i])) < 0)
			i += 0;
		close(c);
	}
	return NULL;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return -1;
	return fd;
}

static int fake_build(struct engine *e, char **id, struct cc_error **err)
{
	struct engine_build_req req = { .dockerfile_data = "FROM scratch\n", .dockerfile_len = 13 };

	return engine_build(e, &req, NULL, NULL, NULL, id, err);
}

static void check_build(struct engine *e, const char *want, const char *name)
{
	struct cc_error *err = NULL;
	char *id = NULL;

	ok(fake_build(e, &id, &err) < 0 && !id, "%s: fails", name);
	ok(err && strstr(err->msg, want), "%s: clear error", name);
	if (err)
		printf("# %.*s\n", (int)strcspn(err->msg, "\n"), err->msg);
	cc_error_free(err);
}

int main(void)
{
	struct server s = { 0 };
	cleanup_free char *path = xasprintf("/tmp/cc-fake-%ld.sock", (long)getpid());
	cleanup_free char *host = xasprintf("unix://%s", path);
	struct cc_error *err = NULL;
	struct engine *e;
	pthread_t t;
	char *id = NULL;
	size_t i;

	s.fd = listen_unix(path);
	pthread_create(&t, NULL, serve, &s);
	e = engine_open(host, &err);
	is_int(engine_ping(e, &err), 0, "ping the fake");
	is_str(engine_api_version(e), "1.40", "older daemon: its version");
	is_int(engine_has_buildkit(e), 0, "Builder-Version: 1 means no BuildKit");
	check_build(e, "engine: 500: boom from fake", "HTTP 500");
	ok(str_has_prefix(s.requests[1].buf, "POST /v1.40/build?version=1&dockerfile=.ccbuild.Dockerfile"),
	   "request line");
	ok(strstr(s.requests[1].buf, "Transfer-Encoding: chunked") &&
		   strstr(s.requests[1].buf, "Content-Type: application/x-tar"),
	   "streamed tar body");
	ok(memmem(s.requests[1].buf, s.requests[1].len, "FROM scratch", 12), "injected Dockerfile sent");
	check_build(e, "transfer closed", "dropped mid-stream");
	check_build(e, "build failed at Step 2/2 : RUN make: it broke\n  | cc: bad thing", "error line");
	is_int(fake_build(e, &id, &err), 0, "garbage lines are skipped");
	is_str(id, "sha256:abc", "image id from aux");
	free(id);
	check_build(e, "no active sessions (the engine needed registry credentials", "BuildKit without a session");
	check_build(e, "engine: ", "not HTTP");
	pthread_join(t, NULL);
	close(s.fd);
	check_build(e, "cannot connect", "server gone");
	engine_close(e);
	unlink(path);
	for (i = 0; i < 9; i++)
		strbuf_release(&s.requests[i]);
	return done_testing();
}
