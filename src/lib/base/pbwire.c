/* pbwire: protobuf varints, fixed64 and length-delimited fields, read and
 * written by hand (see pbwire.h for why). */
#include "pbwire.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct pbreader pbreader_of(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	return (struct pbreader){ p, p ? p + len : p };
}

struct pbreader pbreader_sub(const struct pbfield *f)
{
	if (f->wire != PB_LEN || !f->data)
		return (struct pbreader){ NULL, NULL };
	return pbreader_of(f->data, f->len);
}

static int pb_varint(struct pbreader *r, uint64_t *out)
{
	uint64_t v = 0;
	int shift;

	for (shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;

		if (shift == 63 && b > 1)
			return -1; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static uint64_t le_value(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int pb_next(struct pbreader *r, struct pbfield *f)
{
	uint64_t key, n;

	memset(f, 0, sizeof(*f)); /* no field of a previous one survives */
	if (r->p == r->end)
		return 0;
	if (pb_varint(r, &key) < 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case PB_VARINT: return pb_varint(r, &f->varint) < 0 ? -1 : 1;
	case PB_FIXED64:
	case PB_FIXED32: n = f->wire == PB_FIXED64 ? 8 : 4; break;
	case PB_LEN:
		if (pb_varint(r, &n) < 0)
			return -1;
		break;
	default: return -1; /* groups: deprecated, and unused by what ccbuild reads */
	}
	if (n > (uint64_t)(r->end - r->p))
		return -1;
	f->data = r->p;
	f->len = (size_t)n;
	if (f->wire != PB_LEN)
		f->varint = le_value(r->p, f->len);
	r->p += n;
	return 1;
}

static void reserve(struct pbbuf *b, size_t more)
{
	size_t want;

	if (more <= b->cap - b->len)
		return;
	if (more > SIZE_MAX / 2 - b->len)
		abort(); /* cannot happen for a message held in memory */
	want = b->len + more;
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < want)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

static void put(struct pbbuf *b, const void *p, size_t n)
{
	if (!n)
		return;
	reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void pbw_varint_raw(struct pbbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	put(b, tmp, n);
}

static void tag(struct pbbuf *b, uint32_t num, int wire)
{
	pbw_varint_raw(b, (uint64_t)num << 3 | (uint64_t)wire);
}

void pbw_varint(struct pbbuf *b, uint32_t num, uint64_t v)
{
	tag(b, num, PB_VARINT);
	pbw_varint_raw(b, v);
}

void pbw_fixed64(struct pbbuf *b, uint32_t num, uint64_t v)
{
	uint8_t tmp[8];
	int i;

	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	tag(b, num, PB_FIXED64);
	put(b, tmp, sizeof(tmp));
}

void pbw_bytes(struct pbbuf *b, uint32_t num, const void *data, size_t len)
{
	tag(b, num, PB_LEN);
	pbw_varint_raw(b, len);
	put(b, data, len);
}

void pbw_string(struct pbbuf *b, uint32_t num, const char *s)
{
	if (s)
		pbw_bytes(b, num, s, strlen(s));
}

void pbw_message(struct pbbuf *b, uint32_t num, const struct pbbuf *m)
{
	pbw_bytes(b, num, m->data, m->len);
}

void pbbuf_release(struct pbbuf *b)
{
	free(b->data);
	*b = (struct pbbuf){ 0 };
}
