/* step-sync: the sync:NAME step kind (step.h) — a syncs: entry
 * (manifest-sync.h) run as a step: copy a host directory into a host
 * directory, moving only what changed (sync-apply.h).
 *
 * Input hash: the settings (source, destination, delete, exclude, the
 * rewrite rules) and every source entry's path, mode, link target and
 * content hash, the content from the stat cache (an unchanged source
 * costs stats only).  Output: the destination as the last sync left it,
 * recorded in STATE/sync/NAME.json (sync-record.h); up to date when the
 * input hash matches and the destination is still as recorded.  The
 * lock: file is held from the first look at the source to the end. */
#include "atomicfile.h"
#include "backup-spec.h"
#include "backup.h"
#include "error.h"
#include "facts.h"
#include "hash.h"
#include "ignore.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "sync-apply.h"
#include "sync-engine.h"
#include "sync-lock.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-single.h"
#include "sync-tree.h"
#include "sync-twoway.h"
#include "ui.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What check leaves for run (r->results[i].scratch). */
struct sync_scratch {
	char *src, *dst, *record_file, *cache;
	struct ignore *ignore;
	struct sync_rewriter *rewriter;
	struct sync_tree tree;
	struct sync_record rec; /* loaded by need_record, when a check or run needs it */
	int rec_loaded, lockfd;
	char *identity;		/* volume: and service: destinations: sync_engine_identity */
	struct sync_single one; /* a single-file sync (single set): where it reads and writes */
	int single;
};

static void sync_describe(const struct step *s, struct strbuf *out)
{
	const struct sync_spec *spec = s->data;

	strbuf_addf(out, "%s  %s %s %s", spec->name, spec->direction == SYNC_OUT ? spec->to : spec->from,
		    spec->direction == SYNC_BOTH ? "<->" : "->", spec->direction == SYNC_OUT ? spec->from : spec->to);
	if (spec->delete)
		strbuf_addstr(out, " delete");
}

static void sync_release(struct step_result *res)
{
	struct sync_scratch *sc = res->scratch;

	if (!sc)
		return;
	free(sc->src);
	free(sc->dst);
	free(sc->record_file);
	free(sc->cache);
	ignore_free(sc->ignore);
	sync_rewriter_free(sc->rewriter);
	sync_tree_release(&sc->tree);
	sync_record_release(&sc->rec);
	sync_lock_release(sc->lockfd);
	free(sc->identity);
	sync_single_release(&sc->one);
	free(sc);
	res->scratch = NULL;
}

struct lock_wait {
	struct runner *r;
	const char *step, *file;
};

static void lock_waiting(long pid, void *data)
{
	struct lock_wait *w = data;
	cleanup_free char *note = pid > 0 ? xasprintf("waiting for the lock %s (held by pid %ld)", w->file, pid)
					  : xasprintf("waiting for the lock %s", w->file);

	ui_step_progress(w->r->ui, w->step, note);
}

/* Paths, exclude rules and rewriter of the step's spec into sc. */
static int scratch_setup(struct runner *r, const struct step *s, struct sync_scratch *sc, struct cc_error **err)
{
	const struct sync_spec *spec = s->data;
	const char *base = r->project->manifest->dir;
	cleanup_free char *from = sync_spec_path(spec->from, base), *to = sync_spec_path(spec->to, base);

	sc->lockfd = -1;
	sc->src = xstrdup(spec->direction == SYNC_OUT ? to : from);
	sc->dst = xstrdup(spec->direction == SYNC_OUT ? from : to);
	sc->record_file = xasprintf("%s/sync/%s.json", r->state_dir, spec->name);
	sc->cache = xasprintf("%s/sync/%s.statcache", r->state_dir, spec->name);
	sc->ignore = ignore_new();
	for (size_t k = 0; k < spec->exclude.n; k++)
		if (ignore_add(sc->ignore, spec->exclude.v[k], "exclude", (int)k + 1, err) < 0)
			return -1;
	sc->rewriter = sync_rewriter_new(spec->rewrites, spec->nrewrites);
	return 0;
}

/* 1 when a is b or lies below it, or the other way round (lexically,
 * from the current directory). */
static int nested(const char *a, const char *b)
{
	cleanup_free char *cwd = getcwd(NULL, 0), *ja = path_join(cwd ? cwd : "/", a),
			  *jb = path_join(cwd ? cwd : "/", b);
	cleanup_free char *ca = path_clean(ja), *cb = path_clean(jb);
	size_t la = strlen(ca), lb = strlen(cb), n = la < lb ? la : lb;

	return !strncmp(ca, cb, n) && (la == lb || (la < lb ? cb[n] : ca[n]) == '/' || n == 1);
}

