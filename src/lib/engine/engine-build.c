/* engine-build (engine.h): POST /build with the context tar streamed as the request
 * body while the JSON-lines response is decoded as it arrives (the daemon
 * answers while it still reads the body, so both run in one transfer).
 * With a session (req->session, a daemon of API 1.39+ with BuildKit) the
 * request names it (session=ID, remote=client-session) and has no body:
 * BuildKit's Dockerfile frontend pulls "context" and "dockerfile" through
 * the session's filesync, as the docker CLI's BuildKit path does. */
#include "buildkit-session.h"
#include "buildstream.h"
#include "engine-internal.h"
#include "error.h"
#include "lists.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name of the injected Dockerfile when it lives outside the context. */
#define INJECTED_DOCKERFILE ".ccbuild.Dockerfile"
#define MAX_ERROR_BODY (64 * 1024)

struct build_xfer {
	struct tarstream *ts;
	struct cc_error *tar_err;
	struct buildstream *bs;
	struct strbuf raw; /* response start, for HTTP errors */
	const atomic_int *cancel;
};

static size_t build_read(char *buf, size_t size, size_t n, void *arg)
{
	struct build_xfer *x = arg;
	ssize_t got = tarstream_read(x->ts, buf, size * n, &x->tar_err);

	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static size_t build_write(char *data, size_t size, size_t n, void *arg)
{
	struct build_xfer *x = arg;

	if (x->raw.len < MAX_ERROR_BODY)
		strbuf_add(&x->raw, data, size * n);
	buildstream_feed(x->bs, data, size * n);
	return size * n;
}

static int build_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct build_xfer *x = arg;

	/* Atomic so a flag raised by another thread (not only a signal
	 * handler) is seen without a data race. */
	return cancel_pending(x->cancel);
}

static void query_add(struct strbuf *q, const char *key, const char *val)
{
	cleanup_free char *v = engine_escape(val);

	strbuf_addf(q, "%c%s=%s", q->len ? '&' : '?', key, v);
}

static void query_add_json(struct strbuf *q, const char *key, json_t *j)
{
	cleanup_free char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	query_add(q, key, text);
	json_decref(j);
}

static json_t *kv_json(const struct kvlist *kv)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; kv && i < kv->n; i++)
		json_object_set_new(o, kv->keys[i], json_string(kv->vals[i]));
	return o;
}

/* [{"Name":..,"Soft":..,"Hard":..}] from name -> "SOFT:HARD". */
static json_t *ulimits_json(const struct kvlist *kv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < kv->n; i++) {
		char *end;
		long long soft = strtoll(kv->vals[i], &end, 10);
		long long hard = *end == ':' ? strtoll(end + 1, NULL, 10) : soft;

		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "Name", kv->keys[i], "Soft", (json_int_t)soft,
						   "Hard", (json_int_t)hard));
	}
	return a;
}

/* The index of the context's entry for req->dockerfile, or -1. */
static long dockerfile_entry(const struct engine_build_req *req)
{
	size_t i;

	for (i = 0; req->dockerfile && i < req->nentries; i++)
		if (!strcmp(req->entries[i].path, req->dockerfile) &&
		    (S_ISREG(req->entries[i].st.st_mode) || S_ISLNK(req->entries[i].st.st_mode)))
			return (long)i;
	return -1;
}

/* The dockerfile parameter: its name in the session's "dockerfile", the
 * injected entry, or its path in the context. */
static const char *dockerfile_param(const struct engine_build_req *req, const char *sid)
{
	if (sid)
		return req->session->dockerfile;
	if (req->dockerfile_data && dockerfile_entry(req) < 0)
		return INJECTED_DOCKERFILE;
	return req->dockerfile ? req->dockerfile : "Dockerfile";
}

/* 1: BuildKit builds req, 0: the classic builder, -1: neither can.
 * dockerd 20.10 (API 1.41) takes /build's ulimits but does not hand them
 * to BuildKit (a RUN sees the daemon's own limits); moby's builder-next
 * passes them on from Engine 23 (API 1.42).  Its classic builder applies
 * them. */
