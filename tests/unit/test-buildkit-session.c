/* buildkit-grpc: the session's gRPC server over a socketpair, with
 * nghttp2 as the client (as dockerd's grpc-go client would be): health,
 * unknown methods, metadata, statuses, large messages both ways under flow
 * control, concurrent calls, resets, a malformed message, and stop or a
 * closed peer while methods wait. */
#include "buildkit-grpc.h"
#include "error.h"
#include "tap.h"
#include "util.h"

#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- a small gRPC client ---- */

struct call {
	int32_t id;
	uint8_t *body; /* framed request messages */
	size_t body_len, body_pos;
	int hold; /* keep the request open (no END_STREAM) */
	struct strbuf resp;
	int status; /* grpc-status, -1 when none came */
	char message[256];
	int closed;
	uint32_t code; /* RST_STREAM code, 0 when closed normally */
};

struct client {
	nghttp2_session *h;
	int fd;
};

static void frame(struct call *c, const void *msg, size_t len, int flag)
{
	uint8_t p[5] = { (uint8_t)flag, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };

	c->body = xrealloc(c->body, c->body_len + 5 + len);
	memcpy(c->body + c->body_len, p, 5);
	if (len)
		memcpy(c->body + c->body_len + 5, msg, len);
	c->body_len += 5 + len;
}

static ssize_t body_read(nghttp2_session *h, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	struct call *c = src->ptr;
	size_t n = c->body_len - c->body_pos;

	if (n > length)
		n = length;
	if (n)
		memcpy(buf, c->body + c->body_pos, n);
	c->body_pos += n;
	if (c->body_pos == c->body_len && !c->hold)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	else if (!n)
		return NGHTTP2_ERR_DEFERRED;
	return (ssize_t)n;
}

static int on_header(nghttp2_session *h, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct call *c = nghttp2_session_get_stream_user_data(h, f->hd.stream_id);

	if (c && namelen == 11 && !memcmp(name, "grpc-status", 11))
		c->status = atoi((const char *)value);
	if (c && namelen == 12 && !memcmp(name, "grpc-message", 12))
		snprintf(c->message, sizeof(c->message), "%.*s", (int)valuelen, value);
	return 0;
}

static int on_data(nghttp2_session *h, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	struct call *c = nghttp2_session_get_stream_user_data(h, id);

	if (c)
		strbuf_add(&c->resp, data, len);
	return 0;
}

static int on_close(nghttp2_session *h, int32_t id, uint32_t code, void *user)
{
	struct call *c = nghttp2_session_get_stream_user_data(h, id);

	if (c) {
		c->closed = 1;
		c->code = code;
	}
	return 0;
}

static void client_init(struct client *cl, int fd)
{
	nghttp2_session_callbacks *cb;

	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	nghttp2_session_client_new(&cl->h, cb, cl);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(cl->h, NGHTTP2_FLAG_NONE, NULL, 0);
	cl->fd = fd;
}

