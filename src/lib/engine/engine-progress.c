/* engine-progress: the JSON progress stream that POST /images/{name}/push
 * and POST /images/create answer with, read as it arrives; a pushed digest
 * arrives in an "aux" object, failures in "errorDetail".  Implements its
 * part of engine-internal.h. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void progress_line(struct engine_progress *x, const char *s, size_t n)
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

static size_t progress_write(char *data, size_t size, size_t n, void *arg)
{
	struct engine_progress *x = arg;
	size_t len = size * n, i, start = 0;

	if (x->raw.len < 4096)
		strbuf_add(&x->raw, data, len);
	for (i = 0; i < len; i++)
		if (data[i] == '\n') {
			strbuf_add(&x->line, data + start, i - start);
			if (x->line.len)
				progress_line(x, x->line.buf, x->line.len);
			x->line.len = 0;
			start = i + 1;
		}
	strbuf_add(&x->line, data + start, len - start);
	return len;
}

static int progress_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct engine_progress *x = arg;

	return cancel_pending(x->cancel);
}

int engine_progress_call(struct engine *e, const char *path, const char *auth, struct engine_progress *x,
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
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, progress_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_xferinfo);
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
			progress_line(x, x->line.buf, x->line.len);
		rc = x->error ? cc_error_set(err, "engine: %s: %s", what, x->error) : 0;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

void engine_progress_release(struct engine_progress *x)
{
	strbuf_release(&x->line);
	strbuf_release(&x->raw);
	free(x->digest);
	free(x->error);
}
