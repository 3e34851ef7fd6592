/* obs: one run's observability.  The ui hands every event to obs_event
 * (under the ui's lock, so one at a time); obs stamps the step events
 * with span ids, appends them to the events log and keeps each step's
 * start and end time for the trace.  Writing metrics and the trace waits
 * for obs_finish, after the scheduler has stopped. */
#include "obs.h"
#include "error.h"
#include "eventlog.h"
#include "facts.h"
#include "metrics.h"
#include "otlp.h"
#include "otlp-proto.h"
#include "pbwire.h"
#include "gitinfo.h"
#include "graph.h"
#include "project.h"
#include "runner.h"
#include "step.h"
#include "subspan.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* How long the export to a collector may take at most. */
#define OBS_FLUSH_MS 3000

struct obs_step {
	int64_t start_ns, end_ns; /* unix nanoseconds; 0 unknown */
	char span_id[17];
};

struct obs {
	struct obs_config cfg;
	const struct runner *r;
	struct ui *ui;
	struct cc_warnings *warnings;
	char run_id[33];
	int64_t start_ns;
	struct eventlog *log;
	struct cc_error *log_err; /* why the log stopped, shown at the end */
	struct obs_step *steps;	  /* one per graph step */
	char root_span[17];
	char parent_span[17]; /* the root's parent (cfg.traceparent), or "" */
	json_t *run_attrs;    /* the root span's attributes */
};

