/* report: JSON report, JUnit XML, CI annotations.
 *
 * --report FILE, version 1:
 *   {"version": 1, "profile": "prod", "exit_code": 0, "duration_ms": N,
 *    "steps": [{"step", "kind", "status", "reason", "duration_ms", "hash",
 *               "output", "tags", "error", "details"}, ...],
 *    "git": {"sha", "branch", "describe", "dirty"}}   (in a repository)
 * "details" is the step kind's own: a push's repository and digest, a
 * scan's findings ({rule, level, evidence}) or exit code and output file. */
#include "report.h"
#include "gitinfo.h"
#include "graph.h"
#include "project.h"
#include "runner.h"
#include "step.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

json_t *report_json(const struct runner *r, const char *profile, const struct gitinfo *git, int exit_code, long ms)
{
	json_t *doc = json_pack("{s:i, s:s, s:i, s:I, s:o}", "version", 1, "profile", profile, "exit_code", exit_code,
				"duration_ms", (json_int_t)ms, "steps", runner_report(r));

	if (git)
		json_object_set_new(doc, "git",
				    json_pack("{s:s, s:s?, s:s?}", "sha", git->sha, "branch", git->branch, "describe",
					      git->describe));
	if (git && git->dirty_checked)
		json_object_set_new(json_object_get(doc, "git"), "dirty", json_boolean(git->dirty));
	return doc;
}

static void xml_text(FILE *out, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc(' ', out); /* not allowed in XML 1.0 */
			else
				fputc(*s, out);
		}
}

/* One testcase of a kind's report_tests (step.h); 1 when it failed. */
static int junit_case(const char *kind, const char *suite, const json_t *c, FILE *out)
{
	const char *failure = json_string_value(json_object_get(c, "failure"));
	const char *type = json_string_value(json_object_get(c, "type"));
	const char *skipped = json_string_value(json_object_get(c, "skipped"));
	const char *output = json_string_value(json_object_get(c, "output"));
	const json_t *ms = json_object_get(c, "time_ms");

	fprintf(out, "    <testcase classname=\"ccbuild.%s.", kind);
	xml_text(out, suite);
	fprintf(out, "\" name=\"");
	xml_text(out, json_string_value(json_object_get(c, "name")));
	fputc('"', out);
	if (ms)
		fprintf(out, " time=\"%.3f\"", (double)json_integer_value(ms) / 1000.0);
	fprintf(out, ">\n");
	if (skipped) {
		fprintf(out, "      <skipped message=\"");
		xml_text(out, skipped);
		fprintf(out, "\"/>\n");
	} else if (failure) {
		fprintf(out, "      <failure message=\"");
		xml_text(out, failure);
		fputc('"', out);
		if (type) {
			fprintf(out, " type=\"");
			xml_text(out, type);
			fputc('"', out);
		}
		fprintf(out, "/>\n");
	}
	if (output) {
		fprintf(out, "      <system-out>");
		xml_text(out, output);
		fprintf(out, "</system-out>\n");
	}
	fprintf(out, "    </testcase>\n");
	return failure && !skipped;
}

int report_junit(const struct runner *r, FILE *out)
{
	const struct graph *g = &r->project->graph;
	json_t **tests = xcalloc(g->nsteps ? g->nsteps : 1, sizeof(*tests));
	struct strlist suites = { 0 };
	int failures = 0;
	size_t i, k, c;

	for (k = 0; k < g->nsteps; k++) {
		const char *suite;

		if (g->steps[k].kind->report_tests)
			tests[k] = g->steps[k].kind->report_tests(&g->steps[k], &r->results[k]);
		suite = json_string_value(json_object_get(tests[k], "suite"));
		if (suite && !strlist_has(&suites, suite))
			strlist_push(&suites, suite);
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ccbuild scans\">\n");
	for (i = 0; i < suites.n; i++) {
		fprintf(out, "  <testsuite name=\"");
		xml_text(out, suites.v[i]);
		fprintf(out, "\">\n");
		for (k = 0; k < g->nsteps; k++)
			if (tests[k] &&
			    !strcmp(json_string_value(json_object_get(tests[k], "suite")) ?: "", suites.v[i]))
				for (c = 0; c < json_array_size(json_object_get(tests[k], "cases")); c++)
					failures +=
						junit_case(g->steps[k].kind->name, suites.v[i],
							   json_array_get(json_object_get(tests[k], "cases"), c), out);
		fprintf(out, "  </testsuite>\n");
	}
	fprintf(out, "</testsuites>\n");
	for (k = 0; k < g->nsteps; k++)
		json_decref(tests[k]);
	free(tests);
	strlist_release(&suites);
	return failures;
}

/* GitHub workflow command escaping: data escapes %, CR, LF; properties
 * also : and ,. */
static void gh_escape(FILE *out, const char *s, int property)
{
	for (; s && *s; s++)
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (property && *s == ':')
			fputs("%3A", out);
		else if (property && *s == ',')
			fputs("%2C", out);
		else
			fputc(*s, out);
}

int report_annotations(const struct runner *r, FILE *out)
{
	const struct graph *g = &r->project->graph;
	int n = 0;
	size_t k;

	for (k = 0; k < g->nsteps; k++) {
		const struct step_result *res = &r->results[k];

		cleanup_free char *failed = NULL;

		if (!g->steps[k].kind->report_tests || res->status != STEP_FAILED)
			continue;
		failed = xasprintf("%s failed", g->steps[k].kind->name);
		fputs("::error title=", out);
		gh_escape(out, g->steps[k].id, 1);
		fputs("::", out);
		gh_escape(out, res->error ? res->error : failed, 0);
		fputc('\n', out);
		n++;
	}
	return n;
}
