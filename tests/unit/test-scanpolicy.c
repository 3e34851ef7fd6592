/* scanpolicy: each rule on inspect/history JSON shaped like the engine's. */
#include "error.h"
#include "scanpolicy.h"
#include "tap.h"
#include "util.h"

#include <string.h>

static struct scan_findings run(const char *rules_json, const char *inspect_json, const char *history_json,
				const char *base)
{
	struct scan_findings f = { 0 };
	struct kvlist rules = { 0 };
	struct strlist bases = { 0 };
	json_t *r = json_loads(rules_json, 0, NULL), *in = json_loads(inspect_json, 0, NULL);
	json_t *h = json_loads(history_json ? history_json : "[]", 0, NULL), *v;
	struct cc_error *err = NULL;
	const char *k;

	json_object_foreach(r, k, v) kvlist_set(&rules, k, json_string_value(v));
	if (base)
		strlist_push(&bases, base);
	if (scanpolicy_check(&rules, NULL, in, h, &bases, &f, &err) < 0)
		cc_error_free(err);
	json_decref(r);
	json_decref(in);
	json_decref(h);
	kvlist_release(&rules);
	strlist_release(&bases);
	return f;
}

static int has(const struct scan_findings *f, const char *rule, const char *needle)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].rule, rule) && strstr(f->v[i].evidence, needle))
			return 1;
	return 0;
}

static void test_non_root(void)
{
	struct scan_findings f;

	f = run("{\"non_root\":\"error\"}", "{\"Config\":{\"User\":\"\"}}", NULL, NULL);
	ok(has(&f, "non_root", "runs as root") && scan_findings_errors(&f) == 1, "no USER is root");
	scan_findings_release(&f);
	f = run("{\"non_root\":\"error\"}", "{\"Config\":{\"User\":\"0:0\"}}", NULL, NULL);
	ok(has(&f, "non_root", "USER 0:0 is root"), "USER 0:0 is root");
	scan_findings_release(&f);
	f = run("{\"non_root\":\"error\"}", "{\"Config\":{\"User\":\"root:app\"}}", NULL, NULL);
	ok(f.n == 1, "USER root:app is root");
	scan_findings_release(&f);
	f = run("{\"non_root\":\"error\"}", "{\"Config\":{\"User\":\"1000:1000\"}}", NULL, NULL);
	ok(f.n == 0, "USER 1000:1000 passes");
	scan_findings_release(&f);
	f = run("{\"non_root\":\"warn\"}", "{\"Config\":{}}", NULL, NULL);
	ok(f.n == 1 && scan_findings_errors(&f) == 0 && !strcmp(f.v[0].level, "warn"), "warn level is kept");
	scan_findings_release(&f);
	f = run("{\"non_root\":\"off\"}", "{\"Config\":{}}", NULL, NULL);
	ok(f.n == 0, "off skips the rule");
	scan_findings_release(&f);
}

static void test_healthcheck(void)
{
	struct scan_findings f;

	f = run("{\"healthcheck\":\"error\"}", "{\"Config\":{}}", NULL, NULL);
	ok(has(&f, "healthcheck", "no HEALTHCHECK"), "missing healthcheck");
	scan_findings_release(&f);
	f = run("{\"healthcheck\":\"error\"}", "{\"Config\":{\"Healthcheck\":{\"Test\":[\"NONE\"]}}}", NULL, NULL);
	ok(has(&f, "healthcheck", "NONE"), "HEALTHCHECK NONE fails");
	scan_findings_release(&f);
	f = run("{\"healthcheck\":\"error\"}",
		"{\"Config\":{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"wget -q localhost\"]}}}", NULL, NULL);
	ok(f.n == 0, "a healthcheck passes");
	scan_findings_release(&f);
}