static int64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* n random bytes as 2n lowercase hex digits into hex (2n+1 bytes); never
 * all zero (OTLP's "invalid id"). */
static void random_hex(char *hex, size_t n)
{
	unsigned char buf[16] = { 0 };
	size_t i, got = 0;
	ssize_t k;

	while (got < n && (k = getrandom(buf + got, n - got, 0)) > 0)
		got += (size_t)k;
	if (got < n) /* no entropy source: time and pid still tell runs apart */
		for (i = 0; i < n; i++)
			buf[i] ^= (unsigned char)((unix_ns() >> (i % 8 * 8)) ^ getpid() >> (i % 4));
	buf[n - 1] |= 1;
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", buf[i]);
}

static int env_set(const char *name)
{
	return getenv(name) && *getenv(name);
}

int obs_wanted(const struct obs_config *cfg)
{
	return cfg->events || cfg->metrics || cfg->history || cfg->traces || env_set("OTEL_EXPORTER_OTLP_ENDPOINT") ||
	       env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

int obs_tracing(const struct obs_config *cfg)
{
	return cfg->traces || env_set("OTEL_EXPORTER_OTLP_ENDPOINT") || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

static int tracing(const struct obs *o)
{
	return obs_tracing(&o->cfg);
}

const char *obs_traceparent(const struct obs *o, size_t i, char *buf, size_t len)
{
	if (!o || !tracing(o) || i >= o->r->project->graph.nsteps)
		return NULL;
	snprintf(buf, len, "00-%s-%s-01", o->run_id, o->steps[i].span_id);
	return buf;
}

const char *obs_run_id(const struct obs *o)
{
	return o->run_id;
}

static long step_index(const struct obs *o, const char *id)
{
	const struct graph *g = &o->r->project->graph;
	size_t i;

	for (i = 0; id && i < g->nsteps; i++)
		if (!strcmp(g->steps[i].id, id))
			return (long)i;
	return -1;
}

/* The ui's sink: time the step, log the event with the step's span. */
static void obs_event(void *data, const json_t *ev)
{
	struct obs *o = data;
	const char *name = json_string_value(json_object_get(ev, "event"));
	long i = step_index(o, json_string_value(json_object_get(ev, "step")));
	int64_t now = unix_ns();
	json_t *line;

	if (i >= 0 && name && !strcmp(name, "step_start"))
		o->steps[i].start_ns = now;
	if (i >= 0 && name && !strcmp(name, "step_end")) {
		o->steps[i].end_ns = now;
		if (!o->steps[i].start_ns)
			o->steps[i].start_ns = now - json_integer_value(json_object_get(ev, "duration_ms")) * 1000000LL;
	}
	if (!o->log)
		return;
	line = json_copy((json_t *)ev);
	if (i >= 0)
		json_object_set_new(line, "span_id", json_string(o->steps[i].span_id));
	if (eventlog_append(o->log, line, &o->log_err) < 0) {
		eventlog_close(o->log);
		o->log = NULL;
	}
	json_decref(line);
}

/* Who and where, for run_start: no environment values, no remote URL
 * (it can hold a token). */
static json_t *run_start_event(const struct obs *o, const struct gitinfo *git)
{
	char host[256] = "";
	struct passwd *pw = getpwuid(geteuid());
	json_t *ev;

	gethostname(host, sizeof(host) - 1);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "event", "run_start", "project", o->cfg.project, "profile",
		       o->cfg.profile, "user", pw ? pw->pw_name : "", "host", host, "pid", (json_int_t)getpid());
	if (!pw)
		json_object_set_new(ev, "uid", json_integer((json_int_t)geteuid()));
	if (git)
		json_object_set_new(ev, "git",
				    json_pack("{s:s, s:s?, s:s?}", "sha", git->sha, "branch", git->branch, "describe",
					      git->describe));
	if (git && git->dirty_checked)
		json_object_set_new(json_object_get(ev, "git"), "dirty", json_boolean(git->dirty));
	return ev;
}

static void log_direct(struct obs *o, json_t *ev)
{
	obs_event(o, ev);
	json_decref(ev);
}

struct obs *obs_start(const struct obs_config *cfg, const struct runner *r, const struct gitinfo *git, struct ui *ui,
		      struct cc_warnings *warnings)
{
	struct obs *o;
	struct cc_error *err = NULL;
	size_t i;

	if (!obs_wanted(cfg))
		return NULL;
	o = xcalloc(1, sizeof(*o));
	o->cfg = *cfg;
	o->r = r;
	o->ui = ui;
	o->warnings = warnings;
	o->start_ns = unix_ns();
	random_hex(o->run_id, 16);
	if (cfg->traceparent && strlen(cfg->traceparent) == 55 &&
	    sscanf(cfg->traceparent, "00-%32[0-9a-f]-%16[0-9a-f]-", o->run_id, o->parent_span) != 2)
		random_hex(o->run_id, 16); /* not one of ours: a trace of its own */
	o->steps = xcalloc(r->project->graph.nsteps + 1, sizeof(*o->steps));
	for (i = 0; i < r->project->graph.nsteps; i++)
		random_hex(o->steps[i].span_id, 8);
	random_hex(o->root_span, 8);
	o->run_attrs = json_pack("{s:s, s:s, s:I}", "ccbuild.project", cfg->project, "ccbuild.profile", cfg->profile,
				 "process.pid", (json_int_t)getpid());
	if (git && git->sha && *git->sha)
		json_object_set_new(o->run_attrs, "vcs.ref.head.revision", json_string(git->sha));
	if (git && git->branch)
		json_object_set_new(o->run_attrs, "vcs.ref.head.name", json_string(git->branch));
	if (cfg->events &&
	    eventlog_open(cfg->events, cfg->events_max_bytes, cfg->events_keep, o->run_id, &o->log, &err) < 0) {
		cc_warn(warnings, "%s; this run is not logged", err->msg);
		cc_error_free(err);
	}
	log_direct(o, run_start_event(o, git));
	ui_set_sink(ui, obs_event, o);
	return o;
}

/* The steps of the run in graph order, as metrics reads them; caller
 * frees the array (contents borrowed from the runner). */
static struct metrics_step *metrics_steps(const struct obs *o)
{
	const struct graph *g = &o->r->project->graph;
	struct metrics_step *v = xcalloc(g->nsteps + 1, sizeof(*v));
	size_t k;

	for (k = 0; k < g->nsteps; k++) {
		const struct step_result *res = &o->r->results[g->order[k]];

		v[k].step = g->steps[g->order[k]].id;
		v[k].kind = g->steps[g->order[k]].kind->name;
		v[k].status = step_status_name(res->status);
		v[k].seconds = res->ms / 1000.0;
		v[k].facts = facts_of(res->report);
	}
	return v;
}

/* The metrics file and the history line; problems warn. */
static void write_metrics(struct obs *o, int exit_code, long ms)
{
	struct metrics_run run = { o->cfg.project,
				   o->cfg.profile,
				   exit_code,
				   ms / 1000.0,
				   unix_ns() / 1e9,
				   metrics_steps(o),
				   o->r->project->graph.nsteps };
	struct cc_error *err = NULL;
	char *warning = NULL, *line;

	if (o->cfg.metrics && metrics_write(o->cfg.metrics, o->cfg.state_dir, &run, &warning, &err) < 0) {
		cc_warn(o->warnings, "%s", err->msg);
		cc_error_free(err);
		err = NULL;
	}
	if (warning)
		cc_warn(o->warnings, "%s", warning);
	free(warning);
	if (o->cfg.history) {
		line = metrics_history_line(&run, o->run_id, run.end_time);
		if (eventlog_append_to("metrics history", o->cfg.history, o->cfg.history_max_bytes, o->cfg.history_keep,
				       line, &err) < 0) {
			cc_warn(o->warnings, "%s", err->msg);
			cc_error_free(err);
		}
		free(line);
	}
	free((void *)run.steps);
}

/* A step's span attributes: what it is, how it ended, its facts. */
static json_t *step_attrs(const struct obs *o, size_t i)
{
	const struct step *s = &o->r->project->graph.steps[i];
	const struct step_result *res = &o->r->results[i];
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:b}", "ccbuild.step", s->id, "ccbuild.step.kind", s->kind->name,
			      "ccbuild.step.status", step_status_name(res->status), "ccbuild.profile", o->cfg.profile,
			      "ccbuild.step.cached", res->status == STEP_UP_TO_DATE);
	const json_t *f;
	size_t k;

	if (res->hash)
		json_object_set_new(a, "ccbuild.step.hash", json_string(res->hash));
	if (res->reason)
		json_object_set_new(a, "ccbuild.reason", json_string(res->reason));
	json_array_foreach((json_t *)facts_of(res->report), k, f)
	{
		struct strbuf key = STRBUF_INIT;
		const char *ln;
		json_t *lv;

		strbuf_addf(&key, "%s", json_string_value(json_object_get(f, "metric")));
		json_object_foreach(json_object_get(f, "labels"), ln, lv)
			strbuf_addf(&key, ".%s", json_string_value(lv));
		json_object_set(a, key.buf, json_object_get(f, "value"));
		strbuf_release(&key);
	}
	return a;
}

