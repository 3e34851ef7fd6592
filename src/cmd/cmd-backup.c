/* cmd-backup: `ccbuild backup PROFILE [NAME...]` (run the profile's
 * backups now), `ccbuild backup verify PROFILE NAME [--all]`, `ccbuild
 * backup forget PROFILE [NAME...]` (retention only; --dry-run shows the
 * rule that keeps each snapshot), `ccbuild backups PROFILE [NAME]` (the
 * snapshots), `ccbuild restore PROFILE NAME [--snapshot ID] [--to
 * path:DIR|volume:NAME]`.  $CCBUILD_BACKUP_TIME (RFC 3339 UTC) sets the
 * time a new snapshot gets, for tests of retention. */
#include "backup-gc.h"
#include "backup-repo.h"
#include "backup-restore.h"
#include "backup-retention.h"
#include "backup-spec.h"
#include "backup-tree.h"
#include "backup-verify.h"
#include "backup-volume.h"
#include "backup.h"
#include "cli.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	(*argc)--;
	(*argv)++;
	return p;
}

static int needs_engine(const struct backup_spec *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i]->kind == BACKUP_SOURCE_VOLUME)
			return 1;
	return 0;
}

static void print_outcome(const struct backup_spec *b, const struct backup_outcome *o)
{
	char when[32], size[32], added[32], rd[32];
	size_t i;

	bk_time_format(o->snap.time, when, sizeof(when));
	human(o->snap.bytes, size, sizeof(size));
	human(o->snap.new_bytes, added, sizeof(added));
	human(o->bytes_read, rd, sizeof(rd));
	if (!o->snap.name)
		printf("backup:%s  no snapshot\n", b->name);
	else if (o->up_to_date)
		printf("backup:%s  up to date (snapshot %s, %s)\n", b->name, o->snap.id, when);
	else
		printf("backup:%s  snapshot %s  %s: %llu files, %s, %s new (read %zu files, %s)\n", b->name, o->snap.id,
		       when, (unsigned long long)o->snap.files, size, added, o->files_read, rd);
	for (i = 0; i < o->notes.n; i++)
		printf("  %s\n", o->notes.v[i]);
	if (o->verified) {
		human(o->verified, rd, sizeof(rd));
		printf("  verified %s of new data\n", rd);
	}
}

