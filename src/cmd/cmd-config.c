/* cmd-config: `ccbuild config PROFILE` — the merged compose model of the
 * profile as YAML, as `docker-compose -f base -f override config` prints. */
#include "cli.h"
#include "compose.h"
#include "error.h"
#include "project.h"
#include "ynode.h"

#include <stdio.h>

int cmd_config(struct cli *cli, int argc, char **argv)
{
	struct cc_error *err = NULL;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "config: unexpected argument '%s'", argv[0]);
	if (!cli->project->compose)
		return cli_fail(EXIT_USAGE, "config: profile '%s' names no compose files", cli->profile);
	if (compose_config_emit(cli->project->compose, stdout, &err) < 0)
		return cli_report(err, EXIT_FAILED);
	return EXIT_OK;
}
