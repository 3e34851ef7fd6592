/* cmd-backup: `ccbuild backup PROFILE [NAME...]` (run the profile's
 * backups now), `ccbuild backup verify PROFILE NAME [--all]`, `ccbuild
 * backup forget PROFILE [NAME...]` (retention only; --dry-run shows the
 * rule that keeps each snapshot), `ccbuild backups PROFILE [NAME]` (the
 * snapshots), `ccbuild restore PROFILE NAME [--snapshot ID | --latest-good]
 * [--to path:DIR|volume:NAME]` (without --to: over the source itself; a
 * volume or a service's volumes through backup-swap.h, the services using
 * them stopped and brought back; --dry-run prints the steps), `ccbuild
 * backup init-key PATH`.  $CCBUILD_BACKUP_TIME (RFC 3339 UTC) sets the
 * time a new snapshot gets, for tests of retention. */
#include "backup-catalog.h"
#include "backup-crypt.h"
#include "backup-deliver.h"
#include "backup-gc.h"
#include "backup-repo.h"
#include "backup-restore.h"
#include "backup-retention.h"
#include "backup-service.h"
#include "backup-spec.h"
#include "backup-swap.h"
#include "backup-tree.h"
#include "backup-verified.h"
#include "backup-verify.h"
#include "backup-volume.h"
#include "backup.h"
#include "cli.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "obs.h"
#include "project.h"
#include "subspan.h"
#include "util.h"
#include "warnings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int64_t backup_now(long *nsec)
{
	const char *s = getenv("CCBUILD_BACKUP_TIME");
	struct timespec ts;
	long ignored;
	int64_t t;

	if (!nsec)
		nsec = &ignored;
	if (s && *s && bk_time_parse(s, &t, nsec) == 0)
		return t;
	clock_gettime(CLOCK_REALTIME, &ts);
	*nsec = ts.tv_nsec;
	return (int64_t)ts.tv_sec;
}

/* Take "--retry-lock DURATION" out of argv into *ms (-1 when absent:
 * each backup's retry_lock: then applies); 0 or an exit code after
 * printing why. */
static int retry_lock_arg(int *argc, char **argv, long *ms)
{
	int i, n = 0;

	*ms = -1;
	for (i = 0; i < *argc; i++)
		if (!strcmp(argv[i], "--retry-lock")) {
			if (i + 1 >= *argc || backup_lock_wait_parse(argv[i + 1], ms) < 0)
				return cli_fail(EXIT_USAGE,
						"--retry-lock needs a duration such as 30s, 5m or 1h (at most "
						"30 days), not '%s'",
						i + 1 < *argc ? argv[i + 1] : "");
			i++;
		} else
			argv[n++] = argv[i];
	*argc = n;
	return 0;
}

static void human(uint64_t n, char *buf, size_t size)
{
	if (n < 10240)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else if (n < 10ull << 20)
		snprintf(buf, size, "%.1f KiB", n / 1024.0);
	else if (n < 10ull << 30)
		snprintf(buf, size, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, size, "%.1f GiB", n / 1073741824.0);
}

/* 1 when the profile lists backup name, or one of its syncs backs up
 * with it (backup:). */
static int profile_has_backup(const struct cli *cli, const struct profile_spec *p, const char *name)
{
	for (size_t k = 0; k < p->syncs.n; k++) {
		const struct sync_spec *s = sync_spec_find(cli->manifest->syncs, cli->manifest->nsyncs, p->syncs.v[k]);

		if (s && s->backup && !strcmp(s->backup, name))
			return 1;
	}
	return strlist_has(&p->backups, name);
}

/* The backups named in argv (all of the profile's when none); each must
 * be one the profile lists or one of its syncs' backup:.  NULL after
 * printing why. */
