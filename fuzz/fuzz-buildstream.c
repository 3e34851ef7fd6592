/* fuzz-buildstream: the JSON-lines response of POST /build (both
 * builders), fed in the pieces a transport could deliver: the first two
 * bytes choose the piece size. */
#include "buildstream.h"
#include "error.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void on_event(void *ctx, const struct engine_event *ev)
{
	size_t *count = ctx;

	if (ev->text)
		*count += strlen(ev->text); /* touch what the stream hands out */
	if (ev->step)
		*count += strlen(ev->step);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t piece, off, count = 0;
	struct buildstream *bs;
	struct cc_error *err = NULL;
	char *id = NULL;

	if (size < 2)
		return 0;
	piece = ((size_t)data[0] << 8 | data[1]) % 4096 + 1;
	data += 2, size -= 2;
	bs = buildstream_new(on_event, &count);
	for (off = 0; off < size; off += piece)
		buildstream_feed(bs, (const char *)data + off, size - off < piece ? size - off : piece);
	(void)buildstream_failed(bs);
	if (buildstream_finish(bs, &id, &err) < 0)
		cc_error_free(err);
	free(id);
	buildstream_free(bs);
	return 0;
}
