/* sched: a fixed pool of pthreads, a ready list the scheduler fills, and
 * a completion list the workers fill, both under one mutex. */
#include "sched.h"
#include "error.h"
#include "graph.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct done_item {
	size_t step;
	enum step_status status;
	struct cc_error *err;
	long ms;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	size_t *ready, nready, capready; /* steps to start */
	struct done_item *fin;		 /* finished, not yet collected */
	size_t nfin, capfin;
	int quit;
	const struct sched_ops *ops;
	void *ctx;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct done_item d;
	long t0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->nready && !p->quit)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->nready && p->quit)
			break;
		d.step = p->ready[--p->nready];
		d.status = STEP_PENDING; /* tells the scheduler it started */
		d.err = NULL;
		d.ms = 0;
		VEC_PUSH(p->fin, p->nfin, p->capfin, d);
		pthread_cond_signal(&p->done);
		pthread_mutex_unlock(&p->mu);
		d.err = NULL;
		t0 = now_ms();
		d.status = p->ops->run(p->ctx, d.step, &d.err);
		d.ms = now_ms() - t0;
		pthread_mutex_lock(&p->mu);
		VEC_PUSH(p->fin, p->nfin, p->capfin, d);
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Keep the ready list sorted by priority so workers pop the most urgent. */
static void push_ready(struct pool *p, const struct graph *g, size_t step)
{
	size_t i;

	xgrow(&p->ready, &p->capready, p->nready + 1, sizeof(*p->ready));
	for (i = p->nready; i > 0 && g->steps[p->ready[i - 1]].priority > g->steps[step].priority; i--)
		p->ready[i] = p->ready[i - 1];
	p->ready[i] = step;
	p->nready++;
}

/* Cancel everything that (transitively) depends on step. */
static void cancel_dependants(const struct graph *g, size_t step, enum step_status *status)
{
	size_t i, j;

	for (i = 0; i < g->nsteps; i++)
		for (j = 0; j < g->steps[i].ndeps; j++)
			if (g->steps[i].deps[j] == step && status[i] == STEP_PENDING) {
				status[i] = STEP_CANCELLED;
				cancel_dependants(g, i, status);
			}
}

/* Steps whose dependencies have all succeeded become ready. */
static void release_ready(struct pool *p, const struct graph *g, enum step_status *status, char *queued)
{
	size_t i, j;

	for (i = 0; i < g->nsteps; i++) {
		if (queued[i] || status[i] != STEP_PENDING)
			continue;
		for (j = 0; j < g->steps[i].ndeps; j++) {
			enum step_status s = status[g->steps[i].deps[j]];

			if (s != STEP_DONE && s != STEP_UP_TO_DATE)
				break;
		}
		if (j == g->steps[i].ndeps) {
			queued[i] = 1;
			push_ready(p, g, i);
		}
	}
}

static void wait_done(struct pool *p)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&p->done, &p->mu, &ts);
}

enum sched_outcome sched_run(const struct graph *g, int jobs, int keep_going, const atomic_int *cancel,
			     const struct sched_ops *ops, void *ctx, enum step_status *status)
{
	struct pool p = { .ops = ops, .ctx = ctx };
	pthread_t *threads = xcalloc((size_t)jobs, sizeof(*threads));
	char *queued = xcalloc(g->nsteps + 1, 1);
	size_t i, running = 0;
	int stop = 0, failed = 0;

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (i = 0; i < g->nsteps; i++)
		status[i] = STEP_PENDING;
	for (i = 0; i < (size_t)jobs; i++)
		pthread_create(&threads[i], NULL, worker, &p);
	pthread_mutex_lock(&p.mu);
	for (;;) {
		if (cancel_pending(cancel))
			stop = 1;
		if (stop) { /* what has not started never will */
			running -= p.nready;
			p.nready = 0;
		}
		for (i = 0; i < p.nfin; i++) {
			/* A copy: while the lock is dropped for the callbacks, a
			 * worker may grow (realloc) p.fin. */
			struct done_item d = p.fin[i];

			if (d.status == STEP_PENDING) {
				if (ops->started) {
					pthread_mutex_unlock(&p.mu);
					ops->started(ctx, d.step);
					pthread_mutex_lock(&p.mu);
				}
				continue;
			}
			status[d.step] = d.status;
			running--;
			if (d.status == STEP_FAILED || d.status == STEP_CANCELLED) {
				failed |= d.status == STEP_FAILED;
				cancel_dependants(g, d.step, status);
				if (!keep_going || d.status == STEP_CANCELLED)
					stop = 1;
			}
			pthread_mutex_unlock(&p.mu);
			ops->finished(ctx, d.step, d.status, d.err, d.ms);
			pthread_mutex_lock(&p.mu);
		}
		p.nfin = 0;
		if (!stop) {
			size_t before = p.nready;

			release_ready(&p, g, status, queued);
			running += p.nready - before;
			if (p.nready > before)
				pthread_cond_broadcast(&p.work);
		}
		if (!running)
			break;
		wait_done(&p);
	}
	p.quit = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < (size_t)jobs; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < g->nsteps; i++)
		if (status[i] == STEP_PENDING)
			status[i] = STEP_CANCELLED;
	free(threads);
	free(queued);
	free(p.ready);
	free(p.fin);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	return cancel_pending(cancel) ? SCHED_CANCELLED : failed ? SCHED_FAILED : SCHED_OK;
}