static const struct backup_spec **pick(struct cli *cli, const struct profile_spec *p, int argc, char **argv, size_t *n)
{
	const struct backup_spec **v = xcalloc((size_t)(argc > 0 ? argc : 0) + p->backups.n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; argc <= 0 && i < p->backups.n; i++)
		v[(*n)++] = manifest_backup(cli->manifest, p->backups.v[i]);
	for (i = 0; argc > 0 && i < (size_t)argc; i++) {
		if (!profile_has_backup(cli, p, argv[i])) {
			cli_fail(EXIT_USAGE, "profile %s has no backup '%s' (its backups: %s)", p->name, argv[i],
				 p->backups.n ? strlist_join(&p->backups, ", ") : "none");
			free(v);
			return NULL;
		}
		v[(*n)++] = manifest_backup(cli->manifest, argv[i]);
	}
	return v;
}

static const struct profile_spec *profile_arg(struct cli *cli, int *argc, char ***argv, const char *usage)
{
	const struct profile_spec *p;

	if (*argc < 1) {
		cli_fail(EXIT_USAGE, "which profile? usage: ccbuild %s", usage);
		return NULL;
	}
	if (!(p = manifest_profile(cli->manifest, (*argv)[0]))) {
		cli_fail(EXIT_USAGE, "no profile '%s' in %s", (*argv)[0], cli->manifest->path);
		return NULL;
	}
	cli->profile = p->name;
	(*argc)--;
	(*argv)++;
	return p;
}

static int needs_engine(const struct backup_spec *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i]->kind != BACKUP_SOURCE_PATH || v[i]->nhooks)
			return 1;
	return 0;
}

/* The profile's compose model (cli->project) when a backup of v needs
 * its services (quiesce:, a service: source); 0 or an exit code. */
static int services_model(struct cli *cli, const struct backup_spec *const *v, size_t n)
{
	struct cc_error *err = NULL;
	size_t i;

	for (i = 0; i < n && !cli->project; i++)
		if ((v[i]->kind == BACKUP_SOURCE_SERVICE || v[i]->nhooks) &&
		    project_load_model(cli->manifest, cli->profile, &cli->project, cli->warnings, &err) < 0)
			return cli_report(err, EXIT_FAILED);
	return 0;
}

/* " (S stored)": what new bytes took on disk, when s records it. */
static void stored_note(const struct bk_snapshot *s, char *buf, size_t size)
{
	char n[32];

	human(s->stored_bytes, n, sizeof(n));
	if (s->stored_bytes || !s->new_bytes)
		snprintf(buf, size, " (%s stored)", n);
	else
		buf[0] = 0; /* made before ccbuild recorded it */
}

static void print_outcome(const struct backup_spec *b, const struct backup_outcome *o)
{
	char when[32], size[32], added[32], rd[32], stored[48];
	size_t i;

	bk_time_format(o->snap.time, when, sizeof(when));
	human(o->snap.bytes, size, sizeof(size));
	human(o->snap.new_bytes, added, sizeof(added));
	human(o->bytes_read, rd, sizeof(rd));
	stored_note(&o->snap, stored, sizeof(stored));
	if (!o->snap.name)
		printf("backup:%s  no snapshot\n", b->name);
	else if (o->up_to_date)
		printf("backup:%s  up to date (snapshot %s, %s)\n", b->name, o->snap.id, when);
	else
		printf("backup:%s  snapshot %s  %s: %llu files, %s, %s new%s (read %zu files, %s)\n", b->name,
		       o->snap.id, when, (unsigned long long)o->snap.files, size, added, stored, o->files_read, rd);
	for (i = 0; i < o->notes.n; i++)
		printf("  %s\n", o->notes.v[i]);
	if (o->verified) {
		human(o->verified, rd, sizeof(rd));
		printf("  verified %s of new data\n", rd);
	}
}

