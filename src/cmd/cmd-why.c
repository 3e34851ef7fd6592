/* cmd-why: `ccbuild why PROFILE STEP` — the full list of what changed
 * since the step's last success, decided as plan decides it
 * (cli_plan_setup). */
#include "cli.h"
#include "engine.h"
#include "gitinfo.h"
#include "graph.h"
#include "hash.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "util.h"
#include "why.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void why_print(const struct runner *r, size_t i, const struct step_record *rec, int have_rec)
{
	const struct step_result *res = &r->results[i];
	struct hash_manifest old = { 0 };
	struct strlist lines = { 0 };
	cleanup_free char *warning = NULL;
	size_t k;

	printf("%s: %s\n", r->project->graph.steps[i].id, res->would_run ? "would run" : "up to date");
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
	if (!why_diff(rec->inputs, old.n || rec->files ? &old : NULL, res->inputs, &res->files, (size_t)-1, &lines))
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
	rc = cli_plan_setup(cli, &r, &e, &state_dir, &git);
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
