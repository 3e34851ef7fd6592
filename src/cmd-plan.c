/* cmd-plan: `ccbuild plan PROFILE` — every step in order, whether it would
 * run and why.  Until step state is recorded (the engine issue), every step
 * would run because nothing is known to have been built. */
#include "cli.h"
#include "graph.h"
#include "manifest.h"
#include "project.h"
#include "step.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char no_record[] = "no record of a previous successful run";

static void plan_json(const struct project *p)
{
	const struct graph *g = &p->graph;
	size_t i, j;

	for (i = 0; i < g->nsteps; i++) {
		const struct step *s = &g->steps[g->order[i]];
		json_t *deps = json_array(), *ev;
		struct strbuf d = STRBUF_INIT;
		char *line;

		for (j = 0; j < s->ndeps; j++)
			json_array_append_new(deps, json_string(g->steps[s->deps[j]].id));
		s->kind->describe(s, &d);
		ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "event", "plan", "profile", p->profile->name,
			       "step", s->id, "kind", s->kind->name, "action", "run", "reason", no_record, "needs",
			       deps);
		json_object_set_new(ev, "what", json_string(d.buf ? d.buf : ""));
		line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(line);
		free(line);
		json_decref(ev);
		strbuf_release(&d);
	}
}

static void plan_text(const struct project *p, int verbose)
{
	const struct graph *g = &p->graph;
	size_t i, j, width = 0;

	for (i = 0; i < g->nsteps; i++)
		if (strlen(g->steps[i].id) > width)
			width = strlen(g->steps[i].id);
	printf("plan for profile %s: %zu step%s\n", p->profile->name, g->nsteps, g->nsteps == 1 ? "" : "s");
	for (i = 0; i < g->nsteps; i++) {
		const struct step *s = &g->steps[g->order[i]];
		struct strbuf d = STRBUF_INIT;

		s->kind->describe(s, &d);
		printf("  %-*s  would run: %s\n", (int)width, s->id, no_record);
		if (verbose >= 0)
			printf("  %-*s    %s\n", (int)width, "", d.buf ? d.buf : "");
		for (j = 0; j < s->ndeps && verbose >= 0; j++)
			printf("  %-*s    after %s\n", (int)width, "", g->steps[s->deps[j]].id);
		strbuf_release(&d);
	}
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	if (cli->json)
		plan_json(cli->project);
	else
		plan_text(cli->project, cli->verbosity);
	return EXIT_OK;
}

/* Running a profile needs the engine, which lands with the engine issue;
 * until then it shows the plan and says so, rather than pretending. */
int cmd_run(struct cli *cli, int argc, char **argv)
{
	if (!cli->json)
		fprintf(stderr, "ccbuild: note: running steps is not implemented yet; showing the plan\n");
	return cmd_plan(cli, argc, argv);
}