/* The span of step i (attributes and links owned by the caller: freed
 * by release_span); 0 when the step never began or ended. */
static int step_span(const struct obs *o, size_t i, struct otlp_span *sp)
{
	const struct step *s = &o->r->project->graph.steps[i];
	const struct step_result *res = &o->r->results[i];
	const char **links = xcalloc(s->ndeps + 1, sizeof(*links));
	size_t j;

	if (!o->steps[i].end_ns) {
		free(links);
		return 0;
	}
	for (j = 0; j < s->ndeps; j++)
		links[j] = o->steps[s->deps[j]].span_id;
	*sp = (struct otlp_span){ .name = s->id,
				  .span_id = o->steps[i].span_id,
				  .parent_id = o->root_span,
				  .start_ns = o->steps[i].start_ns,
				  .end_ns = o->steps[i].end_ns,
				  .status = res->status == STEP_FAILED	    ? OTLP_STATUS_ERROR
					    : res->status == STEP_CANCELLED ? OTLP_STATUS_UNSET
									    : OTLP_STATUS_OK,
				  .status_message = res->status == STEP_FAILED ? res->error : NULL,
				  .attributes = step_attrs(o, i),
				  .links = links };
	return 1;
}

/* POST doc to url in the protocol the environment names (OTel's
 * default, http/protobuf, when unset); -1 with err. */
static int post_trace(const char *url, const json_t *doc, struct cc_error **err)
{
	const char *proto = getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
	struct pbbuf body = { 0 };
	int rc;

	if (!proto || !*proto)
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL");
	if (!proto || !*proto)
		proto = "http/protobuf";
	if (!strcmp(proto, "http/json"))
		return otlp_http_post(url, doc, OBS_FLUSH_MS, err);
	if (strcmp(proto, "http/protobuf"))
		return cc_error_set(err, "traces: OTLP protocol '%s' is not supported (http/protobuf or http/json)",
				    proto);
	rc = otlp_proto_encode(doc, &body, err)
		     ?: otlp_http_post_body(url, "application/x-protobuf", body.data, body.len, OBS_FLUSH_MS, err);
	pbbuf_release(&body);
	return rc;
}

/* Where the trace goes: the traces directory and the collector the
 * environment names; problems warn. */
