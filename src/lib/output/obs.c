/* obs: one run's observability.  The ui hands every event to obs_event
 * (under the ui's lock, so one at a time); obs stamps the step events
 * with span ids, appends them to the events log and keeps each step's
 * start and end time for the trace.  Writing metrics and the trace waits
 * for obs_finish, after the scheduler has stopped. */
#include "obs.h"
#include "error.h"
#include "eventlog.h"
#include "gitinfo.h"
#include "graph.h"
#include "project.h"
#include "runner.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

int obs_wanted(const struct obs_config *cfg)
{
	return cfg->events || cfg->metrics || cfg->history || cfg->traces;
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
	o->steps = xcalloc(r->project->graph.nsteps + 1, sizeof(*o->steps));
	for (i = 0; i < r->project->graph.nsteps; i++)
		random_hex(o->steps[i].span_id, 8);
	if (cfg->events &&
	    eventlog_open(cfg->events, cfg->events_max_bytes, cfg->events_keep, o->run_id, &o->log, &err) < 0) {
		cc_warn(warnings, "%s; this run is not logged", err->msg);
		cc_error_free(err);
	}
	log_direct(o, run_start_event(o, git));
	ui_set_sink(ui, obs_event, o);
	return o;
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
	free(o->steps);
	free(o);
}