static void test_secrets(void)
{
	struct scan_findings f;

	f = run("{\"secrets\":\"error\"}",
		"{\"Config\":{\"Env\":[\"PATH=/usr/bin\",\"DB_PASSWORD=hunter2\",\"EMPTY_TOKEN=\"]}}", NULL, NULL);
	ok(has(&f, "secrets", "DB_PASSWORD=hu****") && f.n == 1, "secret-like ENV name, value redacted");
	ok(f.n && !strstr(f.v[0].evidence, "hunter2"), "the value is never shown");
	scan_findings_release(&f);
	f = run("{\"secrets\":\"error\"}", "{\"Config\":{\"Env\":[\"AWS=AKIAIOSFODNN7EXAMPLE\"]}}", NULL, NULL);
	ok(has(&f, "secrets", "AWS access key"), "AWS access key id");
	scan_findings_release(&f);
	f = run("{\"secrets\":\"error\"}",
		"{\"Config\":{\"Labels\":{\"k\":\"-----BEGIN RSA PRIVATE KEY-----\\nabc\"}}}", NULL, NULL);
	ok(has(&f, "secrets", "private key"), "private key in a label");
	scan_findings_release(&f);
	f = run("{\"secrets\":\"error\"}", "{\"Config\":{\"Env\":[\"X=q8Zr2LxV7mPw4Tn9Kc3Hs6Bd1Fg5Jy0A\"]}}", NULL,
		NULL);
	ok(has(&f, "secrets", "high-entropy"), "high-entropy value");
	scan_findings_release(&f);
	f = run("{\"secrets\":\"error\"}",
		"{\"Config\":{\"Labels\":{\"org.opencontainers.image.revision\":"
		"\"8020529e499db25fcd4c272356ad9ec1423668ba\"},\"Env\":[\"PYTHON_VERSION=3.12.1\","
		"\"LANG=C.UTF-8\"]}}",
		NULL, NULL);
	ok(f.n == 0, "commit ids, versions and plain settings are not secrets");
	scan_findings_release(&f);
	f = run("{\"secrets\":\"error\"}", "{\"Config\":{}}",
		"[{\"CreatedBy\":\"|1 API_TOKEN=s3cr3t /bin/sh -c make\"}]", NULL);
	ok(has(&f, "secrets", "history API_TOKEN=s3****"), "a build arg baked into history");
	scan_findings_release(&f);
}

static void test_size_and_base(void)
{
	struct scan_findings f;

	ok(scanpolicy_size("500MB") == 500000000 && scanpolicy_size("1.5GiB") == 1610612736 &&
		   scanpolicy_size("800k") == 800000 && scanpolicy_size("1234") == 1234 &&
		   scanpolicy_size("5 parsecs") < 0,
	   "sizes parse");
	/* (int64_t) of an out-of-range double is undefined: it gave INT64_MIN */
	ok(scanpolicy_size("9999999999GiB") == -2 && scanpolicy_size("9223372036854775808") == -2 &&
		   scanpolicy_size("9223372036854774784") == 9223372036854774784LL,
	   "a size past 2^63 bytes is too large, not wrapped");
	ok(scanpolicy_size("inf") == -1 && scanpolicy_size("nan") == -1 && scanpolicy_size("-1k") == -1,
	   "inf, nan and negative sizes are not sizes");
	f = run("{\"max_size\":\"1MB\"}", "{\"Size\":2000000,\"Config\":{}}", NULL, NULL);
	ok(has(&f, "max_size", "2.0 MB, limit 1MB") && scan_findings_errors(&f) == 1, "too large");
	scan_findings_release(&f);
	f = run("{\"max_size\":\"1MB\"}", "{\"Size\":900000,\"Config\":{}}", NULL, NULL);
	ok(f.n == 0, "small enough");
	scan_findings_release(&f);
	f = run("{\"pinned_base\":\"error\"}", "{\"Config\":{}}", NULL, "python:latest");
	ok(has(&f, "pinned_base", "tag latest"), "latest is not pinned");
	scan_findings_release(&f);
	f = run("{\"pinned_base\":\"error\"}", "{\"Config\":{}}", NULL, "python");
	ok(has(&f, "pinned_base", "no tag"), "no tag is not pinned");
	scan_findings_release(&f);
	f = run("{\"pinned_base\":\"error\"}", "{\"Config\":{}}", NULL, "python:3");
	ok(has(&f, "pinned_base", "major-only"), "a major-only tag is not exact");
	scan_findings_release(&f);
	f = run("{\"pinned_base\":\"error\"}", "{\"Config\":{}}", NULL, "127.0.0.1:5000/py:3.12.1-slim");
	ok(f.n == 0, "an exact version with a registry port passes");
	scan_findings_release(&f);
	f = run("{\"labels\":\"error\"}",
		"{\"Config\":{\"Labels\":{\"org.opencontainers.image.source\":\"x\","
		"\"org.opencontainers.image.revision\":\"y\"}}}",
		NULL, NULL);
	ok(f.n == 1 && has(&f, "labels", "org.opencontainers.image.created"), "missing default OCI label");
	scan_findings_release(&f);
}

int main(void)
{
	test_non_root();
	test_healthcheck();
	test_secrets();
	test_size_and_base();
	return done_testing();
}