static void export_trace(const struct obs_config *cfg, struct cc_warnings *warnings, const json_t *doc)
{
	cleanup_free char *url = otlp_env_endpoint(), *path = NULL, *line = NULL;
	struct cc_error *err = NULL;

	if (cfg->traces) {
		path = path_join(cfg->traces, "traces.jsonl");
		line = otlp_line(doc);
		if (eventlog_append_to("traces", path, cfg->traces_max_bytes, cfg->traces_keep, line, &err) < 0)
			cc_warn(warnings, "%s", err->msg);
		cc_error_free(err);
		err = NULL;
	}
	if (url && post_trace(url, doc, &err) < 0)
		cc_warn(warnings, "%s; the run's trace is not exported to %s", err->msg, url);
	cc_error_free(err);
}

/* The child spans of step i's span sp (its timed engine calls,
 * subspan.h) from spans[n] on, their ids in ids[n]; how many.  Each is
 * kept within its step's times (the clocks are the same; this only
 * guards a step whose start was reconstructed from its duration). */
static size_t child_spans(const struct obs *o, size_t i, const struct otlp_span *sp, struct otlp_span *spans,
			  char (*ids)[17], size_t n)
{
	const struct subspans *l = &o->r->results[i].spans;
	size_t k;

	for (k = 0; k < l->n; k++) {
		const struct subspan *c = &l->v[k];
		int64_t start = c->start_ns < sp->start_ns ? sp->start_ns : c->start_ns;
		int64_t end = c->end_ns > sp->end_ns ? sp->end_ns : c->end_ns;

		random_hex(ids[n + k], 8);
		spans[n + k] = (struct otlp_span){ .name = c->name,
						   .span_id = ids[n + k],
						   .parent_id = sp->span_id,
						   .start_ns = start > end ? end : start,
						   .end_ns = end,
						   .status = c->failed ? OTLP_STATUS_ERROR : OTLP_STATUS_OK,
						   .status_message = c->failed ? c->message : NULL,
						   .attributes = json_copy(c->attrs) };
	}
	return l->n;
}

static void write_trace(struct obs *o, int exit_code, long ms)
{
	const struct graph *g = &o->r->project->graph;
	size_t i, n = 1, total = g->nsteps + 1;
	struct otlp_span *spans;
	char host[256] = "", *name = xasprintf("ccbuild %s", o->cfg.profile), (*ids)[17];
	json_t *doc;

	for (i = 0; i < g->nsteps; i++)
		total += o->r->results[i].spans.n;
	spans = xcalloc(total, sizeof(*spans));
	ids = xcalloc(total, sizeof(*ids));

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(o->run_attrs, "ccbuild.exit_code", json_integer(exit_code));
	spans[0] = (struct otlp_span){ .name = name,
				       .span_id = o->root_span,
				       .parent_id = o->parent_span[0] ? o->parent_span : NULL,
				       .start_ns = o->start_ns,
				       .end_ns = unix_ns(),
				       .status = exit_code ? OTLP_STATUS_ERROR : OTLP_STATUS_OK,
				       .status_message = exit_code == 130 ? "interrupted"
							 : exit_code	  ? "a step failed"
									  : NULL,
				       .attributes = o->run_attrs };
	for (i = 0; i < g->nsteps; i++)
		if (step_span(o, g->order[i], &spans[n])) {
			n++;
			n += child_spans(o, g->order[i], &spans[n - 1], spans, ids, n);
		}
	doc = otlp_traces(o->run_id, o->cfg.version, host, spans, n);
	export_trace(&o->cfg, o->warnings, doc);
	json_decref(doc);
	for (i = 1; i < n; i++) {
		json_decref((json_t *)spans[i].attributes);
		free((void *)spans[i].links);
	}
	free(spans);
	free(ids);
	free(name);
}

void obs_finish(struct obs *o, int exit_code, long ms)
{
	int done, uptodate, failed, cancelled;

	if (!o)
		return;
	ui_set_sink(o->ui, NULL, NULL);
	runner_counts(o->r, &done, &uptodate, &failed, &cancelled);
	log_direct(o, json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:i, s:i}", "event", "run_end", "project",
				o->cfg.project, "profile", o->cfg.profile, "exit_code", exit_code, "duration_ms",
				(json_int_t)ms, "done", done, "up_to_date", uptodate, "failed", failed, "cancelled",
				cancelled));
	if (o->log_err)
		cc_warn(o->warnings, "%s; later events of run %s are not logged", o->log_err->msg, o->run_id);
	cc_error_free(o->log_err);
	eventlog_close(o->log);
	write_metrics(o, exit_code, ms);
	if (tracing(o))
		write_trace(o, exit_code, ms);
	json_decref(o->run_attrs);
	free(o->steps);
	free(o);
}

