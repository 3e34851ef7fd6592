/* metrics: totals kept as JSON, printed as Prometheus text.
 *
 * Totals file STATE_DIR/metrics-PROFILE.json, version 1:
 *   {"version": 1, "families": {NAME: {"type": "counter"|"gauge"|"histogram",
 *     "help": TEXT, "series": {LABELS: VALUE | {"buckets": [N...], "sum": S,
 *     "count": N}}}}}
 * where LABELS is the label set as printed (`kind="build",profile="dev"`,
 * names sorted, values escaped), so a series is found by its text.
 *
 * Exposition (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * per family "# HELP", "# TYPE", then its series; a histogram's series are
 * NAME_bucket{...,le="B"} in increasing B ending with le="+Inf", then
 * NAME_sum and NAME_count, label set by label set; no timestamps. */
#include "metrics.h"
#include "atomicfile.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const double bucket_bounds[] = { 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600 };
#define NBUCKETS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))

static void number(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_addf(sb, "NaN");
	else if (isinf(v))
		strbuf_addf(sb, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		strbuf_addf(sb, "%.0f", v);
	else
		strbuf_addf(sb, "%.15g", v);
}

/* A label value or HELP text, escaped: \\ and \n, and \" in label values. */
static void escaped(struct strbuf *sb, const char *s, int quote)
{
	for (; *s; s++)
		if (*s == '\\')
			strbuf_addf(sb, "\\\\");
		else if (*s == '\n')
			strbuf_addf(sb, "\\n");
		else if (*s == '"' && quote)
			strbuf_addf(sb, "\\\"");
		else
			strbuf_add(sb, s, 1);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted; caller frees the array (keys borrowed). */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	const char **v = xcalloc(json_object_size(o) + 1, sizeof(*v));
	const char *k;
	json_t *val;

	*n = 0;
	json_object_foreach((json_t *)o, k, val) v[(*n)++] = k;
	qsort(v, *n, sizeof(*v), by_string);
	return v;
}

/* Label pairs NAME, VALUE, ... NULL as the series key; caller frees. */
static char *labels_key(const char *const *pairs)
{
	json_t *o = json_object();
	struct strbuf sb = STRBUF_INIT;
	const char **keys;
	size_t i, n;

	for (; pairs[0]; pairs += 2)
		if (pairs[1])
			json_object_set_new(o, pairs[0], json_string(pairs[1]));
	keys = sorted_keys(o, &n);
	for (i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s%s=\"", i ? "," : "", keys[i]);
		escaped(&sb, json_string_value(json_object_get(o, keys[i])), 1);
		strbuf_addf(&sb, "\"");
	}
	free(keys);
	json_decref(o);
	return sb.buf ? sb.buf : xstrdup("");
}

/* The series object of family name (created with type and help). */
static json_t *series_of(json_t *totals, const char *name, const char *type, const char *help)
{
	json_t *fams = json_object_get(totals, "families"), *f;

	if (!fams) {
		json_object_set_new(totals, "version", json_integer(1));
		json_object_set_new(totals, "families", fams = json_object());
	}
	if (!(f = json_object_get(fams, name)) || strcmp(json_string_value(json_object_get(f, "type")) ?: "", type)) {
		f = json_pack("{s:s, s:s, s:o}", "type", type, "help", help, "series", json_object());
		json_object_set_new(fams, name, f);
	}
	json_object_set_new(f, "help", json_string(help));
	return json_object_get(f, "series");
}

static void add(json_t *totals, const char *name, const char *type, const char *help, const char *const *labels,
		double v)
{
	json_t *series = series_of(totals, name, type, help);
	char *key = labels_key(labels);

	if (!strcmp(type, "counter"))
		v += json_number_value(json_object_get(series, key));
	json_object_set_new(series, key, json_real(v));
	free(key);
}

static void observe(json_t *totals, const char *name, const char *help, const char *const *labels, double v)
{
	json_t *series = series_of(totals, name, "histogram", help), *h, *b;
	char *key = labels_key(labels);
	size_t i;

	if (!(h = json_object_get(series, key)) || json_array_size(json_object_get(h, "buckets")) != NBUCKETS) {
		h = json_pack("{s:o, s:f, s:i}", "buckets", json_array(), "sum", 0.0, "count", 0);
		for (i = 0; i < NBUCKETS; i++)
			json_array_append_new(json_object_get(h, "buckets"), json_integer(0));
		json_object_set_new(series, key, h);
	}
	b = json_object_get(h, "buckets");
	for (i = 0; i < NBUCKETS; i++)
		if (v <= bucket_bounds[i])
			json_array_set_new(b, i, json_integer(json_integer_value(json_array_get(b, i)) + 1));
	json_object_set_new(h, "sum", json_real(json_number_value(json_object_get(h, "sum")) + v));
	json_object_set_new(h, "count", json_integer(json_integer_value(json_object_get(h, "count")) + 1));
	free(key);
}

