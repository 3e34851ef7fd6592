/* engine-internal: what the engine-*.c files share with engine.c; not for
 * other modules. */
#ifndef CC_ENGINE_INTERNAL_H
#define CC_ENGINE_INTERNAL_H

#include <curl/curl.h>

#include "engine-container.h"
#include "engine.h"
#include "util.h"

/* A curl handle for METHOD on the versioned path, with transport, TLS and
 * errbuf (CURL_ERROR_SIZE bytes, caller-owned) set; pings first when
 * needed.  NULL with *err set (*rc = -1 or ENGINE_UNREACHABLE). */
CURL *engine_curl(struct engine *e, const char *method, const char *path, char *errbuf, int *rc, struct cc_error **err);
/* Map a failed transfer to ENGINE_UNREACHABLE or -1 with a message. */
int engine_curl_error(struct engine *e, CURLcode code, const char *errbuf, struct cc_error **err);

/* --- engine-progress.c --- */
/* One streamed push or pull: what the JSON progress lines said. */
struct engine_progress {
	struct strbuf line; /* an incomplete line */
	char *digest;	    /* from {"aux":{"Digest":...}} */
	char *error;	    /* first errorDetail message */
	const atomic_int *cancel;
	struct strbuf raw; /* response start, for HTTP errors */
};
/* POST path with X-Registry-Auth (base64 JSON, NULL or "" for none); the
 * stream's outcome into x; what ("pushing NAME:TAG") names it in errors.
 * 0, ENGINE_CANCELLED, ENGINE_UNREACHABLE or -1, with err. */
int engine_progress_call(struct engine *e, const char *path, const char *auth, struct engine_progress *x,
			 const char *what, struct cc_error **err);
/* Free what x holds (not x). */
void engine_progress_release(struct engine_progress *x);

/* --- engine-call.c --- */
/* METHOD path with body (borrowed, may be NULL): 0 when the status is ok
 * or ok2, 1 when it is none (0: no such case), else -1 with "engine:
 * STATUS: message" (or a transport error); *out (may be NULL) gets a
 * success's decoded answer (caller decrefs). */
int engine_call(struct engine *e, const char *method, const char *path, json_t *body, int ok, int ok2, int none,
		json_t **out, struct cc_error **err);
/* Hand the errors of local (owned) on to err: appended to *err, or freed
 * when err is NULL; for a call whose failure may turn out to be an answer. */
void engine_error_pass(struct cc_error **err, struct cc_error *local);
/* "?filters=..." (sep then the escaped JSON {"label":[...]}) for labels,
 * "" when there are none; caller frees. */
char *engine_label_query(const struct strlist *labels, char sep);

/* --- engine-stream.c --- */
/* One streamed request: the response body goes to feed as it arrives (2xx
 * only; an error response is kept in raw), with *cancel polled every
 * 100 ms and an optional deadline. */
struct engine_xfer {
	int (*feed)(void *ctx, const char *data, size_t n); /* non-zero: stop */
	void *ctx;
	const atomic_int *cancel;
	long timeout_ms;   /* < 0: none */
	const char *what;  /* names the call in errors ("following logs of X") */
	struct strbuf raw; /* an error response's body (at most 64 KiB) */
	long status;
	int stopped; /* feed asked to stop */
	CURL *curl;  /* during the call */
};
/* METHOD path with body (JSON text, may be NULL): the HTTP status once the
 * response ended or feed stopped it (x->raw holds an error body); with
 * *err: ENGINE_CANCELLED, ENGINE_TIMEOUT, ENGINE_UNREACHABLE or -1. */
int engine_xfer_run(struct engine *e, const char *method, const char *path, const char *body, struct engine_xfer *x,
		    struct cc_error **err);
/* x->raw decoded as engine_status_error does it; -1 with *err. */
int engine_xfer_error(struct engine_xfer *x, struct cc_error **err);
void engine_xfer_release(struct engine_xfer *x);

/* --- engine-logs.c --- */
/* The stdout/stderr stream of logs, attach and exec start: 8-byte frame
 * headers [stream, 0, 0, 0, length u32 big-endian] before each payload,
 * or a TTY's raw bytes; cut into lines of at most ENGINE_LINE_MAX bytes
 * (the rest of a longer line is dropped; memory stays bounded).  Zero-initialise, set fn, ctx
 * and raw. */
#define ENGINE_LINE_MAX (1u << 20)
struct engine_demux {
	engine_log_fn fn;
	void *ctx;
	int raw; /* a TTY: no headers, stream 1, "\r\n" ends lines */
	unsigned char hdr[8];
	size_t hdr_len, frame_left;
	int stream, stopped;
	struct strbuf line[3]; /* 1, 2: the unfinished line of each stream */
};
/* Feed n bytes; non-zero once fn asked to stop. */
int engine_demux_feed(struct engine_demux *d, const char *data, size_t n);
/* Hand on the last unterminated lines; non-zero when fn asked to stop. */
int engine_demux_finish(struct engine_demux *d);
void engine_demux_release(struct engine_demux *d);

#endif
