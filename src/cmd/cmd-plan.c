/* cmd-plan: `ccbuild plan PROFILE` (also `PROFILE --dry-run`) — every step
 * in order, whether it would run and why, decided exactly as a run would
 * decide it; cli_plan_setup (cli.h), which `why` shares. */
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

int cli_plan_setup(struct cli *cli, struct runner *r, struct engine **e, char **state_dir, struct gitinfo *git)
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
	r->no_cache_tests = cli->no_cache_tests;
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
	rc = cli_plan_setup(cli, &r, &e, &state_dir, &git);
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