static int run_backups(struct cli *cli, const struct profile_spec *p, const struct backup_spec **v, size_t n,
		       long lock_wait_ms)
{
	struct engine *e = NULL;
	cleanup_free char *state = cli_state_dir(cli), *project = NULL;
	struct backup_opts o = { .state_dir = state, .cancel = cli->cancel, .dry = cli->dry_run };
	int rc = EXIT_OK, erc;
	size_t i, k;

	if ((erc = services_model(cli, v, n)) || (needs_engine(v, n) && (erc = cli_engine(cli, 1, &e))))
		return erc;
	o.engine = e;
	o.project = project = cli_compose_project(cli);
	o.compose = cli->project ? cli->project->compose : NULL;
	o.now = backup_now(&o.now_nsec);
	cli_wind_down(cli);
	for (i = 0; i < n; i++) {
		struct backup_outcome out;
		struct cc_error *err = NULL;

		o.lock_wait_ms = lock_wait_ms >= 0 ? lock_wait_ms : v[i]->retry_lock_ms;
		if (backup_run(v[i], &o, &out, &err) < 0) {
			rc = cli_report(err, cancel_pending(cli->cancel) ? EXIT_INTERRUPTED : EXIT_FAILED);
			backup_outcome_release(&out); /* what it had noted before it gave up */
			continue;
		}
		print_outcome(v[i], &out);
		for (k = 0; k < out.degraded.n; k++)
			rc = cli_fail(EXIT_FAILED, "backup %s degraded: %s", v[i]->name, out.degraded.v[k]);
		for (k = 0; k < out.problems.n; k++)
			rc = cli_fail(EXIT_FAILED, "backup %s: verify: %s", v[i]->name, out.problems.v[k]);
		backup_outcome_release(&out);
	}
	engine_close(e);
	return rc;
}

static int verify_backup(const struct backup_spec *b, const char *want, int all, const char *state)
{
	int rc = EXIT_OK;
	size_t i, k, n;

	for (i = 0; i < b->ndests; i++) {
		struct bk_repo r;
		struct bk_snapshot *snaps = NULL;
		struct cc_error *err = NULL;
		long at = 0;

		n = 0;
		if (!b->dests[i].path)
			continue;
		if (bk_repo_open_keyed(&r, b->dests[i].path, 0, b->key_file, &err) < 0 ||
		    bk_repo_snapshots(&r, b->name, &snaps, &n, &err) < 0 ||
		    (!all && (at = backup_find(snaps, n, want, &err)) < 0)) {
			rc = cli_fail(EXIT_FAILED, "verify %s: %s: %s", b->name, b->dests[i].path, err->msg);
			cc_error_free(err);
		} else
			for (k = all ? 0 : (size_t)at; k < (all ? n : (size_t)at + 1); k++) {
				struct strlist problems = { 0 };
				uint64_t bytes = 0;
				char size[32];
				size_t p;

				if (bk_verify_snapshot(&r, &snaps[k], &problems, &bytes) == 0) {
					bk_verified_record(state, b->name, b->dests[i].path, snaps[k].id,
							   backup_now(NULL), 1, NULL,
							   NULL); /* a record: losing it costs nothing */
					human(bytes, size, sizeof(size));
					printf("%s: snapshot %s of %s: ok (%s re-hashed)\n", b->dests[i].path,
					       snaps[k].id, b->name, size);
				}
				if (problems.n)
					bk_verified_record(state, b->name, b->dests[i].path, snaps[k].id,
							   backup_now(NULL), 1, problems.v[0], NULL);
				for (p = 0; p < problems.n; p++)
					rc = cli_fail(EXIT_FAILED, "%s: %s", b->dests[i].path, problems.v[p]);
				strlist_release(&problems);
			}
		bk_snapshots_free(snaps, n);
		bk_repo_close(&r);
	}
	return rc;
}

