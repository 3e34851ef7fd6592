/* metrics: a run's figures as a Prometheus text exposition file (format
 * 0.0.4, no timestamps: node_exporter's textfile collector reads it) and
 * as a JSON-lines history.  Counters and histograms count over all runs
 * of a profile: their totals live in the state directory and each run
 * adds to them; gauges hold the last run's values.  The metric set is in
 * docs/technical/observability.md; kinds add theirs as facts (facts.h). */
#ifndef CC_METRICS_H
#define CC_METRICS_H

#include <jansson.h>
#include <stddef.h>

struct cc_error;

/* One step as it ended; strings and facts borrowed. */
struct metrics_step {
	const char *step, *kind, *status; /* status: step_status_name() */
	double seconds;
	const json_t *facts; /* facts.h array, or NULL */
};

/* One run; strings borrowed. */
struct metrics_run {
	const char *project, *profile;
	int exit_code;	 /* 0 ok, 130 interrupted, else failed */
	double seconds;	 /* wall time */
	double end_time; /* unix seconds */
	const struct metrics_step *steps;
	size_t nsteps;
};

/* Add run to totals (a JSON object, empty or as metrics_fold left it). */
void metrics_fold(json_t *totals, const struct metrics_run *run);
/* totals as exposition text, families and series sorted; caller frees. */
char *metrics_format(const json_t *totals);
/* Load the totals of run's profile from state_dir (a damaged file is a
 * warning into *warning, caller frees, and the counts start again), fold
 * run in, save them, and replace DIR/ccbuild-PROJECT-PROFILE.prom
 * atomically.  -1 with err naming the file. */
int metrics_write(const char *dir, const char *state_dir, const struct metrics_run *run, char **warning,
		  struct cc_error **err);
/* The history line of run (with "\n"); caller frees. */
char *metrics_history_line(const struct metrics_run *run, const char *run_id, double now);

#endif
