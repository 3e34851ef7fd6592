/* step: what a kind of step is.  Each kind (build, scan, push; later
 * up, sync, backup) is one static table of these functions in its own
 * file (step-build.c, step-scan.c, step-push.c); nothing else switches on
 * the kind.
 *
 * check and run are called on a worker thread (check also by the planner
 * with dry set); they may read the results of the step's dependencies,
 * which are final by then, and write only r->results[i]. */
#ifndef CC_STEP_H
#define CC_STEP_H

#include <stddef.h>

struct cc_error;
struct runner;
struct step_result;
struct strbuf;
struct step;

struct step_kind {
	const char *name;  /* "build": the prefix of step ids */
	/* 1 when check reads its dependencies' outputs (so a plan can only say
	 * "would run" after a dependency that would run); 0 when their input
	 * hashes suffice. */
	int needs_outputs;
	/* One line saying what the step does ("web  ./web  Dockerfile target=dev"). */
	void (*describe)(const struct step *s, struct strbuf *out);
	/* Compute the step's inputs into r->results[i] (hash, inputs, files)
	 * and compare them with the record of the last success: 1 up to date
	 * (output set), 0 must run (reason set), -1 error.  A dry check
	 * changes nothing (no retag, no pull, no state written). */
	int (*check)(struct runner *r, size_t i, int dry, struct cc_error **err);
	/* Do the work after a check that returned 0: set r->results[i].output
	 * (and tags); 0, or -1 with err. */
	int (*run)(struct runner *r, size_t i, struct cc_error **err);
	/* Free r->results[i].scratch (what check left for run); may be NULL. */
	void (*release)(struct step_result *res);
};

extern const struct step_kind step_kind_build;
extern const struct step_kind step_kind_push;
extern const struct step_kind step_kind_scan;

#endif
