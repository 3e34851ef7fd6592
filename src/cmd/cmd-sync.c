/* cmd-sync: `ccbuild sync PROFILE [NAME...] [--out]` — run syncs on
 * demand, without building anything: the profile's syncs (or the NAMEs)
 * whose direction is in, or with --out those whose direction is out;
 * direction: both either way.  `ccbuild down` runs the --out set first
 * (cli_sync_out).
 * The state directory is locked as for a run; each sync is a sync:NAME
 * step (step-sync.c), so its up-to-date check and record are the ones a
 * profile run uses. */
#include "cli.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Add sync:NAME for spec, once. */
static void add_step(struct project *p, const struct sync_spec *spec)
{
	cleanup_free char *id = xasprintf("sync:%s", spec->name);

	if (graph_find(&p->graph, id) < 0)
		graph_add(&p->graph, id, &step_kind_sync, (void *)spec);
}

/* The graph of the syncs asked for; an exit code after saying why. */
static int select_syncs(struct cli *cli, struct project *p, int argc, char **argv, int out)
{
	const struct manifest *m = cli->manifest;
	enum sync_direction want = out ? SYNC_OUT : SYNC_IN;
	struct cc_error *err = NULL;
	int named = 0;

	for (int k = 0; k < argc; k++) {
		const struct sync_spec *spec;

		if (!strcmp(argv[k], "--out"))
			continue;
		if (argv[k][0] == '-')
			return cli_fail(EXIT_USAGE, "sync: unknown option '%s'", argv[k]);
		named = 1;
		if (!(spec = sync_spec_find(m->syncs, m->nsyncs, argv[k])))
			return cli_fail(EXIT_USAGE, "sync: no sync '%s' in syncs:", argv[k]);
		if (spec->direction != want && spec->direction != SYNC_BOTH)
			return cli_fail(EXIT_USAGE, "sync: '%s' is direction: %s; run it %s", argv[k],
					spec->direction == SYNC_OUT ? "out" : "in",
					spec->direction == SYNC_OUT ? "with --out" : "without --out");
		add_step(p, spec);
	}
	for (size_t k = 0; !named && k < p->profile->syncs.n; k++) {
		const struct sync_spec *spec = sync_spec_find(m->syncs, m->nsyncs, p->profile->syncs.v[k]);

		if (spec && (spec->direction == want || spec->direction == SYNC_BOTH))
			add_step(p, spec);
	}
	if (graph_finish(&p->graph, &err) < 0)
		return cli_report(err, EXIT_USAGE);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* 1 when a sync that would run writes into a volume or a container: the
 * engine and the compose model are needed. */
static int wants_engine(const struct manifest *m, const struct profile_spec *prof, int argc, char **argv)
{
	int named = 0, want = 0;

	for (int k = 0; k < argc; k++) {
		const struct sync_spec *spec = argv[k][0] == '-' ? NULL : sync_spec_find(m->syncs, m->nsyncs, argv[k]);

		named |= argv[k][0] != '-';
		want |= spec && spec->target != SYNC_TO_HOST;
	}
	for (size_t k = 0; !named && k < prof->syncs.n; k++) {
		const struct sync_spec *spec = sync_spec_find(m->syncs, m->nsyncs, prof->syncs.v[k]);

		want |= spec && spec->target != SYNC_TO_HOST;
	}
	return want;
}

static int run_syncs(struct cli *cli, struct project *p, struct engine *e, const char *state_dir)
{
	FILE *out = cli->json ? stdout : stderr;
	struct ui *ui = ui_new(ui_mode_detect(cli->json, out), out, cli->verbosity);
	struct runner r;
	long t0 = now_ms();
	int done, uptodate, failed, cancelled;
	enum sched_outcome outcome;
	json_t *by_kind;

	cc_warnings_show(cli->warnings, cli_warning_ui, ui);
	runner_init(&r, p);
	r.warnings = cli->warnings;
	r.state_dir = state_dir;
	r.engine = e;
	r.ui = ui;
	r.cancel = cli->cancel;
	r.jobs = cli_jobs(cli);
	r.keep_going = cli->keep_going;
	outcome = runner_run(&r);
	runner_counts(&r, &done, &uptodate, &failed, &cancelled);
	by_kind = json_pack("{s:i}", "sync", done);
	ui_summary(ui, by_kind, uptodate, failed, cancelled, now_ms() - t0);
	json_decref(by_kind);
	cli_record_lastrun(cli, &r, "sync",
			   outcome == SCHED_CANCELLED ? EXIT_INTERRUPTED
			   : outcome == SCHED_FAILED  ? EXIT_FAILED
						      : EXIT_OK,
			   now_ms() - t0);
	runner_release(&r);
	cc_warnings_show(cli->warnings, cli_warning_stderr, NULL);
	ui_free(ui);
	return outcome == SCHED_CANCELLED ? EXIT_INTERRUPTED : outcome == SCHED_FAILED ? EXIT_FAILED : EXIT_OK;
}

/* Run the syncs of profile selected by the NAMEs in argv (none: the
 * profile's) and out; quiet when none is selected and `quiet`. */
static int sync_profile(struct cli *cli, const char *profile, int argc, char **argv, int out, int quiet)
{
	struct cc_error *err = NULL;
	struct state_lock *lock = NULL;
	const struct profile_spec *prof = manifest_profile(cli->manifest, profile);
	struct project *p;
	struct engine *e = NULL;
	cleanup_free char *state_dir = NULL;
	int rc;

	if (wants_engine(cli->manifest, prof, argc, argv)) {
		if (project_resolve(cli->manifest, profile, &p, cli->warnings, &err) < 0)
			return cli_report(err, EXIT_FAILED);
		if ((rc = cli_engine(cli, 1, &e))) {
			project_free(p);
			return rc;
		}
	} else {
		p = xcalloc(1, sizeof(*p));
		p->manifest = cli->manifest;
		p->profile = prof;
	}
	if ((rc = select_syncs(cli, p, argc, argv, out)) || (quiet && !p->graph.nsteps)) {
		project_free(p);
		engine_close(e);
		return rc;
	}
	state_dir = cli_state_dir(cli);
	if (state_init(state_dir, &err) < 0 || state_lock(state_dir, &lock, NULL, NULL, &err) < 0) {
		project_free(p);
		engine_close(e);
		return cli_report(err, EXIT_FAILED);
	}
	cli_wind_down(cli);
	rc = cancel_pending(cli->cancel) ? EXIT_INTERRUPTED : run_syncs(cli, p, e, state_dir);
	state_unlock(lock);
	project_free(p);
	engine_close(e);
	return rc;
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
	int out = 0;

	if (argc < 1 || argv[0][0] == '-')
		return cli_fail(EXIT_USAGE, "sync: which profile? usage: ccbuild sync PROFILE [NAME...] [--out]");
	if (!manifest_profile(cli->manifest, argv[0]))
		return cli_fail(EXIT_USAGE, "sync: no profile '%s'", argv[0]);
	for (int k = 1; k < argc; k++)
		out |= !strcmp(argv[k], "--out");
	cli->profile = argv[0];
	return sync_profile(cli, argv[0], argc - 1, argv + 1, out, 0);
}

int cli_sync_out(struct cli *cli, const char *profile)
{
	if (!manifest_profile(cli->manifest, profile))
		return cli_fail(EXIT_USAGE, "down: no profile '%s'", profile);
	return sync_profile(cli, profile, 0, NULL, 1, 1);
}