static int build_use_buildkit(struct engine *e, const struct engine_build_req *req, struct cc_error **err)
{
	const char *v = engine_api_version(e);
	int major = 0, minor = 0;

	if (req->builder == ENGINE_BUILDER_CLASSIC || (req->builder == ENGINE_BUILDER_AUTO && !engine_has_buildkit(e)))
		return 0;
	if (!req->ulimits || !req->ulimits->n || !v || sscanf(v, "%d.%d", &major, &minor) != 2 || major > 1 ||
	    minor >= 42)
		return 1;
	if (req->builder == ENGINE_BUILDER_AUTO)
		return 0;
	return cc_error_set(err,
			    "ulimits: this daemon (API %s) does not pass build ulimits to BuildKit (Engine 23, "
			    "API 1.42, does), and the classic builder, which applies them, has no BuildKit session",
			    v);
}

/* "/build?..." for req; the query carries everything but the context
 * (with a session, sid names it). */
static char *build_path(const struct engine_build_req *req, int buildkit, const char *sid)
{
	struct strbuf q = STRBUF_INIT;
	json_t *cache = json_array();
	char *path;
	size_t i;

	query_add(&q, "version", buildkit ? "2" : "1");
	if (sid) {
		query_add(&q, "session", sid);
		query_add(&q, "remote", "client-session");
	}
	query_add(&q, "dockerfile", dockerfile_param(req, sid));
	for (i = 0; req->tags && i < req->tags->n; i++)
		query_add(&q, "t", req->tags->v[i]);
	if (req->target && *req->target)
		query_add(&q, "target", req->target);
	if (req->platform && *req->platform)
		query_add(&q, "platform", req->platform);
	/* the classic builder's cache key has no ulimits: it would hand a RUN
	 * run under other limits back (measured on 20.10.24) */
	if (req->nocache || (!buildkit && req->ulimits && req->ulimits->n))
		query_add(&q, "nocache", "1");
	if (req->pull)
		query_add(&q, "pull", "1");
	if (req->ulimits && req->ulimits->n)
		query_add_json(&q, "ulimits", ulimits_json(req->ulimits));
	query_add(&q, "rm", "1");
	query_add(&q, "forcerm", "1");
	query_add_json(&q, "buildargs", kv_json(req->buildargs));
	query_add_json(&q, "labels", kv_json(req->labels));
	for (i = 0; req->cachefrom && i < req->cachefrom->n; i++)
		json_array_append_new(cache, json_string(req->cachefrom->v[i]));
	query_add_json(&q, "cachefrom", cache);
	path = xasprintf("/build%s", q.buf);
	strbuf_release(&q);
	return path;
}

/* The context entries, with the Dockerfile's entry given dockerfile_data
 * (keeping its mode and mtime), or that added when it is not in the
 * context.  dockerd's BuildKit applies no ignore file to an uploaded
 * context, so an added entry is seen by `COPY .`: replacing is better. */
static struct tar_entry *build_entries(const struct engine_build_req *req, size_t *n)
{
	struct tar_entry *e = xcalloc(req->nentries + 1, sizeof(*e));
	long i = req->dockerfile_data ? dockerfile_entry(req) : -1;

	if (req->nentries)
		memcpy(e, req->entries, req->nentries * sizeof(*e));
	*n = req->nentries;
	if (i >= 0) {
		e[i].data = req->dockerfile_data;
		e[i].data_len = req->dockerfile_len;
		e[i].hardlink = NULL;
	} else if (req->dockerfile_data) {
		e[*n].path = INJECTED_DOCKERFILE;
		e[*n].data = req->dockerfile_data;
		e[*n].data_len = req->dockerfile_len;
		++*n;
	}
	return e;
}

static void build_setup(CURL *c, struct build_xfer *x, struct curl_slist *hdr)
{
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (x->ts) {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, build_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L); /* the session serves the context */
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, build_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, build_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
}