static void call_start(struct client *cl, struct call *c, const char *path, const nghttp2_nv *extra, size_t nextra)
{
	nghttp2_nv nv[16] = {
		{ (uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"localhost", 10, 9, 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
		{ (uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0 },
		{ (uint8_t *)"te", (uint8_t *)"trailers", 2, 8, 0 },
	};
	nghttp2_data_provider dp = { .source.ptr = c, .read_callback = body_read };
	size_t i;

	for (i = 0; i < nextra; i++)
		nv[6 + i] = extra[i];
	c->status = -1;
	c->id = nghttp2_submit_request(cl->h, NULL, nv, 6 + nextra, &dp, c);
}

/* Pump the connection until done(ctx) or ms pass; 1 when done. */
static int client_run(struct client *cl, int (*done)(void *), void *ctx, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const uint8_t *data;
		uint8_t buf[16384];
		struct pollfd p = { cl->fd, POLLIN, 0 };
		ssize_t n;

		while ((n = nghttp2_session_mem_send(cl->h, &data)) > 0)
			if (write(cl->fd, data, (size_t)n) != n)
				return 0;
		if (done(ctx))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return 0;
		if (poll(&p, 1, 20) > 0) {
			n = read(cl->fd, buf, sizeof(buf));
			if (n <= 0 || nghttp2_session_mem_recv(cl->h, buf, (size_t)n) < 0)
				return done(ctx);
		}
	}
}

static int call_closed(void *ctx)
{
	return ((struct call *)ctx)->closed;
}

/* The response's I-th message (borrowed) and its length; NULL past the end. */
static const uint8_t *resp_msg(const struct call *c, size_t i, size_t *len)
{
	const uint8_t *p = (const uint8_t *)c->resp.buf, *end = p + c->resp.len;

	while (p && end - p >= 5) {
		size_t n = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];

		if ((size_t)(end - p - 5) < n)
			return NULL;
		if (i-- == 0) {
			*len = n;
			return p + 5;
		}
		p += 5 + n;
	}
	return NULL;
}

static void call_release(struct call *c)
{
	free(c->body);
	strbuf_release(&c->resp);
}

/* ---- methods ---- */

struct probe {
	atomic_int waiting, ended, got_reset;
};

/* Echo every message back, then succeed. */
static int echo(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	uint8_t *m;
	size_t len;
	int rc;

	while ((rc = bk_stream_recv(s, &m, &len, err)) > 0) {
		rc = bk_stream_send(s, m, len, err);
		free(m);
		if (rc < 0)
			return 1;
	}
	return rc < 0 ? 1 : 0;
}

/* Answer the "dir-name" values and the count of "include-patterns". */
static int meta(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	const char *v;
	size_t i;

	for (i = 0; (v = bk_stream_meta(s, "include-patterns", i)); i++)
		if (bk_stream_send(s, v, strlen(v), err) < 0)
			return 1;
	v = bk_stream_meta(s, "dir-name", 0);
	return bk_stream_send(s, v ? v : "-", v ? strlen(v) : 1, err) < 0 ? 1 : 0;
}

static int not_found(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	cc_error_set(err, "no such dir: 100%% gone\n");
	return 5;
}

/* Wait in recv and record how it ended. */
static int wait_recv(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	struct probe *p = ctx;
	uint8_t *m = NULL;
	size_t len;
	int rc;

	atomic_store(&p->waiting, 1);
	rc = bk_stream_recv(s, &m, &len, err);
	free(m);
	atomic_store(&p->got_reset, rc < 0);
	atomic_store(&p->ended, 1);
	return 1;
}

/* Send 8 MiB in 1 MiB messages without reading anything. */
static int flood(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	uint8_t *big = xmalloc(1u << 20);
	int i, rc = 0;

	for (i = 0; i < 8 && rc == 0; i++) {
		memset(big, 'a' + i, 1u << 20);
		rc = bk_stream_send(s, big, 1u << 20, err);
	}
	free(big);
	return rc < 0 ? 1 : 0;
}

/* ---- tests ---- */

struct fixture {
	int fds[2];
	struct bk_grpc *g;
	struct client cl;
	struct probe probe;
};

static void fixture_start(struct fixture *f)
{
	struct bk_method m[] = { { "/t.T/Echo", echo, NULL },
				 { "/t.T/Meta", meta, NULL },
				 { "/t.T/NotFound", not_found, NULL },
				 { "/t.T/Wait", wait_recv, &f->probe },
				 { "/t.T/Flood", flood, NULL } };
	struct bk_transport t;
	struct cc_error *err = NULL;

	memset(f, 0, sizeof(*f));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds))
		BUG("socketpair");
	t = bk_transport_fd(f->fds[0]);
	f->g = bk_grpc_start(&t, NULL, 0, m, sizeof(m) / sizeof(m[0]), &err);
	if (!f->g)
		BUG("bk_grpc_start: %s", err->msg);
	client_init(&f->cl, f->fds[1]);
}

static void fixture_stop(struct fixture *f)
{
	bk_grpc_stop(f->g);
	nghttp2_session_del(f->cl.h);
	close(f->fds[0]);
	close(f->fds[1]);
}

