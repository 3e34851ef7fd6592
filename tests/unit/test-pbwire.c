/* pbwire: what is written reads back; hostile input is malformed, not a crash. */
#include "pbwire.h"
#include "tap.h"

#include <string.h>

static void test_round_trip(void)
{
	struct pbbuf b = { 0 }, m = { 0 };
	struct pbreader r, s;
	struct pbfield f;
	int n = 0;

	pbw_varint(&m, 1, 300);
	pbw_string(&b, 1, "hello");
	pbw_varint(&b, 2, UINT64_MAX);
	pbw_fixed64(&b, 3, 0x0102030405060708ULL);
	pbw_message(&b, 4, &m);
	pbw_bytes(&b, 5, "", 0);
	pbw_string(&b, 6, NULL);
	r = pbreader_of(b.data, b.len);
	while (pb_next(&r, &f) > 0) {
		n++;
		if (f.num == 1)
			ok(f.wire == PB_LEN && f.len == 5 && !memcmp(f.data, "hello", 5), "string field");
		if (f.num == 2)
			ok(f.wire == PB_VARINT && f.varint == UINT64_MAX, "64-bit varint");
		if (f.num == 3)
			ok(f.wire == PB_FIXED64 && f.varint == 0x0102030405060708ULL, "fixed64 little-endian");
		if (f.num == 4) {
			struct pbfield g;

			s = pbreader_sub(&f);
			ok(pb_next(&s, &g) == 1 && g.num == 1 && g.varint == 300 && pb_next(&s, &g) == 0,
			   "nested message");
		}
		if (f.num == 5)
			ok(f.wire == PB_LEN && f.len == 0, "empty bytes");
	}
	is_int(n, 5, "five fields (a NULL string writes nothing)");
	is_int(m.len, 3, "tag + two-byte varint");
	pbbuf_release(&b);
	pbbuf_release(&m);
	ok(!b.data && !b.len, "released buffer is empty");
}

static void test_hostile(void)
{
	static const uint8_t past_end[] = { 0x0a, 0x05, 'a' }, zero_field[] = { 0x00, 0x01 }, group[] = { 0x0b },
			     long_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
			     cut_fixed[] = { 0x09, 1, 2, 3 };
	struct pbreader r;
	struct pbfield f;

	r = pbreader_of(past_end, sizeof(past_end));
	is_int(pb_next(&r, &f), -1, "a length past the end");
	r = pbreader_of(zero_field, sizeof(zero_field));
	is_int(pb_next(&r, &f), -1, "field number 0");
	r = pbreader_of(group, sizeof(group));
	is_int(pb_next(&r, &f), -1, "a group");
	r = pbreader_of(long_varint, sizeof(long_varint));
	is_int(pb_next(&r, &f), -1, "a varint past 64 bits");
	r = pbreader_of(cut_fixed, sizeof(cut_fixed));
	is_int(pb_next(&r, &f), -1, "a cut fixed64");
	r = pbreader_of(NULL, 0);
	is_int(pb_next(&r, &f), 0, "an empty message has no field");
}

int main(void)
{
	test_round_trip();
	test_hostile();
	return done_testing();
}
