/* cmd-run: `ccbuild PROFILE` — run the profile's pipeline: lock the state
 * directory, connect to the engine, run every step that is not up to date
 * on -j workers, show progress and a summary. */
#include "cli.h"
#include "deploy-plan.h"
#include "engine.h"
#include "error.h"
#include "gitinfo.h"
#include "manifest.h"
#include "obs.h"
#include "project.h"
#include "registry.h"
#include "report.h"
#include "runner.h"
#include "step.h"
#include "state.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void waiting(long pid, void *data)
{
	const char *dir = data;

	if (pid > 0)
		fprintf(stderr, "ccbuild: waiting for another ccbuild run (pid %ld) to release %s/lock\n", pid, dir);
	else
		fprintf(stderr, "ccbuild: waiting for another ccbuild run to release %s/lock\n", dir);
}

/* --report, --junit and CI annotations, after the run; -1 when one could
 * not be written (said through ui). */
static int write_outputs(struct cli *cli, const struct runner *r, const struct gitinfo *git, int code, long ms,
			 struct ui *ui)
{
	int rc = 0;
	struct cc_error *err = NULL;
	const char *ci = getenv("CI");

	if (cli->report) {
		json_t *doc = report_json(r, cli->profile, git, code, ms);
		char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (cli_write_output(cli->report, text, strlen(text), &err) < 0)
			ui_message(ui, "error", err->msg);
		free(text);
		json_decref(doc);
	}
	if (cli->junit) {
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);

		report_junit(r, mem);
		fclose(mem);
		if (!err && cli_write_output(cli->junit, buf, len, &err) < 0)
			ui_message(ui, "error", err->msg);
		free(buf);
	}
	if (err)
		rc = -1;
	cc_error_free(err);
	/* GitHub reads workflow commands from the job's output; keep stdout
	 * pure JSON with --json. */
	if (ci && *ci && strcmp(ci, "0") && strcmp(ci, "false"))
		report_annotations(r, cli->json ? stderr : stdout);
	return rc;
}

/* A manifest path as the process sees it; caller frees; NULL stays NULL. */
static char *manifest_path(const struct cli *cli, const char *rel)
{
	return !rel ? NULL : rel[0] == '/' ? xstrdup(rel) : path_join(cli->manifest->dir, rel);
}

void cli_obs_config(const struct cli *cli, const char *state_dir, struct obs_config *out, char **paths)
{
	const struct observability_spec *o = &cli->manifest->observability;
	struct obs_config cfg = { 0 };

	paths[0] = cli->events ? xstrdup(cli->events) : manifest_path(cli, o->events);
	paths[1] = manifest_path(cli, o->metrics);
	paths[2] = manifest_path(cli, o->history);
	paths[3] = manifest_path(cli, o->traces);
	cfg.events = paths[0];
	cfg.events_max_bytes = o->events_max_bytes >= 0 ? o->events_max_bytes : 10 << 20;
	cfg.events_keep = o->events_keep > 0 ? (int)o->events_keep : 5;
	cfg.history_max_bytes = o->history_max_bytes >= 0 ? o->history_max_bytes : 10 << 20;
	cfg.history_keep = o->history_keep > 0 ? (int)o->history_keep : 5;
	cfg.traces_max_bytes = o->traces_max_bytes >= 0 ? o->traces_max_bytes : 10 << 20;
	cfg.traces_keep = o->traces_keep > 0 ? (int)o->traces_keep : 5;
	cfg.metrics = paths[1];
	cfg.history = paths[2];
	cfg.traces = paths[3];
	cfg.state_dir = state_dir;
	cfg.project = cli->manifest->project;
	cfg.profile = cli->profile;
	cfg.version = cli->version;
	cfg.traceparent = cli->traceparent;
	*out = cfg;
}

/* Observe the run as cli_obs_config says; paths[4] as there. */
static struct obs *observe(struct cli *cli, const struct runner *r, const struct gitinfo *git, struct ui *ui,
			   char **paths)
{
	struct obs_config cfg;

	cli_obs_config(cli, r->state_dir, &cfg, paths);
	return obs_start(&cfg, r, git, ui, cli->warnings);
}

/* Before the up steps: their wait, and the project's containers whose
 * service left the model removed; -1 when that failed (said through ui). */
static int deploy_prepare(struct cli *cli, struct engine *e, struct ui *ui)
{
	struct deploy_plan *plan = cli->project->deploy;
	struct strlist removed = { 0 };
	struct cc_error *err = NULL;
	size_t i;
	int rc;

	if (!plan)
		return 0;
	if (cli->wait_timeout > 0)
		plan->wait_timeout_ms = cli->wait_timeout * 1000L;
	rc = deploy_plan_remove_orphans(plan, e, &removed, &err);
	for (i = 0; i < removed.n; i++) {
		cleanup_free char *msg = xasprintf("removed orphan container %s: its service is no longer in the"
						   " compose model",
						   removed.v[i]);

		ui_message(ui, "info", msg);
	}
	if (rc < 0) {
		ui_message(ui, "error", err->msg);
		cc_error_free(err);
	}
	strlist_release(&removed);
	return rc;
}

