/* sched: run the steps of a graph on a pool of worker threads.  Ready
 * steps start longest-critical-path first.  Only the calling (scheduler)
 * thread touches the graph and the status array; workers call ops->run
 * with a step index and report back through a queue.  On the first failure
 * nothing new starts (unless keep_going, which still skips what depends on
 * the failure); when *cancel becomes non-zero nothing new starts and
 * in-flight work is expected to notice the flag and return. */
#ifndef CC_SCHED_H
#define CC_SCHED_H

#include <stddef.h>

#include "cancel.h"
#include "graph.h"

struct cc_error;
struct graph;

struct sched_ops {
	/* Worker thread: do step `step`; return STEP_DONE, STEP_UP_TO_DATE,
	 * STEP_FAILED (with *err set) or STEP_CANCELLED. */
	enum step_status (*run)(void *ctx, size_t step, struct cc_error **err);
	/* Scheduler thread: step has ended; err (owned by the callee) may be NULL. */
	void (*finished)(void *ctx, size_t step, enum step_status status, struct cc_error *err, long ms);
	/* Scheduler thread: step started on a worker (may be NULL). */
	void (*started)(void *ctx, size_t step);
};

/* How a run ended; the command layer picks the exit code from it. */
enum sched_outcome {
	SCHED_OK,	 /* every step done or up to date */
	SCHED_FAILED,	 /* a step failed (its dependants cancelled) */
	SCHED_CANCELLED, /* *cancel was raised */
};

/* Run every step of g (after graph_finish) with `jobs` workers; status[i]
 * receives each step's outcome. */
enum sched_outcome sched_run(const struct graph *g, int jobs, int keep_going, const atomic_int *cancel,
			     const struct sched_ops *ops, void *ctx, enum step_status *status);

#endif
