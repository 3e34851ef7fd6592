/* backup: one run of a backup (backup.h).
 *
 * Every path destination is its own repository and gets the whole
 * snapshot.  The source is read once: a host directory through its stat
 * cache (a file whose content hash is in the previous snapshot is not
 * read), a volume as the engine's tar stream.  The listing's root tree id
 * is the content hash: a destination whose newest snapshot has it is up
 * to date.  A destination that fails (unwritable, locked) is "degraded"
 * and the others go on; the next run writes it the same snapshot (same
 * id and time) as the others hold, since the content is still that. */
#include "backup.h"
#include "backup-codec.h"
#include "backup-crypt.h"
#include "backup-deliver.h"
#include "backup-gc.h"
#include "backup-quiesce.h"
#include "backup-repo.h"
#include "backup-retention.h"
#include "backup-service.h"
#include "backup-source.h"
#include "backup-spec.h"
#include "backup-tree.h"
#include "backup-verified.h"
#include "backup-verify.h"
#include "backup-volume.h"
#include "atomicfile.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct run {
	const struct backup_spec *b;
	const struct backup_opts *o;
	struct backup_outcome *out;
	struct bk_repo *repos;	    /* one per path destination */
	const char **dirs;	    /* their directories (borrowed from b) */
	int *ok;		    /* opened and readable */
	struct bk_snapshot *latest; /* newest snapshot there, id "" if none */
	int *needs;		    /* gets a snapshot this run */
	size_t n;
	struct bk_entries entries;
	unsigned char root[32];
	int root_known; /* root is entries' root tree id already */
	struct bk_store store;
	struct bk_crypt *keys; /* b's encrypt: key, or NULL */
};

static void degrade(struct run *r, size_t i, struct cc_error *err)
{
	const char *msg = err ? err->msg : "failed";
	cleanup_free char *line = str_has_prefix(msg, r->dirs[i]) ? xstrdup(msg) : xasprintf("%s: %s", r->dirs[i], msg);

	strlist_push(&r->out->degraded, line);
	cc_error_free(err);
	r->ok[i] = 0;
}

/* The zstd level of compression: auto|off|max. */
static int zstd_level(enum backup_compression c)
{
	return c == BACKUP_COMPRESS_OFF ? 0 : c == BACKUP_COMPRESS_MAX ? BK_ZSTD_MAX : BK_ZSTD_AUTO;
}

static void open_repos(struct run *r)
{
	struct bk_repo_opts ro = { .write = !r->o->dry, .key_file = r->b->key_file };
	size_t i, j, n;
	struct bk_snapshot *snaps;

	ro.zlevel = zstd_level(r->b->compression);
	ro.lock_wait_ms = r->o->lock_wait_ms;
	ro.cancel = r->o->cancel;

	for (i = 0; i < r->b->ndests; i++)
		if (r->b->dests[i].path)
			r->dirs[r->n++] = r->b->dests[i].path;
	for (i = 0; i < r->n; i++) {
		struct cc_error *err = NULL;

		r->repos[i].lockfd = r->repos[i].dirfd = -1;
		r->ok[i] = 1;
		if (bk_repo_open_opts(&r->repos[i], r->dirs[i], &ro, &err) < 0 ||
		    bk_repo_snapshots(&r->repos[i], r->b->name, &snaps, &n, &err) < 0) {
			if (r->o->dry && err && strstr(err->msg, "No such file")) {
				cc_error_free(err); /* a plan before the first backup */
				continue;
			}
			degrade(r, i, err);
			continue;
		}
		if (r->repos[i].lock_note)
			strlist_push(&r->out->notes, r->repos[i].lock_note);
		if (n)
			bk_snapshot_copy(&r->latest[i], &snaps[n - 1]);
		for (j = 0; j < n; j++)
			bk_snapshot_release(&snaps[j]);
		free(snaps);
	}
}

/* The listing of the newest snapshot anywhere, to take unchanged files'
 * chunks from; empty when there is none or it does not read. */
