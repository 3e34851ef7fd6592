/* engine-stream: requests whose response is read as it arrives (logs,
 * events, wait, exec), run in a private curl multi handle so that *cancel
 * and the deadline are looked at every 100 ms even while the daemon sends
 * nothing (curl's progress callback can be a second apart when idle).
 * Implements its part of engine-internal.h. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ERROR_BODY (64u * 1024)
#define POLL_MS 100

static size_t xfer_write(char *data, size_t size, size_t n, void *arg)
{
	struct engine_xfer *x = arg;
	size_t len = size * n;

	if (!x->status)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status >= 300) {
		if (x->raw.len < MAX_ERROR_BODY)
			strbuf_add(&x->raw, data,
				   len < MAX_ERROR_BODY - x->raw.len ? len : MAX_ERROR_BODY - x->raw.len);
		return len;
	}
	if (x->feed(x->ctx, data, len)) {
		x->stopped = 1;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	return len;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drive c to its end, *cancel or the deadline: 0 with *code, or
 * ENGINE_CANCELLED / ENGINE_TIMEOUT. */
static int xfer_drive(CURL *c, struct engine_xfer *x, CURLcode *code)
{
	CURLM *m = curl_multi_init();
	long deadline = x->timeout_ms >= 0 ? now_ms() + x->timeout_ms : 0, left = POLL_MS;
	int running = 1, rc = 0;
	CURLMsg *msg;

	if (!m)
		die_oom(); /* curl_multi_init fails only for memory */
	curl_multi_add_handle(m, c);
	*code = CURLE_OK;
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK || !running)
			break;
		if (cancel_pending(x->cancel)) {
			rc = ENGINE_CANCELLED;
			break;
		}
		if (x->timeout_ms >= 0 && (left = deadline - now_ms()) <= 0) {
			rc = ENGINE_TIMEOUT;
			break;
		}
		curl_multi_poll(m, NULL, 0, left < POLL_MS ? (int)left : POLL_MS, NULL);
	}
	while ((msg = curl_multi_info_read(m, &running)))
		if (msg->msg == CURLMSG_DONE)
			*code = msg->data.result;
	curl_multi_remove_handle(m, c);
	curl_multi_cleanup(m);
	return rc;
}

int engine_xfer_run(struct engine *e, const char *method, const char *path, const char *body, struct engine_xfer *x,
		    struct cc_error **err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdr = NULL;
	CURLcode code;
	int rc;
	CURL *c = engine_curl(e, method, path, errbuf, &rc, err);

	if (!c)
		return rc;
	x->curl = c;
	x->status = 0;
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	rc = xfer_drive(c, x, &code);
	if (!x->status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	if (rc == ENGINE_CANCELLED)
		cc_error_set(err, "engine: %s: cancelled", x->what);
	else if (rc == ENGINE_TIMEOUT)
		cc_error_set(err, "engine: %s: timed out after %ld ms", x->what, x->timeout_ms);
	else if (code != CURLE_OK && !x->stopped)
		rc = engine_curl_error(e, code, errbuf, err);
	else
		rc = (int)x->status;
	x->curl = NULL;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

int engine_xfer_error(struct engine_xfer *x, struct cc_error **err)
{
	json_t *body = x->raw.len ? json_loadb(x->raw.buf, x->raw.len, 0, NULL) : NULL;
	int rc;

	if (!body && x->raw.len)
		body = json_stringn_nocheck(x->raw.buf, x->raw.len);
	rc = engine_status_error((int)x->status, body, err);
	json_decref(body);
	return rc;
}

void engine_xfer_release(struct engine_xfer *x)
{
	strbuf_release(&x->raw);
}
