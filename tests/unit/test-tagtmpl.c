/* Tag templates: git placeholders, hash, semver expansion, sanitising. */
#include "error.h"
#include "gitinfo.h"
#include "tagtmpl.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static char *joined(const char *t, const struct gitinfo *g, const char *hash)
{
	static char buf[1024];
	struct strlist l = { 0 };
	struct cc_error *err = NULL;
	size_t i;

	buf[0] = 0;
	if (tagtmpl_expand(t, g, hash, &l, &err) < 0) {
		snprintf(buf, sizeof(buf), "ERROR %s", err->msg);
		cc_error_free(err);
	}
	for (i = 0; i < l.n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", l.v[i]);
	strlist_release(&l);
	return buf;
}

int main(void)
{
	struct gitinfo g = { .sha = "0123456789abcdef0123456789abcdef01234567",
			     .shortsha = "0123456",
			     .branch = "feature/Login_x",
			     .describe = "v1.2.3-4-g0123456-dirty" };
	struct gitinfo tagged = { .sha = "0123", .shortsha = "0123", .branch = "main", .describe = "v2.10.0" };
	struct gitinfo none = { .sha = "", .shortsha = "", .branch = "main", .describe = "" };
	const char *h = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899";

	is_str(joined("latest", &g, h), "latest", "literal tag");
	is_str(joined("{git.sha}", &g, h), g.sha, "git.sha");
	is_str(joined("sha-{git.short}", &g, h), "sha-0123456", "git.short inside text");
	is_str(joined("{git.branch}", &g, h), "feature-Login_x", "branch sanitised");
	is_str(joined("{git.describe}", &g, h), "v1.2.3-4-g0123456-dirty", "describe is not semver");
	is_str(joined("{git.describe}", &tagged, h), "v2.10.0 v2.10 v2", "semver from describe");
	is_str(joined("1.2.3", &g, h), "1.2.3 1.2 1", "literal semver");
	is_str(joined("1.2.3-rc1", &g, h), "1.2.3-rc1", "pre-release not expanded");
	is_str(joined("ccb-{hash:12}", &g, h), "ccb-aabbccddeeff", "hash:12");
	is_str(joined("{hash}", &g, h), h, "full hash");
	ok(!strncmp(joined("{hash:0}", &g, h), "ERROR", 5), "hash:0 rejected");
	ok(!strncmp(joined("{hash: 8}", &g, h), "ERROR", 5) && !strncmp(joined("{hash:+8}", &g, h), "ERROR", 5) &&
		   !strncmp(joined("{hash:99999999999999999999}", &g, h), "ERROR", 5),
	   "hash:N takes digits only (strtol took ' 8' and '+8')");
	ok(!strncmp(joined("{hash}", &g, NULL), "ERROR", 5), "hash unknown is an error");
	ok(strstr(joined("{git.sha}", NULL, h), "not inside a git repository") != NULL, "no repository");
	ok(strstr(joined("{git.sha}", &none, h), "not inside a git repository") != NULL, "no commit");
	ok(strstr(joined("{git.bogus}", &g, h), "unknown placeholder {git.bogus}") != NULL, "unknown git field");
	ok(strstr(joined("{nope}", &g, h), "unknown placeholder") != NULL, "unknown placeholder");
	ok(strstr(joined("x{git.sha", &g, h), "without '}'") != NULL, "unclosed brace");
	is_str(joined(".hidden", &g, h), "_hidden", "leading dot replaced");
	is_int(tagtmpl_valid("v1.2"), 1, "valid tag");
	is_int(tagtmpl_valid("a/b"), 0, "slash invalid");
	is_int(tagtmpl_valid("-x"), 0, "leading dash invalid");
	return done_testing();
}
