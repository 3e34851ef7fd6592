/* pbwire: the protocol buffers wire format, by hand.
 *
 * ccbuild speaks a few protobuf messages (BuildKit's progress stream, its
 * session services, OTLP traces) and has no protobuf library: only varints,
 * fixed64 and length-delimited fields are needed, so this module reads and
 * writes those and nothing more.  Message layouts live with their users.
 *
 * Reading: a pbreader walks one message's fields without copying; a field's
 * data points into the reader's buffer.  Input is untrusted: a varint longer
 * than 64 bits, a length past the end, a zero field number or a group is
 * malformed (-1), never a crash.
 * Writing: a pbbuf grows as needed (it owns its data; pbbuf_release frees
 * it).  A nested message is written into its own pbbuf and appended with
 * pbw_bytes. */
#ifndef CC_PBWIRE_H
#define CC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

struct pbreader {
	const uint8_t *p, *end;
};

struct pbfield {
	uint32_t num;
	int wire;
	uint64_t varint;     /* PB_VARINT; also the value of PB_FIXED64/32 */
	const uint8_t *data; /* PB_LEN: the bytes (into the reader's buffer) */
	size_t len;
};

/* A reader over buf[0..len) (buf may be NULL when len is 0). */
struct pbreader pbreader_of(const void *buf, size_t len);
/* The next field into *f: 1 when one was read, 0 at the end, -1 malformed. */
int pb_next(struct pbreader *r, struct pbfield *f);
/* A reader over a PB_LEN field's bytes (an empty one for other wire types). */
struct pbreader pbreader_sub(const struct pbfield *f);

struct pbbuf {
	uint8_t *data; /* owned */
	size_t len, cap;
};

void pbw_varint_raw(struct pbbuf *b, uint64_t v);
/* Field NUM as a varint (int32/int64/uint64/bool/enum; negative int32 and
 * int64 take ten bytes, as protobuf encodes them). */
void pbw_varint(struct pbbuf *b, uint32_t num, uint64_t v);
void pbw_fixed64(struct pbbuf *b, uint32_t num, uint64_t v);
/* Field NUM as length-delimited bytes (string, bytes, nested message). */
void pbw_bytes(struct pbbuf *b, uint32_t num, const void *data, size_t len);
/* pbw_bytes of a NUL-terminated string; nothing for NULL. */
void pbw_string(struct pbbuf *b, uint32_t num, const char *s);
/* pbw_bytes of another buffer's contents (a nested message). */
void pbw_message(struct pbbuf *b, uint32_t num, const struct pbbuf *m);
void pbbuf_release(struct pbbuf *b);

#endif
