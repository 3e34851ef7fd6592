/* buildkit-stream: the unary-call helpers, on bk_stream_recv and
 * bk_stream_send alone (the session implements those; a unit test's
 * double may too). */
#include "buildkit-stream.h"

#include "error.h"

#include <string.h>

enum { ST_CANCELLED = 1, ST_INVALID = 3 };

int bk_stream_recv_one(struct bk_stream *s, const char *what, uint8_t **msg, size_t *len, struct cc_error **err)
{
	int rc = bk_stream_recv(s, msg, len, err);

	if (rc < 0)
		return ST_CANCELLED;
	if (rc == 0)
		return cc_error_set(err, "%s without a request", what), ST_INVALID;
	return 0;
}

int bk_stream_send_wiped(struct bk_stream *s, void *msg, size_t len, struct cc_error **err)
{
	int rc = bk_stream_send(s, len ? msg : "", len, err) < 0 ? ST_CANCELLED : 0;

	if (len)
		explicit_bzero(msg, len);
	return rc;
}