/* A single-file sync reads and writes the directories of its file. */
static void single_paths(const struct sync_spec *spec, struct sync_scratch *sc)
{
	free(sc->src);
	sc->src = xstrdup(sc->one.src_dir);
	if (spec->target == SYNC_TO_HOST) {
		free(sc->dst);
		sc->dst = xstrdup(sc->one.dst_dir);
	}
}

/* 1 when a single-file sync would write the file it reads. */
static int single_same(const struct sync_scratch *sc)
{
	cleanup_free char *a = path_join(sc->one.src_dir, sc->one.src_name);
	cleanup_free char *b = path_join(sc->one.dst_dir, sc->one.dst_name);

	return nested(a, b);
}

/* The input hash of the settings and the scanned source into res. */
static void hash_tree(struct step_result *res, const struct sync_spec *spec, const struct sync_scratch *sc)
{
	struct strbuf in = STRBUF_INIT;
	char hex[65];

	strbuf_addf(&in, "ccbuild-sync-v1\n%s\n%s\ndelete=%d\nrules=%s\n", sc->src, sc->dst, spec->delete,
		    sync_rewriter_hash(sc->rewriter));
	if (sc->single)
		strbuf_addf(&in, "file=%s\n", sc->one.src_name);
	for (size_t k = 0; k < spec->exclude.n; k++)
		strbuf_addf(&in, "exclude=%s\n", spec->exclude.v[k]);
	res->files.v = xcalloc(sc->tree.list.n ? sc->tree.list.n : 1, sizeof(*res->files.v));
	for (size_t k = 0; k < sc->tree.list.n; k++) {
		const struct ctx_entry *e = &sc->tree.list.v[k];
		struct hash_file *f = &res->files.v[res->files.n++];

		f->path = arena_strndup(&res->files.arena, e->path, strlen(e->path));
		hash_file_entry(e, sc->tree.digests[k], f->digest);
		hash_hex(f->digest, hex);
		strbuf_addf(&in, "%zu:%s %s\n", strlen(e->path), e->path, hex);
	}
	hash_sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	res->hash = xstrdup(hex);
	res->inputs = json_pack("{s:s, s:s, s:b, s:I}", "from", sc->src, "to", sc->dst, "delete", spec->delete,
				"entries", (json_int_t)sc->tree.list.n);
}

/* The image service runs when this run builds it (sync_built_image_fn). */
static const char *built_image(void *ctx, const char *service)
{
	const struct image *img = project_image(ctx, service);

	return img && img->from_compose ? img->spec.ref : NULL;
}

/* A volume: or service: destination's job (sync-engine.h); helper_name
 * (caller frees) is the sync's own, per state directory. */
static struct sync_engine_job engine_job(struct runner *r, const struct sync_spec *spec, const struct sync_scratch *sc,
					 char **helper_name)
{
	cleanup_free char *abs = realpath(r->state_dir, NULL);
	char hex[65];

	hash_sha256_hex(abs ? abs : r->state_dir, strlen(abs ? abs : r->state_dir), hex);
	*helper_name = xasprintf("ccbuild-sync-%s-%.8s", spec->name, hex);
	return (struct sync_engine_job){ .spec = spec,
					 .e = r->engine,
					 .compose = r->project->compose,
					 .built = built_image,
					 .built_ctx = r->project,
					 .src = sc->src,
					 .ignore = sc->ignore,
					 .rewriter = sc->rewriter,
					 .helper_name = *helper_name,
					 .cancel = r->cancel,
					 .dir = sc->single ? sc->one.dst_dir : NULL,
					 .only = sc->single ? sc->one.dst_name : NULL };
}

static char *identity_file(struct runner *r, const struct sync_spec *spec)
{
	return xasprintf("%s/sync/%s.target", r->state_dir, spec->name);
}

/* What the destination is now (sync_engine_identity) into sc. */
static int engine_sync_identity(struct runner *r, const struct step *s, struct sync_scratch *sc, int dry,
				struct cc_error **err)
{
	const struct sync_spec *spec = s->data;
	cleanup_free char *helper = NULL;
	struct sync_engine_job job = engine_job(r, spec, sc, &helper);

	if (!r->engine)
		return dry ? 0
			   : cc_error_set(err, "sync %s: %s needs the engine, which is not reachable", spec->name,
					  spec->to);
	return sync_engine_identity(&job, &sc->identity, err) < 0 ? cc_error_wrap(err, "sync %s", spec->name) : 0;
}