static void read_previous(struct run *r, struct bk_entries *prev)
{
	size_t i, best = r->n;
	struct cc_error *err = NULL;

	for (i = 0; i < r->n; i++)
		if (r->ok[i] && r->latest[i].name &&
		    (best == r->n || r->latest[i].time > r->latest[best].time ||
		     (r->latest[i].time == r->latest[best].time && r->latest[i].nsec > r->latest[best].nsec)))
			best = i;
	if (best < r->n && bk_tree_read(&r->repos[best], r->latest[best].tree, prev, &err) < 0) {
		bk_entries_release(prev);
		cc_error_free(err); /* every file is read again; verify names the damage */
	}
}

/* needs[i] for every usable destination whose newest snapshot is not
 * root; returns how many. */
static size_t mark_needs(struct run *r, const unsigned char root[32])
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++) {
		r->needs[i] = r->ok[i] && !(r->latest[i].name && !memcmp(r->latest[i].tree, root, 32));
		k += r->needs[i];
	}
	return k;
}

/* The repositories that get data: those that need a snapshot (all usable
 * ones before the content hash is known). */
static size_t store_targets(struct run *r, struct bk_repo **targets, int known)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		if (known ? r->needs[i] : r->ok[i])
			targets[k++] = &r->repos[i];
	return k;
}

static char *statcache_path(const struct run *r)
{
	cleanup_free char *dir = path_join(r->o->state_dir, "backups");

	if (mkdir(r->o->state_dir, 0755) < 0 && errno != EEXIST)
		return NULL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return NULL;
	return xasprintf("%s/%s.statcache", dir, r->b->name);
}

/* STATE/backups/NAME.scan: "DIGEST ROOT\n", the listing digest and root
 * tree of the newest snapshot every destination holds.  A scan with that
 * digest has that root, so an unchanged source is up to date without
 * reading the previous listing or building trees. */
static char *scan_record_path(const struct run *r)
{
	return r->o->state_dir ? xasprintf("%s/backups/%s.scan", r->o->state_dir, r->b->name) : NULL;
}

static int scan_record_hit(const struct run *r, const unsigned char digest[32], unsigned char root[32])
{
	cleanup_free char *path = scan_record_path(r), *text = NULL;
	char hex[65];
	size_t len;

	if (!path || read_file_max(path, 256, &text, &len, NULL) < 0 || len != 130)
		return 0;
	bk_id_hex(digest, hex);
	return !strncmp(text, hex, 64) && text[64] == ' ' && (text[129] = 0, bk_id_parse(text + 65, root) == 0);
}

static void scan_record_save(const struct run *r)
{
	cleanup_free char *path = scan_record_path(r), *line = NULL;
	unsigned char digest[32];
	char d[65], t[65];

	if (!path)
		return;
	bk_entries_digest(&r->entries, digest);
	bk_id_hex(digest, d);
	bk_id_hex(r->root, t);
	line = xasprintf("%s %s\n", d, t);
	atomicfile_write(path, line, strlen(line), NULL); /* a cache: losing it costs time only */
}

static int read_path_source(struct run *r, struct bk_repo **targets, struct cc_error **err)
{
	struct bk_entries prev = { 0 };
	struct bk_path_stats st = { 0 };
	cleanup_free char *cache = r->o->state_dir ? statcache_path(r) : NULL;
	unsigned char digest[32];
	size_t k;
	int rc;

	rc = bk_scan_path(r->b->source, cache, !r->o->dry, NULL, r->o->cancel, &r->entries, &st, err);
	free(st.warning);
	if (rc < 0)
		return -1;
	bk_entries_digest(&r->entries, digest);
	if (scan_record_hit(r, digest, r->root) && !mark_needs(r, r->root)) {
		r->root_known = 1;
		return 0; /* up to date: neither the previous listing nor any file read */
	}
	read_previous(r, &prev);
	bk_entries_fill_from(&r->entries, &prev);
	bk_entries_release(&prev);
	if (!bk_entries_pending(&r->entries)) {
		if (bk_tree_write(&r->entries, r->keys, NULL, 0, r->root, NULL, NULL, err) < 0)
			return -1;
		r->root_known = 1;
		if (!mark_needs(r, r->root))
			return 0; /* up to date: nothing read */
	} else
		for (k = 0; k < r->n; k++)
			r->needs[k] = r->ok[k];
	if (r->o->dry)
		return 0;
	r->store.nrepos = store_targets(r, targets, 1);
	rc = bk_store_path(r->b->source, &r->entries, &r->store, &st, err);
	r->root_known = 0; /* files read again may have changed since */
	r->out->files_read = st.read;
	r->out->bytes_read = st.bytes_read;
	return rc;
}

