/* bktrace: decode one BuildKit progress message (moby/buildkit's
 * control.StatusResponse protobuf, as carried base64-encoded in the
 * "moby.buildkit.trace" lines of POST /build).  Only the fields ccbuild
 * shows are kept; unknown fields are skipped, so newer daemons still
 * decode. */
#ifndef CC_BKTRACE_H
#define CC_BKTRACE_H

#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* Times are nanoseconds since the epoch, saturated to the int64 range;
 * 0 when the field is absent. */
struct bk_vertex {
	char *digest, *name, *error; /* owned; error NULL unless it failed */
	int cached;
	int64_t started, completed;
};

struct bk_status {
	char *id, *vertex, *name; /* owned */
	int64_t current, total;
};

struct bk_log {
	char *vertex; /* owned */
	int stream;   /* 1 stdout, 2 stderr */
	char *msg;    /* owned, NUL-terminated, never NULL; may hold NULs */
	size_t msg_len;
};

struct bk_trace {
	struct bk_vertex *vertexes;
	size_t nvertexes, capvertexes;
	struct bk_status *statuses;
	size_t nstatuses, capstatuses;
	struct bk_log *logs;
	size_t nlogs, caplogs;
};

/* Decode a StatusResponse from buf into *out (zero it first); on failure
 * *out is released and -1 returned. */
int bktrace_decode(const uint8_t *buf, size_t len, struct bk_trace *out, struct cc_error **err);
/* Decode base64 text (the "aux" string) then the message; -1 on bad input. */
int bktrace_decode_base64(const char *b64, struct bk_trace *out, struct cc_error **err);
/* Free everything *t owns and zero it. */
void bktrace_release(struct bk_trace *t);

#endif