/* The record of the last sync, loaded once: a no-op whose destination
 * matches its fingerprint never parses it. */
static void need_record(struct runner *r, struct sync_scratch *sc)
{
	char *warning = NULL;

	if (sc->rec_loaded)
		return;
	sc->rec_loaded = 1;
	if (sync_record_load(sc->record_file, &sc->rec, &warning) == 0 && warning)
		runner_warn(r, "%s", warning);
	free(warning);
}

/* 1 when the destination is the one the record was made in (*why
 * otherwise, caller frees): the record is trusted, not read back. */
static int engine_sync_check(struct runner *r, size_t i, char **why)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct sync_scratch *sc = r->results[i].scratch;
	cleanup_free char *file = identity_file(r, spec), *last = NULL;
	size_t len;

	if (read_file(file, &last, &len, NULL) < 0 || !sc->identity || strcmp(last, sc->identity)) {
		*why = xasprintf("%s is not the destination of the last sync (%s)", spec->to,
				 sc->identity ? sc->identity : "engine unreachable");
		return 0;
	}
	return 1;
}

static void warn_replaced(struct runner *r, const struct sync_spec *spec, const struct strlist *replaced)
{
	cleanup_free char *list = NULL;
	struct strlist head = { replaced->v, replaced->n < 10 ? replaced->n : 10, 0 };

	if (!replaced->n)
		return;
	list = strlist_join(&head, ", ");
	runner_warn(r,
		    "sync %s: %zu file%s in %s %s not as the last sync left %s (changed there, or not made by it) and"
		    " %s replaced or removed: %s%s",
		    spec->name, replaced->n, replaced->n == 1 ? "" : "s", spec->to, replaced->n == 1 ? "was" : "were",
		    replaced->n == 1 ? "it" : "them", replaced->n == 1 ? "was" : "were", list,
		    replaced->n > 10 ? ", ..." : "");
}

/* sync_run for a volume: or service: destination. */
static int engine_sync_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = res->scratch;
	cleanup_free char *helper = NULL, *identity = NULL, *file = identity_file(r, spec);
	struct sync_engine_job job = engine_job(r, spec, sc, &helper);
	struct sync_engine_summary sum;
	struct sync_record out;
	int rc;

	need_record(r, sc);
	job.spans = &res->spans;
	rc = sync_engine_run(&job, &sc->tree, &sc->rec, &out, &identity, &sum, err);
	if (rc == 0)
		rc = sync_record_save(sc->record_file, &out, err);
	if (rc == 0)
		rc = atomicfile_write(file, identity, strlen(identity), err);
	warn_replaced(r, spec, &sum.replaced);
	if (rc == 0) {
		res->output = xasprintf("%zu entries", out.n);
		res->report = json_pack("{s:I, s:I, s:I, s:I}", "copied", (json_int_t)sum.copied, "deleted",
					(json_int_t)sum.deleted, "unchanged", (json_int_t)sum.same, "bytes",
					(json_int_t)sum.bytes);
		free(res->reason);
		res->reason = xasprintf("%zu copied, %zu deleted, %zu unchanged", sum.copied, sum.deleted, sum.same);
	}
	sync_record_release(&out);
	strlist_release(&sum.replaced);
	return rc < 0 ? cc_error_wrap(err, "sync %s", spec->name) : 0;
}

