/* buildkit-session (buildkit-session.h): POST /session on a connection
 * curl opens (CURLOPT_CONNECT_ONLY: unix socket, TCP or TLS alike), the
 * HTTP/1.1 upgrade written and read by hand, then the connection handed to
 * the gRPC server with curl_easy_recv/curl_easy_send as its transport.
 * moby: api/server/router/session; BuildKit: session/manager.go
 * (HandleHTTPRequest answers 101 and dials gRPC back over the hijacked
 * connection), session/session.go (the header names). */
#include "buildkit-session.h"
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPEN_TIMEOUT_MS 30000
#define MAX_ANSWER (16u << 10)

struct bk_session {
	CURL *curl;
	struct bk_grpc *grpc;
	char id[33];
};

static ssize_t curl_read(void *ctx, void *buf, size_t n)
{
	size_t got = 0;
	CURLcode rc = curl_easy_recv(ctx, buf, n, &got);

	if (rc == CURLE_AGAIN)
		errno = EAGAIN;
	else if (rc != CURLE_OK)
		errno = ECONNRESET;
	return rc == CURLE_OK ? (ssize_t)got : -1;
}

static ssize_t curl_write(void *ctx, const void *buf, size_t n)
{
	size_t sent = 0;
	CURLcode rc = curl_easy_send(ctx, buf, n, &sent);

	if (rc == CURLE_AGAIN)
		errno = EAGAIN;
	else if (rc != CURLE_OK)
		errno = EPIPE;
	return rc == CURLE_OK ? (ssize_t)sent : -1;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Wait until sock is ready for events; -1 with *err after the deadline. */
static int wait_sock(curl_socket_t sock, short events, const struct timespec *t0, struct cc_error **err)
{
	struct pollfd p = { sock, events, 0 };
	long left = OPEN_TIMEOUT_MS - ms_since(t0);

	if (left <= 0 || poll(&p, 1, (int)left) == 0)
		return cc_error_set(err, "engine: POST /session: no answer in %d s", OPEN_TIMEOUT_MS / 1000);
	return 0;
}

/* A header value with control characters replaced: no header injection. */
static void header_add(struct strbuf *b, const char *name, const char *value)
{
	strbuf_addf(b, "%s: ", name);
	for (; *value; value++)
		strbuf_addch(b, (unsigned char)*value < 0x20 || *value == 0x7f ? '_' : *value);
	strbuf_addstr(b, "\r\n");
}

/* The upgrade request for the URL curl was given ("http://HOST/vX/session"). */
static char *session_request(CURL *c, const char *id, const char *name, const char *key, const struct bk_method *m,
			     size_t n)
{
	struct strbuf b = STRBUF_INIT;
	const char *url = NULL, *host, *path;
	size_t i;

	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
	host = url && strstr(url, "://") ? strstr(url, "://") + 3 : "localhost/session";
	path = strchr(host, '/') ? strchr(host, '/') : "/session";
	strbuf_addf(&b, "POST %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: ccbuild\r\n", path, (int)(path - host), host);
	strbuf_addstr(&b, "Upgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 0\r\n");
	header_add(&b, "X-Docker-Expose-Session-Uuid", id);
	header_add(&b, "X-Docker-Expose-Session-Name", name ? name : "ccbuild");
	header_add(&b, "X-Docker-Expose-Session-Sharedkey", key ? key : "");
	header_add(&b, "X-Docker-Expose-Session-Grpc-Method", BK_GRPC_HEALTH_METHOD);
	for (i = 0; i < n; i++)
		header_add(&b, "X-Docker-Expose-Session-Grpc-Method", m[i].path);
	strbuf_addstr(&b, "\r\n");
	return strbuf_detach(&b);
}

static int send_all(CURL *c, curl_socket_t sock, const char *data, size_t len, const struct timespec *t0,
		    struct cc_error **err)
{
	while (len) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(c, data, len, &sent);

		if (rc == CURLE_AGAIN) {
			if (wait_sock(sock, POLLOUT, t0, err) < 0)
				return -1;
		} else if (rc != CURLE_OK) {
			return cc_error_set(err, "engine: POST /session: %s", curl_easy_strerror(rc));
		}
		data += sent;
		len -= sent;
	}
	return 0;
}

/* Read the answer's head into head (with what followed it: the daemon's
 * HTTP/2 preface may come in the same read); *body_at is where the head
 * ends, *status its code. */
