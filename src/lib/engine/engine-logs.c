/* engine-logs: a container's output (engine-container.h) and the stream
 * demultiplexer that logs and exec share (engine-internal.h).  Without a
 * TTY the daemon frames its output: an 8-byte header [stream, 0, 0, 0,
 * payload length as u32 big-endian] before each payload, stream 1 stdout,
 * 2 stderr (3, the daemon's own errors, is taken as stderr); headers and
 * lines may be split anywhere across reads.  API 1.41 says
 * "raw-stream" in Content-Type either way, so whether the container has
 * a TTY comes from inspecting it. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* What engine_container_tail keeps at most. */
#define TAIL_MAX (2u << 20) /* room for one whole ENGINE_LINE_MAX line */

static void line_clear(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static int demux_line(struct engine_demux *d, int s)
{
	struct strbuf *sb = &d->line[s];
	size_t len = sb->len;

	if (d->raw && len && sb->buf[len - 1] == '\r')
		len--;
	d->stopped = d->fn(d->ctx, s, sb->buf ? sb->buf : "", len) != 0;
	line_clear(sb);
	return d->stopped;
}

/* Payload bytes of stream s, cut at newlines. */
static int demux_text(struct engine_demux *d, int s, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n, room = ENGINE_LINE_MAX - d->line[s].len;

		strbuf_add(&d->line[s], p, take < room ? take : room);
		if (!nl)
			break;
		if (demux_line(d, s))
			return 1;
		p = nl + 1;
		n -= take + 1;
	}
	return 0;
}

/* Take header bytes; 1 once the header is whole. */
static int demux_header(struct engine_demux *d, const char **data, size_t *n)
{
	size_t take = sizeof(d->hdr) - d->hdr_len;
	const unsigned char *h = d->hdr;

	if (take > *n)
		take = *n;
	memcpy(d->hdr + d->hdr_len, *data, take);
	d->hdr_len += take;
	*data += take;
	*n -= take;
	if (d->hdr_len < sizeof(d->hdr))
		return 0;
	d->stream = h[0] == 1 ? 1 : 2;
	d->frame_left = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
	d->hdr_len = 0;
	return 1;
}

int engine_demux_feed(struct engine_demux *d, const char *data, size_t n)
{
	if (d->stopped)
		return 1;
	if (d->raw)
		return demux_text(d, 1, data, n);
	while (n) {
		size_t take;

		if (!d->frame_left) {
			demux_header(d, &data, &n);
			continue;
		}
		take = d->frame_left < n ? d->frame_left : n;
		if (demux_text(d, d->stream, data, take))
			return 1;
		d->frame_left -= take;
		data += take;
		n -= take;
	}
	return 0;
}

int engine_demux_finish(struct engine_demux *d)
{
	int s;

	for (s = 1; s <= 2 && !d->stopped; s++)
		if (d->line[s].len)
			demux_line(d, s);
	return d->stopped;
}

void engine_demux_release(struct engine_demux *d)
{
	int s;

	for (s = 0; s < 3; s++)
		strbuf_release(&d->line[s]);
}

static int logs_feed(void *ctx, const char *data, size_t n)
{
	return engine_demux_feed(ctx, data, n);
}

/* 1 when container id has a TTY, 0 when not; negative with *err. */
static int container_tty(struct engine *e, const char *id, struct cc_error **err)
{
	json_t *j = NULL;
	int rc = engine_container_inspect(e, id, &j, err);

	if (rc == 0)
		return cc_error_set(err, "engine: 404: No such container: %s", id);
	if (rc > 0)
		rc = json_is_true(json_object_get(json_object_get(j, "Config"), "Tty"));
	json_decref(j);
	return rc;
}

int engine_container_logs(struct engine *e, const char *id, long tail, int follow, int timestamps, engine_log_fn fn,
			  void *ctx, const atomic_int *cancel, struct cc_error **err)
{
	struct engine_demux d = { .fn = fn, .ctx = ctx };
	cleanup_free char *eid = engine_escape(id), *path = NULL, *what = xasprintf("reading the logs of %s", id);
	cleanup_free char *ntail = tail < 0 ? xstrdup("all") : xasprintf("%ld", tail);
	struct engine_xfer x = { .feed = logs_feed, .ctx = &d, .cancel = cancel, .timeout_ms = -1, .what = what };
	int rc = container_tty(e, id, err);

	if (rc < 0)
		return rc;
	d.raw = rc;
	path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=%s%s%s", eid, ntail, follow ? "&follow=1" : "",
			 timestamps ? "&timestamps=1" : "");
	rc = engine_xfer_run(e, "GET", path, NULL, &x, err);
	if (rc >= 0 && rc != 200)
		rc = engine_xfer_error(&x, err);
	else if (rc >= 0) {
		engine_demux_finish(&d);
		rc = 0;
	}
	engine_xfer_release(&x);
	engine_demux_release(&d);
	return rc;
}

/* Keep whole lines, dropping the oldest past TAIL_MAX. */
static int tail_line(void *ctx, int stream, const char *line, size_t len)
{
	struct strbuf *sb = ctx;
	char *cut;

	strbuf_add(sb, line, len);
	strbuf_addch(sb, '\n');
	while (sb->len > TAIL_MAX && (cut = memchr(sb->buf, '\n', sb->len))) {
		size_t drop = (size_t)(cut - sb->buf) + 1;

		memmove(sb->buf, sb->buf + drop, sb->len - drop + 1);
		sb->len -= drop;
	}
	return 0;
}

int engine_container_tail(struct engine *e, const char *id, long n, char **out, struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = engine_container_logs(e, id, n, 0, 0, tail_line, &sb, NULL, err);

	*out = NULL;
	if (rc < 0) {
		strbuf_release(&sb);
		return rc;
	}
	if (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	*out = strbuf_detach(&sb);
	return 0;
}