/* A volume, or a service's volumes (a directory each), through the
 * engine into entries, their chunks stored through st. */
static int read_engine_source(const struct backup_spec *b, const struct backup_opts *o, struct bk_store *st,
			      struct bk_entries *entries, uint64_t *bytes, struct cc_error **err)
{
	struct strlist vols = { 0 };
	int rc;

	if (!o->engine)
		return cc_error_set(err, "%s %s: no engine to read it through", backup_source_prefix(b), b->source);
	if (b->kind == BACKUP_SOURCE_VOLUME)
		return bk_volume_read(o->engine, b->source, st, entries, bytes, err);
	if (!o->compose)
		return cc_error_set(err, "service %s: the profile has no compose model", b->source);
	rc = bk_service_volumes(o->compose, b->source, &vols, err);
	if (rc == 0)
		rc = bk_service_read(o->engine, &vols, st, entries, bytes, err);
	strlist_release(&vols);
	return rc;
}

static int read_source(struct run *r, struct bk_repo **targets, struct cc_error **err)
{
	size_t i;

	r->store.repos = targets;
	r->store.cancel = r->o->cancel;
	r->store.spans = r->o->spans;
	if (r->b->kind == BACKUP_SOURCE_PATH)
		return read_path_source(r, targets, err);
	r->store.nrepos = r->o->dry ? 0 : store_targets(r, targets, 0);
	if (read_engine_source(r->b, r->o, &r->store, &r->entries, &r->out->bytes_read, err) < 0)
		return -1;
	for (i = 0; i < r->entries.n; i++)
		r->out->files_read += r->entries.v[i].type == BK_FILE;
	return 0;
}

/* read_source between the quiesce: hooks and their undo, which runs
 * whether the read worked or not (its failure is added to the read's). */
static int read_quiesced(struct run *r, struct bk_repo **targets, struct cc_error **err)
{
	struct bk_quiesce q = {
		.e = r->o->engine, .project = r->o->project, .cancel = r->o->cancel, .traceparent = r->o->traceparent
	};
	cleanup_free char *record = NULL, *cache = NULL;
	int rc;

	if (r->o->dry || !r->b->nhooks)
		return read_source(r, targets, err);
	if (bk_quiesce_check(r->b, r->o->compose, err) < 0)
		return -1;
	if (!r->o->engine || !r->o->project)
		return cc_error_set(err, "quiesce: needs the engine and the profile's compose project");
	cache = r->o->state_dir ? statcache_path(r) : NULL; /* makes STATE/backups */
	q.record = record = cache ? xasprintf("%s/backups/%s.stopped", r->o->state_dir, r->b->name) : NULL;
	bk_quiesce_recover(&q);
	if (bk_quiesce_begin(&q, r->b, err) < 0)
		return -1;
	rc = read_source(r, targets, err);
	if (bk_quiesce_end(&q, err) < 0)
		rc = cc_error_wrap(err, "quiesce undo");
	bk_quiesce_release(&q);
	return rc;
}

/* The snapshot of root: the one a destination already holds (a degraded
 * run completed), else a new one. */
static void choose_snapshot(struct run *r, struct bk_snapshot *s)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->latest[i].name && !memcmp(r->latest[i].tree, r->root, 32)) {
			bk_snapshot_copy(s, &r->latest[i]);
			return;
		}
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(r->b->name);
	s->source = xasprintf("%s:%s", backup_source_prefix(r->b), r->b->source);
	s->time = r->o->now;
	s->nsec = r->o->now_nsec;
	memcpy(s->tree, r->root, 32);
	for (i = 0; i < r->entries.n; i++)
		if (r->entries.v[i].type == BK_FILE) {
			s->files++;
			s->bytes += r->entries.v[i].size;
		}
	s->new_bytes = r->store.new_bytes;
	s->stored_bytes = r->store.stored_bytes;
	bk_snapshot_set_id(s);
}

