/* step: what a kind of step is.  Each kind (build, scan, push; later
 * up, sync, backup) is one static table of these functions in its own
 * file (step-build.c, step-scan.c, step-push.c); nothing else switches on
 * the kind.
 *
 * The runner does the check every kind shares (runner.c, step_check):
 * hash_inputs; then, with the record of the step's last success, "no
 * record" (no_record), "inputs changed" (changed) or "is its output still
 * there?" (output_exists); then, when the step must run, find_cached.  A
 * kind only says what its inputs are and where its output lives.
 *
 * hash_inputs, changed, output_exists, find_cached and run are called on a
 * worker thread (all but run also by the planner, with dry set); they may
 * read the results of the step's dependencies, which are final by then,
 * and write only r->results[i]. */
#ifndef CC_STEP_H
#define CC_STEP_H

#include <jansson.h>
#include <stddef.h>

struct cc_error;
struct runner;
struct step_result;
struct strbuf;
struct step;
struct step_record;

struct step_kind {
	const char *name; /* "build": the prefix of step ids */
	/* 1 when check reads its dependencies' outputs (so a plan can only say
	 * "would run" after a dependency that would run); 0 when their input
	 * hashes suffice. */
	int needs_outputs;
	/* One line saying what the step does ("web  ./web  Dockerfile target=dev"). */
	void (*describe)(const struct step *s, struct strbuf *out);
	/* Compute the step's inputs into r->results[i]: hash (required),
	 * inputs and files (for `why`), scratch (for run); 0, or -1 with err.
	 * A dry call creates nothing (no stat cache, no pull). */
	int (*hash_inputs)(struct runner *r, size_t i, int dry, struct cc_error **err);
	/* The reason to run when no success is recorded ("not pushed before");
	 * an unreadable record says "state unreadable" for every kind. */
	const char *no_record;
	/* Why it runs when rec's input hash differs from r->results[i].hash;
	 * caller frees. */
	char *(*changed)(struct runner *r, size_t i, const struct step_record *rec);
	/* The hash matches rec: 1 what rec says the step produced still exists
	 * (the runner then takes rec's output and tags unless this set them),
	 * 0 it is gone, -1 error; sets r->results[i].reason either way.  A dry
	 * call changes nothing (no retag). */
	int (*output_exists)(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err);
	/* The step would run: 1 when its output can be had without running it
	 * (output and reason set: the build's registry cache), 0 not, -1
	 * error.  May be NULL. */
	int (*find_cached)(struct runner *r, size_t i, struct cc_error **err);
	/* Do the work after a check that returned 0: set r->results[i].output
	 * (and tags); 0, or -1 with err. */
	int (*run)(struct runner *r, size_t i, struct cc_error **err);
	/* For kinds whose steps are tests (scan): step s's results, from res,
	 * as {"suite", "cases": [{"name", "time_ms"?, "failure"?, "type"?,
	 * "skipped"?, "output"?}]} for --junit (report.c writes the XML and
	 * annotates a failed step for CI); caller decrefs.  NULL: not tests. */
	json_t *(*report_tests)(const struct step *s, const struct step_result *res);
	/* Free r->results[i].scratch (what check left for run); may be NULL. */
	void (*release)(struct step_result *res);
};

extern const struct step_kind step_kind_build;
extern const struct step_kind step_kind_push;
extern const struct step_kind step_kind_scan;
extern const struct step_kind step_kind_up;
extern const struct step_kind step_kind_test;

#endif