static int cmd_backup_verify(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "backup verify PROFILE NAME [--all | --snapshot ID]";
	const struct profile_spec *p = profile_arg(cli, &argc, &argv, usage);
	const struct backup_spec **v;
	cleanup_free char *state = cli_state_dir(cli);
	const char *want = NULL;
	int all = 0, i, names = 0, rc;
	size_t n;

	if (!p)
		return EXIT_USAGE;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (!strcmp(argv[i], "--snapshot") && i + 1 < argc)
			want = argv[++i];
		else if (argv[i][0] == '-')
			return cli_fail(EXIT_USAGE, "unknown option '%s'; usage: ccbuild %s", argv[i], usage);
		else
			argv[names++] = argv[i];
	if (!(v = pick(cli, p, names, argv, &n)))
		return EXIT_USAGE;
	rc = EXIT_OK;
	for (size_t k = 0; k < n; k++)
		if (verify_backup(v[k], want, all, state) != EXIT_OK)
			rc = EXIT_FAILED;
	free(v);
	return rc;
}

static void print_decision(const struct bk_snapshot *s, const struct bk_keep_decision *d)
{
	cleanup_free char *why = strlist_join(&d->reasons, ", ");
	char when[32];

	bk_time_format(s->time, when, sizeof(when));
	printf("  %-6s %s  %s%s%s%s\n", d->keep ? "keep" : "forget", s->id, when, d->keep ? "  (" : "",
	       d->keep ? why : "", d->keep ? ")" : "");
}

static int forget_in(const struct backup_spec *b, const char *dir, int dry, int64_t now, long lock_wait_ms,
		     const atomic_int *cancel)
{
	struct bk_repo_opts ro = {
		.write = !dry, .key_file = b->key_file, .lock_wait_ms = lock_wait_ms, .cancel = cancel
	};
	struct bk_repo r;
	struct bk_snapshot *s = NULL;
	struct bk_keep_decision *d = NULL;
	struct cc_error *err = NULL;
	int64_t *t = NULL;
	size_t n = 0, k, removed = 0;
	int rc = bk_repo_open_opts(&r, dir, &ro, &err);

	if (rc == 0 && r.lock_note)
		printf("%s\n", r.lock_note);
	if (rc == 0)
		rc = bk_repo_snapshots(&r, b->name, &s, &n, &err);
	if (rc == 0) {
		t = xcalloc(n + 1, sizeof(*t));
		d = xcalloc(n + 1, sizeof(*d));
		for (k = 0; k < n; k++)
			t[k] = s[k].time;
		bk_retention_decide(&b->keep, t, n, now, d);
		printf("%s: %s\n", dir, b->name);
	}
	for (k = 0; rc == 0 && k < n; k++) {
		print_decision(&s[k], &d[k]);
		if (!dry && !d[k].keep)
			rc = bk_repo_forget(&r, &s[k], &err);
	}
	if (rc == 0 && !dry && bk_gc(&r, &removed, NULL, &err) == 0 && removed)
		printf("  removed %zu unreferenced objects\n", removed);
	for (k = 0; d && k < n; k++)
		bk_keep_decision_release(&d[k]);
	free(d);
	free(t);
	bk_snapshots_free(s, n);
	bk_repo_close(&r);
	return err ? cli_report(err, EXIT_FAILED) : EXIT_OK;
}

static int cmd_backup_forget(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p =
		profile_arg(cli, &argc, &argv, "backup forget PROFILE [NAME...] [--dry-run] [--retry-lock DURATION]");
	const struct backup_spec **v;
	int rc = EXIT_OK;
	size_t n, i, k;
	long wait;

	if (!p || retry_lock_arg(&argc, argv, &wait) || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	for (i = 0; i < n; i++)
		for (k = 0; v[i]->keep.set && k < v[i]->ndests; k++)
			if (v[i]->dests[k].path && forget_in(v[i], v[i]->dests[k].path, cli->dry_run, backup_now(NULL),
							     wait >= 0 ? wait : v[i]->retry_lock_ms, cli->cancel))
				rc = EXIT_FAILED;
	free(v);
	return rc;
}

/* `ccbuild backup init-key PATH` (main runs it without a manifest). */
static int cmd_backup_init_key(int argc, char **argv)
{
	struct cc_error *err = NULL;

	if (argc != 1 || argv[0][0] == '-')
		return cli_fail(EXIT_USAGE, "usage: ccbuild backup init-key PATH");
	if (bk_crypt_init_key(argv[0], &err) < 0)
		return cli_report(err, EXIT_FAILED);
	printf("wrote a new backup key to %s (mode 600); keep a copy apart from the backups: without it they "
	       "cannot be read\n",
	       argv[0]);
	return EXIT_OK;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p;
	const struct backup_spec **v;
	size_t n;
	long wait;
	int rc;

	if (argc > 0 && !strcmp(argv[0], "init-key"))
		return cmd_backup_init_key(argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "verify"))
		return cmd_backup_verify(cli, argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "forget"))
		return cmd_backup_forget(cli, argc - 1, argv + 1);
	if (!(p = profile_arg(cli, &argc, &argv, "backup PROFILE [NAME...] [--retry-lock DURATION]")) ||
	    retry_lock_arg(&argc, argv, &wait) || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	if (!n)
		printf("profile %s has no backups\n", p->name);
	rc = run_backups(cli, p, v, n, wait);
	free(v);
	return rc;
}

