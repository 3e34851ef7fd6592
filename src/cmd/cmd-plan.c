/* cmd-plan: `ccbuild plan PROFILE` (also `PROFILE --dry-run`) — every step
 * in order, whether it would run and why, decided exactly as a run would
 * decide it — and `ccbuild why PROFILE STEP`, the full list of what
 * changed since the step's last success. */
#include "cli.h"
#include "engine.h"
#include "error.h"
#include "gitinfo.h"
#include "graph.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "util.h"
#include "warnings.h"
#include "why.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Decide every step of the profile into r (engine optional). */
static int plan_setup(struct cli *cli, struct runner *r, struct engine **e, char **state_dir,
		      struct gitinfo *git)
{
	struct cc_error *err = NULL;
	int rc = cli_engine(cli, 0, e), have_git;

	memset(r, 0, sizeof(*r));
	memset(git, 0, sizeof(*git));
	if (rc)
		return rc;
	if ((have_git = gitinfo_read(cli->manifest->dir, project_needs_git_dirty(cli->project), git, &err)) < 0) {
		cc_warn(cli->warnings, "%s", err->msg);
		cc_error_free(err);
		err = NULL;
	}
	*state_dir = cli_state_dir(cli);
	runner_init(r, cli->project);
	r->warnings = cli->warnings;
	r->engine = *e;
	r->state_dir = *state_dir;
	r->state_exists = access(*state_dir, F_OK) == 0;
	r->cancel = cli->cancel;
	r->offline = cli->offline;
	r->git = have_git == 0 ? git : NULL;
	cli_wind_down(cli); /* hashing writes stat caches */
	if (runner_plan(r, &err) < 0)
		return cli_report(err, EXIT_FAILED);
	return 0;
}

static void plan_json(const struct project *p, const struct runner *r)
{
	const struct graph *g = &p->graph;
	size_t i, j;

	for (i = 0; i < g->nsteps; i++) {
		const struct step *s = &g->steps[g->order[i]];
		const struct step_result *res = &r->results[g->order[i]];
		json_t *deps = json_array(), *ev;
		struct strbuf d = STRBUF_INIT;
		char *line;

		for (j = 0; j < s->ndeps; j++)
			json_array_append_new(deps, json_string(g->steps[s->deps[j]].id));
		s->kind->describe(s, &d);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o}", "event", "plan", "profile", p->profile->name,
			       "step", s->id, "kind", s->kind->name, "action", res->would_run ? "run" : "up-to-date",
			       "reason", res->reason, "needs", deps);
		json_object_set_new(ev, "what", json_string(d.buf ? d.buf : ""));
		if (res->hash)
			json_object_set_new(ev, "hash", json_string(res->hash));
		if (res->output)
			json_object_set_new(ev, "output", json_string(res->output));
		line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(line);
		free(line);
		json_decref(ev);
		strbuf_release(&d);
	}
}

static void plan_text(const struct project *p, const struct runner *r, int verbose)
{
	const struct graph *g = &p->graph;
	size_t i, j, width = 0, nrun = 0;

	for (i = 0; i < g->nsteps; i++) {
		if (strlen(g->steps[i].id) > width)
			width = strlen(g->steps[i].id);
		nrun += r->results[i].would_run;
	}
	printf("plan for profile %s: %zu step%s, %zu would run\n", p->profile->name, g->nsteps,
	       g->nsteps == 1 ? "" : "s", nrun);
	for (i = 0; i < g->nsteps; i++) {
		const struct step *s = &g->steps[g->order[i]];
		const struct step_result *res = &r->results[g->order[i]];
		struct strbuf d = STRBUF_INIT;

		s->kind->describe(s, &d);
		printf("  %-*s  %s: %s\n", (int)width, s->id, res->would_run ? "would run" : "up to date",
		       res->reason ? res->reason : "");
		if (verbose >= 0)
			printf("  %-*s    %s\n", (int)width, "", d.buf ? d.buf : "");
		for (j = 0; j < s->ndeps && verbose >= 0; j++)
			printf("  %-*s    after %s\n", (int)width, "", g->steps[s->deps[j]].id);
		strbuf_release(&d);
	}
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	struct runner r;
	struct engine *e = NULL;
	struct gitinfo git;
	cleanup_free char *state_dir = NULL;
	int rc;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "plan: unexpected argument '%s'", argv[0]);
	rc = plan_setup(cli, &r, &e, &state_dir, &git);
	if (rc == 0) {
		if (cli->json)
			plan_json(cli->project, &r);
		else
			plan_text(cli->project, &r, cli->verbosity);
	}
	if (r.results)
		runner_release(&r);
	gitinfo_release(&git);
	engine_close(e);
	return rc;
}

static void why_print(const struct runner *r, size_t i, const struct step_record *rec, int have_rec)
{
	const struct step_result *res = &r->results[i];
	struct hash_manifest old = { 0 };
	struct strlist lines = { 0 };
	cleanup_free char *warning = NULL;
	size_t k;

	printf("%s: %s\n", r->project->graph.steps[i].id,
	       res->would_run ? "would run" : "up to date");
	if (!have_rec) {
		printf("  %s\n", res->reason ? res->reason : "no record of a previous successful run");
		return;
	}
	{
		char when[32];
		time_t t = (time_t)rec->time;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("  last success: %s, output %s\n", when, rec->output);
	}
	if (!res->hash) {
		printf("  %s\n", res->reason);
		return;
	}
	if (!strcmp(rec->input, res->hash)) {
		printf("  inputs unchanged%s%s\n", res->reason ? ": " : "", res->reason ? res->reason : "");
		return;
	}
	state_load_files(r->state_dir, rec, &old, &warning);
	if (!why_diff(rec->inputs, old.n || rec->files ? &old : NULL, res->inputs, &res->files, (size_t)-1,
		      &lines))
		printf("  inputs changed (no detail recorded for the last run)\n");
	for (k = 0; k < lines.n; k++)
		printf("  %s\n", lines.v[k]);
	strlist_release(&lines);
	hash_manifest_release(&old);
}

int cmd_why(struct cli *cli, int argc, char **argv)
{
	struct runner r;
	struct engine *e = NULL;
	struct step_record rec;
	struct gitinfo git;
	cleanup_free char *state_dir = NULL, *warning = NULL, *id = NULL;
	long i;
	int rc, have;

	if (argc != 1)
		return cli_fail(EXIT_USAGE, "usage: ccbuild why PROFILE STEP");
	id = strchr(argv[0], ':') ? xstrdup(argv[0]) : xasprintf("build:%s", argv[0]);
	i = graph_find(&cli->project->graph, id);
	if (i < 0)
		return cli_fail(EXIT_USAGE, "why: profile %s has no step '%s' (see 'ccbuild plan %s')", cli->profile,
				id, cli->profile);
	rc = plan_setup(cli, &r, &e, &state_dir, &git);
	if (rc == 0) {
		have = state_load_step(state_dir, id, &rec, &warning);
		why_print(&r, (size_t)i, &rec, have == 1);
		step_record_release(&rec);
	}
	if (r.results)
		runner_release(&r);
	gitinfo_release(&git);
	engine_close(e);
	return rc;
}