/* A kind's facts for one step: labels project, profile, step, kind and
 * the fact's own. */
static void fold_facts(json_t *totals, const struct metrics_run *run, const struct metrics_step *s)
{
	const json_t *f;
	size_t i;

	json_array_foreach((json_t *)s->facts, i, f)
	{
		const char *metric = json_string_value(json_object_get(f, "metric"));
		const char *type = json_string_value(json_object_get(f, "type"));
		const char *help = json_string_value(json_object_get(f, "help"));
		const json_t *lv = json_object_get(f, "labels");
		const char *lname = NULL, *lval = NULL;
		json_t *v;

		json_object_foreach((json_t *)lv, lname, v)
		{
			lval = json_string_value(v);
			break;
		}
		if (!metric || !type || !help)
			continue;
		add(totals, metric, type, help,
		    (const char *const[]){ "project", run->project, "profile", run->profile, "step", s->step, "kind",
					   s->kind, lval ? lname : NULL, lval, NULL },
		    json_number_value(json_object_get(f, "value")));
	}
}

static void fold_step(json_t *totals, const struct metrics_run *run, const struct metrics_step *s)
{
	const char *const kl[] = { "project", run->project, "profile", run->profile, "kind",
				   s->kind,   "status",	    s->status, NULL };
	const char *const sl[] = { "project", run->project, "profile", run->profile, "step",
				   s->step,   "kind",	    s->kind,   NULL };
	int ended = strcmp(s->status, "cancelled") && strcmp(s->status, "pending");

	add(totals, "ccbuild_steps_total", "counter", "Steps ended, by kind and status.", kl, 1);
	if (ended) {
		observe(totals, "ccbuild_step_duration_seconds", "How long steps took, by kind and status.", kl,
			s->seconds);
		add(totals, "ccbuild_step_last_duration_seconds", "gauge", "How long the step took in the last run.",
		    sl, s->seconds);
	}
	if (!strcmp(s->status, "done") || !strcmp(s->status, "up-to-date"))
		add(totals, "ccbuild_step_last_success_timestamp_seconds", "gauge",
		    "When the step last ended done or up to date (unix time).", sl, run->end_time);
	if (s->facts)
		fold_facts(totals, run, s);
}

void metrics_fold(json_t *totals, const struct metrics_run *run)
{
	const char *result = run->exit_code == 0 ? "ok" : run->exit_code == 130 ? "interrupted" : "failed";
	const char *const pl[] = { "project", run->project, "profile", run->profile, NULL };
	size_t i;

	add(totals, "ccbuild_runs_total", "counter", "Runs of the profile, by result (ok, failed, interrupted).",
	    (const char *const[]){ "project", run->project, "profile", run->profile, "result", result, NULL }, 1);
	add(totals, "ccbuild_run_duration_seconds", "gauge", "Wall time of the last run.", pl, run->seconds);
	add(totals, "ccbuild_run_exit_code", "gauge", "Exit code of the last run.", pl, run->exit_code);
	add(totals, "ccbuild_run_last_timestamp_seconds", "gauge", "When the last run ended (unix time).", pl,
	    run->end_time);
	if (run->exit_code == 0)
		add(totals, "ccbuild_run_last_success_timestamp_seconds", "gauge",
		    "When a run last ended with every step done or up to date (unix time).", pl, run->end_time);
	for (i = 0; i < run->nsteps; i++)
		fold_step(totals, run, &run->steps[i]);
}

