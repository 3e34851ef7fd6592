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
#include "sync-lock.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-tree.h"
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
	struct sync_record rec;
	int lockfd;
};

static void sync_describe(const struct step *s, struct strbuf *out)
{
	const struct sync_spec *spec = s->data;

	strbuf_addf(out, "%s  %s -> %s", spec->name, spec->direction == SYNC_OUT ? spec->to : spec->from,
		    spec->direction == SYNC_OUT ? spec->from : spec->to);
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

/* The input hash of the settings and the scanned source into res. */
static void hash_tree(struct step_result *res, const struct sync_spec *spec, const struct sync_scratch *sc)
{
	struct strbuf in = STRBUF_INIT;
	char hex[65];

	strbuf_addf(&in, "ccbuild-sync-v1\n%s\n%s\ndelete=%d\nrules=%s\n", sc->src, sc->dst, spec->delete,
		    sync_rewriter_hash(sc->rewriter));
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

static int sync_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct sync_spec *spec = s->data;
	struct step_result *res = &r->results[i];
	struct sync_scratch *sc = xcalloc(1, sizeof(*sc));
	struct stat st;
	char *warning = NULL;

	res->scratch = sc;
	if (spec->target != SYNC_TO_HOST)
		return cc_error_set(err, "sync %s: volume destinations are not supported yet", spec->name);
	if (scratch_setup(r, s, sc, err) < 0)
		return -1;
	if (stat(sc->src, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, "sync %s: %s %s", spec->name, sc->src,
				    errno == ENOENT ? "does not exist" : "is not a directory");
	if (nested(sc->src, sc->dst))
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
	if (sync_tree_scan(sc->src, sc->ignore, sc->cache, !dry, r->cancel, &sc->tree, &warning, err) < 0) {
		free(warning);
		return cc_error_wrap(err, "sync %s: reading the source", spec->name);
	}
	if (warning)
		runner_warn(r, "%s", warning);
	free(warning);
	if (sync_record_load(sc->record_file, &sc->rec, &warning) == 0 && warning)
		runner_warn(r, "%s", warning);
	free(warning);
	hash_tree(res, spec, sc);
	return 0;
}

static struct sync_job job_of(const struct runner *r, const struct sync_spec *spec, const struct sync_scratch *sc,
			      const char *keep_dir)
{
	return (struct sync_job){ sc->src, sc->dst, sc->ignore, spec->delete, sc->rewriter, keep_dir, r->cancel };
}

/* "3 files changed in the source" against the record of the last sync. */
static char *sync_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	const struct sync_scratch *sc = r->results[i].scratch;
	size_t n = 0, seen = 0;

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
	char *why = NULL;
	int rc = sync_dest_check(&job, &sc->rec, &why, err);

	if (rc < 0)
		return cc_error_wrap(err, "sync %s: checking the destination", spec->name);
	r->results[i].reason = rc ? xasprintf("%s is as synced (%zu entries)", sc->dst, sc->rec.n) : why;
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
	int rc;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	keep_dir = xasprintf("%s/sync/%s.kept/%s", r->state_dir, spec->name, stamp);
	job = job_of(r, spec, sc, keep_dir);
	rc = sync_apply(&job, &sc->tree, &sc->rec, &out, &sum, err);
	if (rc == 0)
		rc = sync_record_save(sc->record_file, &out, err);
	warn_kept(r, spec, &sum, keep_dir);
	if (rc == 0) {
		res->output = xasprintf("%zu entries", out.n);
		res->report = json_pack("{s:I, s:I, s:I, s:I, s:I}", "copied", (json_int_t)sum.copied, "deleted",
					(json_int_t)sum.deleted, "unchanged", (json_int_t)sum.same, "kept",
					(json_int_t)sum.kept.n, "bytes", (json_int_t)sum.bytes);
		free(res->reason);
		res->reason = xasprintf("%zu copied, %zu deleted, %zu unchanged", sum.copied, sum.deleted, sum.same);
	}
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
