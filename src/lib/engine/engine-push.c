/* engine-push: POST /images/{name}/push and POST /images/create — the
 * engine pushes a local image to its registry, or pulls one, and streams
 * JSON progress lines; a pushed digest arrives in an "aux" object,
 * failures in "errorDetail". */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct push_xfer {
	struct strbuf line;       /* an incomplete line */
	char *digest;             /* from {"aux":{"Digest":...}} */
	char *error;              /* first errorDetail message */
	const atomic_int *cancel;
	struct strbuf raw;        /* response start, for HTTP errors */
};

static void push_line(struct push_xfer *x, const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, 0, NULL), *aux, *ed;
	const char *v;

	if (!j)
		return;
	aux = json_object_get(j, "aux");
	if ((v = json_string_value(json_object_get(aux, "Digest"))) && !x->digest)
		x->digest = xstrdup(v);
	ed = json_object_get(j, "errorDetail");
	if (!x->error && ((v = json_string_value(json_object_get(ed, "message"))) ||
			  (v = json_string_value(json_object_get(j, "error")))))
		x->error = xstrdup(v);
	json_decref(j);
}

static size_t push_write(char *data, size_t size, size_t n, void *arg)
{
	struct push_xfer *x = arg;
	size_t len = size * n, i, start = 0;

	if (x->raw.len < 4096)
		strbuf_add(&x->raw, data, len);
	for (i = 0; i < len; i++)
		if (data[i] == '\n') {
			strbuf_add(&x->line, data + start, i - start);
			if (x->line.len)
				push_line(x, x->line.buf, x->line.len);
			x->line.len = 0;
			start = i + 1;
		}
	strbuf_add(&x->line, data + start, len - start);
	return len;
}

static int push_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct push_xfer *x = arg;

	return cancel_pending(x->cancel);
}

/* POST path with X-Registry-Auth; the stream's outcome into x. */
static int dist_call(struct engine *e, const char *path, const char *auth, struct push_xfer *x,
		     const char *what, struct cc_error **err)
{
	cleanup_free char *hauth = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdr = NULL;
	long status = 0;
	int rc;
	CURL *c;

	if (!(c = engine_curl(e, "POST", path, errbuf, &rc, err)))
		return rc;
	/* The engine insists on the header; "e30=" is base64 "{}". */
	hauth = xasprintf("X-Registry-Auth: %s", auth && *auth ? auth : "e30=");
	hdr = curl_slist_append(hdr, hauth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, push_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, push_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cancel_pending(x->cancel)) {
		cc_error_set(err, "engine: %s cancelled", what);
		rc = ENGINE_CANCELLED;
	} else if (rc != CURLE_OK)
		rc = engine_curl_error(e, (CURLcode)rc, errbuf, err);
	else if (status >= 300) {
		json_t *body = json_loadb(x->raw.buf ? x->raw.buf : "", x->raw.len, 0, NULL);

		rc = engine_status_error((int)status, body, err);
		json_decref(body);
	} else {
		if (x->line.len)
			push_line(x, x->line.buf, x->line.len);
		rc = x->error ? cc_error_set(err, "engine: %s: %s", what, x->error) : 0;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

static void xfer_release(struct push_xfer *x)
{
	strbuf_release(&x->line);
	strbuf_release(&x->raw);
	free(x->digest);
	free(x->error);
}

int engine_image_push(struct engine *e, const char *name, const char *tag, const char *auth,
		      const atomic_int *cancel, char **digest, struct cc_error **err)
{
	struct push_xfer x = { .line = STRBUF_INIT, .cancel = cancel, .raw = STRBUF_INIT };
	cleanup_free char *etag = engine_escape(tag), *what = xasprintf("pushing %s:%s", name, tag);
	/* The name is a path segment with slashes kept: repo/with/parts. */
	cleanup_free char *path = xasprintf("/images/%s/push?tag=%s", name, etag);
	int rc;

	*digest = NULL;
	rc = dist_call(e, path, auth, &x, what, err);
	if (rc == 0 && !x.digest)
		rc = cc_error_set(err, "engine: %s: the engine reported no digest", what);
	if (rc == 0) {
		*digest = x.digest;
		x.digest = NULL;
	}
	xfer_release(&x);
	return rc;
}

int engine_image_pull(struct engine *e, const char *name, const char *tag, const char *platform,
		      const char *auth, const atomic_int *cancel, struct cc_error **err)
{
	struct push_xfer x = { .line = STRBUF_INIT, .cancel = cancel, .raw = STRBUF_INIT };
	cleanup_free char *ename = engine_escape(name), *etag = engine_escape(tag);
	cleanup_free char *eplat = engine_escape(platform ? platform : "");
	cleanup_free char *what = xasprintf("pulling %s:%s", name, tag);
	cleanup_free char *path = xasprintf("/images/create?fromImage=%s&tag=%s%s%s", ename, etag,
					    platform ? "&platform=" : "", platform ? eplat : "");
	int rc = dist_call(e, path, auth, &x, what, err);

	xfer_release(&x);
	return rc;
}