static void commit_all(struct run *r)
{
	size_t i;

	choose_snapshot(r, &r->out->snap);
	for (i = 0; i < r->n; i++) {
		struct cc_error *err = NULL;

		if (!r->ok[i])
			continue;
		if (!r->needs[i]) {
			bk_repo_discard(&r->repos[i]);
			continue;
		}
		if (bk_repo_commit(&r->repos[i], &r->out->snap, &err) < 0)
			degrade(r, i, err);
		else
			r->out->made = 1;
	}
}

static void verify_new(struct run *r)
{
	uint64_t bytes;
	size_t i;

	for (i = 0; r->b->verify > 0 && i < r->n; i++)
		if (r->ok[i] && r->needs[i]) {
			size_t had = r->out->problems.n;

			bk_verify_sample(&r->repos[i], &r->store.written, r->b->verify, &r->out->problems, &bytes);
			r->out->verified += bytes;
			if (r->o->state_dir) /* a record for `ccbuild backups`: losing it costs nothing */
				bk_verified_record(r->o->state_dir, r->b->name, r->dirs[i], r->out->snap.id, r->o->now,
						   r->b->verify,
						   r->out->problems.n > had ? r->out->problems.v[had] : NULL, NULL);
		}
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
	cleanup_free char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_push(&r->out->notes, line);
}

/* retention: in destination i; 1 when a snapshot was forgotten. */
static int apply_retention(struct run *r, size_t i, struct cc_error **err)
{
	struct bk_snapshot *snaps = NULL;
	struct bk_keep_decision *d;
	int64_t *times;
	size_t n = 0, k;
	int forgot = 0;

	if (bk_repo_snapshots(&r->repos[i], r->b->name, &snaps, &n, err) < 0)
		return -1;
	times = xcalloc(n ? n : 1, sizeof(*times));
	d = xcalloc(n ? n : 1, sizeof(*d));
	for (k = 0; k < n; k++)
		times[k] = snaps[k].time;
	bk_retention_decide(&r->b->keep, times, n, r->o->now, d);
	for (k = 0; k < n; k++) {
		char when[32];

		if (!d[k].keep && bk_repo_forget(&r->repos[i], &snaps[k], err) == 0) {
			bk_time_format(snaps[k].time, when, sizeof(when));
			note(r, "%s: forgot snapshot %s (%s)", r->dirs[i], snaps[k].id, when);
			forgot = 1;
		}
		bk_keep_decision_release(&d[k]);
	}
	free(d);
	free(times);
	bk_snapshots_free(snaps, n);
	return *err ? -1 : forgot;
}

/* Retention, then garbage collection where something may have become
 * unreachable (a forgotten snapshot, a killed run's objects). */
static void tidy(struct run *r)
{
	size_t i, removed;
	uint64_t freed;

	for (i = 0; i < r->n; i++) {
		struct cc_error *err = NULL;
		int forgot = 0;

		if (!r->ok[i] || (!r->needs[i] && !r->b->keep.set))
			continue;
		if (r->b->keep.set && (forgot = apply_retention(r, i, &err)) < 0) {
			degrade(r, i, err);
			continue;
		}
		if (!forgot && !r->needs[i])
			continue;
		if (bk_gc(&r->repos[i], &removed, &freed, &err) < 0)
			degrade(r, i, err);
		else if (removed)
			note(r, "%s: removed %zu unreferenced objects (%llu bytes)", r->dirs[i], removed,
			     (unsigned long long)freed);
	}
}

static void run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		bk_repo_close(&r->repos[i]);
		bk_snapshot_release(&r->latest[i]);
	}
	free(r->repos);
	free(r->dirs);
	free(r->ok);
	free(r->latest);
	free(r->needs);
	bk_crypt_free(r->keys);
	bk_entries_release(&r->entries);
	bk_store_release(&r->store);
}

