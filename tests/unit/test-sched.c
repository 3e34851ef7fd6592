#include "error.h"
#include "graph.h"
#include "sched.h"
#include "step.h"
#include "tap.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static const struct step_kind kind = { .name = "build" };

struct ctx {
	pthread_mutex_t mu;
	const struct graph *g;
	int fail_step; /* -1 none */
	int concurrent, max_concurrent;
	size_t order[16], norder;  /* finish order */
	int started_ok;		   /* deps had finished when each step started */
	enum step_status seen[16]; /* what finished() was told, under mu */
	atomic_int *cancel;
};

/* Worker thread, as a step starts: every dependency must have finished
 * (and been reported) already. */
static void check_deps_finished(struct ctx *c, size_t step)
{
	size_t j;

	pthread_mutex_lock(&c->mu);
	for (j = 0; j < c->g->steps[step].ndeps; j++)
		if (c->seen[c->g->steps[step].deps[j]] != STEP_DONE)
			c->started_ok = 0;
	pthread_mutex_unlock(&c->mu);
}

static enum step_status run(void *arg, size_t step, struct cc_error **err)
{
	struct ctx *c = arg;

	check_deps_finished(c, step);
	pthread_mutex_lock(&c->mu);
	if (++c->concurrent > c->max_concurrent)
		c->max_concurrent = c->concurrent;
	pthread_mutex_unlock(&c->mu);
	usleep(20000);
	pthread_mutex_lock(&c->mu);
	c->concurrent--;
	pthread_mutex_unlock(&c->mu);
	if (c->cancel) {
		atomic_store(c->cancel, SIGTERM);
		return STEP_CANCELLED;
	}
	if ((int)step == c->fail_step) {
		cc_error_set(err, "step %zu failed", step);
		return STEP_FAILED;
	}
	return STEP_DONE;
}

static void finished(void *arg, size_t step, enum step_status st, struct cc_error *err, long ms)
{
	struct ctx *c = arg;

	pthread_mutex_lock(&c->mu);
	c->seen[step] = st;
	c->order[c->norder++] = step;
	pthread_mutex_unlock(&c->mu);
	cc_error_free(err);
}

/* a <- b, a <- c, b,c <- d ; e independent */
static void make_graph(struct graph *g)
{
	const char *ids[] = { "build:a", "build:b", "build:c", "build:d", "build:e" };
	struct cc_error *err = NULL;
	size_t i;

	for (i = 0; i < 5; i++)
		graph_add(g, ids[i], &kind, NULL);
	graph_add_edge(g, 1, 0);
	graph_add_edge(g, 2, 0);
	graph_add_edge(g, 3, 1);
	graph_add_edge(g, 3, 2);
	graph_finish(g, &err);
}

static int run_case(int jobs, int keep_going, int fail, int cancel, enum step_status *st, struct ctx *c)
{
	struct graph g = { 0 };
	static atomic_int flag;
	struct sched_ops ops = { run, finished, NULL };
	int rc;

	atomic_store(&flag, 0);
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	make_graph(&g);
	c->g = &g;
	c->fail_step = fail;
	c->started_ok = 1;
	c->cancel = cancel ? &flag : NULL;
	rc = sched_run(&g, jobs, keep_going, &flag, &ops, c, st);
	graph_release(&g);
	return rc;
}

int main(void)
{
	enum step_status st[5];
	struct ctx c;
	struct graph g = { 0 };
	struct cc_error *err = NULL;

	is_int(run_case(2, 0, -1, 0, st, &c), SCHED_OK, "all steps succeed");
	ok(st[0] == STEP_DONE && st[3] == STEP_DONE && st[4] == STEP_DONE, "every step done");
	ok(c.started_ok, "no step started before its dependencies finished");
	is_int(c.max_concurrent, 2, "two workers ran two steps at once");
	is_int(c.order[c.norder - 1], 3, "the sink ran last");

	is_int(run_case(1, 0, 1, 0, st, &c), SCHED_FAILED, "a failure returns SCHED_FAILED");
	ok(st[1] == STEP_FAILED && st[3] == STEP_CANCELLED, "dependant of the failure cancelled");

	is_int(run_case(1, 1, 1, 0, st, &c), SCHED_FAILED, "keep-going still returns SCHED_FAILED");
	ok(st[2] == STEP_DONE && st[4] == STEP_DONE && st[3] == STEP_CANCELLED,
	   "keep-going runs independent branches, not dependants");

	is_int(run_case(2, 0, -1, 1, st, &c), SCHED_CANCELLED, "cancel returns SCHED_CANCELLED");
	ok(st[3] == STEP_CANCELLED, "nothing starts after a cancel");

	graph_add(&g, "build:x", &kind, NULL);
	graph_add(&g, "build:y", &kind, NULL);
	graph_add_edge(&g, 0, 1);
	graph_add_edge(&g, 1, 0);
	graph_finish(&g, &err);
	ok(err && strstr(err->msg, "build:x -> build:y -> build:x"), "cycle printed: %s", err ? err->msg : "");
	cc_error_free(err);
	graph_release(&g);
	return done_testing();
}
