/* fuzz-registry: what a registry sends back, without a network: response
 * header lines (Docker-Content-Digest, Content-Type, WWW-Authenticate,
 * Link, Content-Length), the Bearer challenge's parameters, the JSON
 * error body, and repository references.  Part 0 is the header block,
 * part 1 the error body, part 2 a reference.
 *
 * These parsers are static in registry.c (they sit behind libcurl's
 * callbacks), so the file is compiled into this harness; its public
 * functions then come from here instead of the library. */
#include "../src/lib/registry/registry.c"

#include "harness.h"

static void feed_headers(struct reply *r, const struct fuzz_part *p)
{
	const char *s = p->data, *end = p->data + p->len, *nl;
	size_t len;
	char *line;

	/* curl hands the callback one line, CRLF included, not NUL-terminated:
	 * a copy of exactly that size lets ASan see an over-read */
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		len = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
		if (!nl)
			nl = end - 1;
		line = xmalloc(len ? len : 1);
		memcpy(line, s, len);
		on_header(line, 1, len, r);
		free(line);
	}
}

static void challenge(const char *ch)
{
	static const char *const names[] = { "realm", "service", "scope", "error" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = challenge_param(ch, names[i]);

		if (v) {
			char *e = curl_escape_dup(v);

			free(e);
		}
		free(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[3];
	size_t n = fuzz_split(data, size, parts, 3);
	struct reply r = { 0 };
	struct cc_error *err = NULL;
	char *host, *path, *ref;

	feed_headers(&r, &parts[0]);
	if (r.challenge)
		challenge(r.challenge);
	r.status = 404;
	if (n > 1)
		on_body((char *)parts[1].data, 1, parts[1].len, &r);
	reply_error("fuzz.example", &r, &err);
	cc_error_free(err);
	reply_release(&r);
	if (n > 2) {
		char *s = fuzz_part_str(&parts[2]);

		if (registry_split(s, &host, &path, &ref) == 0) {
			char *h = repo_host(s);

			(void)is_loopback(host);
			free(h);
		}
		free(host), free(path), free(ref);
		free(s);
	}
	return 0;
}