static size_t count_ok(const struct run *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		k += r->ok[i];
	return k;
}

static const char *first_ok(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->ok[i])
			return r->dirs[i];
	return NULL;
}

int backup_run(const struct backup_spec *b, const struct backup_opts *o, struct backup_outcome *out,
	       struct cc_error **err)
{
	struct run r = { .b = b, .o = o, .out = out };
	struct bk_repo **targets = xcalloc(b->ndests, sizeof(*targets));
	int rc = -1;

	memset(out, 0, sizeof(*out));
	r.repos = xcalloc(b->ndests, sizeof(*r.repos));
	r.dirs = xcalloc(b->ndests, sizeof(*r.dirs));
	r.ok = xcalloc(b->ndests, sizeof(*r.ok));
	r.latest = xcalloc(b->ndests, sizeof(*r.latest));
	r.needs = xcalloc(b->ndests, sizeof(*r.needs));
	if (bk_crypt_load(b->key_file, &r.keys, err) < 0) {
		cc_error_wrap(err, "backup %s", b->name);
		goto out;
	}
	r.store.keys = r.keys;
	open_repos(&r);
	if (!count_ok(&r) && !o->dry) {
		cc_error_set(err, "backup %s: no destination is usable: %s", b->name,
			     out->degraded.n ? out->degraded.v[0] : "none");
		goto out;
	}
	if (read_quiesced(&r, targets, err) < 0) {
		cc_error_wrap(err, "backup %s", b->name);
		goto out;
	}
	if (!r.root_known && bk_entries_pending(&r.entries)) { /* dry: content not read */
		rc = 0;
		goto out;
	}
	if (!r.root_known && bk_tree_write(&r.entries, r.keys, NULL, 0, r.root, NULL, NULL, err) < 0)
		goto out;
	out->up_to_date = mark_needs(&r, r.root) == 0;
	if (!o->dry && !out->up_to_date &&
	    bk_tree_write(&r.entries, r.keys, targets, store_targets(&r, targets, 1), r.root, &r.store.new_bytes,
			  &r.store.stored_bytes, err) < 0)
		goto out;
	if (!o->dry) {
		commit_all(&r);
		if (b->kind == BACKUP_SOURCE_PATH && count_ok(&r) == r.n)
			scan_record_save(&r);
		verify_new(&r);
		tidy(&r);
		if (count_ok(&r))
			backup_deliver(b, o->state_dir, first_ok(&r), &out->snap, o->traceparent, &out->degraded,
				       &out->notes);
	}
	rc = 0;
out:
	free(targets);
	run_release(&r);
	return rc;
}

void backup_outcome_release(struct backup_outcome *out)
{
	bk_snapshot_release(&out->snap);
	strlist_release(&out->degraded);
	strlist_release(&out->problems);
	strlist_release(&out->notes);
}

int backup_list(const struct backup_spec *b, const char **dir, struct bk_snapshot **snaps, size_t *n,
		struct cc_error **err)
{
	struct cc_error *first = NULL;
	size_t i;

	*snaps = NULL;
	*n = 0; /* cmd_restore frees them also when no destination reads */
	for (i = 0; i < b->ndests; i++) {
		struct bk_repo r;
		struct cc_error *e = NULL;
		int rc;

		if (!b->dests[i].path)
			continue;
		rc = bk_repo_open_keyed(&r, b->dests[i].path, 0, b->key_file, &e);
		if (rc == 0)
			rc = bk_repo_snapshots(&r, b->name, snaps, n, &e);
		bk_repo_close(&r);
		if (rc == 0) {
			cc_error_free(first);
			*dir = b->dests[i].path;
			return 0;
		}
		if (!first)
			first = e;
		else
			cc_error_free(e);
	}
	if (err)
		*err = first;
	else
		cc_error_free(first);
	return cc_error_wrap(err, "backup %s: no destination can be read", b->name);
}

