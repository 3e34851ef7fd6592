/* cmd-up: `ccbuild up PROFILE [SERVICE...]` — deploy the profile's compose
 * services (all, or these and what they depend on) whether or not the
 * profile says up: true: the profile's pipeline with up:SERVICE steps,
 * run as `ccbuild PROFILE` runs it (cmd-run.c). */
#include "cli.h"
#include "error.h"
#include "lists.h"
#include "project.h"
#include "step-graph.h"

#include <stdlib.h>
#include <string.h>

int cmd_up(struct cli *cli, int argc, char **argv)
{
	struct strlist services = { 0 };
	struct cc_error *err = NULL;
	int i, rc;

	if (argc < 1)
		return cli_fail(EXIT_USAGE, "up: which profile? usage: ccbuild up PROFILE [SERVICE...]");
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			strlist_release(&services);
			return cli_fail(EXIT_USAGE, "up: unknown option '%s'", argv[i]);
		}
		strlist_push(&services, argv[i]);
	}
	cli->profile = argv[0];
	rc = project_load_deploy(cli->manifest, cli->profile, &services, &cli->project, cli->warnings, &err);
	strlist_release(&services);
	if (rc < 0)
		return cli_report(err, EXIT_USAGE);
	return cmd_run(cli, 0, NULL);
}
