/* buildkit-stream: one gRPC call of a BuildKit client session, as the
 * services that answer it (filesync, secrets, ssh, auth) see it.
 *
 * The session module (buildkit-session.c) owns the connection, HTTP/2 and
 * gRPC framing; it implements these functions and runs each call's method
 * on a thread of its own, so a method may block in recv/send.  A service
 * module (buildkit-filesync.c, ...) only decodes and encodes the protobuf
 * messages (pbwire.h) and never sees HTTP/2 or gRPC.
 * A stream is valid only during its method's call.  The unary-call
 * helpers (bk_stream_recv_one, bk_stream_send_wiped) are buildkit-stream.c's,
 * built on bk_stream_recv and bk_stream_send alone. */
#ifndef CC_BUILDKIT_STREAM_H
#define CC_BUILDKIT_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct bk_stream;
struct cc_error;

/* The call's I-th value of request metadata NAME (lowercase, e.g.
 * "dir-name", "include-patterns"), NULL past the last; owned by the stream. */
const char *bk_stream_meta(struct bk_stream *s, const char *name, size_t i);

/* The next request message: 1 with *msg (the caller frees it) and *len,
 * 0 when the client has half-closed its side, -1 with *err when the call
 * was reset or the session is closing. */
int bk_stream_recv(struct bk_stream *s, uint8_t **msg, size_t *len, struct cc_error **err);

/* Send one response message (copied; may block for flow control): 0, or
 * -1 with *err when the call is gone. */
int bk_stream_send(struct bk_stream *s, const void *msg, size_t len, struct cc_error **err);

/* The one request of a unary call: 0 with *msg (the caller frees it) and
 * *len, else a gRPC status with *err: 1 CANCELLED when the call is gone, 3
 * INVALID_ARGUMENT when the client sent none ("WHAT without a request"). */
int bk_stream_recv_one(struct bk_stream *s, const char *what, uint8_t **msg, size_t *len, struct cc_error **err);

/* Send msg[0..len) (msg may be NULL when len is 0) as a response, then wipe
 * msg[0..len), the caller's still to free: 0, or 1 CANCELLED with *err. */
int bk_stream_send_wiped(struct bk_stream *s, void *msg, size_t len, struct cc_error **err);

/* A method: 0 when the call succeeded (gRPC status OK), or a gRPC status
 * code (5 NOT_FOUND, 13 INTERNAL, ...) with *err saying why; the session
 * sends that status and message as the call's trailers.  CTX is the
 * method's own (a struct bk_filesync *, ...). */
typedef int (*bk_method_fn)(void *ctx, struct bk_stream *s, struct cc_error **err);

struct bk_method {
	const char *path; /* "/moby.filesync.v1.FileSync/DiffCopy" */
	bk_method_fn fn;
	void *ctx;
};

#endif