long backup_find(const struct bk_snapshot *snaps, size_t n, const char *want, struct cc_error **err)
{
	long found = -1;
	size_t i;

	if (!n)
		return cc_error_set(err, "no snapshot yet");
	if (!want || !strcmp(want, "latest"))
		return (long)n - 1;
	for (i = 0; i < n; i++)
		if (str_has_prefix(snaps[i].id, want)) {
			if (found >= 0)
				return cc_error_set(err, "snapshot id '%s' is ambiguous (%s, %s, ...)", want,
						    snaps[found].id, snaps[i].id);
			found = (long)i;
		}
	if (found < 0 || !*want)
		return cc_error_set(err, "no snapshot '%s' (see ccbuild backups PROFILE NAME)", want);
	return found;
}

/* The newest snapshot of b in dir into *s (name NULL when none); 0 or -1. */
static int newest_in(const struct backup_spec *b, const char *dir, struct bk_snapshot *s, struct cc_error **err)
{
	struct bk_repo r;
	struct bk_snapshot *v = NULL;
	size_t n = 0;
	int rc = bk_repo_open_keyed(&r, dir, 0, b->key_file, err);

	memset(s, 0, sizeof(*s));
	if (rc == 0)
		rc = bk_repo_snapshots(&r, b->name, &v, &n, err);
	if (rc == 0 && n)
		bk_snapshot_copy(s, &v[n - 1]);
	bk_snapshots_free(v, n);
	bk_repo_close(&r);
	return rc;
}

int backup_holds(const struct backup_spec *b, const unsigned char root[32], char **missing, struct cc_error **err)
{
	struct bk_snapshot s;
	struct cc_error *e = NULL;
	size_t i;
	int held;

	*missing = NULL;
	for (i = 0; i < b->ndests; i++) {
		if (!b->dests[i].path)
			continue;
		if (newest_in(b, b->dests[i].path, &s, &e) < 0) {
			cc_error_free(e); /* absent or unreadable: it lacks it */
			e = NULL;
		}
		held = s.name && !memcmp(s.tree, root, 32);
		bk_snapshot_release(&s);
		if (!held) {
			*missing = xstrdup(b->dests[i].path);
			return 0;
		}
	}
	return 1;
}

int backup_source_hash(const struct backup_spec *b, const struct backup_opts *o, unsigned char root[32],
		       struct cc_error **err)
{
	struct run r = { .b = b, .o = o };
	struct backup_outcome out = { 0 };
	struct bk_entries prev = { 0 };
	struct bk_path_stats st = { 0 };
	int rc = -1;

	if (bk_crypt_load(b->key_file, &r.keys, err) < 0)
		return cc_error_wrap(err, "backup %s", b->name);
	r.store.keys = r.keys;
	r.out = &out;
	r.repos = xcalloc(b->ndests, sizeof(*r.repos));
	r.dirs = xcalloc(b->ndests, sizeof(*r.dirs));
	r.ok = xcalloc(b->ndests, sizeof(*r.ok));
	r.latest = xcalloc(b->ndests, sizeof(*r.latest));
	r.needs = xcalloc(b->ndests, sizeof(*r.needs));
	r.store.cancel = o->cancel;
	if (b->kind != BACKUP_SOURCE_PATH) {
		if (read_engine_source(b, o, &r.store, &r.entries, NULL, err) == 0)
			rc = bk_tree_write(&r.entries, r.keys, NULL, 0, root, NULL, NULL, err);
	} else {
		cleanup_free char *cache = o->state_dir ? statcache_path(&r) : NULL;
		struct backup_opts ro = *o;

		ro.dry = 1; /* repositories opened for reading only */
		r.o = &ro;
		open_repos(&r);
		read_previous(&r, &prev);
		if (bk_scan_path(b->source, cache, !o->dry, &prev, o->cancel, &r.entries, &st, err) == 0 &&
		    bk_store_path(b->source, &r.entries, &r.store, &st, err) == 0)
			rc = bk_tree_write(&r.entries, r.keys, NULL, 0, root, NULL, NULL, err);
		free(st.warning);
	}
	bk_entries_release(&prev);
	run_release(&r);
	backup_outcome_release(&out);
	return rc < 0 ? cc_error_wrap(err, "backup %s", b->name) : 0;
}
