/* buildkit-secrets: GetSecret against a transport double; the value is
 * sent and nowhere else (not in the identity, not in an error). */
#include "bk-stream-double.h"
#include "buildkit-secrets.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int get(struct bk_secrets *sc, const char *id, char **value, char **msg)
{
	struct bk_stream s = { 0 };
	struct cc_error *err = NULL;
	int rc;

	if (id)
		double_request(&s, 1, id);
	rc = bk_secrets_get(sc, &s, &err);
	*value = double_response_field(&s, 1);
	if (rc == 0 && !*value && s.nout == 1 && s.out[0].len == 0)
		*value = xstrdup(""); /* an empty value is an empty message */
	if (msg)
		*msg = err ? xstrdup(err->msg) : NULL;
	cc_error_free(err);
	double_release(&s);
	return rc;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		BUG("write %s", path);
	close(fd);
}

static void test_sources(const char *dir)
{
	struct bk_secrets *sc = bk_secrets_new();
	cleanup_free char *file = path_join(dir, "token"), *big = path_join(dir, "big"),
			  *missing = path_join(dir, "no");
	struct cc_error *err = NULL;
	char *v = NULL, *msg = NULL, *ident;
	char *huge = xcalloc(BK_SECRET_MAX + 2, 1);

	write_text(file, "s3cr3t-from-file");
	memset(huge, 'x', BK_SECRET_MAX + 1);
	write_text(big, huge);
	setenv("CCBUILD_TEST_SECRET", "s3cr3t-from-env", 1);
	unsetenv("CCBUILD_TEST_UNSET");
	ok(bk_secrets_add(sc, "tok", BK_SECRET_FILE, file, &err) == 0 &&
		   bk_secrets_add(sc, "env", BK_SECRET_ENV, "CCBUILD_TEST_SECRET", &err) == 0 &&
		   bk_secrets_add(sc, "unset", BK_SECRET_ENV, "CCBUILD_TEST_UNSET", &err) == 0 &&
		   bk_secrets_add(sc, "big", BK_SECRET_FILE, big, &err) == 0 &&
		   bk_secrets_add(sc, "gone", BK_SECRET_FILE, missing, &err) == 0,
	   "add five secrets");
	ok(bk_secrets_add(sc, "tok", BK_SECRET_FILE, file, &err) == 0, "the same pair again is a no-op");
	ok(bk_secrets_add(sc, "tok", BK_SECRET_ENV, "X", &err) < 0, "one id with two sources is an error");
	is_int(bk_secrets_count(sc), 5, "five secrets");
	is_int(get(sc, "tok", &v, NULL), 0, "a file secret");
	is_str(v, "s3cr3t-from-file", "... its bytes");
	free(v);
	is_int(get(sc, "env", &v, NULL), 0, "an environment secret");
	is_str(v, "s3cr3t-from-env", "... its value");
	free(v);
	is_int(get(sc, "nope", &v, &msg), 5, "an unknown id: NOT_FOUND");
	ok(!v && msg && strstr(msg, "nope"), "... nothing sent, the id named (%s)", msg);
	free(msg);
	is_int(get(sc, "unset", &v, &msg), 5, "an unset variable: NOT_FOUND (required=false skips it)");
	free(msg);
	is_int(get(sc, "gone", &v, &msg), 5, "a missing file: NOT_FOUND");
	free(msg);
	is_int(get(sc, "big", &v, &msg), 13, "a file over 500 KiB: INTERNAL");
	ok(!v && msg && !strstr(msg, "xxxx"), "... nothing sent, the value not in the message");
	free(msg);
	is_int(get(sc, NULL, &v, &msg), 3, "no request: INVALID_ARGUMENT");
	free(msg);
	ident = bk_secrets_identity(sc);
	ok(ident && !strstr(ident, "s3cr3t"), "the identity holds no value");
	ok(ident && !strncmp(ident, "big\tfile\t", 9) && strstr(ident, "\nenv\tenv\tCCBUILD_TEST_SECRET\ngone\tfile\t"),
	   "... id, kind and source, sorted by id");
	cc_error_free(err);
	err = NULL;
	ok(bk_secrets_check(sc, &err) < 0 && err && strstr(err->msg, "'big'"), "check: a file over the limit named");
	cc_error_free(err);
	err = NULL;
	write_text(big, "small");
	ok(bk_secrets_check(sc, &err) < 0 && err && strstr(err->msg, "'gone'"), "check: a missing file named");
	free(ident);
	setenv("CCBUILD_TEST_SECRET", "changed", 1);
	ident = bk_secrets_identity(sc);
	ok(ident && !strstr(ident, "changed"), "a changed value leaves the identity as it was");
	free(ident);
	free(huge);
	cc_error_free(err);
	bk_secrets_free(sc);
}

