/* report: --junit and CI annotations for the steps whose kind reports
 * tests (scan), byte for byte: a testsuite per scan in profile order, a
 * testcase per image and rule (per image for an external scanner),
 * failures, skips, warnings as system-out, XML escaped. */
#include "manifest.h"
#include "project.h"
#include "report.h"
#include "runner.h"
#include "step.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char want_junit[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ccbuild scans\">\n"
				 "  <testsuite name=\"policy\">\n"
				 "    <testcase classname=\"ccbuild.scan.policy\" name=\"web: non_root\">\n"
				 "      <failure message=\"no USER: the image runs as root\" type=\"non_root\"/>\n"
				 "    </testcase>\n"
				 "    <testcase classname=\"ccbuild.scan.policy\" name=\"web: labels\">\n"
				 "      <system-out>missing &lt;team&gt; &amp; &quot;owner&quot;</system-out>\n"
				 "    </testcase>\n"
				 "    <testcase classname=\"ccbuild.scan.policy\" name=\"api: non_root\">\n"
				 "      <skipped message=\"cancelled\"/>\n"
				 "    </testcase>\n"
				 "    <testcase classname=\"ccbuild.scan.policy\" name=\"api: labels\">\n"
				 "      <skipped message=\"cancelled\"/>\n"
				 "    </testcase>\n"
				 "  </testsuite>\n"
				 "  <testsuite name=\"trivy\">\n"
				 "    <testcase classname=\"ccbuild.scan.trivy\" name=\"web\" time=\"1.234\">\n"
				 "      <failure message=\"scan trivy: image web: trivy exited 1 | &apos;x&apos;\"/>\n"
				 "    </testcase>\n"
				 "    <testcase classname=\"ccbuild.scan.trivy\" name=\"api\" time=\"0.050\">\n"
				 "    </testcase>\n"
				 "  </testsuite>\n"
				 "</testsuites>\n";

static const char want_annotations[] = "::error title=scan%3Aweb%3Apolicy::no USER%0Aand more\n"
				       "::error title=scan%3Aweb%3Atrivy::scan trivy: image web: trivy exited 1 | 'x'\n"
				       "::error title=scan%3Aapi%3Atrivy::scan failed\n";

static char *capture(int (*fn)(const struct runner *, FILE *), const struct runner *r, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = fn(r, f);
	fclose(f);
	return buf;
}

int main(void)
{
	struct image imgs[2] = { { .spec = { .key = "web", .ref = "web:latest" } },
				 { .spec = { .key = "api", .ref = "api:latest" } } };
	struct scan_spec specs[2] = { { .name = "policy" }, { .name = "trivy" } };
	struct scan_target targets[4] = {
		{ &imgs[0], &specs[0] }, { &imgs[1], &specs[0] }, { &imgs[0], &specs[1] }, { &imgs[1], &specs[1] }
	};
	struct profile_spec prof = { .name = "prod" };
	struct project p = { 0 };
	struct runner r;
	char *out;
	int n, k;

	kvlist_set(&specs[0].rules, "non_root", "error");
	kvlist_set(&specs[0].rules, "healthcheck", "off");
	kvlist_set(&specs[0].rules, "labels", "warn");
	strlist_push(&specs[1].command, "trivy");
	strlist_push(&prof.scans, "policy");
	strlist_push(&prof.scans, "trivy");
	p.profile = &prof;
	graph_add(&p.graph, "build:web", &step_kind_build, &imgs[0]);
	for (k = 0; k < 4; k++) {
		cleanup_free char *id = xasprintf("scan:%s:%s", targets[k].image->spec.key, targets[k].spec->name);

		graph_add(&p.graph, id, &step_kind_scan, &targets[k]);
	}
	runner_init(&r, &p);
	r.results[0].status = STEP_FAILED; /* not a test: never reported */
	r.results[1].status = STEP_FAILED;
	r.results[1].error = xstrdup("no USER\nand more");
	r.results[1].report = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "findings", "rule", "non_root",
					"level", "error", "evidence", "no USER: the image runs as root", "rule",
					"labels", "level", "warn", "evidence", "missing <team> & \"owner\"");
	r.results[2].status = STEP_CANCELLED;
	r.results[3].status = STEP_FAILED;
	r.results[3].ms = 1234;
	r.results[3].error = xstrdup("scan trivy: image web: trivy exited 1 | 'x'");
	r.results[4].status = STEP_DONE;
	r.results[4].ms = 50;

	out = capture(report_junit, &r, &n);
	is_str(out, want_junit, "junit: suites, cases, failures, skips, escaping");
	is_int(n, 2, "junit: two failures");
	free(out);

	r.results[4].status = STEP_FAILED;
	out = capture(report_annotations, &r, &n);
	is_str(out, want_annotations, "annotations: one per failed scan, escaped, a default message");
	is_int(n, 3, "annotations: three");
	free(out);

	runner_release(&r);
	graph_release(&p.graph);
	for (k = 0; k < 2; k++) {
		kvlist_release(&specs[k].rules);
		strlist_release(&specs[k].command);
	}
	strlist_release(&prof.scans);
	return done_testing();
}
