/* engine-internal: what the engine-*.c files share with engine.c; not for
 * other modules. */
#ifndef CC_ENGINE_INTERNAL_H
#define CC_ENGINE_INTERNAL_H

#include <curl/curl.h>

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

#endif