static int read_answer(CURL *c, curl_socket_t sock, struct strbuf *head, size_t *body_at, int *status,
		       const struct timespec *t0, struct cc_error **err)
{
	char buf[4096], *end;

	while (!head->len || !(end = memmem(head->buf, head->len, "\r\n\r\n", 4))) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(c, buf, sizeof(buf), &got);

		if (rc == CURLE_AGAIN) {
			if (wait_sock(sock, POLLIN, t0, err) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK || got == 0)
			return cc_error_set(err, "engine: POST /session: the daemon closed the connection%s%s",
					    rc != CURLE_OK ? ": " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "");
		strbuf_add(head, buf, got);
		if (head->len > MAX_ANSWER)
			return cc_error_set(err, "engine: POST /session: the answer's head is over %u bytes",
					    MAX_ANSWER);
	}
	*body_at = (size_t)(end - head->buf) + 4;
	if (sscanf(head->buf, "HTTP/1.%*d %d", status) != 1)
		return cc_error_set(err, "engine: POST /session: the answer is not HTTP: %.*s",
				    (int)strcspn(head->buf, "\r\n"), head->buf);
	return 0;
}

static int session_id(char id[33], struct cc_error **err)
{
	unsigned char r[16];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return cc_error_set(err, "engine: no random bytes for a session id");
	for (i = 0; i < sizeof(r); i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* An answer other than 101: the daemon has no session endpoint (or
 * refused this one); its status and message say which. */
static int session_refused(int status, const struct strbuf *head, size_t body_at, struct cc_error **err)
{
	const char *body = head->buf + body_at;
	size_t len = head->len - body_at;
	json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));

	cc_error_set(err, "engine: POST /session: %d: %s", status,
		     msg	     ? msg
		     : status == 404 ? "the daemon has no session endpoint"
				     : "not upgraded");
	json_decref(j);
	return BK_SESSION_UNSUPPORTED;
}

/* Connect, send the upgrade, read the answer: the session's head or an error. */
static int session_upgrade(struct bk_session *s, const char *name, const char *key, const struct bk_method *m, size_t n,
			   struct strbuf *head, size_t *body_at, curl_socket_t *sockp, struct cc_error **err)
{
	cleanup_free char *req = session_request(s->curl, s->id, name, key, m, n);
	curl_socket_t sock = CURL_SOCKET_BAD;
	struct timespec t0;
	int status = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK || sock == CURL_SOCKET_BAD)
		return cc_error_set(err, "engine: POST /session: no connection");
	if (send_all(s->curl, sock, req, strlen(req), &t0, err) < 0 ||
	    read_answer(s->curl, sock, head, body_at, &status, &t0, err) < 0)
		return -1;
	if (status != 101)
		return session_refused(status, head, *body_at, err);
	*sockp = sock;
	return 0;
}

int bk_session_open(struct engine *e, const char *name, const char *shared_key, const struct bk_method *methods,
		    size_t n, struct bk_session **out, struct cc_error **err)
{
	struct bk_session *s = xcalloc(1, sizeof(*s));
	struct strbuf head = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE];
	curl_socket_t sock = CURL_SOCKET_BAD;
	struct bk_transport t;
	size_t body_at = 0;
	CURLcode code;
	int rc = 0;

	if (session_id(s->id, err) < 0 || !(s->curl = engine_curl(e, "POST", "/session", errbuf, &rc, err))) {
		free(s);
		return rc < 0 ? rc : -1;
	}
	curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
	if ((code = curl_easy_perform(s->curl)) != CURLE_OK)
		rc = engine_curl_error(e, code, errbuf, err);
	else if ((rc = session_upgrade(s, name, shared_key, methods, n, &head, &body_at, &sock, err)) == 0) {
		t = (struct bk_transport){ curl_read, curl_write, s->curl, (int)sock };
		s->grpc = bk_grpc_start(&t, head.buf + body_at, head.len - body_at, methods, n, err);
		rc = s->grpc ? 0 : -1;
	}
	strbuf_release(&head);
	if (rc != 0) {
		curl_easy_cleanup(s->curl);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const char *bk_session_id(const struct bk_session *s)
{
	return s->id;
}

int bk_session_alive(struct bk_session *s, char **why)
{
	return bk_grpc_alive(s->grpc, why);
}

struct bk_grpc_stats bk_session_stats(struct bk_session *s)
{
	return bk_grpc_stats(s->grpc);
}

void bk_session_close(struct bk_session *s)
{
	if (!s)
		return;
	bk_grpc_stop(s->grpc);
	curl_easy_cleanup(s->curl);
	free(s);
}