/* Where entry x is and how it last verified there: " in 1,2  verified
 * 1:ok 2:5% (TIME)"; a destination never verified shows "-". */
static void held_and_verified(const struct bk_catalog *c, const struct bk_catalog_entry *x, const json_t *log,
			      struct strbuf *out)
{
	struct strbuf ver = STRBUF_INIT;
	struct bk_verified v;
	int64_t last = 0;
	size_t i, k = 0;
	char when[32];

	strbuf_addstr(out, "  in ");
	for (i = 0; i < c->ndirs; i++) {
		if (!x->held[i])
			continue;
		strbuf_addf(out, "%s%zu", k++ ? "," : "", i + 1);
		if (!bk_verified_get(log, c->dirs[i], x->snap.id, &v))
			strbuf_addf(&ver, " %zu:-", i + 1);
		else if (v.problem)
			strbuf_addf(&ver, " %zu:CORRUPT", i + 1);
		else if (v.share >= 1)
			strbuf_addf(&ver, " %zu:ok", i + 1);
		else
			strbuf_addf(&ver, " %zu:%g%%", i + 1, v.share * 100);
		if (bk_verified_get(log, c->dirs[i], x->snap.id, &v) && v.time > last)
			last = v.time;
	}
	bk_time_format(last, when, sizeof(when));
	strbuf_addf(out, "  verified%s", ver.buf ? ver.buf : "");
	if (last)
		strbuf_addf(out, " (%s)", when);
	strbuf_release(&ver);
}

/* The snapshots of b, newest first (the oldest last, so `tail -n 1` is
 * the first one): id, time, files, size, new data, the destinations
 * holding it (numbered in the header) and the last verification there. */
static int list_backup(const struct backup_spec *b, const char *state)
{
	struct bk_catalog c;
	struct cc_error *err = NULL;
	json_t *log;
	char when[32], size[32], added[32], stored[48];
	size_t k, i;

	if (bk_catalog_load(b, &c, &err) < 0) {
		cli_report(err, EXIT_FAILED);
		bk_catalog_release(&c);
		return -1;
	}
	log = bk_verified_load(state, b->name);
	printf("%s (%s %s%s):\n", b->name, backup_source_prefix(b), b->source, b->key_file ? ", encrypted" : "");
	for (i = 0; i < c.ndirs; i++)
		if (c.why[i] && str_has_prefix(c.why[i], c.dirs[i]))
			printf("  destination %zu: %s (unreadable)\n", i + 1, c.why[i]);
		else
			printf("  destination %zu: %s%s%s\n", i + 1, c.dirs[i], c.why[i] ? ": unreadable: " : "",
			       c.why[i] ? c.why[i] : "");
	for (i = 0; i < b->ndests; i++)
		if (!b->dests[i].path) {
			cleanup_free char *last = backup_delivered(b, state, &b->dests[i]);

			printf("  command %s: %s%s\n", b->dests[i].command.v[0],
			       last ? "last delivered snapshot " : "never delivered", last ? last : "");
		}
	for (k = c.n; k-- > 0;) {
		struct strbuf where = STRBUF_INIT;

		bk_time_format(c.v[k].snap.time, when, sizeof(when));
		human(c.v[k].snap.bytes, size, sizeof(size));
		human(c.v[k].snap.new_bytes, added, sizeof(added));
		held_and_verified(&c, &c.v[k], log, &where);
		stored_note(&c.v[k].snap, stored, sizeof(stored));
		printf("  %s  %s  %6llu files  %10s  %10s new%s%s\n", c.v[k].snap.id, when,
		       (unsigned long long)c.v[k].snap.files, size, added, stored, where.buf);
		strbuf_release(&where);
	}
	if (!c.n)
		printf("  no snapshot yet\n");
	json_decref(log);
	bk_catalog_release(&c);
	return 0;
}

