/* cli: what main parsed and set up for a command.  Commands are
 * `int cmd_NAME(struct cli *cli, int argc, char **argv)` returning an exit
 * code; they print their own results and report errors through
 * cli_report(). */
#ifndef CC_CLI_H
#define CC_CLI_H

#include "cancel.h"

#include <stddef.h>

struct cc_error;
struct cc_warnings;
struct ui;
struct engine;
struct gitinfo;
struct manifest;
struct project;
struct runner;

/* EXIT_INTERRUPTED: a command that stopped for the cancel flag; main
 * exits 128 + the signal's number instead (130 SIGINT, 143 SIGTERM). */
enum exit_code { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_ENGINE = 3, EXIT_INTERRUPTED = 130 };

struct cli {
	const char *file;      /* -f */
	const char *dir;       /* -C */
	const char *state_dir; /* --state-dir / CCBUILD_STATE_DIR */
	const char *report;    /* --report FILE: JSON report of the run */
	const char *junit;     /* --junit FILE: scan and test results as JUnit XML */
	const char *events;    /* --events FILE / CCBUILD_EVENTS: the events log */
	const char *version;   /* ccbuild's version (main) */
	int jobs;	       /* -j, 0 = number of cores */
	int json, dry_run, keep_going, offline;
	int no_cache_tests;	   /* --no-cache-tests: run test steps even when up to date */
	int no_session;		   /* --no-session / CCBUILD_NO_SESSION: builds upload a tar */
	int verbosity;		   /* -1 quiet, 0 normal, 1 verbose */
	long wait_timeout;	   /* --wait-timeout S for up steps, 0: their default */
	struct manifest *manifest; /* set up for NEEDS_MANIFEST commands */
	struct project *project;   /* set up for NEEDS_PROFILE commands */
	const char *profile;
	atomic_int *cancel;	      /* the signal that asked to stop, or 0 (main) */
	atomic_int *winding;	      /* set by cli_wind_down (main's signal state) */
	struct cc_warnings *warnings; /* the one warnings channel (main's; cli_warning_*) */
	const char *traceparent;      /* a run's trace continues this span (watch), or NULL */
};

/* Print every error of err to stderr as "ccbuild: error: ...", free it,
 * and return code. */
int cli_report(struct cc_error *err, int code);
/* Print "ccbuild: error: MESSAGE" and return code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How warnings show (cc_warnings_show): "ccbuild: warning: MSG" on stderr
 * (data unused), or through the ui a run has (data: struct ui *). */
void cli_warning_stderr(void *data, const char *msg);
void cli_warning_ui(void *data, const char *msg);

/* The state directory: --state-dir, $CCBUILD_STATE_DIR, or .ccbuild beside
 * the manifest; caller frees. */
char *cli_state_dir(const struct cli *cli);
/* Connect to the engine: 0 with *out (caller closes); when no engine
 * answers, EXIT_ENGINE after printing why if `required`, else 0 with *out
 * NULL and a warning. */
int cli_engine(const struct cli *cli, int required, struct engine **out);
/* Write an output file the user named (--report, --junit): replaced
 * atomically when it is a regular file or absent, written in place when
 * it is a device or a FIFO (/dev/stdout); -1 with err on any write error. */
int cli_write_output(const char *path, const void *data, size_t len, struct cc_error **err);
/* The compose project name of the profile (compose's, from its model;
 * the manifest's project normalised when it has no compose files), as
 * down, ps and logs look for it; caller frees. */
char *cli_compose_project(const struct cli *cli);
/* Worker count: -j, else the number of online cores. */
int cli_jobs(const struct cli *cli);
/* Remember how r's steps ended for `ccbuild status` (lastrun.h), as a
 * run of cli->profile by command ("run", "sync"); a failure is a warning. */
void cli_record_lastrun(const struct cli *cli, const struct runner *r, const char *command, int code, long ms);
/* From now on SIGINT/SIGTERM raise cli->cancel, for the work to wind down
 * (steps in flight cancelled and reported, nothing half written); until
 * then a signal ends the process at once, with 128 + its number. */
void cli_wind_down(const struct cli *cli);

/* Decide every step of the profile into *r (plan and why): connects to the
 * engine if one answers (*e, may stay NULL), reads git facts (a warning
 * when it cannot), *state_dir set (caller frees), then runner_plan.  The
 * caller releases r (when r->results), git and e whatever the result;
 * 0 or an exit code after printing why. */
int cli_plan_setup(struct cli *cli, struct runner *r, struct engine **e, char **state_dir, struct gitinfo *git);

struct obs_config;
/* What a run of the profile observes (obs.h): what the manifest's
 * observability: says, the events log replaced by --events or
 * $CCBUILD_EVENTS (relative to the cwd), state in state_dir; paths[4]
 * receives the strings *cfg points to (caller frees), the rest borrowed
 * from cli. */
void cli_obs_config(const struct cli *cli, const char *state_dir, struct obs_config *cfg, char **paths);

/* Run the profile's steps once (`ccbuild PROFILE`'s body: its own ui,
 * summary, report, observability), the state lock held by the caller;
 * an exit code. */
int cli_run_profile(struct cli *cli, struct engine *e, const char *state_dir);

int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_graph(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_lint(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_why(struct cli *cli, int argc, char **argv);
int cmd_prune(struct cli *cli, int argc, char **argv);
int cmd_down(struct cli *cli, int argc, char **argv);
int cmd_ps(struct cli *cli, int argc, char **argv);
int cmd_logs(struct cli *cli, int argc, char **argv);
int cmd_up(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
/* `ccbuild down`'s first part: the profile's direction out (and both)
 * syncs, as `ccbuild sync PROFILE --out`; an exit code (EXIT_OK when the
 * profile has none). */
int cli_sync_out(struct cli *cli, const char *profile);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_backups(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);

#endif