int cli_run_profile(struct cli *cli, struct engine *e, const char *state_dir)
{
	FILE *out = cli->json ? stdout : stderr;
	struct ui *ui = ui_new(ui_mode_detect(cli->json, out), out, cli->verbosity);
	struct runner r;
	struct gitinfo git;
	struct cc_error *err = NULL;
	long t0 = now_ms();
	enum sched_outcome outcome;
	int rc, done, uptodate, failed, cancelled, have_git;
	json_t *by_kind;
	char *auth = NULL, *obs_paths[4] = { 0 };
	struct obs *obs = NULL;
	size_t i;

	have_git = gitinfo_read(cli->manifest->dir, project_needs_git_dirty(cli->project), &git, &err);
	cc_warnings_show(cli->warnings, cli_warning_ui, ui); /* until ui_free below */
	if (have_git < 0) {
		cc_warn(cli->warnings, "%s", err->msg);
		cc_error_free(err);
	}
	runner_init(&r, cli->project);
	r.warnings = cli->warnings;
	r.git = have_git == 0 ? &git : NULL;
	r.engine = e;
	r.state_dir = state_dir;
	r.ui = ui;
	r.cancel = cli->cancel;
	r.offline = cli->offline;
	r.no_cache_tests = cli->no_cache_tests;
	r.no_session = cli->no_session;
	if (cli->manifest->registry && cli->project->profile->push) { /* only pushing profiles use it */
		cleanup_free char *host = xstrndup(cli->manifest->registry, strcspn(cli->manifest->registry, "/"));

		if (registry_engine_auth(host, &auth, &err) < 0) {
			ui_message(ui, "error", err->msg);
			cc_error_free(err);
			runner_release(&r);
			gitinfo_release(&git);
			cc_warnings_show(cli->warnings, cli_warning_stderr, NULL);
			ui_free(ui);
			return EXIT_FAILED;
		}
		r.registry_auth = auth;
	}
	r.jobs = cli_jobs(cli);
	r.keep_going = cli->keep_going;
	obs = observe(cli, &r, have_git == 0 ? &git : NULL, ui, obs_paths);
	r.obs = obs;
	r.traceparent = obs_traceparent;
	outcome = deploy_prepare(cli, e, ui) < 0 ? SCHED_FAILED : runner_run(&r);
	runner_counts(&r, &done, &uptodate, &failed, &cancelled);
	by_kind = json_object();
	for (i = 0; i < cli->project->graph.nsteps; i++)
		if (r.results[i].status == STEP_DONE) {
			const char *k = cli->project->graph.steps[i].kind->name;

			json_object_set_new(by_kind, k,
					    json_integer(json_integer_value(json_object_get(by_kind, k)) + 1));
		}
	ui_summary(ui, by_kind, uptodate, failed, cancelled, now_ms() - t0);
	json_decref(by_kind);
	rc = outcome == SCHED_CANCELLED ? EXIT_INTERRUPTED : outcome == SCHED_FAILED ? EXIT_FAILED : EXIT_OK;
	if (write_outputs(cli, &r, have_git == 0 ? &git : NULL, rc, now_ms() - t0, ui) < 0 && rc == EXIT_OK)
		rc = EXIT_FAILED;
	cli_record_lastrun(cli, &r, "run", rc, now_ms() - t0);
	obs_finish(obs, rc, now_ms() - t0);
	for (i = 0; i < 4; i++)
		free(obs_paths[i]);
	runner_release(&r);
	free(auth);
	gitinfo_release(&git);
	cc_warnings_show(cli->warnings, cli_warning_stderr, NULL);
	ui_free(ui);
	return rc;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct cc_error *err = NULL;
	struct state_lock *lock = NULL;
	struct engine *e = NULL;
	cleanup_free char *state_dir = NULL;
	int rc;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "unexpected argument '%s' after the profile", argv[0]);
	if (cli->dry_run)
		return cmd_plan(cli, argc, argv);
	if ((rc = cli_engine(cli, 1, &e)))
		return rc;
	state_dir = cli_state_dir(cli);
	if (state_init(state_dir, &err) < 0 || state_lock(state_dir, &lock, waiting, state_dir, &err) < 0) {
		engine_close(e);
		return cli_report(err, EXIT_FAILED);
	}
	cli_wind_down(cli); /* locked: from here a signal cancels the steps */
	rc = cancel_pending(cli->cancel) ? EXIT_INTERRUPTED : cli_run_profile(cli, e, state_dir);
	state_unlock(lock);
	engine_close(e);
	return rc;
}