static void format_histogram(struct strbuf *sb, const char *name, const char *labels, const json_t *h)
{
	const json_t *b = json_object_get(h, "buckets");
	const char *sep = *labels ? "," : "";
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		strbuf_addf(sb, "%s_bucket{%s%sle=\"", name, labels, sep);
		number(sb, bucket_bounds[i]);
		strbuf_addf(sb, "\"} %lld\n", (long long)json_integer_value(json_array_get(b, i)));
	}
	strbuf_addf(sb, "%s_bucket{%s%sle=\"+Inf\"} %lld\n", name, labels, sep,
		    (long long)json_integer_value(json_object_get(h, "count")));
	strbuf_addf(sb, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	number(sb, json_number_value(json_object_get(h, "sum")));
	strbuf_addf(sb, "\n%s_count%s%s%s %lld\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		    (long long)json_integer_value(json_object_get(h, "count")));
}

static void format_family(struct strbuf *sb, const char *name, const json_t *f)
{
	const char *type = json_string_value(json_object_get(f, "type"));
	const json_t *series = json_object_get(f, "series");
	const char **keys;
	size_t i, n;

	if (!json_object_size(series))
		return;
	strbuf_addf(sb, "# HELP %s ", name);
	escaped(sb, json_string_value(json_object_get(f, "help")) ?: "", 0);
	strbuf_addf(sb, "\n# TYPE %s %s\n", name, type);
	keys = sorted_keys(series, &n);
	for (i = 0; i < n; i++) {
		if (!strcmp(type, "histogram")) {
			format_histogram(sb, name, keys[i], json_object_get(series, keys[i]));
			continue;
		}
		strbuf_addf(sb, "%s%s%s%s ", name, *keys[i] ? "{" : "", keys[i], *keys[i] ? "}" : "");
		number(sb, json_number_value(json_object_get(series, keys[i])));
		strbuf_addf(sb, "\n");
	}
	free(keys);
}

char *metrics_format(const json_t *totals)
{
	const json_t *fams = json_object_get(totals, "families");
	struct strbuf sb = STRBUF_INIT;
	const char **names;
	size_t i, n;

	names = sorted_keys(fams, &n);
	for (i = 0; i < n; i++)
		format_family(&sb, names[i], json_object_get(fams, names[i]));
	free(names);
	return sb.buf ? sb.buf : xstrdup("");
}

/* A file name part: [A-Za-z0-9_.-] kept, anything else '_'. */
static char *file_part(const char *s)
{
	char *out = xstrdup(s), *p;

	for (p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-' || (*p == '.' && p != out)))
			*p = '_';
	return out;
}

/* The saved totals, or an empty object (with a warning when damaged). */
static json_t *load_totals(const char *path, char **warning)
{
	json_error_t jerr;
	json_t *t;

	if (access(path, F_OK) < 0)
		return json_object();
	t = json_load_file(path, 0, &jerr);
	if (!t || json_integer_value(json_object_get(t, "version")) != 1 ||
	    !json_is_object(json_object_get(t, "families"))) {
		*warning = xasprintf("metrics totals %s unreadable (%s); counting from zero", path,
				     t ? "not version 1" : jerr.text);
		json_decref(t);
		return json_object();
	}
	return t;
}

int metrics_write(const char *dir, const char *state_dir, const struct metrics_run *run, char **warning,
		  struct cc_error **err)
{
	cleanup_free char *prof = file_part(run->profile), *proj = file_part(run->project);
	cleanup_free char *tpath = xasprintf("%s/metrics-%s.json", state_dir, prof);
	cleanup_free char *ppath = xasprintf("%s/ccbuild-%s-%s.prom", dir, proj, prof);
	cleanup_free char *saved = NULL, *text = NULL;
	json_t *totals = load_totals(tpath, warning);
	int rc;

	metrics_fold(totals, run);
	saved = json_dumps(totals, JSON_COMPACT | JSON_REAL_PRECISION(17));
	text = metrics_format(totals);
	json_decref(totals);
	if (atomicfile_replace(tpath, saved, strlen(saved), err) < 0)
		return cc_error_wrap(err, "metrics totals");
	rc = atomicfile_replace(ppath, text, strlen(text), err);
	return rc < 0 ? cc_error_wrap(err, "metrics %s", ppath) : 0;
}

char *metrics_history_line(const struct metrics_run *run, const char *run_id, double now)
{
	json_t *steps = json_array(), *line;
	char *text, *out;
	size_t i, k;

	for (i = 0; i < run->nsteps; i++) {
		const struct metrics_step *s = &run->steps[i];
		json_t *facts = json_object(), *o;
		const json_t *f;

		json_array_foreach((json_t *)s->facts, k, f)
		{
			struct strbuf name = STRBUF_INIT;
			const char *ln;
			json_t *lv;

			strbuf_addf(&name, "%s", json_string_value(json_object_get(f, "metric")));
			json_object_foreach(json_object_get(f, "labels"), ln, lv)
				strbuf_addf(&name, "{%s=\"%s\"}", ln, json_string_value(lv));
			json_object_set(facts, name.buf, json_object_get(f, "value"));
			strbuf_release(&name);
		}
		o = json_pack("{s:s, s:s, s:s, s:f, s:o}", "step", s->step, "kind", s->kind, "status", s->status,
			      "duration_seconds", s->seconds, "facts", facts);
		json_array_append_new(steps, o);
	}
	line = json_pack("{s:i, s:f, s:s, s:s, s:s, s:i, s:f, s:o}", "v", 1, "time", now, "run_id", run_id, "project",
			 run->project, "profile", run->profile, "exit_code", run->exit_code, "duration_seconds",
			 run->seconds, "steps", steps);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(line);
	out = xasprintf("%s\n", text);
	free(text);
	return out;
}
