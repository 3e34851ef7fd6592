/* buildstream: decode the response of POST /build, JSON lines from
 * either builder, into progress events, the image ID and, on failure, an
 * error naming the failing step with its last output lines.  Fed in
 * whatever pieces the transport delivers; no I/O here. */
#ifndef CC_BUILDSTREAM_H
#define CC_BUILDSTREAM_H

#include <stddef.h>

#include "engine.h"

/* Output lines kept per step for the error message. */
#define BUILDSTREAM_TAIL 20

struct buildstream;

/* progress (may be NULL) is called from buildstream_feed. Caller frees. */
struct buildstream *buildstream_new(engine_progress_fn progress, void *ctx);
/* Consume len more bytes of the response. */
void buildstream_feed(struct buildstream *bs, const char *data, size_t len);
/* 1 when the stream has reported a build error. */
int buildstream_failed(const struct buildstream *bs);
/* At the end of the response: 0 with *image_id ("sha256:...", caller
 * frees), or -1 with *err ("build failed at STEP: ..." and output). */
int buildstream_finish(struct buildstream *bs, char **image_id, struct cc_error **err);
void buildstream_free(struct buildstream *bs);

#endif