static void test_malformed(void)
{
	static const uint8_t bad[][3] = { { 0x0a, 0x05, 'a' }, { 0x08, 0x01, 0 }, { 0x00, 0x00, 0 } };
	struct bk_secrets *sc = bk_secrets_new();
	struct cc_error *err = NULL;
	size_t i;

	bk_secrets_add(sc, "a", BK_SECRET_ENV, "HOME", &err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bk_stream s = { 0 };
		struct pbbuf *b = &s.in[s.nin++];

		pbw_bytes(b, 9, "", 0); /* grow it */
		b->len = 0;
		memcpy(b->data, bad[i], i == 1 ? 2 : 3);
		b->len = i == 1 ? 2 : 3;
		if (i == 2)
			b->len = 1;
		is_int(bk_secrets_get(sc, &s, &err), 3, "a malformed request: INVALID_ARGUMENT");
		ok(s.nout == 0, "... nothing sent");
		double_release(&s);
	}
	{
		struct bk_stream s = { .reset = 1 };

		is_int(bk_secrets_get(sc, &s, &err), 1, "a reset call: CANCELLED");
	}
	cc_error_free(err);
	bk_secrets_free(sc);
}

/* The unary-call helpers of buildkit-stream.h, on the double. */
static void test_unary_helpers(void)
{
	struct bk_stream s = { 0 };
	struct cc_error *err = NULL;
	char value[] = "hunter2";
	uint8_t *msg = NULL;
	size_t len = 0;

	is_int(bk_stream_recv_one(&s, "GetSecret", &msg, &len, &err), 3, "recv_one, no request: INVALID_ARGUMENT");
	ok(err && !strcmp(err->msg, "GetSecret without a request"), "... named (%s)", err ? err->msg : "");
	cc_error_free(err), err = NULL;
	double_request(&s, 1, "id");
	is_int(bk_stream_recv_one(&s, "GetSecret", &msg, &len, &err), 0, "recv_one: the request");
	ok(len == 4 && msg && msg[0] == 0x0a, "... its bytes");
	free(msg);
	s.reset = 1;
	is_int(bk_stream_recv_one(&s, "GetSecret", &msg, &len, &err), 1, "recv_one, a reset call: CANCELLED");
	cc_error_free(err), err = NULL;
	is_int(bk_stream_send_wiped(&s, value, 7, &err), 0, "send_wiped: sent");
	ok(s.nout == 1 && s.out[0].len == 7 && !memcmp(s.out[0].data, "hunter2", 7), "... the bytes as they were");
	ok(!memcmp(value, "\0\0\0\0\0\0\0", 7), "... and the caller's copy wiped");
	is_int(bk_stream_send_wiped(&s, NULL, 0, &err), 0, "send_wiped: an empty message, NULL");
	ok(s.nout == 2 && s.out[1].len == 0, "... sent empty");
	s.nout = 4;
	is_int(bk_stream_send_wiped(&s, value, 3, &err), 1, "send_wiped, the call gone: CANCELLED");
	cc_error_free(err);
	s.nout = 2;
	double_release(&s);
}

int main(void)
{
	char dir[] = "/tmp/test-bksec-XXXXXX";
	cleanup_free char *cmd = NULL;

	if (!mkdtemp(dir))
		BUG("mkdtemp");
	test_sources(dir);
	test_malformed();
	test_unary_helpers();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return done_testing();
}
