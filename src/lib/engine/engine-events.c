/* engine-events: GET /events read as it arrives (engine-container.h).
 * The daemon writes one JSON object per line and keeps the response open;
 * the stream is read through engine-stream.c, so a raised *cancel or the
 * timeout ends it within 100 ms even when no event comes.  A line longer
 * than ENGINE_LINE_MAX is skipped whole (no event is that long), so the
 * memory held is bounded whatever the daemon sends. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct events_read {
	engine_event_fn fn;
	void *ctx;
	struct strbuf line;
	int overflow; /* the line being read passed ENGINE_LINE_MAX */
	int result;   /* fn's non-zero answer */
};

/* Podman 4 names a die event's code containerExitCode: give it Docker's
 * name too. */
static void events_normalise(json_t *ev)
{
	json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	json_t *code = json_object_get(attrs, "containerExitCode");

	if (json_is_object(attrs) && code && !json_object_get(attrs, "exitCode"))
		json_object_set(attrs, "exitCode", code);
}

static int events_line(struct events_read *r)
{
	json_t *ev = r->overflow || !r->line.len ? NULL : json_loadb(r->line.buf, r->line.len, 0, NULL);

	r->line.len = 0;
	r->overflow = 0;
	if (json_is_object(ev)) {
		events_normalise(ev);
		r->result = r->fn(r->ctx, ev);
	}
	json_decref(ev);
	return r->result;
}

static int events_feed(void *ctx, const char *data, size_t n)
{
	struct events_read *r = ctx;

	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;

		if (r->line.len + take > ENGINE_LINE_MAX)
			r->overflow = 1;
		if (!r->overflow)
			strbuf_add(&r->line, data, take);
		if (!nl)
			break;
		if (events_line(r))
			return 1;
		data = nl + 1;
		n -= take + 1;
	}
	return 0;
}

/* Podman 4 matches the event filter against its own name of a die,
 * "died" (and reports it as "die"): ask for both; Docker has no "died". */
static json_t *events_filters(const json_t *filters)
{
	json_t *copy = json_deep_copy(filters), *events = json_object_get(copy, "event"), *v;
	size_t i;
	int die = 0, died = 0;

	json_array_foreach(events, i, v)
	{
		die |= json_is_string(v) && !strcmp(json_string_value(v), "die");
		died |= json_is_string(v) && !strcmp(json_string_value(v), "died");
	}
	if (die && !died)
		json_array_append_new(events, json_string("died"));
	return copy;
}

static char *events_path(const json_t *filters, const char *since)
{
	struct strbuf q = STRBUF_INIT;
	char *path;

	if (since) {
		cleanup_free char *v = engine_escape(since);

		strbuf_addf(&q, "?since=%s", v);
	}
	if (filters) {
		json_t *f = events_filters(filters);
		cleanup_free char *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
		cleanup_free char *v = engine_escape(text ? text : "{}");

		strbuf_addf(&q, "%cfilters=%s", q.len ? '&' : '?', v);
		json_decref(f);
	}
	path = xasprintf("/events%s", q.buf ? q.buf : "");
	strbuf_release(&q);
	return path;
}

int engine_events(struct engine *e, const json_t *filters, const char *since, long timeout_ms, engine_event_fn fn,
		  void *ctx, const atomic_int *cancel, struct cc_error **err)
{
	struct events_read r = { .fn = fn, .ctx = ctx, .line = STRBUF_INIT };
	cleanup_free char *path = events_path(filters, since);
	struct engine_xfer x = { .feed = events_feed, .ctx = &r, .cancel = cancel, .timeout_ms = timeout_ms };
	int rc;

	x.what = "reading events";
	rc = engine_xfer_run(e, "GET", path, NULL, &x, err);
	if (rc >= 0 && rc != 200)
		rc = engine_xfer_error(&x, err);
	else if (rc >= 0 && !x.stopped && r.line.len && events_line(&r))
		rc = r.result; /* the stream ended on an unterminated line */
	else if (rc >= 0 && x.stopped)
		rc = r.result;
	else if (rc >= 0)
		rc = cc_error_set(err, "engine: reading events: the daemon ended the stream");
	engine_xfer_release(&x);
	strbuf_release(&r.line);
	return rc;
}

/* RFC 3339 with nanoseconds ("2026-12-01T11:53:12.123456789Z", or an
 * offset "+01:00") as "SECONDS.NANOSECONDS"; NULL when it is not one. */
static char *since_from_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	int n = 0, oh = 0, om = 0, digits = 0;
	long nanos = 0;
	const char *p;
	time_t t;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6)
		return NULL;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9)
				nanos = nanos * 10 + (*p - '0');
	for (; digits < 9; digits++)
		nanos *= 10;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
		return NULL;
	if (*p != 'Z' && *p != '+' && *p != '-')
		return NULL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) - (*p == '-' ? -1 : *p == '+' ? 1 : 0) * (oh * 3600 + om * 60);
	return xasprintf("%lld.%09ld", (long long)t, nanos);
}

char *engine_now(struct engine *e, struct cc_error **err)
{
	json_t *info = NULL;
	struct timespec ts;
	char *since;

	if (engine_call(e, "GET", "/info", NULL, 200, 0, 0, &info, err) < 0)
		return NULL;
	since = since_from_rfc3339(json_string_value(json_object_get(info, "SystemTime")));
	json_decref(info);
	if (since)
		return since;
	clock_gettime(CLOCK_REALTIME, &ts);
	return xasprintf("%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
}