/* Turn the transfer's outcome into the build's result. */
static int build_result(struct engine *e, CURLcode code, long status, const char *errbuf, struct build_xfer *x,
			char **image_id, struct cc_error **err)
{
	json_t *body;
	int rc;

	if (cancel_pending(x->cancel)) {
		cc_error_set(err, "engine: build cancelled");
		return ENGINE_CANCELLED;
	}
	if (x->tar_err) {
		return cc_error_set(err, "engine: sending the build context: %s", x->tar_err->msg);
	}
	if (status >= 300) {
		body = json_loadb(x->raw.buf ? x->raw.buf : "", x->raw.len, 0, NULL);
		if (!body && x->raw.len)
			body = json_stringn_nocheck(x->raw.buf, x->raw.len);
		rc = engine_status_error((int)status, body, err);
		json_decref(body);
		return rc;
	}
	/* A stream error explains more than the broken transfer it caused. */
	if (code != CURLE_OK && !buildstream_failed(x->bs))
		return engine_curl_error(e, code, errbuf, err);
	return buildstream_finish(x->bs, image_id, err);
}

/* How many bytes of context went out, for req->sent (metrics). */
static void context_sent(CURL *c, const struct engine_build_req *req)
{
	curl_off_t sent = 0;

	if (req->sent && curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent) == CURLE_OK)
		*req->sent = (long long)sent;
}

static struct curl_slist *build_headers(int body)
{
	struct curl_slist *h = NULL;

	if (body) {
		h = curl_slist_append(h, "Content-Type: application/x-tar");
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	}
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	return h;
}

/* The build's session, when it asks for one and the daemon serves them
 * (sessions are stable from API 1.39): 0 with *out, or NULL in it and the
 * reason in s->fallback for the tar upload; negative with *err when the
 * daemon failed. */
static int build_session(struct engine *e, struct engine_build_session *s, struct bk_session **out,
			 struct cc_error **err)
{
	const char *v = engine_api_version(e);
	struct cc_error *why = NULL;
	int major = 0, minor = 0, rc;

	*out = NULL;
	s->used = 0;
	if (!v || sscanf(v, "%d.%d", &major, &minor) != 2 || major * 100 + minor < 139) {
		s->fallback = xasprintf("API %s has no sessions (1.39+)", v ? v : "?");
		return 0;
	}
	rc = bk_session_open(e, s->name, s->shared_key, s->methods, s->nmethods, out, &why);
	if (rc == BK_SESSION_UNSUPPORTED) {
		s->fallback = xstrdup(why->msg);
		rc = 0;
	} else if (rc < 0) {
		engine_error_pass(err, why);
		return rc;
	}
	cc_error_free(why);
	s->used = *out != NULL;
	return rc;
}

int engine_build(struct engine *e, const struct engine_build_req *req, engine_progress_fn progress, void *ctx,
		 const atomic_int *cancel, char **image_id, struct cc_error **err)
{
	struct build_xfer x = { .cancel = cancel, .raw = STRBUF_INIT };
	struct bk_session *session = NULL;
	cleanup_free struct tar_entry *entries = NULL;
	cleanup_free char *path = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdr;
	size_t n;
	long status = 0;
	int rc, buildkit;
	CURL *c;

	if ((rc = engine_ping(e, err)) < 0)
		return rc;
	if ((buildkit = build_use_buildkit(e, req, err)) < 0)
		return -1;
	if (buildkit && req->session && (rc = build_session(e, req->session, &session, err)) < 0)
		return rc;
	path = build_path(req, buildkit, session ? bk_session_id(session) : NULL);
	if (!(c = engine_curl(e, "POST", path, errbuf, &rc, err))) {
		bk_session_close(session);
		return rc;
	}
	if (!session) {
		entries = build_entries(req, &n);
		x.ts = tarstream_new(entries, n);
	}
	x.bs = buildstream_new(progress, ctx);
	hdr = build_headers(!session);
	build_setup(c, &x, hdr);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	context_sent(c, req);
	rc = build_result(e, (CURLcode)rc, status, errbuf, &x, image_id, err);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	bk_session_close(session);
	tarstream_free(x.ts);
	buildstream_free(x.bs);
	cc_error_free(x.tar_err);
	strbuf_release(&x.raw);
	return rc;
}