static void test_health_and_unknown(void)
{
	struct fixture f;
	struct call h = { 0 }, u = { 0 };
	const uint8_t *m;
	size_t len = 0;

	fixture_start(&f);
	frame(&h, NULL, 0, 0);
	call_start(&f.cl, &h, BK_GRPC_HEALTH_METHOD, NULL, 0);
	ok(client_run(&f.cl, call_closed, &h, 5000), "health check answered");
	m = resp_msg(&h, 0, &len);
	ok(m && len == 2 && m[0] == 0x08 && m[1] == 0x01, "health says SERVING");
	is_int(h.status, 0, "health: grpc-status 0");
	frame(&u, NULL, 0, 0);
	call_start(&f.cl, &u, "/no.Such/Method", NULL, 0);
	ok(client_run(&f.cl, call_closed, &u, 5000), "unknown method answered");
	is_int(u.status, 12, "unknown method: UNIMPLEMENTED");
	ok(!resp_msg(&u, 0, &len), "unknown method: no message");
	is_int(bk_grpc_stats(f.g).calls, 2, "two calls counted");
	call_release(&h);
	call_release(&u);
	fixture_stop(&f);
}

static void test_meta_and_status(void)
{
	nghttp2_nv nv[] = { { (uint8_t *)"dir-name", (uint8_t *)"context", 8, 7, 0 },
			    { (uint8_t *)"include-patterns", (uint8_t *)"a/*", 16, 3, 0 },
			    { (uint8_t *)"include-patterns", (uint8_t *)"b", 16, 1, 0 } };
	struct fixture f;
	struct call c = { 0 }, e = { 0 };
	const uint8_t *m;
	size_t len = 0;

	fixture_start(&f);
	call_start(&f.cl, &c, "/t.T/Meta", nv, 3);
	ok(client_run(&f.cl, call_closed, &c, 5000), "meta call ended");
	m = resp_msg(&c, 0, &len);
	ok(m && len == 3 && !memcmp(m, "a/*", 3), "first repeated value");
	m = resp_msg(&c, 1, &len);
	ok(m && len == 1 && *m == 'b', "second repeated value");
	m = resp_msg(&c, 2, &len);
	ok(m && len == 7 && !memcmp(m, "context", 7), "single value");
	is_int(c.status, 0, "meta: OK");
	call_start(&f.cl, &e, "/t.T/NotFound", NULL, 0);
	ok(client_run(&f.cl, call_closed, &e, 5000), "failing call ended");
	is_int(e.status, 5, "the method's status is the call's");
	is_str(e.message, "no such dir: 100%25 gone%0A", "grpc-message is percent-encoded");
	call_release(&c);
	call_release(&e);
	fixture_stop(&f);
}

static int all_closed(void *ctx)
{
	struct call *c = ctx;
	int i;

	for (i = 0; i < 8; i++)
		if (!c[i].closed)
			return 0;
	return 1;
}

/* 8 concurrent echo calls of 3 MiB each, in messages up to 1 MiB: more
 * than every window on the way, so both directions wait on flow control. */
static void test_concurrent_large(void)
{
	struct fixture f;
	struct call c[8];
	uint8_t *big = xmalloc(1u << 20);
	int i, j, good = 1;

	memset(c, 0, sizeof(c));
	fixture_start(&f);
	for (i = 0; i < 8; i++) {
		for (j = 0; j < 3; j++) {
			memset(big, 'A' + i + j, 1u << 20);
			frame(&c[i], big, (1u << 20) - (size_t)j, 0);
		}
		frame(&c[i], "", 0, 0);
		call_start(&f.cl, &c[i], "/t.T/Echo", NULL, 0);
	}
	ok(client_run(&f.cl, all_closed, c, 60000), "8 concurrent 3 MiB echoes ended");
	for (i = 0; i < 8; i++) {
		const uint8_t *m;
		size_t len = 0;

		good &= c[i].status == 0 && c[i].resp.len == c[i].body_len;
		for (j = 0; j < 3; j++) {
			m = resp_msg(&c[i], (size_t)j, &len);
			good &= m && len == (1u << 20) - (size_t)j && m[0] == 'A' + i + j && m[len - 1] == 'A' + i + j;
		}
		good &= resp_msg(&c[i], 3, &len) && len == 0;
	}
	ok(good, "every echo came back whole and in order");
	ok(bk_grpc_stats(f.g).bytes_in >= 8 * 3 * (1u << 20), "bytes in counted");
	for (i = 0; i < 8; i++)
		call_release(&c[i]);
	free(big);
	fixture_stop(&f);
}

