/* runner: the decide-then-run loop over a project's step graph. */
#include "runner.h"
#include "error.h"
#include "graph.h"
#include "project.h"
#include "state.h"
#include "step.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void runner_init(struct runner *r, struct project *p)
{
	memset(r, 0, sizeof(*r));
	r->project = p;
	r->results = xcalloc(p->graph.nsteps ? p->graph.nsteps : 1, sizeof(*r->results));
	r->jobs = 1;
	r->state_exists = 1;
}

static void result_clear(const struct step *s, struct step_result *res)
{
	if (res->scratch && s->kind->release)
		s->kind->release(res);
	free(res->hash);
	free(res->output);
	free(res->reason);
	free(res->error);
	strlist_release(&res->tags);
	json_decref(res->inputs);
	json_decref(res->report);
	hash_manifest_release(&res->files);
	subspans_release(&res->spans);
	memset(res, 0, sizeof(*res));
}

void runner_release(struct runner *r)
{
	size_t i;

	for (i = 0; r->results && i < r->project->graph.nsteps; i++)
		result_clear(&r->project->graph.steps[i], &r->results[i]);
	free(r->results);
	r->results = NULL;
}

size_t runner_dep(const struct runner *r, size_t i, const struct step_kind *kind)
{
	const struct step *s = &r->project->graph.steps[i];
	size_t j;

	for (j = 0; j < s->ndeps; j++)
		if (r->project->graph.steps[s->deps[j]].kind == kind)
			return s->deps[j];
	BUG("%s has no %s dependency", s->id, kind->name); /* project.c adds the edges every kind relies on */
}

void runner_warn(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cc_vwarn(r->warnings, fmt, ap);
	va_end(ap);
}

const char *runner_traceparent(const struct runner *r, size_t i, char *buf, size_t len)
{
	return r->traceparent ? r->traceparent(r->obs, i, buf, len) : NULL;
}

/* A dependency that would run leaves this step's inputs unknown when the
 * step reads its dependencies' outputs. */
static const char *pending_dep(const struct runner *r, const struct step *s)
{
	size_t j;

	for (j = 0; j < s->ndeps; j++)
		if (r->results[s->deps[j]].would_run)
			return r->project->graph.steps[s->deps[j]].id;
	return NULL;
}

/* The check every kind shares (step.h): hash the inputs, compare them
 * with the record of the last success, ask the kind whether that
 * success's output still exists, and when the step must run whether its
 * output can be had anyway.  1 up to date, 0 must run, -1 error. */
static int step_check(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct step_kind *kind = s->kind;
	struct step_result *res = &r->results[i];
	struct step_record rec;
	char *warning = NULL;
	int rc = 0;

	if (kind->hash_inputs(r, i, dry, err) < 0)
		return -1;
	if (state_load_step(r->state_dir, s->id, &rec, &warning) != 1) {
		if (warning)
			runner_warn(r, "%s", warning);
		res->reason = xstrdup(warning ? "state unreadable" : kind->no_record);
		free(warning);
	} else if (strcmp(rec.input, res->hash)) {
		res->reason = kind->changed(r, i, &rec);
	} else if ((rc = kind->output_exists(r, i, &rec, dry, err)) == 1) {
		if (!res->output)
			res->output = xstrdup(rec.output);
		if (!res->tags.n)
			strlist_copy(&res->tags, &rec.tags);
	}
	step_record_release(&rec);
	if (rc == 0 && kind->find_cached)
		rc = kind->find_cached(r, i, err);
	return rc;
}

int runner_plan(struct runner *r, struct cc_error **err)
{
	const struct graph *g = &r->project->graph;
	size_t k;

	for (k = 0; k < g->nsteps; k++) {
		size_t i = g->order[k];
		const struct step *s = &g->steps[i];
		struct step_result *res = &r->results[i];
		const char *dep = s->kind->needs_outputs ? pending_dep(r, s) : NULL;
		int rc;

		if (cancel_pending(r->cancel))
			return cc_error_set(err, "interrupted");
		if (dep) {
			res->would_run = 1;
			res->reason = xasprintf("%s would run first", dep);
			continue;
		}
		rc = step_check(r, i, 1, err);
		if (rc < 0)
			return cc_error_wrap(err, "%s", s->id);
		res->would_run = rc == 0;
		res->status = rc ? STEP_UP_TO_DATE : STEP_PENDING;
	}
	return 0;
}

static enum step_status run_step(void *ctx, size_t i, struct cc_error **err)
{
	struct runner *r = ctx;
	const struct step *s = &r->project->graph.steps[i];
	int rc;

	rc = step_check(r, i, 0, err);
	if (rc < 0)
		return cancel_pending(r->cancel) ? STEP_CANCELLED : STEP_FAILED;
	if (rc == 1)
		return STEP_UP_TO_DATE;
	if (cancel_pending(r->cancel))
		return STEP_CANCELLED;
	ui_step_running(r->ui, s->id, r->results[i].reason);
	if (s->kind->run(r, i, err) < 0)
		return cancel_pending(r->cancel) ? STEP_CANCELLED : STEP_FAILED;
	return STEP_DONE;
}

