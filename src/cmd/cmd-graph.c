/* cmd-graph: `ccbuild graph PROFILE [--format text|dot|json]`. */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "manifest.h"
#include "project.h"

#include <stdio.h>
#include <string.h>

int cmd_graph(struct cli *cli, int argc, char **argv)
{
	enum graph_format fmt = cli->json ? GRAPH_JSON : GRAPH_TEXT;
	const char *f = NULL;
	struct cc_error *err = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			f = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			f = argv[i] + 9;
		else
			return cli_fail(EXIT_USAGE, "graph: unknown argument '%s'", argv[i]);
	}
	if (f && !strcmp(f, "dot"))
		fmt = GRAPH_DOT;
	else if (f && !strcmp(f, "json"))
		fmt = GRAPH_JSON;
	else if (f && strcmp(f, "text"))
		return cli_fail(EXIT_USAGE, "graph: --format must be text, dot or json, not '%s'", f);
	if (graph_write(&cli->project->graph, fmt, cli->project->profile->name, stdout, &err) < 0)
		return cli_report(err, EXIT_FAILED);
	return EXIT_OK;
}