static int probe_waiting(void *ctx)
{
	return atomic_load(&((struct probe *)ctx)->waiting);
}

static int probe_ended(void *ctx)
{
	return atomic_load(&((struct probe *)ctx)->ended);
}

static void test_reset_and_malformed(void)
{
	struct fixture f;
	struct call w = { 0 }, bad = { 0 }, after = { 0 };

	fixture_start(&f);
	w.hold = 1;
	call_start(&f.cl, &w, "/t.T/Wait", NULL, 0);
	ok(client_run(&f.cl, probe_waiting, &f.probe, 5000), "method waits in recv");
	nghttp2_submit_rst_stream(f.cl.h, NGHTTP2_FLAG_NONE, w.id, NGHTTP2_CANCEL);
	ok(client_run(&f.cl, probe_ended, &f.probe, 5000), "a reset call's recv returns");
	ok(atomic_load(&f.probe.got_reset), "with an error");
	frame(&bad, "xyz", 3, 1); /* compressed: we offered no compression */
	call_start(&f.cl, &bad, "/t.T/Echo", NULL, 0);
	ok(client_run(&f.cl, call_closed, &bad, 5000), "a compressed message ends the call");
	ok(bad.code != 0 || bad.status != 0, "not as a success");
	frame(&after, "ok", 2, 0);
	call_start(&f.cl, &after, "/t.T/Echo", NULL, 0);
	ok(client_run(&f.cl, call_closed, &after, 5000) && after.status == 0, "the session still serves");
	call_release(&w);
	call_release(&bad);
	call_release(&after);
	fixture_stop(&f);
}

/* The client reads nothing: the method's sends must block (bounded
 * memory), and stop must still end it. */
static void test_stop_with_blocked_calls(void)
{
	struct fixture f;
	struct call w = { 0 }, fl = { 0 };
	struct timespec pause = { 0, 200 * 1000000 };

	fixture_start(&f);
	w.hold = 1;
	call_start(&f.cl, &w, "/t.T/Wait", NULL, 0);
	frame(&fl, NULL, 0, 0);
	call_start(&f.cl, &fl, "/t.T/Flood", NULL, 0);
	ok(client_run(&f.cl, probe_waiting, &f.probe, 5000), "method waits in recv");
	nanosleep(&pause, NULL); /* the flood fills the windows and blocks */
	ok(!fl.closed, "a sender blocked by flow control is not done");
	bk_grpc_stop(f.g);
	ok(atomic_load(&f.probe.ended) && atomic_load(&f.probe.got_reset), "stop fails a waiting recv");
	f.g = NULL;
	call_release(&w);
	call_release(&fl);
	fixture_stop(&f);
}

static void test_peer_closes(void)
{
	struct fixture f;
	struct call w = { 0 };
	char *why = NULL;
	int i;

	fixture_start(&f);
	w.hold = 1;
	call_start(&f.cl, &w, "/t.T/Wait", NULL, 0);
	ok(client_run(&f.cl, probe_waiting, &f.probe, 5000), "method waits in recv");
	shutdown(f.fds[1], SHUT_RDWR);
	for (i = 0; i < 500 && !atomic_load(&f.probe.ended); i++)
		usleep(10000);
	ok(atomic_load(&f.probe.got_reset), "a closed connection fails the waiting recv");
	ok(!bk_grpc_alive(f.g, &why), "the server knows it is dead");
	ok(why && strstr(why, "closed"), "and why: %s", why ? why : "(null)");
	free(why);
	call_release(&w);
	fixture_stop(&f);
}

int main(void)
{
	test_health_and_unknown();
	test_meta_and_status();
	test_concurrent_large();
	test_reset_and_malformed();
	test_stop_with_blocked_calls();
	test_peer_closes();
	return done_testing();
}
