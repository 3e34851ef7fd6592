/* runner: decide and execute the steps of a project.  For each step, in
 * dependency order, the step's kind computes its inputs (kind->hash_inputs)
 * and the runner compares them with the record of its last success; a step
 * whose record matches and whose output still exists (kind->output_exists)
 * is up to date, anything else runs (kind->run) on the scheduler's worker
 * pool.  Each success is recorded at
 * once (atomically, in the state directory), so an interrupted run keeps
 * what finished.  Planning (plan, --dry-run, why) makes the same decisions
 * and changes nothing. */
#ifndef CC_RUNNER_H
#define CC_RUNNER_H

#include <jansson.h>
#include <stddef.h>

#include "cancel.h"
#include "hash.h"
#include "lists.h"
#include "sched.h"
#include "subspan.h"

struct cc_error;
struct cc_warnings;
struct engine;
struct obs;
struct step_kind;
struct gitinfo;
struct project;
struct ui;

/* What one step decided or produced; owned by the runner. */
struct step_result {
	char *hash;		    /* input hash (hex), NULL until computed */
	char *output;		    /* what it produced (an image ID), NULL if nothing yet */
	char *reason;		    /* why it runs, or why it is up to date */
	struct strlist tags;	    /* what the output was tagged as */
	json_t *inputs;		    /* non-file inputs, saved for `why` */
	struct hash_manifest files; /* per-file hashes, saved for `why` */
	void *scratch;		    /* kind's own, freed by kind->release */
	int would_run;		    /* plan: 1 when it would run */
	int reported;		    /* its end was shown */
	long ms;		    /* how long it took */
	json_t *report;		    /* kind-specific facts for --report (scan findings,
			   * digests), owned; or NULL */
	char *error;		    /* why it failed, or NULL */
	enum step_status status;
	struct subspans spans; /* its timed engine calls, for the trace */
};

struct runner {
	struct project *project;      /* borrowed */
	struct engine *engine;	      /* borrowed; NULL when unreachable (plan only) */
	const char *state_dir;	      /* borrowed */
	int state_exists;	      /* plan: 0 when state_dir does not exist */
	struct ui *ui;		      /* borrowed; NULL in plan */
	struct cc_warnings *warnings; /* borrowed: runner_warn's sink; NULL drops */
	const struct gitinfo *git;    /* borrowed; NULL outside a git repository */
	const char *registry_auth;    /* X-Registry-Auth for pushes, or NULL */
	struct step_result *results;  /* one per graph step, owned */
	const atomic_int *cancel;
	int jobs, keep_going;
	int offline;	    /* ask no registry (--offline) */
	int no_cache_tests; /* run test steps even when up to date (--no-cache-tests) */
	int no_session;	    /* builds upload a tar, never a BuildKit session (--no-session) */
	/* The run's trace (obs.h: obs_traceparent, given here so the runner
	 * needs nothing of obs), or NULL; obs borrowed. */
	const char *(*traceparent)(const struct obs *obs, size_t i, char *buf, size_t len);
	const struct obs *obs;
};

/* Set up r for project p (results allocated); the other fields are the
 * caller's to fill before runner_run/runner_plan. */
void runner_init(struct runner *r, struct project *p);
/* Decide every step without running anything (single-threaded, in order).
 * A step that reads its dependencies' outputs would run after one that
 * would run ("build:base would run first").  Returns 0, or -1 with err when a check failed
 * or *cancel was raised ("interrupted"). */
int runner_plan(struct runner *r, struct cc_error **err);
/* Run the graph; how it ended (sched.h). */
enum sched_outcome runner_run(struct runner *r);
/* Every step in order as a JSON array for --report: step, kind, status,
 * reason, duration_ms, hash, output, tags, error, details; caller decrefs. */
json_t *runner_report(const struct runner *r);
/* Counts of final statuses (for the summary). */
void runner_counts(const struct runner *r, int *done, int *uptodate, int *failed, int *cancelled);
/* The first dependency of step i of the given kind (a push's or a scan's
 * build step); the graph guarantees there is one. */
size_t runner_dep(const struct runner *r, size_t i, const struct step_kind *kind);
/* A warning from a step, into r->warnings; safe from worker threads. */
void runner_warn(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* TRACEPARENT for what step i runs (scanners), into buf (56 bytes), or
 * NULL when the run is not traced. */
const char *runner_traceparent(const struct runner *r, size_t i, char *buf, size_t len);
void runner_release(struct runner *r);

#endif