static int sync_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct sync_spec *spec = s->data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = xcalloc(1, sizeof(*sc));
	struct stat st;
	char *warning = NULL;

	res->scratch = sc;
	if (scratch_setup(r, s, sc, err) < 0)
		return -1;
	if ((sc->single = sync_single_resolve(spec, r->project->manifest->dir, &sc->one, err)) < 0)
		return -1;
	if (sc->single)
		single_paths(spec, sc);
	else if (stat(sc->src, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, "sync %s: %s %s", spec->name, sc->src,
				    errno == ENOENT ? "does not exist" : "is not a directory");
	if (spec->target != SYNC_TO_HOST) {
		free(sc->dst);
		sc->dst = xstrdup(spec->to);
		if (engine_sync_identity(r, s, sc, dry, err) < 0)
			return -1;
	} else if (sc->single && single_same(sc)) {
		return cc_error_set(err, "sync %s: %s is the file it reads: from: and to: name one file", spec->name,
				    spec->to);
	} else if (!sc->single && nested(sc->src, sc->dst))
		return cc_error_set(err,
				    "sync %s: %s and %s lie inside one another: a sync would copy into what it reads",
				    spec->name, sc->src, sc->dst);
	if (!dry && spec->lock) {
		cleanup_free char *lock = sync_spec_path(spec->lock, r->project->manifest->dir);
		struct lock_wait w = { r, s->id, lock };

		if ((sc->lockfd = sync_lock_take(lock, spec->lock_timeout, r->cancel, lock_waiting, &w, err)) < 0)
			return cc_error_wrap(err, "sync %s", spec->name);
	}
	if (!dry && state_init(r->state_dir, err) < 0)
		return -1;
	if (!dry) {
		cleanup_free char *dir = xasprintf("%s/sync", r->state_dir);

		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return cc_error_set(err, "%s: %s", dir, strerror(errno));
	}
	if ((sc->single
		     ? sync_tree_scan_file(sc->src, sc->one.src_name, sc->one.dst_name, sc->cache, !dry, r->cancel,
					   &sc->tree, &warning, err)
		     : sync_tree_scan(sc->src, sc->ignore, sc->cache, !dry, r->cancel, &sc->tree, &warning, err)) < 0) {
		free(warning);
		return cc_error_wrap(err, "sync %s: reading the source", spec->name);
	}
	if (warning)
		runner_warn(r, "%s", warning);
	free(warning);
	hash_tree(res, spec, sc);
	return 0;
}

static struct sync_job job_of(const struct runner *r, const struct sync_spec *spec, const struct sync_scratch *sc,
			      const char *keep_dir)
{
	return (struct sync_job){ .src = sc->src,
				  .dst = sc->dst,
				  .ignore = sc->ignore,
				  .delete = spec->delete &&!sc->single,
				  .rewriter = sc->rewriter,
				  .keep_dir = keep_dir,
				  .cancel = r->cancel,
				  .only = sc->single ? sc->one.dst_name : NULL };
}

/* "3 files changed in the source" against the record of the last sync. */
static char *sync_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	struct sync_scratch *sc = r->results[i].scratch;
	size_t n = 0, seen = 0;

	need_record(r, sc);

	for (size_t k = 0; k < sc->tree.list.n; k++) {
		const struct ctx_entry *e = &sc->tree.list.v[k];
		const struct sync_file *f = sync_record_find(&sc->rec, e->path);

		seen += f != NULL;
		if (!f || (f->mode & S_IFMT) != (e->mode & S_IFMT) ||
		    (S_ISREG(e->mode) && memcmp(f->src, sc->tree.digests[k], 32)) ||
		    (S_ISLNK(e->mode) && strcmp(f->link ? f->link : "", e->link ? e->link : "")))
			n++;
	}
	n += sc->rec.n - seen;
	if (!n)
		return xstrdup("settings changed");
	return xasprintf("%zu %s changed in the source", n, n == 1 ? "entry" : "entries");
}

/* The destination is still what the last sync left there. */
static int sync_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct sync_scratch *sc = r->results[i].scratch;
	struct sync_job job = job_of(r, spec, sc, NULL);
	cleanup_free char *shown =
		sc->single && spec->target == SYNC_TO_HOST ? path_join(sc->dst, sc->one.dst_name) : xstrdup(sc->dst);
	char *why = NULL;
	size_t n = 0;
	int rc;

	job.delete |= spec->direction == SYNC_BOTH; /* a new file on the to side moves too */
	if (spec->target == SYNC_TO_HOST && sync_dest_fast(&job, sc->record_file, &n) == 1) {
		r->results[i].reason = xasprintf("%s is as synced (%zu entries)", shown, n);
		return 1;
	}
	need_record(r, sc);
	rc = spec->target != SYNC_TO_HOST ? engine_sync_check(r, i, &why) : sync_dest_check(&job, &sc->rec, &why, err);

	if (rc < 0)
		return cc_error_wrap(err, "sync %s: checking the destination", spec->name);
	r->results[i].reason = rc ? xasprintf("%s is as synced (%zu entries)", shown, sc->rec.n) : why;
	if (rc)
		free(why);
	return rc;
}

static void warn_kept(struct runner *r, const struct sync_spec *spec, const struct sync_summary *sum,
		      const char *keep_dir)
{
	cleanup_free char *list = NULL;
	struct strlist head = { sum->kept.v, sum->kept.n < 10 ? sum->kept.n : 10, 0 };

	if (!sum->kept.n)
		return;
	list = strlist_join(&head, ", ");
	runner_warn(r,
		    "sync %s: %zu destination %s changed since the last sync (or not made by it) and replaced or"
		    " removed; the destination's versions are kept in %s: %s%s",
		    spec->name, sum->kept.n, sum->kept.n == 1 ? "file was" : "files were", keep_dir, list,
		    sum->kept.n > 10 ? ", ..." : "");
}

