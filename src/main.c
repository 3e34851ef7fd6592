/* main: parse global options, set up what the command's flags ask for
 * (git's command table), dispatch, print errors, choose the exit code. */
#include "cli.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "step-graph.h"
#include "util.h"
#include "warnings.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CCBUILD_VERSION "0.1.0"

/* MODEL_ONLY: the profile's compose model without reading a Dockerfile
 * (config prints what compose prints even when a build would fail). */
enum { NEEDS_MANIFEST = 1, NEEDS_PROFILE = 2, MODEL_ONLY = 4 };

struct command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	int flags;
	const char *usage, *help;
};

static int cmd_version(struct cli *cli, int argc, char **argv);
static int cmd_help(struct cli *cli, int argc, char **argv);

static const struct command commands[] = {
	{ "plan", cmd_plan, NEEDS_MANIFEST | NEEDS_PROFILE, "plan PROFILE",
	  "every step in order, and for each: would run (and why) or up to date" },
	{ "graph", cmd_graph, NEEDS_MANIFEST | NEEDS_PROFILE, "graph PROFILE [--format text|dot|json]",
	  "the step graph of a profile (dot renders with `dot -Tsvg`)" },
	{ "config", cmd_config, NEEDS_MANIFEST | NEEDS_PROFILE | MODEL_ONLY, "config PROFILE",
	  "the merged compose model of the profile, as YAML (like `docker compose config`)" },
	{ "why", cmd_why, NEEDS_MANIFEST | NEEDS_PROFILE, "why PROFILE STEP",
	  "what changed since STEP's last success: files, args, target, bases, Dockerfile lines" },
	{ "prune", cmd_prune, NEEDS_MANIFEST | NEEDS_PROFILE, "prune PROFILE [--dry-run]",
	  "apply the retention: policy to the registry repositories of the profile's images" },
	{ "down", cmd_down, NEEDS_MANIFEST | NEEDS_PROFILE | MODEL_ONLY,
	  "down PROFILE [--volumes] [--timeout S] [--no-sync]",
	  "stop and remove the project's containers and networks (named volumes too with --volumes)" },
	{ "ps", cmd_ps, NEEDS_MANIFEST | NEEDS_PROFILE | MODEL_ONLY, "ps PROFILE [SERVICE...]",
	  "the project's containers: service, state, health, ports, deploy hash and its age" },
	{ "logs", cmd_logs, NEEDS_MANIFEST | NEEDS_PROFILE | MODEL_ONLY, "logs PROFILE [SERVICE...] [-f] [--tail N]",
	  "the output of the project's containers, each line prefixed with its container" },
	{ "up", cmd_up, NEEDS_MANIFEST, "up PROFILE [SERVICE...]",
	  "deploy the profile's compose services (all, or these and their dependencies) and wait until healthy" },
	{ "sync", cmd_sync, NEEDS_MANIFEST, "sync PROFILE [NAME...] [--out]",
	  "run the profile's syncs (or the NAMEs) now; --out those with direction: out" },
	{ "backup", cmd_backup, NEEDS_MANIFEST, "backup PROFILE [NAME...]",
	  "run the profile's backups now (also: backup verify PROFILE NAME [--all], backup forget PROFILE, "
	  "backup init-key PATH)" },
	{ "backups", cmd_backups, NEEDS_MANIFEST, "backups PROFILE [NAME...]",
	  "list the snapshots of the profile's backups" },
	{ "restore", cmd_restore, NEEDS_MANIFEST,
	  "restore PROFILE NAME [--snapshot ID | --latest-good] [--to path:DIR|volume:NAME]",
	  "restore a snapshot (the newest, or the newest that verifies), verified, then swapped in" },
	{ "status", cmd_status, NEEDS_MANIFEST | NEEDS_PROFILE, "status PROFILE [--json]",
	  "the last run of each step, deploy health, newest backup, last sync, from the state alone" },
	{ "watch", cmd_watch, NEEDS_MANIFEST | NEEDS_PROFILE, "watch PROFILE [--debounce MS]",
	  "run the profile, then on every change sync, restart or rebuild what it touches (develop.watch)" },
	{ "lint", cmd_lint, NEEDS_MANIFEST, "lint",
	  "validate ccbuild.yaml, every compose file and Dockerfile it names, every profile" },
	{ "version", cmd_version, 0, "version", "print the version" },
	{ "help", cmd_help, 0, "help [COMMAND]", "show help" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_usage[] = "usage: ccbuild [-f FILE] [-C DIR] [-j N] [--json] [--dry-run] [-q|-v] PROFILE\n"
				   "       ccbuild [global options] COMMAND [ARGS]\n";

static const char global_help[] = "\nRun PROFILE's pipeline (dev, staging, prod, ...), or a command:\n";

static const char options_help[] =
	"\nGlobal options:\n"
	"  -f FILE          the manifest (default ccbuild.yaml or ccbuild.yml)\n"
	"  -C DIR           change to DIR first\n"
	"  -j N             parallel workers (default: number of cores)\n"
	"  --json           machine-readable output, one JSON object per line\n"
	"  --dry-run        decide, but run nothing\n"
	"  --keep-going     continue independent steps after a failure\n"
	"  --offline        ask no registry (no registry cache, no base digests)\n"
	"  --no-cache-tests run the profile's tests even when what they test is unchanged\n"
	"  --no-session     upload build contexts as a tar, not through a BuildKit session\n"
	"                   ($CCBUILD_NO_SESSION)\n"
	"  --state-dir DIR  where step state lives (default .ccbuild beside the manifest)\n"
	"  --report FILE    write a JSON report of the run (steps, hashes, images, digests, tags)\n"
	"  --junit FILE     write scan and test results as JUnit XML\n"
	"  --events FILE    append every event of the run to FILE as JSON lines ($CCBUILD_EVENTS)\n"
	"  --wait-timeout S how long an up step waits for health (default 120)\n"
	"  -q, -v           quieter, more verbose\n"
	"\nExit codes: 0 success, 1 a step failed, 2 usage or manifest error,\n"
	"3 engine unreachable, 128+N ended by signal N (130 Ctrl-C, 143 SIGTERM).\n";

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	printf("ccbuild %s (libcurl %s)\n", CCBUILD_VERSION, curl_version_info(CURLVERSION_NOW)->version);
	return EXIT_OK;
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct command *c = argc > 0 ? find_command(argv[0]) : NULL;
	size_t i;

	if (argc > 0 && !c)
		return cli_fail(EXIT_USAGE, "help: no command '%s'", argv[0]);
	if (c) {
		printf("usage: ccbuild [global options] %s\n\n%s\n", c->usage, c->help);
		return EXIT_OK;
	}
	fputs(global_usage, stdout);
	fputs(global_help, stdout);
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-40s %s\n", commands[i].usage, commands[i].help);
	fputs(options_help, stdout);
	return EXIT_OK;
}

/* Take global options out of argv wherever they are (so `ccbuild plan dev
 * --json` works); what remains is the command and its arguments.  After
 * the command `logs`, -f is its own (follow, as compose has it). */
static int parse_globals(struct cli *cli, int *argc, char **argv)
{
	int i, n = 0;
	char *end;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];
		int has_next = i + 1 < *argc;

		if (n > 0 && !strcmp(argv[1], "logs") && !strcmp(a, "-f"))
			argv[++n] = argv[i];
		else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && has_next)
			cli->file = argv[++i];
		else if ((!strcmp(a, "-C") || !strcmp(a, "--directory")) && has_next)
			cli->dir = argv[++i];
		else if (!strcmp(a, "--state-dir") && has_next)
			cli->state_dir = argv[++i];
		else if (!strcmp(a, "--report") && has_next)
			cli->report = argv[++i];
		else if (!strcmp(a, "--junit") && has_next)
			cli->junit = argv[++i];
		else if (!strcmp(a, "--events") && has_next)
			cli->events = argv[++i];
		else if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && has_next) {
			errno = 0;
			cli->jobs = (int)strtol(argv[++i], &end, 10);
			if (errno || *end || cli->jobs < 1)
				return cli_fail(EXIT_USAGE, "-j needs a positive number, not '%s'", argv[i]);
		} else if (!strncmp(a, "-j", 2) && a[2]) {
			cli->jobs = (int)strtol(a + 2, &end, 10);
			if (*end || cli->jobs < 1)
				return cli_fail(EXIT_USAGE, "-j needs a positive number, not '%s'", a + 2);
		} else if (!strcmp(a, "--wait-timeout") && has_next) {
			errno = 0;
			cli->wait_timeout = strtol(argv[++i], &end, 10);
			if (errno || *end || cli->wait_timeout < 1 || cli->wait_timeout > 86400)
				return cli_fail(EXIT_USAGE, "--wait-timeout needs seconds (1 to 86400), not '%s'",
						argv[i]);
		} else if (!strcmp(a, "--json"))
			cli->json = 1;
		else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n"))
			cli->dry_run = 1;
		else if (!strcmp(a, "--offline"))
			cli->offline = 1;
		else if (!strcmp(a, "--no-cache-tests"))
			cli->no_cache_tests = 1;
		else if (!strcmp(a, "--no-session"))
			cli->no_session = 1;
		else if (!strcmp(a, "--keep-going") || !strcmp(a, "-k"))
			cli->keep_going = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			cli->verbosity = -1;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			cli->verbosity = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			argv[++n] = "help";
		else if (!strcmp(a, "--version"))
			argv[++n] = "version";
		else if (!strcmp(a, "-f") || !strcmp(a, "-C") || !strcmp(a, "-j") || !strcmp(a, "--state-dir") ||
			 !strcmp(a, "--report") || !strcmp(a, "--junit") || !strcmp(a, "--events") ||
			 !strcmp(a, "--wait-timeout"))
			return cli_fail(EXIT_USAGE, "%s needs a value", a);
		else
			argv[++n] = argv[i];
	}
	*argc = n + 1;
	return 0;
}

