/* obs: what a run leaves for monitoring (docs/technical/observability.md):
 * the events log (eventlog.h), the Prometheus textfile (metrics.h) and an
 * OTLP trace (otlp.h), to traces/traces.jsonl and to the collector
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT name.  A run gets an id (32 hex digits, also its trace
 * id); obs sees every ui event, times the steps by them, and writes the
 * metrics and the trace when the run ends.  None of it ever fails a run:
 * a sink that cannot be written is a warning naming the path, and the run
 * goes on without it. */
#ifndef CC_OBS_H
#define CC_OBS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_warnings;
struct gitinfo;
struct runner;
struct ui;

/* Where the outputs go; every field borrowed, NULL: that output is off. */
struct obs_config {
	const char *events;			     /* events log file */
	int64_t events_max_bytes;		     /* rotate at this size; 0 never */
	int events_keep;			     /* rotated files kept */
	const char *metrics;			     /* directory of the .prom file (textfile collector) */
	const char *history;			     /* JSON-lines history of the run's figures */
	const char *traces;			     /* directory of traces.jsonl (OTLP JSON lines) */
	int64_t history_max_bytes, traces_max_bytes; /* rotate them at this size; 0 never */
	int history_keep, traces_keep;		     /* rotated files kept */
	const char *state_dir;			     /* where running counter totals are kept */
	const char *project, *profile;
	const char *version;	 /* ccbuild's, for the trace's resource; may be NULL */
	const char *traceparent; /* "00-TRACE-SPAN-01": the run's trace is TRACE, its root
				  * span a child of SPAN (a watch's rebuild); may be NULL */
};

struct obs;
struct subspan;
struct subspans;

/* 1 when cfg asks for any output. */
int obs_wanted(const struct obs_config *cfg);
/* Begin observing a run of r (borrowed, as are cfg's strings, ui and
 * warnings until obs_finish): opens the events log, logs run_start, and
 * sees every event of ui from now on.  git may be NULL.  Never fails
 * (problems warn); NULL when nothing is wanted. */
struct obs *obs_start(const struct obs_config *cfg, const struct runner *r, const struct gitinfo *git, struct ui *ui,
		      struct cc_warnings *warnings);
/* The run ended with exit_code after ms: logs run_end, writes metrics and
 * trace, warns about what could not be written; frees o (NULL is fine). */
void obs_finish(struct obs *o, int exit_code, long ms);
/* The W3C traceparent of step i's span ("00-TRACE-SPAN-01") into buf (at
 * least 56 bytes); NULL when o is NULL or the run's trace goes nowhere. */
const char *obs_traceparent(const struct obs *o, size_t i, char *buf, size_t len);
/* The run id (32 lowercase hex digits), borrowed. */
const char *obs_run_id(const struct obs *o);

/* A trace of its own for work outside a profile run (a watch round, a
 * restore): a root span, spans below it (subspan.h's records), exported
 * as a run's trace is.  Never fails a command. */
struct obs_trace;

/* 1 when cfg sends traces anywhere (traces directory, OTLP collector). */
int obs_tracing(const struct obs_config *cfg);
/* A trace whose root span `name` (copied) starts now, attrs stolen (NULL:
 * none); the caller ends it (obs_trace_end). */
struct obs_trace *obs_trace_begin(const char *name, json_t *attrs);
/* A fresh span id into id, for a span added later (obs_trace_add) that
 * work in between names as its parent (obs_trace_parent). */
void obs_trace_new_id(char id[17]);
/* The W3C traceparent of span id (NULL: the root) into buf (56 bytes). */
const char *obs_trace_parent(const struct obs_trace *t, const char *id, char *buf, size_t len);
/* Span c (copied) under the span parent (NULL: the root), with id (NULL:
 * a new one), and children's spans (may be NULL) under it.  Its id is
 * returned (borrowed from t until the next obs_trace_add). */
const char *obs_trace_add(struct obs_trace *t, const char *parent, const char *id, const struct subspan *c,
			  const struct subspans *children);
/* End the root now (failed: status ERROR with message, may be NULL),
 * export the trace as cfg says (NULL: drop it; problems warn), free t
 * (NULL is fine). */
void obs_trace_end(struct obs_trace *t, const struct obs_config *cfg, int failed, const char *message,
		   struct cc_warnings *warnings);

#endif
