/* cmd-lint: `ccbuild lint` — the manifest, then every profile: its compose
 * files, its images' Dockerfiles, its graph.  Reports every problem. */
#include "cli.h"
#include "compose.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "step-graph.h"

#include "util.h"

#include <stdio.h>

#define PLURAL(n) ((n) == 1 ? "" : "s")

int cmd_lint(struct cli *cli, int argc, char **argv)
{
	struct cc_error *err = NULL;
	struct project *p;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
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
		for (size_t j = 0; j < p->warnings.n; j++)
			fprintf(stderr, "ccbuild: warning: profile %s: %s\n", name, p->warnings.v[j]);
		strbuf_addf(&sb, "%s%s: %zu image%s, %zu step%s", i ? "; " : "", name, p->nimages,
			    PLURAL(p->nimages), p->graph.nsteps, PLURAL(p->graph.nsteps));
		project_free(p);
	}
	if (!failed && cli->verbosity >= 0)
		printf("%s: ok, %zu profile%s (%s)\n", cli->manifest->path, cli->manifest->nprofiles,
		       PLURAL(cli->manifest->nprofiles), sb.buf);
	strbuf_release(&sb);
	return failed ? EXIT_USAGE : EXIT_OK;
}
