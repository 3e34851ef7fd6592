/* cmd-lint: `ccbuild lint` — the manifest, then every profile: its compose
 * files, its images' Dockerfiles, its graph.  Reports every problem. */
#include "cli.h"
#include "compose.h"
#include "error.h"
#include "manifest.h"
#include "project.h"

#include <stdio.h>

int cmd_lint(struct cli *cli, int argc, char **argv)
{
	struct cc_error *err = NULL;
	struct project *p;
	size_t i, images = 0, steps = 0;
	int failed = 0;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "lint: unexpected argument '%s'", argv[0]);
	for (i = 0; i < cli->manifest->nprofiles; i++) {
		const char *name = cli->manifest->profiles[i].name;

		if (project_load(cli->manifest, name, &p, &err) < 0) {
			cc_error_wrap(&err, "profile %s", name);
			cli_report(err, EXIT_USAGE);
			err = NULL;
			failed = 1;
			continue;
		}
		images += p->nimages;
		steps += p->graph.nsteps;
		project_free(p);
	}
	if (failed)
		return EXIT_USAGE;
	if (cli->verbosity >= 0)
		printf("%s: ok (%zu profiles, %zu images, %zu steps in all)\n", cli->manifest->path,
		       cli->manifest->nprofiles, images, steps);
	return EXIT_OK;
}
