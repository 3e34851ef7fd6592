/* buildstream: POST /build responses as the daemon sends them, and as a
 * faulty or hostile one could: bounded memory, no crash. */
#include "bktrace.h"
#include "buildstream.h"
#include "error.h"
#include "pb-build.h"
#include "tap.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

/* {"id":"moby.buildkit.trace","aux":"BASE64"} of m, newline-terminated. */
static char *trace_line(struct strbuf *m)
{
	char *b64 = xcalloc(m->len * 2 + 4, 1), *line;

	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)m->buf, (int)m->len);
	line = xasprintf("{\"id\":\"moby.buildkit.trace\",\"aux\":\"%s\"}\n", b64);
	free(b64);
	strbuf_release(m);
	return line;
}

/* A vertex: digest, name, started (and an error when failed). */
static void vertex(struct strbuf *m, const char *digest, const char *name, const char *error)
{
	struct strbuf v = STRBUF_INIT, ts = STRBUF_INIT;

	put_bytes(&v, 1, digest, strlen(digest));
	put_bytes(&v, 3, name, strlen(name));
	put_varint(&ts, 1 << 3);
	put_varint(&ts, 1700000000);
	put_bytes(&v, 5, ts.buf, ts.len);
	if (error) {
		put_bytes(&v, 6, ts.buf, ts.len);
		put_bytes(&v, 7, error, strlen(error));
	}
	strbuf_release(&ts);
	put_msg(m, 1, &v);
}

/* A VertexLog of digest; msg NULL: a log without its data field. */
static void vlog(struct strbuf *m, const char *digest, const char *msg, size_t len)
{
	struct strbuf l = STRBUF_INIT;

	put_bytes(&l, 1, digest, strlen(digest));
	if (msg)
		put_bytes(&l, 4, msg, len);
	put_msg(m, 3, &l);
}

static void feed_str(struct buildstream *bs, char *s)
{
	buildstream_feed(bs, s, strlen(s));
	free(s);
}

static void test_failed_step(void)
{
	struct buildstream *bs = buildstream_new(NULL, NULL);
	struct strbuf m = STRBUF_INIT;
	struct cc_error *err = NULL;
	char *id = NULL, *big = xmalloc((size_t)1 << 20);

	vertex(&m, "sha256:a", "[2/2] RUN make", NULL);
	vlog(&m, "sha256:a", NULL, 0); /* passed NULL to memcpy (UBSan) */
	vlog(&m, "sha256:a", "compiling\n", 10);
	feed_str(bs, trace_line(&m));
	memset(big, 'x', (size_t)1 << 20); /* 1 MiB of output without a newline */
	vlog(&m, "sha256:a", big, (size_t)1 << 20);
	feed_str(bs, trace_line(&m));
	vertex(&m, "sha256:a", "[2/2] RUN make", "exit code: 2");
	feed_str(bs, trace_line(&m));
	ok(buildstream_finish(bs, &id, &err) < 0 && err, "the build failed");
	ok(err && strstr(err->msg, "at [2/2] RUN make: exit code: 2") && strstr(err->msg, "| compiling"),
	   "the error names the step and its output");
	ok(err && strlen(err->msg) < 64 * 1024, "a 1 MiB line is cut in the error (%zu bytes)",
	   err ? strlen(err->msg) : 0);
	cc_error_free(err);
	free(big);
	buildstream_free(bs);
}

static void test_overlong_line(void)
{
	struct buildstream *bs = buildstream_new(NULL, NULL);
	struct cc_error *err = NULL;
	size_t piece = (size_t)1 << 20, i;
	char *junk = xmalloc(piece), *id = NULL;

	/* 65 MiB without a newline: was all held, then parsed as one line */
	memset(junk, ' ', piece);
	for (i = 0; i < 65; i++)
		buildstream_feed(bs, junk, piece);
	buildstream_feed(bs, "\n{\"aux\":{\"ID\":\"sha256:abc\"}}\n", 28);
	i = (size_t)buildstream_finish(bs, &id, &err);
	ok(err && strstr(err->msg, "longer than 64 MiB"), "a response line past 64 MiB is an error (%s)",
	   err	? err->msg
	   : id ? id
		: "none");
	cc_error_free(err);
	free(id);
	free(junk);
	buildstream_free(bs);
}

static void test_success(void)
{
	struct buildstream *bs = buildstream_new(NULL, NULL);
	struct cc_error *err = NULL;
	const char *resp = "{\"stream\":\"Step 1/1 : FROM x\\n\"}\n{\"aux\":{\"ID\":\"sha256:abc\"}}\n";
	char *id = NULL;
	size_t i;

	for (i = 0; resp[i]; i++) /* byte by byte, as the transport may deliver it */
		buildstream_feed(bs, resp + i, 1);
	buildstream_feed(bs, "", 0);
	ok(buildstream_finish(bs, &id, &err) == 0 && id && !strcmp(id, "sha256:abc"), "image ID read");
	free(id);
	cc_error_free(err);
	buildstream_free(bs);
}

int main(void)
{
	test_success();
	test_failed_step();
	test_overlong_line();
	return done_testing();
}
