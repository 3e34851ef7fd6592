/* buildkit-grpc (buildkit-grpc.h): gRPC calls served over HTTP/2 by nghttp2.
 *
 * gRPC on HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): a request is HEADERS
 * (:path "/package.Service/Method", content-type application/grpc, the
 * call's metadata as further fields), then DATA carrying messages, each
 * prefixed by a flag byte (1: compressed) and a 4-byte big-endian length,
 * and END_STREAM once the client is done sending.  The answer is HEADERS
 * (:status 200, content-type), DATA with messages, then trailers
 * (grpc-status, grpc-message percent-encoded) ending the stream; an answer
 * without messages may be the trailers alone ("Trailers-Only").
 *
 * Locking: g->lock guards the nghttp2 session and every stream.  The I/O
 * thread holds it except while in poll(2), so every nghttp2 callback runs
 * under it; nghttp2 itself is called only from the I/O thread.  Methods
 * wait on g->changed and wake the I/O thread through a pipe.  A stream is
 * freed by the I/O thread (or bk_grpc_stop) once nghttp2 closed it and its
 * method's thread was joined. */
#include "buildkit-grpc.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_META_BYTES (64u << 10)
#define CONN_WINDOW (16 << 20)
#define WRITE_BATCH (64u << 10)
#define GRPC_UNIMPLEMENTED 12
#define GRPC_INTERNAL 13

struct bk_message {
	uint8_t *data;
	size_t len;
	size_t credit; /* bytes to give back to the peer's window when taken */
	struct bk_message *next;
};

struct bk_stream {
	struct bk_grpc *g;
	int32_t id;
	char *path;
	char **meta; /* name, value, name, value, ... */
	size_t nmeta, meta_cap, meta_bytes;
	const struct bk_method *method;
	/* receiving: the message being read, then the queue */
	uint8_t prefix[5];
	size_t prefix_len;
	uint8_t *part;
	size_t part_len, part_need, part_credit;
	struct bk_message *head, **tail;
	size_t queued, consume; /* consume: bytes to release to the window */
	int remote_done, closed, broken;
	/* sending: framed messages not yet taken by nghttp2 */
	uint8_t *out;
	size_t out_len, out_cap, out_pos;
	int done, status, resume, reset_pending;
	char *message;
	pthread_t thread;
	int running, exited;
	struct bk_stream *next;
};

struct bk_grpc {
	struct bk_transport t;
	struct bk_method *methods;
	size_t nmethods;
	nghttp2_session *h2;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int wake[2];
	pthread_t io;
	int stopping, dead;
	char *why;
	uint8_t *pre;
	size_t npre;
	uint8_t *wbuf; /* bytes nghttp2 produced, not yet written */
	size_t wlen, wcap, wpos;
	struct bk_stream *streams;
	struct bk_grpc_stats stats;
};

/* ---- transports ---- */

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
	return read((int)(intptr_t)ctx, buf, n);
}

static ssize_t fd_write(void *ctx, const void *buf, size_t n)
{
	return send((int)(intptr_t)ctx, buf, n, MSG_NOSIGNAL);
}

struct bk_transport bk_transport_fd(int fd)
{
	struct bk_transport t = { fd_read, fd_write, (void *)(intptr_t)fd, fd };

	return t;
}

static void wake_io(struct bk_grpc *g)
{
	ssize_t r = write(g->wake[1], "", 1); /* a full pipe already wakes it */

	(void)r;
}

/* ---- streams ---- */

static struct bk_stream *stream_new(struct bk_grpc *g, int32_t id)
{
	struct bk_stream *s = xcalloc(1, sizeof(*s));

	s->g = g;
	s->id = id;
	s->tail = &s->head;
	s->next = g->streams;
	g->streams = s;
	return s;
}