static int setup(struct cli *cli, const struct command *c, int *argc, char ***argv)
{
	struct cc_error *err = NULL;
	cleanup_free char *path = NULL;

	if (cli->dir && chdir(cli->dir) < 0)
		return cli_fail(EXIT_USAGE, "-C %s: %s", cli->dir, strerror(errno));
	if (!(c->flags & NEEDS_MANIFEST))
		return 0;
	if (!(path = manifest_find(cli->file, &err)) || manifest_load(path, &cli->manifest, &err) < 0)
		return cli_report(err, EXIT_USAGE);
	if (!(c->flags & NEEDS_PROFILE))
		return 0;
	if (*argc < 1)
		return cli_fail(EXIT_USAGE, "%s: which profile? usage: ccbuild %s", c->name, c->usage);
	cli->profile = (*argv)[0];
	(*argc)--;
	(*argv)++;
	if ((c->flags & MODEL_ONLY ? project_load_model : project_load)(cli->manifest, cli->profile, &cli->project,
									cli->warnings, &err) < 0)
		return cli_report(err, EXIT_USAGE);
	return 0;
}

/* The only process-wide mutable state.  `interrupted` gets the number of
 * the SIGINT/SIGTERM that asked to stop; the scheduler, the workers,
 * engine transfers, the context walk and hashing poll it (cancel.h).
 * `winding` is set by cli_wind_down (through cli.winding) when a command
 * starts work worth winding down; before that (loading, waiting for the
 * state lock, the read-only commands) nothing needs keeping or cleaning
 * up, so a signal ends the process at once, as does a second signal at
 * any time.  Both are lock-free atomics: safe in a handler. */