/* obs_trace: spans kept with their own copies until obs_trace_end. */
struct obs_trace_span {
	char id[17], parent[17]; /* parent "" for the root */
	char *name, *message;
	int64_t start_ns, end_ns;
	int failed;
	json_t *attrs;
};

struct obs_trace {
	char trace_id[33];
	struct obs_trace_span *v; /* v[0] the root */
	size_t n, cap;
};

static struct obs_trace_span *trace_push(struct obs_trace *t, const char *name, const char *parent, const char *id)
{
	struct obs_trace_span *s;
	char p[17] = "", own[17] = "";

	snprintf(p, sizeof(p), "%s", parent ? parent : ""); /* both may point into t->v */
	snprintf(own, sizeof(own), "%s", id && strlen(id) == 16 ? id : "");
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	s = memset(&t->v[t->n++], 0, sizeof(*s));
	s->name = xstrdup(name);
	memcpy(s->parent, p, sizeof(p));
	if (own[0])
		memcpy(s->id, own, sizeof(own));
	else
		random_hex(s->id, 8);
	return s;
}

struct obs_trace *obs_trace_begin(const char *name, json_t *attrs)
{
	struct obs_trace *t = xcalloc(1, sizeof(*t));
	struct obs_trace_span *root;

	random_hex(t->trace_id, 16);
	root = trace_push(t, name, NULL, NULL);
	root->start_ns = unix_ns();
	root->attrs = attrs ? attrs : json_object();
	return t;
}

void obs_trace_new_id(char id[17])
{
	random_hex(id, 8);
}

const char *obs_trace_parent(const struct obs_trace *t, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "00-%s-%s-01", t->trace_id, id ? id : t->v[0].id);
	return buf;
}

/* One record of subspan.h as a span under parent, kept within
 * [lo, hi] when hi is not 0 (a child within its parent's times). */
static const char *trace_add_one(struct obs_trace *t, const char *parent, const char *id, const struct subspan *c,
				 int64_t lo, int64_t hi)
{
	struct obs_trace_span *s = trace_push(t, c->name, parent, id);

	s->start_ns = hi && c->start_ns < lo ? lo : c->start_ns;
	s->end_ns = hi && c->end_ns > hi ? hi : c->end_ns;
	if (s->start_ns > s->end_ns)
		s->start_ns = s->end_ns;
	s->failed = c->failed;
	s->message = c->message ? xstrdup(c->message) : NULL;
	s->attrs = c->attrs ? json_copy(c->attrs) : json_object();
	return s->id;
}

const char *obs_trace_add(struct obs_trace *t, const char *parent, const char *id, const struct subspan *c,
			  const struct subspans *children)
{
	size_t at = t->n;

	trace_add_one(t, parent ? parent : t->v[0].id, id, c, 0, 0);
	for (size_t k = 0; children && k < children->n; k++)
		trace_add_one(t, t->v[at].id, NULL, &children->v[k], t->v[at].start_ns, t->v[at].end_ns);
	return t->v[at].id;
}

void obs_trace_end(struct obs_trace *t, const struct obs_config *cfg, int failed, const char *message,
		   struct cc_warnings *warnings)
{
	struct otlp_span *spans;
	char host[256] = "";
	json_t *doc;

	if (!t)
		return;
	t->v[0].end_ns = unix_ns();
	t->v[0].failed = failed;
	t->v[0].message = failed && message ? xstrdup(message) : NULL;
	spans = xcalloc(t->n, sizeof(*spans));
	for (size_t i = 0; i < t->n; i++) {
		const struct obs_trace_span *s = &t->v[i];

		spans[i] = (struct otlp_span){ .name = s->name,
					       .span_id = s->id,
					       .parent_id = s->parent[0] ? s->parent : NULL,
					       .start_ns = s->start_ns,
					       .end_ns = s->end_ns,
					       .status = s->failed ? OTLP_STATUS_ERROR : OTLP_STATUS_OK,
					       .status_message = s->failed ? s->message : NULL,
					       .attributes = s->attrs };
	}
	gethostname(host, sizeof(host) - 1);
	if (cfg && obs_tracing(cfg)) {
		doc = otlp_traces(t->trace_id, cfg->version, host, spans, t->n);
		export_trace(cfg, warnings, doc);
		json_decref(doc);
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].message);
		json_decref(t->v[i].attrs);
	}
	free(spans);
	free(t->v);
	free(t);
}