static void stream_free(struct bk_stream *s)
{
	struct bk_message *m, *next;
	size_t i;

	for (m = s->head; m; m = next) {
		next = m->next;
		free(m->data);
		free(m);
	}
	for (i = 0; i < s->nmeta; i++)
		free(s->meta[i]);
	free(s->meta);
	free(s->path);
	free(s->part);
	if (s->out) /* a response may have been a secret (bk_stream_send_wiped wipes only the caller's copy) */
		explicit_bzero(s->out, s->out_cap);
	free(s->out);
	free(s->message);
	free(s);
}

/* Append bytes to the stream's outgoing buffer, compacting it first. */
static void stream_out(struct bk_stream *s, const void *data, size_t n)
{
	if (s->out_pos && s->out_pos == s->out_len)
		s->out_pos = s->out_len = 0;
	xgrow(&s->out, &s->out_cap, s->out_len + n, 1);
	memcpy(s->out + s->out_len, data, n);
	s->out_len += n;
}

const char *bk_stream_meta(struct bk_stream *s, const char *name, size_t i)
{
	size_t k;

	for (k = 0; k + 1 < s->nmeta; k += 2)
		if (!strcmp(s->meta[k], name) && i-- == 0)
			return s->meta[k + 1];
	return NULL;
}

/* -1 with *err when the call can no longer go on. */
static int stream_gone(struct bk_stream *s, struct cc_error **err)
{
	if (s->g->stopping || s->g->dead)
		return cc_error_set(err, "session: the session is closing");
	if (s->broken)
		return cc_error_set(err, "session: %s: the call's message is malformed or too large", s->path);
	if (s->closed && !s->remote_done)
		return cc_error_set(err, "session: %s: the call was reset", s->path);
	return 0;
}

