/* engine-internal: what engine.c shares with engine-build.c; not for
 * other modules. */
#ifndef CC_ENGINE_INTERNAL_H
#define CC_ENGINE_INTERNAL_H

#include <curl/curl.h>

#include "engine.h"

/* A curl handle for METHOD on the versioned path, with transport, TLS and
 * errbuf (CURL_ERROR_SIZE bytes, caller-owned) set; pings first when
 * needed.  NULL with *err set (*rc = -1 or ENGINE_UNREACHABLE). */
CURL *engine_curl(struct engine *e, const char *method, const char *path, char *errbuf,
		  int *rc, struct cc_error **err);
/* Map a failed transfer to ENGINE_UNREACHABLE or -1 with a message. */
int engine_curl_error(struct engine *e, CURLcode code, const char *errbuf, struct cc_error **err);

#endif
