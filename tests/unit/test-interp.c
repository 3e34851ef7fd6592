#include "error.h"
#include "interp.h"
#include "lists.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>

static const char *lookup(void *data, const char *name)
{
	static const char *const vars[][2] = {
		{ "FOO", "foo" },
		{ "EMPTY", "" },
		{ "Mixed_9", "m9" },
		{ "B", "bee" },
	};
	size_t i;

	(void)data;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(vars[i][0], name))
			return vars[i][1];
	return NULL;
}

/* Interpolate s; returns the result or "ERR<rc>:message" (static). */
static const char *run(const char *s, struct strlist *unset)
{
	static char buf[256];
	struct interp_env env = { lookup, NULL, unset };
	struct cc_error *err = NULL;
	char *out = NULL;
	int rc = interp_string(s, &env, &out, &err);

	if (rc < 0)
		snprintf(buf, sizeof(buf), "ERR%d:%s", rc, err ? err->msg : "?");
	else
		snprintf(buf, sizeof(buf), "%s", out);
	free(out);
	cc_error_free(err);
	return buf;
}

static void test_plain_forms(void)
{
	struct strlist unset = { 0 };

	is_str(run("no vars", NULL), "no vars", "literal text unchanged");
	is_str(run("$FOO", NULL), "foo", "$NAME");
	is_str(run("${FOO}", NULL), "foo", "${NAME}");
	is_str(run("a$FOO-b", NULL), "afoo-b", "$NAME ends at a non-name char");
	is_str(run("$Mixed_9!", NULL), "m9!", "mixed case and digits in names");
	is_str(run("$$FOO", NULL), "$FOO", "$$ escapes");
	is_str(run("$$", NULL), "$", "lone $$");
	is_str(run("$$${FOO}$$", NULL), "$foo$", "escape next to a group");
	is_str(run("x${NOPE}y$NOPE2", &unset), "xy", "unset reads as empty");
	is_int(unset.n, 2, "unset names collected");
	is_str(unset.n ? unset.v[0] : NULL, "NOPE", "first unset name");
	run("$NOPE", &unset);
	is_int(unset.n, 2, "each unset name collected once");
	strlist_release(&unset);
}

static void test_defaults(void)
{
	is_str(run("${NOPE:-dflt}", NULL), "dflt", ":- on unset");
	is_str(run("${EMPTY:-dflt}", NULL), "dflt", ":- on empty");
	is_str(run("${FOO:-dflt}", NULL), "foo", ":- on set");
	is_str(run("${NOPE-dflt}", NULL), "dflt", "- on unset");
	is_str(run("${EMPTY-dflt}", NULL), "", "- on empty keeps empty");
	is_str(run("${NOPE:-}", NULL), "", "empty default");
	is_str(run("${NOPE:-a b:c-d?}", NULL), "a b:c-d?", "default runs to the first brace");
	is_str(run("${NOPE:-${FOO}}", NULL), "foo", "a default is interpolated (compose v2)");
	is_str(run("${FOO:-${NOPE}}", NULL), "foo", "nested: the group runs to its closing brace");
	is_str(run("${NOPE:-$FOO}", NULL), "foo", "a default names a variable");
	is_str(run("${NOPE:-${NOPE:-${FOO}x}y}z", NULL), "fooxyz", "defaults nest deeper");
	is_str(run("${NOPE:-a}b}", NULL), "ab}", "a brace after the group is text");
	is_str(run("${FOO:-${NOPE:?need}}", NULL), "ERR-2:need", "a default is interpolated even when unused");
	is_str(run("${FOO:-${NOPE}", NULL), "ERR-1:invalid interpolation format", "an unclosed nested group");
}

static void test_alternatives(void)
{
	is_str(run("${FOO:+alt}", NULL), "alt", ":+ on set");
	is_str(run("${EMPTY:+alt}", NULL), "", ":+ on empty");
	is_str(run("${NOPE:+alt}", NULL), "", ":+ on unset");
	is_str(run("${EMPTY+alt}", NULL), "alt", "+ on empty");
	is_str(run("${NOPE+alt}", NULL), "", "+ on unset");
	is_str(run("${FOO:+${FOO}-x}", NULL), "foo-x", "an alternative is interpolated");
}

static void test_required(void)
{
	is_str(run("${FOO:?need foo}", NULL), "foo", ":? set");
	is_str(run("${NOPE:?need it}", NULL), "ERR-2:need it", ":? unset");
	is_str(run("${EMPTY:?need it}", NULL), "ERR-2:need it", ":? empty");
	is_str(run("${EMPTY?need it}", NULL), "", "? empty is fine");
	is_str(run("${NOPE?}", NULL), "ERR-2:NOPE", "? without message names the variable");
	is_str(run("${NOPE:?}", NULL), "ERR-2:NOPE", ":? without message names the variable");
}

static void test_invalid(void)
{
	const char *bad[] = { "${", "${FOO", "${}", "${1A}", "${FOO:x}", "${FOO:-x", "${ FOO}", "${FOO }" };
	/* compose v2 keeps a '$' that starts nothing (1.29 rejected these). */
	const char *literal[][2] = { { "$", "$" },
				     { "a $", "a $" },
				     { "$1", "$1" },
				     { "$-", "$-" },
				     { "ok $FOO then $", "ok foo then $" },
				     { "echo $(date)", "echo $(date)" } };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_str(run(bad[i], NULL), "ERR-1:invalid interpolation format", bad[i]);
	for (i = 0; i < sizeof(literal) / sizeof(literal[0]); i++)
		is_str(run(literal[i][0], NULL), literal[i][1], literal[i][0]);
	ok(interp_has_vars("a$b") && !interp_has_vars("ab"), "interp_has_vars");
}

int main(void)
{
	test_plain_forms();
	test_defaults();
	test_alternatives();
	test_required();
	test_invalid();
	return done_testing();
}
