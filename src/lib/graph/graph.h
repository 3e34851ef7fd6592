/* graph: the step graph of one profile.  A step is a typed node
 * ("build:web"); its kind is a table of functions (step.h), so adding a
 * kind touches one file.  Edges point from a step to the steps it needs.
 * Only the scheduler thread mutates a graph. */
#ifndef CC_GRAPH_H
#define CC_GRAPH_H

#include <stddef.h>
#include <stdio.h>

struct cc_error;
struct step_kind;

struct step {
	char *id;		      /* "KIND:NAME", owned */
	const struct step_kind *kind; /* borrowed, static table */
	void *data;		      /* kind-specific, borrowed from the model */
	size_t *deps;		      /* indices of steps this one needs */
	size_t ndeps, capdeps;
	size_t priority; /* longest path to a sink, in steps */
};

struct graph {
	struct step *steps;
	size_t nsteps, cap;
	size_t *order; /* a topological order (deps first) */
};

/* What became of a step (the scheduler and the runner report these). */
enum step_status {
	STEP_PENDING = 0,
	STEP_DONE,	 /* ran and succeeded */
	STEP_UP_TO_DATE, /* nothing to do */
	STEP_FAILED,
	STEP_CANCELLED, /* not run: interrupted, or a dependency failed */
};
/* "done", "up-to-date", "failed", "cancelled", "pending". */
const char *step_status_name(enum step_status s);

enum graph_format { GRAPH_TEXT, GRAPH_DOT, GRAPH_JSON };

/* Add a step; returns its index.  id is copied. */
size_t graph_add(struct graph *g, const char *id, const struct step_kind *kind, void *data);
/* Index of the step with this id, or -1. */
long graph_find(const struct graph *g, const char *id);
/* Record that step `from` needs step `to` (duplicates ignored). */
void graph_add_edge(struct graph *g, size_t from, size_t to);
/* Order the steps and compute priorities; a cycle is an error that prints
 * it: "dependency cycle: build:a -> build:b -> build:a". */
int graph_finish(struct graph *g, struct cc_error **err);
/* Write the graph (after graph_finish) in the given format and flush out;
 * -1 with err when out reports a write error (a full disk, a closed pipe). */
int graph_write(const struct graph *g, enum graph_format fmt, const char *name, FILE *out, struct cc_error **err);
void graph_release(struct graph *g);

#endif
