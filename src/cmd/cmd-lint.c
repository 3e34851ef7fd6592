/* cmd-lint: `ccbuild lint` — the manifest, then every profile: its compose
 * files, its images' Dockerfiles, its graph.  Reports every problem. */
#include "cli.h"
#include "compose.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "step-graph.h"

#include "util.h"
#include "warnings.h"

#include <stdio.h>

#define PLURAL(n) ((n) == 1 ? "" : "s")

int cmd_lint(struct cli *cli, int argc, char **argv)
{
	struct cc_error *err = NULL;
	struct project *p;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	struct cc_warnings found;
	int failed = 0, rc;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "lint: unexpected argument '%s'", argv[0]);
	for (i = 0; i < cli->manifest->nprofiles; i++) {
		const char *name = cli->manifest->profiles[i].name;

		cc_warnings_init(&found);
		rc = project_load(cli->manifest, name, &p, &found, &err);
		for (size_t j = 0; j < found.seen.n; j++)
			cc_warn(cli->warnings, "profile %s: %s", name, found.seen.v[j]);
		cc_warnings_release(&found);
		if (rc < 0) {
			cc_error_wrap(&err, "profile %s", name);
			cli_report(err, EXIT_USAGE);
			err = NULL;
			failed = 1;
			continue;
		}
		strbuf_addf(&sb, "%s%s: %zu image%s, %zu step%s", i ? "; " : "", name, p->nimages, PLURAL(p->nimages),
			    p->graph.nsteps, PLURAL(p->graph.nsteps));
		project_free(p);
	}
	if (!failed && cli->verbosity >= 0)
		printf("%s: ok, %zu profile%s (%s)\n", cli->manifest->path, cli->manifest->nprofiles,
		       PLURAL(cli->manifest->nprofiles), sb.buf);
	strbuf_release(&sb);
	return failed ? EXIT_USAGE : EXIT_OK;
}
