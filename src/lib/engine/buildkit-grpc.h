/* buildkit-grpc: a gRPC server on one HTTP/2 connection (nghttp2), the
 * transport under a BuildKit session (buildkit-session.h opens it; the
 * services see only buildkit-stream.h).
 *
 * One I/O thread owns the connection and the nghttp2 session; each call
 * runs its method on a thread of its own, which blocks in bk_stream_recv
 * and bk_stream_send.  Flow control is honoured both ways: a call's
 * received bytes are released to the peer's window only as its method
 * takes them (at most BK_GRPC_WINDOW bytes wait per call), and a send
 * blocks while more than BK_GRPC_SENDBUF bytes wait for the peer's window.
 * /grpc.health.v1.Health/Check is always served (SERVING); a call to a
 * path with no method ends with status 12 UNIMPLEMENTED.  A message over
 * BK_GRPC_MAX_MESSAGE bytes, or a compressed one, resets its call. */
#ifndef CC_BUILDKIT_GRPC_H
#define CC_BUILDKIT_GRPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buildkit-stream.h"

#define BK_GRPC_WINDOW (4u << 20)
#define BK_GRPC_SENDBUF (256u << 10)
#define BK_GRPC_MAX_MESSAGE (16u << 20)
#define BK_GRPC_HEALTH_METHOD "/grpc.health.v1.Health/Check"

/* The connection's bytes, as the I/O thread moves them.  read and write
 * never block: they return the count, 0 at end of file (read), or -1 with
 * errno (EAGAIN: not now).  fd is what poll(2) waits on; it is made
 * non-blocking.  The owner keeps it open until bk_grpc_stop returned. */
struct bk_transport {
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	ssize_t (*write)(void *ctx, const void *buf, size_t n);
	void *ctx;
	int fd;
};

/* A transport of plain read(2)/write(2) on fd (ctx holds the fd). */
struct bk_transport bk_transport_fd(int fd);

struct bk_grpc_stats {
	uint64_t calls;		      /* calls dispatched, health checks included */
	uint64_t bytes_in, bytes_out; /* gRPC message bytes (prefixes included) */
};

struct bk_grpc;

/* Serve methods[0..n) (the array is copied; each ctx must outlive the
 * server) on t (copied), after feeding pre[0..npre) (bytes already read
 * past the upgrade's answer; may be NULL).  Sends the server's SETTINGS
 * and starts the I/O thread.  NULL with *err.  Caller stops it. */
struct bk_grpc *bk_grpc_start(const struct bk_transport *t, const void *pre, size_t npre,
			      const struct bk_method *methods, size_t n, struct cc_error **err);
/* 1 while the connection is up; 0 once the peer closed it or it failed
 * (*why, when not NULL, gets a copy of the reason, caller frees). */
int bk_grpc_alive(struct bk_grpc *g, char **why);
/* A snapshot of the counters. */
struct bk_grpc_stats bk_grpc_stats(struct bk_grpc *g);
/* Close the connection (GOAWAY), fail every call's pending recv and send,
 * wait for all methods to return, and free g; NULL is fine. */
void bk_grpc_stop(struct bk_grpc *g);

#endif
