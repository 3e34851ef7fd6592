/* watch-serve: the fsmonitor service (watch-serve.h, fsmonitor.h). */
#include "watch-serve.h"
#include "error.h"
#include "fsmonitor.h"
#include "ignore.h"
#include "util.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX 8192
#define CLIENT_MS 1000 /* a client that does not send or read in time is dropped */

struct watch_server {
	struct watch *w;
	int fd, stop_pipe[2];
	char *path;
	pthread_t thread;
	atomic_ulong answered;
};

/* The request line within CLIENT_MS; 0 or -1. */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, CLIENT_MS) <= 0)
			return -1;
		if ((n = read(fd, buf + len, cap - 1 - len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			return 0;
	}
	return -1;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&pf, 1, CLIENT_MS) <= 0)
			return;
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The answer to request fields token, root, rules into sb. */
static void answer(struct watch_server *srv, const char *token, const char *root, const char *rules, struct strbuf *sb)
{
	struct strlist paths = { 0 };
	char now[WATCH_TOKEN_MAX], have[65];
	const char *why = NULL;
	int found, known;
	const struct ignore *ig = watch_tree_rules(srv->w, root, &found);

	fsmonitor_rules_digest(ig, have);
	watch_lock(srv->w);
	if (watch_drain(srv->w, NULL) < 0)
		why = "reading events failed";
	watch_token(srv->w, now);
	known = watch_changes_since(srv->w, token, root, &paths);
	watch_unlock(srv->w);
	if (!why && !found)
		why = "not a watched tree";
	else if (!why && strcmp(have, rules))
		why = "ignore rules differ";
	else if (!why && !known)
		why = "token unknown or too old";
	if (why) {
		strbuf_addf(sb, "rescan\t%s\t%s\n", now, why);
	} else {
		strbuf_addf(sb, "ok\t%s\n", now);
		for (size_t i = 0; i < paths.n; i++)
			strbuf_add(sb, paths.v[i], strlen(paths.v[i]) + 1);
	}
	strlist_release(&paths);
}

static void serve_one(struct watch_server *srv, int fd)
{
	char buf[REQUEST_MAX], *field[4], *save = NULL, *p = buf;
	struct strbuf sb = STRBUF_INIT;
	int n = 0;

	if (read_request(fd, buf, sizeof(buf)) < 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	while (n < 4 && (field[n] = strtok_r(p, "\t", &save))) {
		p = NULL;
		n++;
	}
	if (n != 4 || strcmp(field[0], FSMONITOR_HELLO))
		strbuf_addstr(&sb, "rescan\t-\tbad request\n");
	else
		answer(srv, strcmp(field[1], "-") ? field[1] : NULL, field[2], field[3], &sb);
	write_all(fd, sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	atomic_fetch_add(&srv->answered, 1);
}

static void *serve_thread(void *data)
{
	struct watch_server *srv = data;

	for (;;) {
		struct pollfd p[2] = { { .fd = srv->fd, .events = POLLIN },
				       { .fd = srv->stop_pipe[0], .events = POLLIN } };
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN) || (c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		serve_one(srv, c);
		close(c);
	}
	return NULL;
}

/* A socket at path that answers: another watch serves it. */
static int socket_live(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live = fd >= 0 && connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0;

	if (fd >= 0)
		close(fd);
	return live;
}

static int listen_on(const char *path, struct cc_error **err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return cc_error_set(err, "%s: the socket path is too long", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (socket_live(&a))
		return cc_error_set(err, "%s: another ccbuild watch serves this state directory", path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return cc_error_set(err, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		cc_error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct watch_server *watch_serve_start(struct watch *w, const char *path, struct cc_error **err)
{
	struct watch_server *srv;
	int fd = listen_on(path, err);

	if (fd < 0)
		return NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->w = w;
	srv->fd = fd;
	srv->path = xstrdup(path);
	if (pipe2(srv->stop_pipe, O_CLOEXEC) < 0) {
		srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
		errno = errno ? errno : EMFILE;
	} else if ((errno = pthread_create(&srv->thread, NULL, serve_thread, srv)) != 0) {
		close(srv->stop_pipe[0]);
		close(srv->stop_pipe[1]);
		srv->stop_pipe[0] = -1;
	}
	if (srv->stop_pipe[0] < 0) {
		cc_error_set(err, "starting the watch service: %s", strerror(errno));
		close(fd);
		unlink(path);
		free(srv->path);
		free(srv);
		return NULL;
	}
	return srv;
}

unsigned long watch_serve_count(struct watch_server *srv)
{
	return srv ? atomic_load(&srv->answered) : 0;
}

void watch_serve_stop(struct watch_server *srv)
{
	if (!srv)
		return;
	if (write(srv->stop_pipe[1], "x", 1) == 1)
		pthread_join(srv->thread, NULL);
	close(srv->stop_pipe[0]);
	close(srv->stop_pipe[1]);
	close(srv->fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}
