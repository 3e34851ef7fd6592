/* fuzz-bktrace: BuildKit StatusResponse protobuf (the daemon's
 * moby.buildkit.trace aux).  First byte even: raw protobuf; odd: the
 * rest is the base64 text the engine sends. */
#include "bktrace.h"
#include "error.h"
#include "harness.h"
#include "util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bk_trace t = { 0 };
	struct cc_error *err = NULL;
	int rc;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		char *b64 = xstrndup((const char *)data + 1, size - 1);

		rc = bktrace_decode_base64(b64, &t, &err);
		free(b64);
	} else
		rc = bktrace_decode(data + 1, size - 1, &t, &err);
	if (rc < 0)
		cc_error_free(err);
	bktrace_release(&t);
	return 0;
}