int bk_stream_recv(struct bk_stream *s, uint8_t **msg, size_t *len, struct cc_error **err)
{
	struct bk_grpc *g = s->g;
	struct bk_message *m;
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	while (!s->head && !s->remote_done && !s->closed && !s->broken && !g->stopping && !g->dead)
		pthread_cond_wait(&g->changed, &g->lock);
	if (stream_gone(s, err) < 0) {
		rc = -1;
	} else if ((m = s->head)) {
		if (!(s->head = m->next))
			s->tail = &s->head;
		s->queued -= m->len;
		s->consume += m->credit;
		*msg = m->data;
		*len = m->len;
		free(m);
		wake_io(g);
		rc = 1;
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int bk_stream_send(struct bk_stream *s, const void *msg, size_t len, struct cc_error **err)
{
	struct bk_grpc *g = s->g;
	uint8_t prefix[5] = { 0, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	int rc = 0;

	if (len > BK_GRPC_MAX_MESSAGE)
		return cc_error_set(err, "session: %s: a message of %zu bytes is too large", s->path, len);
	pthread_mutex_lock(&g->lock);
	while (s->out_len - s->out_pos > BK_GRPC_SENDBUF && !s->closed && !g->stopping && !g->dead)
		pthread_cond_wait(&g->changed, &g->lock);
	if (stream_gone(s, err) < 0 || (s->closed && cc_error_set(err, "session: %s: the call ended", s->path))) {
		rc = -1;
	} else {
		stream_out(s, prefix, sizeof(prefix));
		if (len)
			stream_out(s, msg, len);
		g->stats.bytes_out += len + sizeof(prefix);
		s->resume = 1;
		wake_io(g);
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

/* ---- receiving messages ---- */

static void stream_enqueue(struct bk_stream *s)
{
	struct bk_message *m = xcalloc(1, sizeof(*m));

	m->data = s->part ? s->part : xmalloc(1);
	m->len = s->part_len;
	m->credit = s->part_credit;
	*s->tail = m;
	s->tail = &m->next;
	s->queued += m->len;
	s->g->stats.bytes_in += m->len + 5;
	s->part = NULL;
	s->part_len = s->part_need = s->part_credit = s->prefix_len = 0;
}

/* A DATA chunk: cut it into messages.  Bytes of a message still
 * incomplete at the chunk's end go back to the window now (a message may
 * be larger than the window); a complete one's when its method takes it. */
static void stream_data(struct bk_stream *s, const uint8_t *p, size_t n)
{
	while (n && !s->broken) {
		size_t take;

		if (s->prefix_len < 5) {
			take = 5 - s->prefix_len < n ? 5 - s->prefix_len : n;
			memcpy(s->prefix + s->prefix_len, p, take);
			s->prefix_len += take;
			if (s->prefix_len == 5) {
				s->part_need = (size_t)s->prefix[1] << 24 | (size_t)s->prefix[2] << 16 |
					       (size_t)s->prefix[3] << 8 | s->prefix[4];
				s->broken = s->prefix[0] != 0 || s->part_need > BK_GRPC_MAX_MESSAGE;
				s->part = s->broken || !s->part_need ? NULL : xmalloc(s->part_need);
			}
		} else {
			take = s->part_need - s->part_len < n ? s->part_need - s->part_len : n;
			memcpy(s->part + s->part_len, p, take);
			s->part_len += take;
		}
		s->part_credit += take;
		p += take;
		n -= take;
		if (s->prefix_len == 5 && s->part_len == s->part_need && !s->broken)
			stream_enqueue(s);
	}
	s->consume += s->part_credit + n; /* the partial message; or all, once broken */
	s->part_credit = 0;
}

static int on_data_chunk(nghttp2_session *h, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	struct bk_stream *s = nghttp2_session_get_stream_user_data(h, id);
	struct bk_grpc *g = user;

	if (!s) {
		nghttp2_session_consume_connection(h, len);
		return 0;
	}
	stream_data(s, data, len);
	pthread_cond_broadcast(&g->changed);
	return 0;
}

static int on_begin_headers(nghttp2_session *h, const nghttp2_frame *f, void *user)
{
	if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
		nghttp2_session_set_stream_user_data(h, f->hd.stream_id, stream_new(user, f->hd.stream_id));
	return 0;
}

static int on_header(nghttp2_session *h, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct bk_stream *s = nghttp2_session_get_stream_user_data(h, f->hd.stream_id);

	if (!s || f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers from a client carry nothing we use */
	if ((s->meta_bytes += namelen + valuelen) > MAX_META_BYTES)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
	if (namelen == 5 && !memcmp(name, ":path", 5)) {
		free(s->path);
		s->path = xstrndup((const char *)value, valuelen);
	} else if (namelen && name[0] != ':') {
		xgrow(&s->meta, &s->meta_cap, s->nmeta + 2, sizeof(*s->meta));
		s->meta[s->nmeta++] = xstrndup((const char *)name, namelen);
		s->meta[s->nmeta++] = xstrndup((const char *)value, valuelen);
	}
	return 0;
}

/* ---- answering ---- */

#define NV(n, v)                                                                                                       \
	{                                                                                                              \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE                         \
	}

/* grpc-message's percent-encoding: printable ASCII but '%' as is. */
static char *percent_encode(const char *s)
{
	struct strbuf b = STRBUF_INIT;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e || c == '%')
			strbuf_addf(&b, "%%%02X", c);
		else
			strbuf_addch(&b, c);
	}
	return strbuf_detach(&b);
}

static void submit_trailers(nghttp2_session *h, struct bk_stream *s)
{
	cleanup_free char *status = xasprintf("%d", s->status);
	cleanup_free char *msg = percent_encode(s->message ? s->message : "");
	nghttp2_nv nv[] = { NV("grpc-status", status), NV("grpc-message", msg) };

	nghttp2_submit_trailer(h, s->id, nv, *msg ? 2 : 1);
}

static ssize_t data_read(nghttp2_session *h, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	struct bk_stream *s = src->ptr;
	struct bk_grpc *g = user;
	size_t n = s->out_len - s->out_pos;

	if (n > length)
		n = length;
	if (n) {
		memcpy(buf, s->out + s->out_pos, n);
		s->out_pos += n;
		pthread_cond_broadcast(&g->changed);
	}
	if (s->out_pos == s->out_len && s->done) {
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		submit_trailers(h, s);
		return (ssize_t)n;
	}
	return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
}

static void *call_main(void *arg)
{
	struct bk_stream *s = arg;
	struct bk_grpc *g = s->g;
	struct cc_error *err = NULL;
	int rc = s->method->fn(s->method->ctx, s, &err);

	pthread_mutex_lock(&g->lock);
	s->status = rc < 0 ? GRPC_INTERNAL : rc > 16 ? 2 : rc;
	if (s->status && err)
		s->message = xstrdup(err->msg);
	else if (s->status)
		s->message = xstrdup("the call failed");
	s->done = s->resume = s->exited = 1;
	wake_io(g);
	pthread_mutex_unlock(&g->lock);
	cc_error_free(err);
	return NULL;
}

static const struct bk_method *method_find(struct bk_grpc *g, const char *path)
{
	size_t i;

	for (i = 0; path && i < g->nmethods; i++)
		if (!strcmp(g->methods[i].path, path))
			return &g->methods[i];
	return NULL;
}

/* The request's headers are complete: answer or start its method. */
static void stream_dispatch(nghttp2_session *h, struct bk_grpc *g, struct bk_stream *s)
{
	nghttp2_nv nv[] = { NV(":status", "200"), NV("content-type", "application/grpc"), NV("grpc-status", "12"),
			    NV("grpc-message", "unknown method") };
	nghttp2_data_provider dp = { .source.ptr = s, .read_callback = data_read };

	g->stats.calls++;
	if (!(s->method = method_find(g, s->path))) {
		nghttp2_submit_response(h, s->id, nv, 4, NULL); /* Trailers-Only */
		return;
	}
	nghttp2_submit_response(h, s->id, nv, 2, &dp);
	s->running = pthread_create(&s->thread, NULL, call_main, s) == 0;
	if (!s->running) {
		s->status = GRPC_INTERNAL;
		s->message = xstrdup("cannot start a thread for the call");
		s->done = s->resume = 1;
	}
}

static int on_frame_recv(nghttp2_session *h, const nghttp2_frame *f, void *user)
{
	struct bk_stream *s = nghttp2_session_get_stream_user_data(h, f->hd.stream_id);
	struct bk_grpc *g = user;

	if (!s)
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
		stream_dispatch(h, g, s);
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		s->remote_done = 1;
		s->broken |= s->prefix_len > 0; /* ended inside a message */
		pthread_cond_broadcast(&g->changed);
	}
	return 0;
}

/* The answer's last frame went out while the client still sends: gRPC
 * servers reset the stream then, so the client stops. */
static int on_frame_send(nghttp2_session *h, const nghttp2_frame *f, void *user)
{
	struct bk_stream *s = nghttp2_session_get_stream_user_data(h, f->hd.stream_id);

	if (s && f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && !s->remote_done)
		s->reset_pending = 1;
	return 0;
}

static int on_stream_close(nghttp2_session *h, int32_t id, uint32_t code, void *user)
{
	struct bk_stream *s = nghttp2_session_get_stream_user_data(h, id);
	struct bk_grpc *g = user;

	if (s) {
		s->closed = 1;
		nghttp2_session_set_stream_user_data(h, id, NULL);
		pthread_cond_broadcast(&g->changed);
	}
	return 0;
}

/* ---- the I/O thread ---- */

static void io_fail(struct bk_grpc *g, const char *fmt, const char *what)
{
	if (!g->dead) {
		g->dead = 1;
		g->why = xasprintf(fmt, what);
	}
	pthread_cond_broadcast(&g->changed);
}

static void io_feed(struct bk_grpc *g, const uint8_t *p, size_t n)
{
	ssize_t rc = nghttp2_session_mem_recv(g->h2, p, n);

	if (rc < 0)
		io_fail(g, "session: HTTP/2: %s", nghttp2_strerror((int)rc));
}

static void io_read(struct bk_grpc *g)
{
	uint8_t buf[16384];
	ssize_t n = 0;

	if (g->npre) {
		io_feed(g, g->pre, g->npre);
		g->npre = 0;
	}
	while (!g->dead && (n = g->t.read(g->t.ctx, buf, sizeof(buf))) > 0)
		io_feed(g, buf, (size_t)n);
	if (g->dead)
		return;
	if (n == 0)
		io_fail(g, "session: %s", "the daemon closed the connection");
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		io_fail(g, "session: reading: %s", strerror(errno));
}

/* Write what nghttp2 has to send; 1 when bytes still wait for POLLOUT. */
static int io_write(struct bk_grpc *g)
{
	for (;;) {
		const uint8_t *data;
		ssize_t n;

		if (g->wpos == g->wlen) {
			g->wpos = g->wlen = 0;
			while (g->wlen < WRITE_BATCH && (n = nghttp2_session_mem_send(g->h2, &data)) > 0) {
				xgrow(&g->wbuf, &g->wcap, g->wlen + (size_t)n, 1);
				memcpy(g->wbuf + g->wlen, data, (size_t)n);
				g->wlen += (size_t)n;
			}
			if (!g->wlen)
				return 0;
		}
		n = g->t.write(g->t.ctx, g->wbuf + g->wpos, g->wlen - g->wpos);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (n <= 0) {
			io_fail(g, "session: writing: %s", n < 0 ? strerror(errno) : "nothing written");
			return 0;
		}
		g->wpos += (size_t)n;
	}
}

/* Window updates, resumed answers, resets; frees the streams that are done. */
static void io_service(struct bk_grpc *g)
{
	struct bk_stream **pp = &g->streams, *s;

	while ((s = *pp)) {
		if (s->consume) {
			nghttp2_session_consume(g->h2, s->id, s->consume);
			s->consume = 0;
		}
		if (s->closed && (!s->running || s->exited)) {
			if (s->running)
				pthread_join(s->thread, NULL);
			if (s->queued) /* never taken: the connection's window wants them */
				nghttp2_session_consume_connection(g->h2, s->queued);
			*pp = s->next;
			stream_free(s);
			continue;
		}
		if (s->resume && !s->closed)
			nghttp2_session_resume_data(g->h2, s->id);
		if ((s->broken || s->reset_pending) && !s->closed)
			nghttp2_submit_rst_stream(g->h2, NGHTTP2_FLAG_NONE, s->id,
						  s->broken ? NGHTTP2_PROTOCOL_ERROR : NGHTTP2_NO_ERROR);
		s->resume = s->reset_pending = 0;
		pp = &s->next;
	}
}

static void io_wait(struct bk_grpc *g, int want_out)
{
	struct pollfd p[2] = { { g->t.fd, (short)(POLLIN | (want_out ? POLLOUT : 0)), 0 }, { g->wake[0], POLLIN, 0 } };
	char drain[64];

	pthread_mutex_unlock(&g->lock);
	if (poll(p, 2, -1) < 0 && errno != EINTR)
		p[0].revents = POLLERR;
	while (read(g->wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&g->lock);
	if (p[0].revents & POLLNVAL)
		io_fail(g, "session: %s", "the connection's descriptor is closed");
}

static void *io_main(void *arg)
{
	struct bk_grpc *g = arg;
	struct bk_stream *s;
	int want_out;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping && !g->dead) {
		io_read(g);
		io_service(g);
		want_out = g->dead ? 0 : io_write(g);
		if (!g->dead && !want_out && !nghttp2_session_want_read(g->h2) && !nghttp2_session_want_write(g->h2))
			io_fail(g, "session: %s", "the connection ended");
		if (!g->dead)
			io_wait(g, want_out);
	}
	if (!g->dead) { /* stopping: say goodbye, once, without waiting */
		nghttp2_session_terminate_session(g->h2, NGHTTP2_NO_ERROR);
		io_write(g);
		io_fail(g, "session: %s", "closed");
	}
	for (s = g->streams; s; s = s->next)
		s->closed = 1;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* ---- the server ---- */

/* grpc.health.v1.Health/Check: any request, the answer {status: SERVING}. */
static int health_check(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	static const uint8_t serving[] = { 0x08, 0x01 };
	uint8_t *req = NULL;
	size_t len;
	int rc = bk_stream_recv(s, &req, &len, err);

	free(req);
	if (rc < 0)
		return 1; /* CANCELLED */
	return bk_stream_send(s, serving, sizeof(serving), err) < 0 ? 1 : 0;
}

static nghttp2_session *h2_server(struct bk_grpc *g)
{
	nghttp2_settings_entry iv[] = { { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 256 },
					{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, BK_GRPC_WINDOW } };
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	nghttp2_session *h = NULL;

	if (nghttp2_session_callbacks_new(&cb) || nghttp2_option_new(&opt))
		die_oom();
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	if (nghttp2_session_server_new2(&h, cb, g, opt))
		die_oom(); /* it fails only for memory */
	nghttp2_session_callbacks_del(cb);
	nghttp2_option_del(opt);
	nghttp2_submit_settings(h, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
	nghttp2_session_set_local_window_size(h, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
	return h;
}

static void grpc_free(struct bk_grpc *g)
{
	struct bk_stream *s, *next;

	for (s = g->streams; s; s = next) {
		next = s->next;
		if (s->running)
			pthread_join(s->thread, NULL);
		stream_free(s);
	}
	if (g->h2)
		nghttp2_session_del(g->h2);
	if (g->wake[0] >= 0)
		close(g->wake[0]);
	if (g->wake[1] >= 0)
		close(g->wake[1]);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->changed);
	free(g->methods);
	free(g->pre);
	free(g->wbuf);
	free(g->why);
	free(g);
}

struct bk_grpc *bk_grpc_start(const struct bk_transport *t, const void *pre, size_t npre,
			      const struct bk_method *methods, size_t n, struct cc_error **err)
{
	struct bk_grpc *g = xcalloc(1, sizeof(*g));
	int flags = fcntl(t->fd, F_GETFL);

	g->t = *t;
	g->wake[0] = g->wake[1] = -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->changed, NULL);
	g->methods = xcalloc(n + 1, sizeof(*g->methods));
	if (n)
		memcpy(g->methods, methods, n * sizeof(*methods));
	g->methods[n] = (struct bk_method){ BK_GRPC_HEALTH_METHOD, health_check, NULL };
	g->nmethods = n + 1;
	if (npre) {
		g->pre = xmalloc(npre);
		memcpy(g->pre, pre, npre);
		g->npre = npre;
	}
	if (flags < 0 || fcntl(t->fd, F_SETFL, flags | O_NONBLOCK) < 0 || pipe2(g->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		cc_error_set(err, "session: %s", strerror(errno));
		grpc_free(g);
		return NULL;
	}
	g->h2 = h2_server(g);
	if (pthread_create(&g->io, NULL, io_main, g)) {
		cc_error_set(err, "session: cannot start the I/O thread");
		grpc_free(g);
		return NULL;
	}
	return g;
}

int bk_grpc_alive(struct bk_grpc *g, char **why)
{
	int alive;

	pthread_mutex_lock(&g->lock);
	alive = !g->dead;
	if (why)
		*why = g->why ? xstrdup(g->why) : NULL;
	pthread_mutex_unlock(&g->lock);
	return alive;
}

struct bk_grpc_stats bk_grpc_stats(struct bk_grpc *g)
{
	struct bk_grpc_stats st;

	pthread_mutex_lock(&g->lock);
	st = g->stats;
	pthread_mutex_unlock(&g->lock);
	return st;
}

void bk_grpc_stop(struct bk_grpc *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_broadcast(&g->changed);
	wake_io(g);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->io, NULL);
	grpc_free(g);
}