int cmd_backups(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p = profile_arg(cli, &argc, &argv, "backups PROFILE [NAME...]");
	const struct backup_spec **v;
	cleanup_free char *state = NULL;
	size_t n, i;
	int rc = EXIT_OK;

	if (!p || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	state = cli_state_dir(cli);
	for (i = 0; i < n; i++)
		if (list_backup(v[i], state) < 0)
			rc = EXIT_FAILED;
	free(v);
	return rc;
}

struct restore_args {
	const char *name, *snapshot, *to;
	int latest_good;
};

static int restore_parse(int argc, char **argv, struct restore_args *a)
{
	static const char usage[] = "restore PROFILE NAME [--snapshot ID | --latest-good] [--to path:DIR|volume:NAME]";
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--snapshot") && i + 1 < argc && !a->latest_good)
			a->snapshot = argv[++i];
		else if (!strcmp(argv[i], "--latest-good") && !a->snapshot)
			a->latest_good = 1;
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			a->to = argv[++i];
		else if (argv[i][0] == '-' || a->name)
			return cli_fail(EXIT_USAGE, "unexpected '%s'; usage: ccbuild %s", argv[i], usage);
		else
			a->name = argv[i];
	if (!a->name)
		return cli_fail(EXIT_USAGE, "which backup? usage: ccbuild %s", usage);
	return 0;
}

/* The volumes a restore in place writes (b's volume, or the service's)
 * with their listings out of e (caller releases both). */
static int restore_targets(struct cli *cli, const struct backup_spec *b, const struct bk_entries *e,
			   struct strlist *vols, struct bk_entries **lists, struct cc_error **err)
{
	size_t i;

	*lists = NULL;
	if (b->kind == BACKUP_SOURCE_VOLUME)
		strlist_push(vols, b->source);
	else if (!cli->project || !cli->project->compose)
		return cc_error_set(err, "service %s: the profile has no compose model", b->source);
	else if (bk_service_volumes(cli->project->compose, b->source, vols, err) < 0)
		return -1;
	*lists = xcalloc(vols->n, sizeof(**lists));
	for (i = 0; b->kind == BACKUP_SOURCE_SERVICE && i < vols->n; i++)
		bk_entries_under(e, vols->v[i], &(*lists)[i]);
	if (b->kind == BACKUP_SOURCE_VOLUME)
		(*lists)[0] = *e; /* borrowed: the caller does not release it */
	return 0;
}

/* Restore e over b's own volumes, which services may be using
 * (backup-swap.h); --dry-run prints the steps; the engine calls are
 * timed into calls. */
static int restore_in_place(struct cli *cli, const struct backup_spec *b, const struct bk_repo *r,
			    const struct bk_snapshot *s, const struct bk_entries *e, struct subspans *calls)
{
	struct strlist vols = { 0 }, steps = { 0 };
	struct bk_entries *lists = NULL;
	struct cc_error *err = NULL;
	struct engine *eng = NULL;
	cleanup_free char *state = cli_state_dir(cli), *dir = path_join(state, "backups"), *file = NULL, *names = NULL;
	struct bk_swap_opts o = { .tag = s->id, .cancel = cli->cancel, .wait_timeout_ms = cli->wait_timeout * 1000 };
	size_t i;
	int rc;

	if ((rc = services_model(cli, &b, 1)) || (rc = cli_engine(cli, 1, &eng)))
		return rc;
	mkdir(state, 0755);
	mkdir(dir, 0755);
	file = xasprintf("%s/%s.restore-stopped", dir, b->name);
	o.e = eng;
	o.spans = calls;
	o.stopped_file = file;
	o.plan = cli->dry_run ? &steps : NULL;
	if (!cli->dry_run)
		cli_wind_down(cli);
	rc = restore_targets(cli, b, e, &vols, &lists, &err);
	if (rc == 0)
		rc = bk_swap_restore(&o, r, &vols, lists, &err);
	for (i = 0; lists && i < vols.n; i++)
		if (b->kind != BACKUP_SOURCE_VOLUME)
			bk_entries_release(&lists[i]);
	free(lists);
	engine_close(eng);
	names = strlist_join(&vols, ", ");
	if (rc == 0 && cli->dry_run)
		printf("would restore snapshot %s of %s over %s:\n", s->id, b->name, names);
	for (i = 0; rc == 0 && i < steps.n; i++)
		printf("  %s\n", steps.v[i]);
	if (rc == 0 && !cli->dry_run)
		printf("restored snapshot %s of %s over %s (%zu entries, verified)\n", s->id, b->name, names, e->n);
	strlist_release(&vols);
	strlist_release(&steps);
	return rc < 0 ? cli_report(err, EXIT_FAILED) : EXIT_OK;
}

/* Restore listing e of snapshot s (read from r) to `to`, the engine
 * calls timed into calls. */
static int restore_to(struct cli *cli, const struct backup_spec *b, const struct bk_repo *r,
		      const struct bk_snapshot *s, const struct bk_entries *e, const char *to, struct subspans *calls)
{
	struct cc_error *err = NULL;
	struct engine *eng = NULL;
	uint64_t bytes = 0;
	char size[32];
	int rc;

	if (!to)
		return b->kind == BACKUP_SOURCE_PATH ? restore_to(cli, b, r, s, e, b->source, calls)
						     : restore_in_place(cli, b, r, s, e, calls);
	if (b->kind == BACKUP_SOURCE_SERVICE && str_has_prefix(to, "volume:"))
		return cli_fail(EXIT_USAGE,
				"backup %s holds several volumes (a directory each): restore it to path:DIR, or over "
				"the service's volumes (no --to)",
				b->name);
	if (cli->dry_run) {
		printf("would restore snapshot %s of %s (%zu entries) to %s\n", s->id, b->name, e->n, to);
		return EXIT_OK;
	}
	cli_wind_down(cli);
	if (str_has_prefix(to, "volume:")) {
		if ((rc = cli_engine(cli, 1, &eng)))
			return rc;
		rc = bk_volume_write(eng, to + 7, r, e, calls, &err);
		engine_close(eng);
	} else
		rc = bk_restore_dir(r, e, str_has_prefix(to, "path:") ? to + 5 : to, &bytes, &err);
	if (rc < 0)
		return cli_report(err, EXIT_FAILED);
	human(bytes, size, sizeof(size));
	printf("restored snapshot %s of %s to %s (%zu entries, verified)\n", s->id, b->name, to, e->n);
	return EXIT_OK;
}

/* restore_to as a trace of its own (obs.h): a span "restore NAME" with
 * its engine calls as children, where the manifest's observability: and
 * the OTLP environment send traces; a dry run has none. */
static int restore_traced(struct cli *cli, const struct backup_spec *b, const struct bk_repo *r,
			  const struct bk_snapshot *s, const struct bk_entries *e, const char *to)
{
	cleanup_free char *state = cli_state_dir(cli), *name = xasprintf("ccbuild restore %s", b->name), *why = NULL;
	char *paths[4] = { 0 };
	struct subspans calls = { 0 };
	struct obs_config cfg;
	struct obs_trace *t = NULL;
	int rc;

	cli_obs_config(cli, state, &cfg, paths);
	if (obs_tracing(&cfg) && !cli->dry_run)
		t = obs_trace_begin(name,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "ccbuild.project",
					      cli->manifest->project, "ccbuild.profile", cli->profile, "ccbuild.backup",
					      b->name, "ccbuild.snapshot", s->id, "ccbuild.restore.to",
					      to ? to : "(its source)", "ccbuild.restore.entries", (json_int_t)e->n));
	rc = restore_to(cli, b, r, s, e, to, &calls);
	for (size_t k = 0; t && k < calls.n; k++)
		obs_trace_add(t, NULL, NULL, &calls.v[k], NULL);
	if (rc != EXIT_OK)
		why = xasprintf("the restore failed (exit code %d)", rc);
	obs_trace_end(t, &cfg, rc != EXIT_OK, why, cli->warnings);
	subspans_release(&calls);
	for (size_t i = 0; i < 4; i++)
		free(paths[i]);
	return rc;
}

