#include "bktrace.h"
#include "error.h"
#include "pb-build.h"
#include "tap.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

static void put_time(struct strbuf *b, unsigned num, uint64_t sec, uint64_t nsec)
{
	struct strbuf t = STRBUF_INIT;

	put_uint(&t, 1, sec);
	put_uint(&t, 2, nsec);
	put_msg(b, num, &t);
}

static void build_message(struct strbuf *m)
{
	struct strbuf v = STRBUF_INIT, s = STRBUF_INIT, l = STRBUF_INIT;

	put_str(&v, 1, "sha256:aaa");
	put_str(&v, 2, "sha256:input"); /* inputs: skipped */
	put_str(&v, 3, "[2/3] RUN false");
	put_time(&v, 5, 1700000000, 5);
	put_time(&v, 6, 1700000001, 0);
	put_str(&v, 7, "exit code: 1");
	put_uint(&v, 99, 12345); /* unknown field */
	put_msg(m, 1, &v);
	put_str(&v, 1, "sha256:bbb");
	put_str(&v, 3, "[1/3] FROM scratch");
	put_uint(&v, 4, 1);
	put_msg(m, 1, &v);
	put_str(&s, 1, "extracting");
	put_str(&s, 2, "sha256:bbb");
	put_uint(&s, 4, 10);
	put_uint(&s, 5, 300);
	put_msg(m, 2, &s);
	put_str(&l, 1, "sha256:aaa");
	put_time(&l, 2, 1700000000, 7);
	put_uint(&l, 3, 2);
	put_bytes(&l, 4, "boom\0x\n", 7);
	put_msg(m, 3, &l);
	put_str(m, 4, "warnings are skipped");
}

static void test_decode(void)
{
	struct strbuf m = STRBUF_INIT;
	struct bk_trace t = { 0 };
	struct cc_error *err = NULL;

	build_message(&m);
	is_int(bktrace_decode((uint8_t *)m.buf, m.len, &t, &err), 0, "decode");
	is_int(t.nvertexes, 2, "two vertexes");
	is_str(t.vertexes[0].digest, "sha256:aaa", "digest");
	is_str(t.vertexes[0].name, "[2/3] RUN false", "name");
	is_int(t.vertexes[0].started, 1700000000000000005LL, "started ns");
	is_int(t.vertexes[0].completed, 1700000001000000000LL, "completed ns");
	is_str(t.vertexes[0].error, "exit code: 1", "error");
	is_int(t.vertexes[0].cached, 0, "not cached");
	ok(t.vertexes[1].cached && !t.vertexes[1].started && !t.vertexes[1].error, "cached, not started");
	is_int(t.nstatuses, 1, "one status");
	is_str(t.statuses[0].vertex, "sha256:bbb", "status vertex");
	ok(t.statuses[0].current == 10 && t.statuses[0].total == 300, "status progress");
	is_int(t.nlogs, 1, "one log");
	is_int(t.logs[0].stream, 2, "stderr");
	is_int(t.logs[0].msg_len, 7, "log keeps embedded NUL");
	ok(!memcmp(t.logs[0].msg, "boom\0x\n", 7), "log bytes");
	bktrace_release(&t);

	/* The same through base64, as the daemon sends it. */
	{
		cleanup_free char *b64 = xmalloc(m.len * 2 + 4);

		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)m.buf, (int)m.len);
		is_int(bktrace_decode_base64(b64, &t, &err), 0, "base64 decode");
		ok(t.nvertexes == 2 && t.nlogs == 1, "base64 content");
		bktrace_release(&t);
	}
	strbuf_release(&m);
}

static void test_padding(void)
{
	/* Lengths 1..3 mod 3 exercise each amount of '=' padding. */
	const char *names[] = { "a", "ab", "abc" };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct strbuf m = STRBUF_INIT, v = STRBUF_INIT;
		struct bk_trace t = { 0 };
		char b64[64];

		put_str(&v, 3, names[i]);
		put_msg(&m, 1, &v);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)m.buf, (int)m.len);
		ok(!bktrace_decode_base64(b64, &t, NULL) && t.nvertexes == 1 && !strcmp(t.vertexes[0].name, names[i]),
		   "padding case %zu", i);
		bktrace_release(&t);
		strbuf_release(&m);
	}
}

