/* pb-build: protobuf messages for unit tests, written by a few lines of
 * their own (not pbwire's writer, so that a test of a reader does not
 * lean on the library it tests).  Field NUM of each kind into a strbuf;
 * a nested message is built in its own strbuf and put with put_msg. */
#ifndef CC_PB_BUILD_H
#define CC_PB_BUILD_H

#include "util.h"

#include <stdint.h>
#include <string.h>

static inline void put_varint(struct strbuf *b, uint64_t v)
{
	while (v >= 0x80) {
		strbuf_addch(b, (int)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	strbuf_addch(b, (int)v);
}

static inline void put_bytes(struct strbuf *b, unsigned num, const void *data, size_t len)
{
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, len);
	strbuf_add(b, data, len);
}

static inline void put_str(struct strbuf *b, unsigned num, const char *s)
{
	put_bytes(b, num, s, strlen(s));
}

static inline void put_uint(struct strbuf *b, unsigned num, uint64_t v)
{
	put_varint(b, (uint64_t)num << 3);
	put_varint(b, v);
}

/* sub as field num of b; sub is released. */
static inline void put_msg(struct strbuf *b, unsigned num, struct strbuf *sub)
{
	put_bytes(b, num, sub->buf ? sub->buf : "", sub->len);
	strbuf_release(sub);
}

#endif