/* --latest-good: the newest snapshot that verifies in some destination
 * (the seed's find_good_backup()); each one skipped is a warning. */
static int restore_latest_good(struct cli *cli, const struct backup_spec *b, const char *to)
{
	cleanup_free char *state = cli_state_dir(cli);
	struct strlist skipped = { 0 };
	struct bk_entries e = { 0 };
	struct cc_error *err = NULL;
	struct bk_catalog c;
	size_t dest = 0, i;
	long k = -1;
	int rc;

	if (bk_catalog_load(b, &c, &err) == 0)
		k = bk_catalog_find_good(&c, b->name, state, &dest, &skipped, &err);
	for (i = 0; i < skipped.n; i++)
		cc_warn(cli->warnings, "restore %s: skipping %s", b->name, skipped.v[i]);
	if (k < 0 || bk_tree_read(&c.repos[dest], c.v[k].snap.tree, &e, &err) < 0)
		rc = cli_report(err, EXIT_FAILED);
	else {
		printf("snapshot %s of %s verifies in %s%s\n", c.v[k].snap.id, b->name, c.dirs[dest],
		       skipped.n ? " (newer ones do not: see the warnings)" : " (the newest)");
		rc = restore_traced(cli, b, &c.repos[dest], &c.v[k].snap, &e, to);
	}
	bk_entries_release(&e);
	strlist_release(&skipped);
	bk_catalog_release(&c);
	return rc;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p =
		profile_arg(cli, &argc, &argv, "restore PROFILE NAME [--snapshot ID | --latest-good] [--to ...]");
	struct restore_args a = { 0 };
	const struct backup_spec **v;
	struct bk_snapshot *s = NULL;
	struct bk_entries e = { 0 };
	struct cc_error *err = NULL;
	cleanup_free char *to = NULL;
	struct bk_repo r = { .lockfd = -1, .dirfd = -1 };
	const char *dir;
	size_t n = 0;
	long at;
	int rc;

	if (!p || restore_parse(argc, argv, &a) || !(v = pick(cli, p, 1, (char **)&a.name, &n)))
		return EXIT_USAGE;
	n = 0;				  /* from here on: the number of snapshots in s */
	to = a.to ? xstrdup(a.to) : NULL; /* none: where the source is (a volume: swapped in place) */
	if (a.latest_good)
		rc = restore_latest_good(cli, v[0], to);
	else if (backup_list(v[0], &dir, &s, &n, &err) < 0 || (at = backup_find(s, n, a.snapshot, &err)) < 0 ||
		 bk_repo_open_keyed(&r, dir, 0, v[0]->key_file, &err) < 0 || bk_tree_read(&r, s[at].tree, &e, &err) < 0)
		rc = cli_report(err, EXIT_FAILED);
	else
		rc = restore_traced(cli, v[0], &r, &s[at], &e, to);
	bk_entries_release(&e);
	bk_repo_close(&r);
	bk_snapshots_free(s, n);
	free(v);
	return rc;
}