static void test_malformed(void)
{
	struct strbuf m = STRBUF_INIT;
	struct bk_trace t = { 0 };
	struct cc_error *err = NULL;
	const uint8_t trunc[] = { 0x0a, 0x10, 0x0a, 0x02 }; /* length past the end */
	const uint8_t group[] = { 0x0b };		    /* wire type 3 */

	ok(bktrace_decode(trunc, sizeof(trunc), &t, &err) < 0, "truncated message fails");
	ok(err && strstr(err->msg, "malformed"), "error says malformed");
	cc_error_free(err);
	err = NULL;
	ok(bktrace_decode(group, sizeof(group), &t, NULL) < 0, "group wire type fails");
	ok(bktrace_decode_base64("abc", &t, NULL) < 0, "bad base64 length fails");
	ok(bktrace_decode_base64("", &t, NULL) == 0 && t.nvertexes == 0, "empty message is fine");
	build_message(&m);
	ok(bktrace_decode((uint8_t *)m.buf, m.len - 3, &t, NULL) < 0 && t.nvertexes == 0,
	   "cut message fails and leaves nothing");
	strbuf_release(&m);
}

/* What a daemon (or the fuzzer) can send that a correct one does not. */
static void test_hostile(void)
{
	struct strbuf m = STRBUF_INIT, v = STRBUF_INIT, s = STRBUF_INIT, l = STRBUF_INIT;
	struct bk_trace t = { 0 };
	const uint8_t longvarint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };

	/* seconds * 1e9 overflowed int64 (UBSan: signed overflow) */
	put_str(&v, 1, "sha256:big");
	put_time(&v, 5, (uint64_t)INT64_MAX, 999999999);
	put_time(&v, 6, (uint64_t)-20000000000LL, 0); /* 1336 BC: negative int64 */
	put_msg(&m, 1, &v);
	/* a VertexLog without data gave msg NULL (memcpy(.., NULL, 0) in buildstream) */
	put_str(&l, 1, "sha256:big");
	put_msg(&m, 3, &l);
	/* varints where strings or messages belong, a string where a varint does */
	put_uint(&v, 1, 42);
	put_uint(&v, 5, 7);
	put_msg(&m, 1, &v);
	put_uint(&s, 4, 10);
	put_str(&s, 5, "not a number");
	put_msg(&m, 2, &s);
	is_int(bktrace_decode((uint8_t *)m.buf, m.len, &t, NULL), 0, "hostile message decodes");
	ok(t.nvertexes == 2 && t.vertexes[0].started == INT64_MAX, "a time past 2262 saturates (%lld)",
	   t.nvertexes ? (long long)t.vertexes[0].started : 0);
	ok(t.nvertexes == 2 && t.vertexes[0].completed == INT64_MIN, "a time before 1678 saturates (%lld)",
	   t.nvertexes ? (long long)t.vertexes[0].completed : 0);
	ok(t.nlogs == 1 && t.logs[0].msg && t.logs[0].msg_len == 0, "a log without data has an empty message");
	ok(t.nvertexes == 2 && !t.vertexes[1].digest && !t.vertexes[1].started,
	   "fields of the wrong wire type are skipped, as protobuf-go does");
	ok(t.nstatuses == 1 && t.statuses[0].current == 10 && t.statuses[0].total == 0,
	   "a string total is not read as the previous field's varint (%lld)",
	   t.nstatuses ? (long long)t.statuses[0].total : 0);
	bktrace_release(&t);
	strbuf_release(&m);
	ok(bktrace_decode(longvarint, sizeof(longvarint), &t, NULL) < 0, "a varint past 64 bits is malformed");
}

int main(void)
{
	test_decode();
	test_padding();
	test_malformed();
	test_hostile();
	return done_testing();
}
