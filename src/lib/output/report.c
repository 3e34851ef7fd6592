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
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "step.h"
#include "util.h"

#include <string.h>

json_t *report_json(const struct runner *r, const char *profile, const struct gitinfo *git, int exit_code,
		    long ms)
{
	json_t *doc = json_pack("{s:i, s:s, s:i, s:I, s:o}", "version", 1, "profile", profile, "exit_code",
				exit_code, "duration_ms", (json_int_t)ms, "steps", runner_report(r));

	if (git)
		json_object_set_new(doc, "git",
				    json_pack("{s:s, s:s?, s:s?}", "sha", git->sha, "branch", git->branch,
					      "describe", git->describe));
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

/* Findings of rule in a scan step's details, at level (NULL: any). */
static void rule_findings(const json_t *details, const char *rule, const char *level, struct strbuf *out)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(details, "findings"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "rule")) ?: "", rule))
			continue;
		if (level && strcmp(json_string_value(json_object_get(f, "level")) ?: "", level))
			continue;
		strbuf_addf(out, "%s%s", out->len ? "\n" : "", json_string_value(json_object_get(f, "evidence")) ?: "");
	}
}

static int junit_step(const struct step *s, const struct step_result *res, FILE *out)
{
	const struct scan_target *t = s->data;
	int failures = 0;
	size_t k;

	if (t->spec->command.n) {
		fprintf(out, "    <testcase classname=\"ccbuild.scan.");
		xml_text(out, t->spec->name);
		fprintf(out, "\" name=\"");
		xml_text(out, t->image->key);
		fprintf(out, "\" time=\"%.3f\">\n", res->ms / 1000.0);
		if (res->status != STEP_DONE && res->status != STEP_UP_TO_DATE) {
			fprintf(out, "      <failure message=\"");
			xml_text(out, res->error ? res->error : step_status_name(res->status));
			fprintf(out, "\"/>\n");
			failures++;
		}
		fprintf(out, "    </testcase>\n");
		return failures;
	}
	for (k = 0; k < t->spec->rules.n; k++) {
		const char *rule = t->spec->rules.keys[k];
		struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;

		if (!strcmp(t->spec->rules.vals[k], "off"))
			continue;
		rule_findings(res->report, rule, "error", &err);
		rule_findings(res->report, rule, "warn", &warn);
		fprintf(out, "    <testcase classname=\"ccbuild.scan.");
		xml_text(out, t->spec->name);
		fprintf(out, "\" name=\"");
		xml_text(out, t->image->key);
		fprintf(out, ": %s\">\n", rule);
		if (!res->report && res->status != STEP_DONE && res->status != STEP_UP_TO_DATE) {
			fprintf(out, "      <skipped message=\"%s\"/>\n", step_status_name(res->status));
		} else if (err.len) {
			fprintf(out, "      <failure message=\"");
			xml_text(out, err.buf);
			fprintf(out, "\" type=\"%s\"/>\n", rule);
			failures++;
		}
		if (warn.len) {
			fprintf(out, "      <system-out>");
			xml_text(out, warn.buf);
			fprintf(out, "</system-out>\n");
		}
		fprintf(out, "    </testcase>\n");
		strbuf_release(&err);
		strbuf_release(&warn);
	}
	return failures;
}

int report_junit(const struct runner *r, FILE *out)
{
	const struct graph *g = &r->project->graph;
	const struct profile_spec *prof = r->project->profile;
	int failures = 0;
	size_t i, k;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ccbuild scans\">\n");
	for (i = 0; i < prof->scans.n; i++) {
		fprintf(out, "  <testsuite name=\"");
		xml_text(out, prof->scans.v[i]);
		fprintf(out, "\">\n");
		for (k = 0; k < g->nsteps; k++) {
			const struct scan_target *t = g->steps[k].data;

			if (g->steps[k].kind == &step_kind_scan && !strcmp(t->spec->name, prof->scans.v[i]))
				failures += junit_step(&g->steps[k], &r->results[k], out);
		}
		fprintf(out, "  </testsuite>\n");
	}
	fprintf(out, "</testsuites>\n");
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

		if (g->steps[k].kind != &step_kind_scan || res->status != STEP_FAILED)
			continue;
		fputs("::error title=", out);
		gh_escape(out, g->steps[k].id, 1);
		fputs("::", out);
		gh_escape(out, res->error ? res->error : "scan failed", 0);
		fputc('\n', out);
		n++;
	}
	return n;
}