static atomic_int interrupted, winding;

static void on_signal(int sig)
{
	if (!atomic_load(&winding) || atomic_exchange(&interrupted, sig))
		_exit(128 + sig);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct cc_warnings warnings;
	static const struct command run = { "run", cmd_run, NEEDS_MANIFEST | NEEDS_PROFILE, "PROFILE",
					    "run the profile's pipeline" };
	static const struct command init_key = { "backup", cmd_backup, 0, "backup init-key PATH",
						 "write a new backup encryption key" };
	const struct command *c;
	int rc;

	if (getenv("CCBUILD_OFFLINE") && *getenv("CCBUILD_OFFLINE") && strcmp(getenv("CCBUILD_OFFLINE"), "0"))
		cli.offline = 1;
	if (getenv("CCBUILD_STATE_DIR"))
		cli.state_dir = getenv("CCBUILD_STATE_DIR");
	cli.version = CCBUILD_VERSION;
	if (getenv("CCBUILD_NO_SESSION") && *getenv("CCBUILD_NO_SESSION") && strcmp(getenv("CCBUILD_NO_SESSION"), "0"))
		cli.no_session = 1;
	if (getenv("CCBUILD_EVENTS") && *getenv("CCBUILD_EVENTS"))
		cli.events = getenv("CCBUILD_EVENTS");
	if (parse_globals(&cli, &argc, argv))
		return EXIT_USAGE;
	if (argc < 2) {
		fputs(global_usage, stderr);
		fputs("Try 'ccbuild help'.\n", stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (c && c->fn == cmd_backup && argc > 2 && !strcmp(argv[2], "init-key"))
		c = &init_key; /* writes a key file: no manifest needed */
	if (!c && argv[1][0] == '-')
		return cli_fail(EXIT_USAGE, "unknown option '%s' (see 'ccbuild help')", argv[1]);
	argc -= 2;
	argv += 2;
	if (!c) {
		c = &run; /* `ccbuild PROFILE`: the profile is argv[-1] */
		argc++;
		argv--;
	}
	cc_warnings_init(&warnings);
	cc_warnings_show(&warnings, cli_warning_stderr, NULL);
	cli.warnings = &warnings;
	cli.cancel = &interrupted;
	cli.winding = &winding;
	install_signals();
	curl_global_init(CURL_GLOBAL_ALL);
	rc = setup(&cli, c, &argc, &argv);
	if (rc == 0)
		rc = c->fn(&cli, argc, argv);
	/* What a command printed may sit in stdio's buffer: a full disk or a
	 * closed pipe shows only now (git does the same). */
	if (rc == EXIT_OK && (fflush(stdout) != 0 || ferror(stdout)))
		rc = cli_fail(EXIT_FAILED, "writing standard output: %s", strerror(errno ? errno : EIO));
	project_free(cli.project);
	manifest_free(cli.manifest);
	curl_global_cleanup();
	cc_warnings_release(&warnings);
	/* Whatever the command made of it (an error, "cancelled"). */
	if (cancel_pending(&interrupted))
		rc = 128 + cancel_pending(&interrupted);
	return rc;
}