static int run_backups(struct cli *cli, const struct backup_spec **v, size_t n)
{
	struct engine *e = NULL;
	cleanup_free char *state = cli_state_dir(cli);
	struct backup_opts o = { .state_dir = state, .cancel = cli->cancel, .dry = cli->dry_run };
	int rc = EXIT_OK, erc;
	size_t i, k;

	if (needs_engine(v, n) && (erc = cli_engine(cli, 1, &e)))
		return erc;
	o.engine = e;
	o.now = backup_now(&o.now_nsec);
	cli_wind_down(cli);
	for (i = 0; i < n; i++) {
		struct backup_outcome out;
		struct cc_error *err = NULL;

		if (backup_run(v[i], &o, &out, &err) < 0) {
			rc = cli_report(err, cancel_pending(cli->cancel) ? EXIT_INTERRUPTED : EXIT_FAILED);
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

static int verify_backup(const struct backup_spec *b, const char *want, int all)
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
		if (bk_repo_open_read(&r, b->dests[i].path, &err) < 0 ||
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
					human(bytes, size, sizeof(size));
					printf("%s: snapshot %s of %s: ok (%s re-hashed)\n", b->dests[i].path,
					       snaps[k].id, b->name, size);
				}
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
		if (verify_backup(v[k], want, all) != EXIT_OK)
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

static int forget_in(const struct backup_spec *b, const char *dir, int dry, int64_t now)
{
	struct bk_repo r;
	struct bk_snapshot *s = NULL;
	struct bk_keep_decision *d = NULL;
	struct cc_error *err = NULL;
	int64_t *t = NULL;
	size_t n = 0, k, removed = 0;
	int rc = (dry ? bk_repo_open_read : bk_repo_open)(&r, dir, &err);

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
	const struct profile_spec *p = profile_arg(cli, &argc, &argv, "backup forget PROFILE [NAME...] [--dry-run]");
	const struct backup_spec **v;
	int rc = EXIT_OK;
	size_t n, i, k;

	if (!p || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	for (i = 0; i < n; i++)
		for (k = 0; v[i]->keep.set && k < v[i]->ndests; k++)
			if (v[i]->dests[k].path && forget_in(v[i], v[i]->dests[k].path, cli->dry_run, backup_now(NULL)))
				rc = EXIT_FAILED;
	free(v);
	return rc;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p;
	const struct backup_spec **v;
	size_t n;
	int rc;

	if (argc > 0 && !strcmp(argv[0], "verify"))
		return cmd_backup_verify(cli, argc - 1, argv + 1);
	if (argc > 0 && !strcmp(argv[0], "forget"))
		return cmd_backup_forget(cli, argc - 1, argv + 1);
	if (!(p = profile_arg(cli, &argc, &argv, "backup PROFILE [NAME...]")) || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	if (!n)
		printf("profile %s has no backups\n", p->name);
	rc = run_backups(cli, v, n);
	free(v);
	return rc;
}

static void list_backup(const struct backup_spec *b)
{
	struct bk_snapshot *s = NULL;
	struct cc_error *err = NULL;
	const char *dir;
	char when[32], size[32], added[32];
	size_t n = 0, k;

	if (backup_list(b, &dir, &s, &n, &err) < 0) {
		cli_report(err, EXIT_FAILED);
		return;
	}
	printf("%s (%s, %s):\n", b->name, b->kind == BACKUP_SOURCE_PATH ? "path" : "volume", dir);
	for (k = n; k-- > 0;) {
		bk_time_format(s[k].time, when, sizeof(when));
		human(s[k].bytes, size, sizeof(size));
		human(s[k].new_bytes, added, sizeof(added));
		printf("  %s  %s  %6llu files  %10s  %10s new\n", s[k].id, when, (unsigned long long)s[k].files, size,
		       added);
	}
	if (!n)
		printf("  no snapshot yet\n");
	bk_snapshots_free(s, n);
}

int cmd_backups(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p = profile_arg(cli, &argc, &argv, "backups PROFILE [NAME...]");
	const struct backup_spec **v;
	size_t n, i;

	if (!p || !(v = pick(cli, p, argc, argv, &n)))
		return EXIT_USAGE;
	for (i = 0; i < n; i++)
		list_backup(v[i]);
	free(v);
	return EXIT_OK;
}

struct restore_args {
	const char *name, *snapshot, *to;
};

static int restore_parse(int argc, char **argv, struct restore_args *a)
{
	static const char usage[] = "restore PROFILE NAME [--snapshot ID] [--to path:DIR|volume:NAME]";
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--snapshot") && i + 1 < argc)
			a->snapshot = argv[++i];
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

/* Restore listing e of snapshot s (read from r) to `to`. */
static int restore_to(struct cli *cli, const struct backup_spec *b, const struct bk_repo *r,
		      const struct bk_snapshot *s, const struct bk_entries *e, const char *to)
{
	struct cc_error *err = NULL;
	struct engine *eng = NULL;
	uint64_t bytes = 0;
	char size[32];
	int rc;

	if (cli->dry_run) {
		printf("would restore snapshot %s of %s (%zu entries) to %s\n", s->id, b->name, e->n, to);
		return EXIT_OK;
	}
	cli_wind_down(cli);
	if (str_has_prefix(to, "volume:")) {
		if ((rc = cli_engine(cli, 1, &eng)))
			return rc;
		rc = bk_volume_write(eng, to + 7, r, e, &err);
		engine_close(eng);
	} else
		rc = bk_restore_dir(r, e, str_has_prefix(to, "path:") ? to + 5 : to, &bytes, &err);
	if (rc < 0)
		return cli_report(err, EXIT_FAILED);
	human(bytes, size, sizeof(size));
	printf("restored snapshot %s of %s to %s (%zu entries, verified)\n", s->id, b->name, to, e->n);
	return EXIT_OK;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	const struct profile_spec *p =
		profile_arg(cli, &argc, &argv, "restore PROFILE NAME [--snapshot ID] [--to ...]");
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
	to = a.to ? xstrdup(a.to)
		  : xasprintf("%s:%s", v[0]->kind == BACKUP_SOURCE_PATH ? "path" : "volume", v[0]->source);
	if (backup_list(v[0], &dir, &s, &n, &err) < 0 || (at = backup_find(s, n, a.snapshot, &err)) < 0 ||
	    bk_repo_open_read(&r, dir, &err) < 0 || bk_tree_read(&r, s[at].tree, &e, &err) < 0)
		rc = cli_report(err, EXIT_FAILED);
	else
		rc = restore_to(cli, v[0], &r, &s[at], &e, to);
	bk_entries_release(&e);
	bk_repo_close(&r);
	bk_snapshots_free(s, n);
	free(v);
	return rc;
}
