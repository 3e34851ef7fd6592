/* engine-push: POST /images/{name}/push — the engine pushes a local image
 * to its registry (engine.h); the progress stream is read by
 * engine-progress.c. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int engine_image_push(struct engine *e, const char *name, const char *tag, const char *auth, const atomic_int *cancel,
		      char **digest, struct cc_error **err)
{
	struct engine_progress x = { .line = STRBUF_INIT, .cancel = cancel, .raw = STRBUF_INIT };
	cleanup_free char *etag = engine_escape(tag), *what = xasprintf("pushing %s:%s", name, tag);
	/* The name is a path segment with slashes kept: repo/with/parts. */
	cleanup_free char *path = xasprintf("/images/%s/push?tag=%s", name, etag);
	int rc;

	*digest = NULL;
	rc = engine_progress_call(e, path, auth, &x, what, err);
	if (rc == 0 && !x.digest)
		rc = cc_error_set(err, "engine: %s: the engine reported no digest", what);
	if (rc == 0) {
		*digest = x.digest;
		x.digest = NULL;
	}
	engine_progress_release(&x);
	return rc;
}
