/* report: what a finished run leaves for CI — the JSON report (--report),
 * scan results as JUnit XML (--junit), and GitHub Actions annotations for
 * failed scans (when CI is set). */
#ifndef CC_REPORT_H
#define CC_REPORT_H

#include <jansson.h>
#include <stdio.h>

struct gitinfo;
struct runner;

/* The --report document (format at the top of report.c); caller decrefs.
 * git may be NULL. */
json_t *report_json(const struct runner *r, const char *profile, const struct gitinfo *git, int exit_code, long ms);
/* Every step whose kind reports tests (step.h report_tests: scans) as
 * JUnit XML, a testsuite per suite the kind names, in step order (a scan's:
 * a testcase per image and rule, failures for error-level findings and
 * non-zero exits); returns the number of failures. */
int report_junit(const struct runner *r, FILE *out);
/* "::error title=...::..." (GitHub's workflow command syntax, values
 * escaped) for each failed step whose kind reports tests; returns how
 * many. */
int report_annotations(const struct runner *r, FILE *out);

#endif