/* The sync's backup: run through the backup library before the sync
 * changes anything (the step runs only when something differs; the backup
 * itself makes no snapshot when its source is as last backed up).
 * *report gets what it did (caller releases); a degraded backup is a
 * warning, as the snapshot is in the other destinations. */
static int sync_backup_first(struct runner *r, size_t i, json_t **report, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct sync_spec *spec = s->data;
	const struct backup_spec *b = spec->backup ? manifest_backup(r->project->manifest, spec->backup) : NULL;
	struct backup_opts o = { .state_dir = r->state_dir, .engine = r->engine, .cancel = r->cancel };
	struct backup_outcome out;
	struct timespec ts;
	struct stat st;

	*report = NULL;
	if (!b)
		return 0;
	if (b->kind == BACKUP_SOURCE_PATH && stat(b->source, &st) < 0 && errno == ENOENT) {
		*report = json_pack("{s:s, s:s}", "name", b->name, "skipped", "its source does not exist yet");
		return 0;
	}
	if (b->kind == BACKUP_SOURCE_VOLUME && !r->engine)
		return cc_error_set(err, "backup %s: a volume backup needs the engine", b->name);
	clock_gettime(CLOCK_REALTIME, &ts);
	o.now = ts.tv_sec;
	o.now_nsec = ts.tv_nsec;
	ui_step_progress(r->ui, s->id, "backing up first");
	if (backup_run(b, &o, &out, err) < 0)
		return cc_error_wrap(err, "backup %s before the sync (nothing was synced)", b->name);
	if (out.degraded.n)
		runner_warn(r, "sync %s: backup %s degraded: %s", spec->name, b->name, out.degraded.v[0]);
	*report = json_pack("{s:s, s:s, s:b}", "name", b->name, "snapshot", out.snap.id, "made", out.made);
	backup_outcome_release(&out);
	return 0;
}

/* What the report of sync_backup_first says, for the step's line. */
static const char *backup_note(const json_t *backup)
{
	if (!backup || json_object_get(backup, "skipped"))
		return "";
	return json_is_true(json_object_get(backup, "made")) ? "; backed up first" : "; backup up to date";
}

/* The source side changed (direction both): its hash is taken again, so
 * that the next run finds the step up to date. */
static int rehash_source(struct runner *r, size_t i, struct cc_error **err)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = res->scratch;
	char *warning = NULL;

	free(res->hash);
	res->hash = NULL;
	hash_manifest_release(&res->files);
	json_decref(res->inputs);
	res->inputs = NULL;
	sync_tree_release(&sc->tree);
	if (sync_tree_scan(sc->src, sc->ignore, sc->cache, 1, r->cancel, &sc->tree, &warning, err) < 0) {
		free(warning);
		return cc_error_wrap(err, "reading the from side again");
	}
	free(warning);
	hash_tree(res, spec, sc);
	return 0;
}

static void report_both(struct step_result *res, const struct sync_twoway_summary *sum, size_t n, json_t *backup)
{
	res->output = xasprintf("%zu entries", n);
	res->report = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "copied_in", (json_int_t)sum->to_dest, "copied_out",
				(json_int_t)sum->to_source, "deleted", (json_int_t)sum->deleted, "unchanged",
				(json_int_t)sum->same, "conflicts", (json_int_t)sum->conflicts.n, "bytes",
				(json_int_t)sum->bytes);
	if (backup)
		json_object_set(res->report, "backup", backup);
	free(res->reason);
	res->reason = xasprintf("%zu in, %zu out, %zu deleted%s", sum->to_dest, sum->to_source, sum->deleted,
				backup_note(backup));
}

/* direction: both (sync-twoway.h): plan, back up when something will
 * change, apply, save the record; conflicts fail the step after that. */