static void step_started(void *ctx, size_t i)
{
	struct runner *r = ctx;
	const struct step *s = &r->project->graph.steps[i];

	ui_step_start(r->ui, s->id, s->kind->name);
}

/* Record a success at once, so that a later crash keeps it. */
static void record_success(struct runner *r, const struct step *s, struct step_result *res)
{
	struct step_record rec = { 0 };
	struct cc_error *serr = NULL;

	rec.step = s->id;
	rec.input = res->hash;
	rec.output = res->output;
	rec.tags = res->tags;
	rec.time = (int64_t)time(NULL);
	rec.inputs = res->inputs;
	if (state_save_step(r->state_dir, &rec, res->files.n ? &res->files : NULL, &serr) < 0) {
		cc_warn(r->warnings, "%s", serr->msg);
		cc_error_free(serr);
	}
	free(rec.files);
}

/* Scheduler thread: the step has ended. */
static void step_finished(void *ctx, size_t i, enum step_status st, struct cc_error *err, long ms)
{
	struct runner *r = ctx;
	const struct step *s = &r->project->graph.steps[i];
	struct step_result *res = &r->results[i];
	struct strbuf detail = STRBUF_INIT;
	struct cc_error *e;
	json_t *extra = json_object();

	res->status = st;
	res->reported = 1;
	res->ms = ms;
	if (st == STEP_DONE && res->hash)
		record_success(r, s, res);
	for (e = err; e; e = e->next)
		strbuf_addf(&detail, "%s%s", detail.buf ? "\n" : "", e->msg);
	if (detail.buf)
		res->error = xstrdup(detail.buf);
	if (res->hash)
		json_object_set_new(extra, "hash", json_string(res->hash));
	if (res->output)
		json_object_set_new(extra, "output", json_string(res->output));
	if (st == STEP_CANCELLED && !res->reason)
		res->reason = xstrdup(cancel_pending(r->cancel) ? "interrupted" : "a step it needs did not succeed");
	ui_step_end(r->ui, s->id, s->kind->name, step_status_name(st), st == STEP_FAILED ? NULL : res->reason, ms,
		    detail.buf, extra);
	json_decref(extra);
	strbuf_release(&detail);
	cc_error_free(err);
	if (res->scratch && s->kind->release)
		s->kind->release(res);
}

enum sched_outcome runner_run(struct runner *r)
{
	static const struct sched_ops ops = { run_step, step_finished, step_started };
	const struct graph *g = &r->project->graph;
	enum step_status *status = xcalloc(g->nsteps ? g->nsteps : 1, sizeof(*status));
	enum sched_outcome rc;
	size_t i;

	rc = sched_run(g, r->jobs, r->keep_going, r->cancel, &ops, r, status);
	for (i = 0; i < g->nsteps; i++) {
		struct step_result *res = &r->results[i];

		res->status = status[i];
		if (!res->reported && status[i] == STEP_CANCELLED)
			ui_step_end(r->ui, g->steps[i].id, g->steps[i].kind->name, "cancelled",
				    cancel_pending(r->cancel) ? "interrupted" : "a step it needs did not succeed", 0,
				    NULL, NULL);
	}
	free(status);
	return rc;
}

json_t *runner_report(const struct runner *r)
{
	const struct graph *g = &r->project->graph;
	json_t *steps = json_array();
	size_t k, t;

	for (k = 0; k < g->nsteps; k++) {
		const struct step *s = &g->steps[g->order[k]];
		const struct step_result *res = &r->results[g->order[k]];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "step", s->id, "kind", s->kind->name, "status",
				      step_status_name(res->status), "reason", res->reason, "duration_ms",
				      (json_int_t)res->ms);
		json_t *tags = json_array();

		if (res->hash)
			json_object_set_new(o, "hash", json_string(res->hash));
		if (res->output)
			json_object_set_new(o, "output", json_string(res->output));
		for (t = 0; t < res->tags.n; t++)
			json_array_append_new(tags, json_string(res->tags.v[t]));
		json_object_set_new(o, "tags", tags);
		if (res->error)
			json_object_set_new(o, "error", json_string(res->error));
		if (res->report)
			json_object_set(o, "details", res->report);
		json_array_append_new(steps, o);
	}
	return steps;
}

void runner_counts(const struct runner *r, int *done, int *uptodate, int *failed, int *cancelled)
{
	size_t i;

	*done = *uptodate = *failed = *cancelled = 0;
	for (i = 0; i < r->project->graph.nsteps; i++) {
		switch (r->results[i].status) {
		case STEP_DONE: (*done)++; break;
		case STEP_UP_TO_DATE: (*uptodate)++; break;
		case STEP_FAILED: (*failed)++; break;
		case STEP_CANCELLED:
		case STEP_PENDING: (*cancelled)++; break;
		}
	}
}
