#include "envfile.h"
#include "error.h"
#include "lists.h"
#include "tap.h"
#include "util.h"
#include "warnings.h"

#include <stdlib.h>

static const char *lookup(void *data, const char *name)
{
	(void)data;
	return !strcmp(name, "HOME") ? "/root" : NULL;
}

static const char *val(const struct envfile *ef, const char *key)
{
	const struct envfile_var *v = envfile_get(ef, key);

	return !v ? "(absent)" : v->val ? v->val : "(none)";
}

/* Expected values checked against python-dotenv 0.21 (dotenv_values). */
static void test_dotenv_sample(void)
{
	const char *text = "A=1\n"
			   "B='${A}x'\n"
			   "C=\"${A:-z}\\n\\q\"\n"
			   "export D = hello world  # c\n"
			   "E\n"
			   " F=${E:-dd}\n"
			   "G=${NOPE:-x}${HOME}\n"
			   "=bad\n"
			   "H=\"multi\nline\" # c\n"
			   "'I J'=k\n"
			   "K=\"a\" junk\n"
			   "L=#x\n"
			   "M=\n"
			   "# comment\n"
			   "N='it\\'s' \r\n"
			   "A=2\n";
	struct envfile ef = { 0 };
	struct cc_warnings sink;
	struct strlist warn;

	cc_warnings_init(&sink);
	ok(envfile_parse("t.env", text, strlen(text), lookup, NULL, &ef, &sink, NULL) == 0, "sample parses");
	warn = sink.seen;
	is_str(val(&ef, "A"), "2", "later key wins");
	is_str(val(&ef, "B"), "1x", "single-quoted values are expanded too");
	is_str(val(&ef, "C"), "1\n\\q", "double-quoted escapes decoded, unknown kept");
	is_str(val(&ef, "D"), "hello world", "export, spaces and comment");
	is_str(val(&ef, "E"), "(none)", "bare key has no value");
	is_str(val(&ef, "F"), "", "default not applied to a present-but-valueless key");
	is_str(val(&ef, "G"), "x/root", "default then lookup");
	is_str(val(&ef, "H"), "multi\nline", "quoted value spans lines");
	is_str(val(&ef, "I J"), "k", "quoted key");
	is_str(val(&ef, "K"), "(absent)", "junk after quotes rejected");
	is_str(val(&ef, "L"), "#x", "hash without space is a value");
	is_str(val(&ef, "M"), "", "empty value");
	is_str(val(&ef, "N"), "it's", "single-quote escape and CRLF");
	is_int(warn.n, 2, "two warnings");
	is_str(warn.n ? warn.v[0] : NULL, "t.env:8: could not parse statement", "warning names file:line");
	is_str(warn.n > 1 ? warn.v[1] : NULL, "t.env:12: could not parse statement", "second warning line");
	is_int(envfile_get(&ef, "H")->line, 9, "line of a key");
	envfile_release(&ef);
	cc_warnings_release(&sink);
}

static void test_load_errors(void)
{
	struct envfile ef = { 0 };
	struct cc_error *err = NULL;

	ok(envfile_load("/nonexistent/.env", NULL, NULL, &ef, NULL, &err) < 0, "missing file fails");
	is_str(err ? err->msg : NULL, "Couldn't find env file: /nonexistent/.env", "compose's message");
	cc_error_free(err);
	err = NULL;
	ok(envfile_load("/", NULL, NULL, &ef, NULL, &err) < 0, "directory fails");
	cc_error_free(err);
}

/* A NUL byte would cut the value and hide what follows: an error at its
 * line.  The raw format takes values as written. */
static void test_nul_and_raw(void)
{
	static const char nul[] = "A=1\n\nB=x\0y\nC=3\n";
	static const char raw[] = "# c\nR=\"q\" # kept\nS=a=b\nBARE\n\nT=${X}\r\n";
	struct envfile ef = { 0 };
	struct cc_error *err = NULL;

	ok(envfile_parse("n.env", nul, sizeof(nul) - 1, NULL, NULL, &ef, NULL, &err) < 0, "NUL byte fails");
	is_str(err ? err->msg : NULL, "n.env:3: NUL byte in env file", "NUL byte: file and line");
	cc_error_free(err);
	err = NULL;
	envfile_release(&ef);
	ok(envfile_parse_raw("n.env", nul, sizeof(nul) - 1, &ef, &err) < 0, "NUL byte fails in raw too");
	cc_error_free(err);
	err = NULL;
	envfile_release(&ef);
	ok(envfile_parse_raw("r.env", raw, sizeof(raw) - 1, &ef, &err) == 0, "raw parses");
	is_str(val(&ef, "R"), "\"q\" # kept", "raw: quotes and comments kept");
	is_str(val(&ef, "S"), "a=b", "raw: split at the first =");
	is_str(val(&ef, "BARE"), "(none)", "raw: bare key has no value");
	is_str(val(&ef, "T"), "${X}", "raw: no expansion, CR dropped");
	is_int(ef.n, 4, "raw: comment and blank lines skipped");
	envfile_release(&ef);
	ok(envfile_load("/nonexistent/x.env", NULL, NULL, &ef, NULL, &err) == ENVFILE_MISSING,
	   "missing: ENVFILE_MISSING");
	cc_error_free(err);
}

int main(void)
{
	test_dotenv_sample();
	test_load_errors();
	test_nul_and_raw();
	return done_testing();
}