static int sync_run_both(struct runner *r, size_t i, struct cc_error **err)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = res->scratch;
	struct sync_job job = job_of(r, spec, sc, NULL);
	struct sync_rewriter *reverse = sync_rewriter_reverse(spec->rewrites, spec->nrewrites);
	struct sync_twoway_summary sum = { 0 };
	struct sync_record out = { 0 };
	struct sync_twoway_plan plan;
	json_t *backup = NULL;
	int rc;

	need_record(r, sc);
	rc = sync_twoway_plan(&job, &sc->tree, &sc->rec, &plan, err);

	if (rc == 0 && plan.changes)
		rc = sync_backup_first(r, i, &backup, err);
	if (rc == 0)
		rc = sync_twoway_apply(&job, spec->nrewrites ? reverse : NULL, &plan, &out, &sum, err);
	if (rc == 0)
		rc = sync_record_save(sc->record_file, &out, err);
	if (rc == 0 && sum.to_source + sum.deleted)
		rc = rehash_source(r, i, err);
	if (rc == 0)
		report_both(res, &sum, out.n, backup);
	if (rc == 0 && sum.conflicts.n) {
		cleanup_free char *list = strlist_join(&sum.conflicts, "; ");

		rc = cc_error_set(err, "%zu %s changed on both sides: %s; make both sides agree, then sync again",
				  sum.conflicts.n, sum.conflicts.n == 1 ? "file was" : "files were", list);
	}
	json_decref(backup);
	sync_rewriter_free(reverse);
	sync_twoway_plan_release(&plan);
	sync_record_release(&out);
	strlist_release(&sum.conflicts);
	return rc < 0 ? cc_error_wrap(err, "sync %s", spec->name) : 0;
}

static const struct fact_def fact_files = { "ccbuild_sync_files_total", "counter",
					    "Destination entries a sync wrote, removed or found unchanged.", "action" };
static const struct fact_def fact_bytes = { "ccbuild_sync_bytes_total", "counter", "Bytes syncs wrote.", NULL };
static const struct fact_def fact_verify = { "ccbuild_sync_verify_failures_total", "counter",
					     "Files that did not read back as written.", NULL };

static void sync_facts(json_t **report, const struct sync_summary *sum)
{
	facts_add(report, &fact_files, "copied", (double)sum->copied);
	facts_add(report, &fact_files, "deleted", (double)sum->deleted);
	facts_add(report, &fact_files, "unchanged", (double)sum->same);
	facts_add(report, &fact_bytes, NULL, (double)sum->bytes);
	facts_add(report, &fact_verify, NULL, (double)sum->verify_failures);
}

static int sync_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct sync_spec *spec = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = res->scratch;
	struct sync_record out;
	struct sync_summary sum;
	char stamp[32];
	time_t now = time(NULL);
	cleanup_free char *keep_dir = NULL;
	struct sync_job job;
	json_t *backup = NULL;
	int rc;

	if (spec->target != SYNC_TO_HOST)
		return engine_sync_run(r, i, err);
	if (spec->direction == SYNC_BOTH)
		return sync_run_both(r, i, err);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	keep_dir = xasprintf("%s/sync/%s.kept/%s", r->state_dir, spec->name, stamp);
	job = job_of(r, spec, sc, keep_dir);
	if (sync_backup_first(r, i, &backup, err) < 0)
		return cc_error_wrap(err, "sync %s", spec->name);
	need_record(r, sc);
	rc = sync_apply(&job, &sc->tree, &sc->rec, &out, &sum, err);
	if (rc == 0)
		rc = sync_record_save(sc->record_file, &out, err);
	warn_kept(r, spec, &sum, keep_dir);
	if (rc == 0) {
		res->output = xasprintf("%zu entries", out.n);
		res->report = json_pack("{s:I, s:I, s:I, s:I, s:I}", "copied", (json_int_t)sum.copied, "deleted",
					(json_int_t)sum.deleted, "unchanged", (json_int_t)sum.same, "kept",
					(json_int_t)sum.kept.n, "bytes", (json_int_t)sum.bytes);
		if (backup)
			json_object_set(res->report, "backup", backup);
		free(res->reason);
		res->reason = xasprintf("%zu copied, %zu deleted, %zu unchanged%s", sum.copied, sum.deleted, sum.same,
					backup_note(backup));
	}
	json_decref(backup);
	sync_facts(&res->report, &sum);
	sync_record_release(&out);
	strlist_release(&sum.kept);
	return rc < 0 ? cc_error_wrap(err, "sync %s", spec->name) : 0;
}

const struct step_kind step_kind_sync = {
	.name = "sync",
	.needs_outputs = 0,
	.describe = sync_describe,
	.hash_inputs = sync_hash_inputs,
	.no_record = "not synced before",
	.changed = sync_changed,
	.output_exists = sync_output_exists,
	.run = sync_run,
	.release = sync_release,
};
