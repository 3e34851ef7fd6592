/* goregex: Go regexp syntax as Go's regexp/syntax parser accepts and
 * rejects it, in bounded time and memory.  Error texts are Go's. */
#include "error.h"
#include "goregex.h"
#include "tap.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The error goregex_compile gives for re ("" when it compiles). */
static char *compile_error(const char *re)
{
	static char msg[4096];
	struct cc_error *err = NULL;
	struct goregex *rx = goregex_compile(re, &err);

	snprintf(msg, sizeof(msg), "%s", rx ? "" : err ? err->msg : "(no message)");
	goregex_free(rx);
	cc_error_free(err);
	return msg;
}

static int rejected(const char *re, const char *why)
{
	const char *msg = compile_error(re);

	if (!strstr(msg, why))
		printf("# %s: got '%s', want '%s'\n", re, msg, why);
	return strstr(msg, why) != NULL;
}

/* 1 match, 0 no match, -1 does not compile. */
static int matches(const char *re, const char *s)
{
	struct goregex *rx = goregex_compile(re, NULL);
	int m;

	if (!rx)
		return -1;
	m = goregex_match(rx, s, strlen(s));
	goregex_free(rx);
	return m;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss;
}

static void bounded(void)
{
	char plus[64], nest[256];
	double t0 = now_s();
	long rss0 = maxrss_kb();
	size_t i;

	/* The fuzzer's keep_tags: z and 34 '+' took glibc's regcomp ~8 GB. */
	snprintf(plus, sizeof(plus), "z%.34s", "++++++++++++++++++++++++++++++++++++++++");
	ok(rejected(plus, "invalid nested repetition operator"), "z++++... (34 '+') is Go's nested repetition error");
	/* Valid Go, but each (...)+ doubles glibc's tree: 2^40 nodes. */
	strcpy(nest, "z");
	for (i = 0; i < 40; i++) {
		memmove(nest + 1, nest, strlen(nest) + 1);
		nest[0] = '(';
		strcat(nest, ")+");
	}
	ok(rejected(nest, "regexp too "), "40 nested (...)+ is too large or complex, not 2^40 nodes");
	ok(rejected("(((a{1000}){1000}){1000})", "invalid repeat count"), "nested counts multiply past 1000");
	{
		char many[1024] = "";

		for (i = 0; i < 101; i++)
			strcat(many, "a{1000}");
		ok(rejected(many, "regexp too large"), "101 times a{1000} is more than 100000 nodes");
	}
	/* Valid Go; glibc took 1.8 s to match it once against 128 characters */
	ok(rejected("([a-z]?){1000}([a-z]?){1000}b", "regexp too complex"), "2000 optional parts are too complex");
	ok(rejected("(a?){501}", "regexp too complex"), "501 are too many");
	ok(now_s() - t0 < 2.0, "rejected in bounded time (%.3f s)", now_s() - t0);
	ok(maxrss_kb() - rss0 < 200 * 1024, "and bounded memory (%ld KB more)", maxrss_kb() - rss0);
}

int main(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) /* both reserve terabytes of address space */
	/* The old code asked for gigabytes: fail here rather than swap. */
	struct rlimit lim = { (rlim_t)2 << 30, (rlim_t)2 << 30 };

	setrlimit(RLIMIT_AS, &lim);
#endif
	bounded();
	ok(rejected("a**", "invalid nested repetition operator"), "a**");
	ok(rejected("a*+", "invalid nested repetition operator"), "a*+");
	ok(rejected("a??*", "invalid nested repetition operator"), "a??* (lazy ?? then *)");
	ok(rejected("a{2}{3}", "invalid nested repetition operator"), "a{2}{3}");
	ok(rejected("a{2}*", "invalid nested repetition operator"), "a{2}*");
	ok(rejected("*a", "missing argument to repetition operator"), "*a");
	ok(rejected("(*a)", "missing argument to repetition operator"), "(*a)");
	ok(rejected("a|+b", "missing argument to repetition operator"), "a|+b");
	ok(rejected("{2}", "missing argument to repetition operator"), "{2}");
	ok(rejected("a{1001}", "invalid repeat count"), "a{1001}");
	ok(rejected("a{0,1001}", "invalid repeat count"), "a{0,1001}");
	ok(rejected("a{99999999999}", "invalid repeat count"), "a{99999999999}");
	ok(rejected("a{3,2}", "invalid repeat count"), "a{3,2}");
	ok(rejected("(a{500}){3}", "invalid repeat count"), "(a{500}){3}: 1500 copies");
	ok(rejected("a)", "unexpected )"), "a)");
	ok(rejected("(a", "missing closing )"), "(a");
	ok(rejected("(?i)a", "unsupported group flags"), "(?i) stays unsupported");

	is_int(matches("^a{2}$", "aa"), 1, "a{2} is a count: aa");
	is_int(matches("^a{2}$", "a"), 0, "a{2}: not a");
	is_int(matches("^a{2,}$", "aaaaa"), 1, "a{2,}");
	is_int(matches("^a{1,3}$", "aaaa"), 0, "a{1,3}: not 4");
	is_int(matches("^a{1000}$", "a"), 0, "a{1000} compiles");
	is_int(matches("^(a{10}){100}$", "a"), 0, "(a{10}){100}: 1000 copies is Go's limit, allowed");
	is_int(matches("^a{,3}$", "a{,3}"), 1, "a{,3} is literal in Go");
	is_int(matches("^a{01}$", "a{01}"), 1, "a{01} (leading zero) is literal in Go");
	is_int(matches("^a{$", "a{"), 1, "a lone { is literal");
	is_int(matches("^a*?b+?c??$", "aabc"), 1, "lazy operators are single repetitions");
	is_int(matches("^a{2}?$", "aa"), 1, "lazy count");
	is_int(matches("^(a*)*$", "aaa"), 1, "a repeated group is not nested repetition");
	is_int(matches("^(a|b+)+$", "abba"), 1, "alternation inside a repeated group");
	is_int(matches("^*a", "a"), 1, "^* repeats the anchor, as Go allows");
	is_int(matches("^v\\d+\\.\\d+\\.\\d+$", "v1.22.3"), 1, "a version pattern still matches");
	is_int(matches("^[a-z0-9]{0,128}$", "abc123"), 1, "a bounded tag pattern");
	is_int(matches("^(?:v|release-)[0-9]+$", "release-12"), 1, "a non-capturing group");
	is_int(matches("^(?P<major>[0-9]+)\\.(?<minor>[0-9]+)$", "1.2"), 1, "named groups");
	ok(rejected("(?P<>a)", "invalid named capture"), "a named group without a name");
	{
		double t0 = now_s();
		char s128[129];

		memset(s128, 'a', 128);
		s128[128] = '\0';
		is_int(matches("(a?){500}b", s128), 0, "500 optional parts are allowed");
		ok(now_s() - t0 < 2.0, "and match 128 characters in bounded time (%.3f s)", now_s() - t0);
	}
	return done_testing();
}
