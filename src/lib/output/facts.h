/* facts: the figures a step kind knows about one run of a step (bytes of
 * context sent, cache hits, findings, containers recreated, bytes backed
 * up), for the metrics file (metrics.h) and the trace (otlp.h).  A kind
 * declares each as a static struct fact_def and adds values to its
 * step_result's report object (runner.h) with facts_add, from its run or
 * its up-to-date check; they land under "facts" in --report's details:
 *   "facts": [{"metric": NAME, "type": "counter"|"gauge", "help": TEXT,
 *              "labels": {LABEL: VALUE}, "value": N}, ...]
 * Naming (Prometheus): ccbuild_KIND_WHAT_UNIT, base units (_bytes,
 * _seconds), counters end in _total; a label's values must come from a
 * fixed set (a level, a reason, a destination's name), never a hash, a
 * path or an id.  Every function is safe from any thread on distinct
 * report objects. */
#ifndef CC_FACTS_H
#define CC_FACTS_H

#include <jansson.h>

struct fact_def {
	const char *metric; /* ccbuild_build_context_bytes_total */
	const char *type;   /* "counter": summed over runs; "gauge": the last value */
	const char *help;   /* one line */
	const char *label;  /* the one label a value carries ("level"), or NULL */
};

/* Add value (a counter's increment, a gauge's value) to the facts of
 * *report, creating the object and the array as needed; label_value must
 * be NULL exactly when def->label is.  A second add of the same metric and
 * label value sums (counter) or replaces (gauge).  A malformed def (name,
 * type, _total rule) is a BUG. */
void facts_add(json_t **report, const struct fact_def *def, const char *label_value, double value);
/* The facts array of a report (borrowed), or NULL. */
const json_t *facts_of(const json_t *report);
/* 1 when name is a valid Prometheus metric or label name ([a-zA-Z_][a-zA-Z0-9_]*,
 * metric names may hold ':'). */
int facts_valid_name(const char *name, int metric);

#endif
