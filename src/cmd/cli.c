/* cli: the helpers every command uses (cli.h): printing errors, the state
 * directory, the engine connection, the worker count, winding down. */
#include "cli.h"
#include "atomicfile.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine.h"
#include "error.h"
#include "lastrun.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_report(struct cc_error *err, int code)
{
	struct cc_error *e;

	for (e = err; e; e = e->next)
		fprintf(stderr, "ccbuild: error: %s\n", e->msg);
	cc_error_free(err);
	return code;
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ccbuild: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void cli_warning_stderr(void *data, const char *msg)
{
	fprintf(stderr, "ccbuild: warning: %s\n", msg);
}

void cli_warning_ui(void *data, const char *msg)
{
	ui_message(data, "warning", msg);
}

char *cli_state_dir(const struct cli *cli)
{
	if (cli->state_dir)
		return xstrdup(cli->state_dir);
	return path_join(cli->manifest->dir, ".ccbuild");
}

int cli_engine(const struct cli *cli, int required, struct engine **out)
{
	struct cc_error *err = NULL;
	struct engine *e = engine_open(NULL, &err);
	int rc;

	*out = NULL;
	if (!e)
		return cli_report(err, EXIT_USAGE);
	rc = engine_ping(e, &err);
	if (rc == 0) {
		*out = e;
		return 0;
	}
	engine_close(e);
	if (required)
		return cli_report(err, EXIT_ENGINE);
	cc_warn(cli->warnings, "%s; images not checked", err ? err->msg : "engine unreachable");
	cc_error_free(err);
	return 0;
}

int cli_write_output(const char *path, const void *data, size_t len, struct cc_error **err)
{
	struct stat st;
	FILE *f;
	int bad;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return atomicfile_write(path, data, len, err);
	if (!(f = fopen(path, "w")))
		return cc_error_set(err, "%s: %s", path, strerror(errno));
	bad = fwrite(data, 1, len, f) != len;
	bad |= fflush(f) != 0 || ferror(f);
	bad |= fclose(f) != 0;
	if (bad)
		return cc_error_set(err, "writing %s: %s", path, strerror(errno ? errno : EIO));
	return 0;
}

char *cli_compose_project(const struct cli *cli)
{
	if (cli->project && cli->project->compose)
		return xstrdup(compose_project_name(cli->project->compose));
	return deploy_project_name(cli->manifest->project);
}

int cli_jobs(const struct cli *cli)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return cli->jobs > 0 ? cli->jobs : n > 0 ? (int)n : 1;
}

void cli_record_lastrun(const struct cli *cli, const struct runner *r, const char *command, int code, long ms)
{
	struct cc_error *err = NULL;
	char *warning = NULL;

	if (lastrun_record(r->state_dir, r, cli->profile, command, code, ms, (int64_t)time(NULL), &warning, &err) < 0) {
		cc_warn(cli->warnings, "%s; `ccbuild status` does not know of this run", err->msg);
		cc_error_free(err);
	}
	if (warning)
		cc_warn(cli->warnings, "%s", warning);
	free(warning);
}

void cli_wind_down(const struct cli *cli)
{
	if (cli->winding)
		atomic_store(cli->winding, 1);
}
