/* sync-apply: the one-way sync of a host directory (sync-apply.h). */
#include "sync-apply.h"
#include "ctxwalk.h"
#include "error.h"
#include "hash.h"
#include "sync-host.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-tree.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rewrite input is read whole: a larger file is copied as it is. */
#define REWRITE_MAX ((size_t)64 << 20)

/* Files are staged (written to temporaries without an fsync each) and
 * committed in batches: one syncfs, then the renames.  A batch ends at
 * this many files or bytes. */
#define BATCH_FILES 1024
#define BATCH_BYTES ((uint64_t)128 << 20)
#define FSYNC_EACH_MAX 16

/* A staged file waiting for its batch's flush. */
struct pending {
	char *path, *tmp; /* tmp: the temporary's name in path's directory */
	size_t index;	  /* its entry in the new record */
};

/* What one run of sync_apply works with. */
struct applier {
	const struct sync_job *job;
	const struct sync_record *rec;
	const struct sync_tree *tree; /* the source */
	struct sync_record *out;
	struct sync_summary *sum;
	struct ctx_list dest; /* the destination as walked before the sync */
	struct strlist dirs;  /* directories whose entries were renamed or removed */
	int rootfd, srcfd, rules_same;
	struct pending *pending;
	size_t npending, cap_pending;
	uint64_t pending_bytes;
};

static int by_walk_order(const void *a, const void *b)
{
	return ctx_path_cmp(((const struct ctx_entry *)a)->path, ((const struct ctx_entry *)b)->path);
}

/* The temporaries a killed single-file sync left beside job->only into out. */
static int add_temps(const struct sync_job *job, struct ctx_list *out, struct cc_error **err)
{
	cleanup_free char *prefix = xasprintf(".%s.ccbuild-", job->only);
	DIR *d = opendir(job->dst);
	struct dirent *de;
	struct stat st;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : cc_error_set(err, "%s: %s", job->dst, strerror(errno));
	while ((de = readdir(d)))
		if (str_has_prefix(de->d_name, prefix) && sync_host_is_temp(de->d_name) &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			ctx_list_add(out, de->d_name, strlen(de->d_name), &st, NULL);
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_walk_order);
	return 0;
}

/* The destination as walked, or for a single-file sync its one entry
 * (with temps, also the temporaries beside it): never its siblings. */
static int dest_list(const struct sync_job *job, int temps, struct ctx_list *out, struct cc_error **err)
{
	cleanup_free char *path = NULL;
	char link[4096];
	struct stat st;
	ssize_t n;

	if (!job->only)
		return ctxwalk(job->dst, job->ignore, job->cancel, out, err);
	path = path_join(job->dst, job->only);
	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? (temps ? add_temps(job, out, err) : 0)
							   : cc_error_set(err, "%s: %s", path, strerror(errno));
	n = S_ISLNK(st.st_mode) ? readlink(path, link, sizeof(link) - 1) : -1;
	link[n > 0 ? n : 0] = '\0';
	ctx_list_add(out, job->only, strlen(job->only), &st, S_ISLNK(st.st_mode) ? link : NULL);
	return temps ? add_temps(job, out, err) : 0;
}

int sync_dest_fast(const struct sync_job *job, const char *record_file, size_t *n)
{
	struct ctx_list dest = CTX_LIST_INIT;
	struct sync_fp fp = { 0 };
	struct cc_error *walk_err = NULL;
	char want[65], got[65];

	if (!sync_fp_load(record_file, want, n))
		return 0;
	if (dest_list(job, 0, &dest, &walk_err) < 0) {
		cc_error_free(walk_err);
		ctx_list_release(&dest);
		return 0;
	}
	for (size_t i = 0; i < dest.n; i++) {
		const struct ctx_entry *e = &dest.v[i];

		if (!sync_host_is_temp(e->path))
			sync_fp_add(&fp, e->path, e->link, e->mode, e->size, e->mtime_ns, e->ctime_ns, e->ino);
	}
	ctx_list_release(&dest);
	sync_fp_final(&fp, got);
	return fp.n == *n && !strcmp(want, got);
}

int sync_dest_check(const struct sync_job *job, const struct sync_record *rec, char **why, struct cc_error **err)
{
	struct ctx_list dest = CTX_LIST_INIT;
	cleanup_close int rootfd = open(job->dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i = 0, j = 0;
	int rc = 1;

	*why = NULL;
	if (rootfd < 0)
		return errno == ENOENT ? (*why = xasprintf("%s does not exist", job->dst), 0)
				       : cc_error_set(err, "%s: %s", job->dst, strerror(errno));
	if (dest_list(job, 0, &dest, err) < 0)
		return -1;
	while (rc == 1 && (i < dest.n || j < rec->n)) {
		int c = i == dest.n ? 1 : j == rec->n ? -1 : ctx_path_cmp(dest.v[i].path, rec->v[j].path);

		if (c < 0) {
			if (job->delete &&!sync_host_is_temp(dest.v[i].path))
				*why = xasprintf("%s in the destination is not from the source", dest.v[i].path),
				rc = 0;
			i++;
		} else if (c > 0) {
			*why = xasprintf("%s is missing from the destination", rec->v[j++].path);
			rc = 0;
		} else {
			rc = sync_host_matches(rootfd, &dest.v[i], &rec->v[j], err);
			if (rc == 0)
				*why = xasprintf("%s was changed in the destination", dest.v[i].path);
			i++, j++;
		}
	}
	ctx_list_release(&dest);
	return rc;
}

/* Note the directory of path for the closing fsync. */
static void touch_dir(struct applier *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");

	if (!a->dirs.n || strcmp(a->dirs.v[a->dirs.n - 1], dir))
		if (!strlist_has(&a->dirs, dir))
			strlist_push(&a->dirs, dir);
}

/* Before d (a destination entry not as recorded) is replaced or removed. */
static int keep(struct applier *a, const struct ctx_entry *d, struct cc_error **err)
{
	if (S_ISDIR(d->mode))
		return 0;
	if (sync_host_keep(a->rootfd, d->path, a->job->keep_dir, err) < 0)
		return cc_error_wrap(err, "keeping the destination's own %s", d->path);
	strlist_push(&a->sum->kept, d->path);
	return 0;
}

/* 1 when destination entry d is what the record r says was synced. */
static int as_recorded(struct applier *a, const struct ctx_entry *d, const struct sync_file *r, struct cc_error **err)
{
	return d && r ? sync_host_matches(a->rootfd, d, r, err) : 0;
}

static struct sync_file *record_entry(struct applier *a, const struct ctx_entry *s)
{
	struct sync_file *f = sync_record_add(a->out, s->path, s->link);

	f->mode = s->mode;
	return f;
}

/* f (just added) takes everything but its strings from r. */
static void record_copy(struct sync_file *f, const struct sync_file *r)
{
	char *path = f->path, *link = f->link;

	*f = *r;
	f->path = path;
	f->link = link;
}

/* Copy the stat data of a destination entry that is kept as it is. */
static void record_from(struct sync_file *f, const struct ctx_entry *d)
{
	f->mode = d->mode;
	f->size = S_ISREG(d->mode) ? d->size : 0;
	f->mtime_ns = d->mtime_ns;
	f->ctime_ns = d->ctime_ns;
	f->ino = d->ino;
}

/* Where source entry s is read below job->src. */
static const char *source_of(const struct applier *a, const struct ctx_entry *s)
{
	return a->tree->src_name ? a->tree->src_name : s->path;
}

/* The bytes the destination of source file s gets when a rewrite applies:
 * 1 with *data (caller frees), 0 when s is copied as it is. */
static int rewritten(struct applier *a, const struct ctx_entry *s, char **data, size_t *len, struct cc_error **err)
{
	cleanup_free char *path = NULL, *in = NULL;
	size_t n;

	if (!a->job->rewriter || !sync_rewriter_matches(a->job->rewriter, s->path) || s->size > REWRITE_MAX)
		return 0;
	path = path_join(a->job->src, source_of(a, s));
	if (read_file_max(path, REWRITE_MAX, &in, &n, err) < 0)
		return cc_error_wrap(err, "cannot read the source file");
	return sync_rewriter_apply(a->job->rewriter, s->path, in, n, data, len);
}

/* The temporary tmp of path, relative to the root; caller frees. */
static char *temp_path(const char *path, const char *tmp)
{
	const char *slash = strrchr(path, '/');

	return slash ? xasprintf("%.*s/%s", (int)(slash - path), path, tmp) : xstrdup(tmp);
}

/* Remove the temporaries of pending files from the from-th on (after a
 * failure: no temporary stays) and empty the batch. */
static void discard_pending(struct applier *a, size_t from)
{
	for (size_t k = from; k < a->npending; k++) {
		cleanup_free char *t = temp_path(a->pending[k].path, a->pending[k].tmp);

		sync_host_remove(a->rootfd, t, NULL);
		free(a->pending[k].path);
		free(a->pending[k].tmp);
	}
	a->npending = 0;
	a->pending_bytes = 0;
}

/* Make the batch durable (one syncfs), rename each file into place, and
 * read each back: its SHA-256 must be the one recorded. */
static int flush_pending(struct applier *a, struct cc_error **err)
{
	unsigned char have[32];
	int rc = 0;
	size_t k;

	/* syncfs writes back the whole filesystem, other programs' data too:
	 * a small batch is cheaper file by file. */
	if (a->npending > FSYNC_EACH_MAX)
		rc = sync_host_flush(a->rootfd, err);
	for (k = 0; rc == 0 && a->npending <= FSYNC_EACH_MAX && k < a->npending; k++) {
		cleanup_free char *t = temp_path(a->pending[k].path, a->pending[k].tmp);

		rc = sync_host_fsync(a->rootfd, t, err);
	}

	for (k = 0; rc == 0 && k < a->npending; k++) {
		struct pending *p = &a->pending[k];
		struct sync_file *f = &a->out->v[p->index];

		if (sync_host_commit_file(a->rootfd, p->path, p->tmp, f, err) < 0 ||
		    sync_host_hash(a->rootfd, p->path, have, err) < 0)
			rc = -1;
		else if (memcmp(have, f->sha, 32) && ++a->sum->verify_failures)
			rc = cc_error_set(err,
					  "%s: the destination copy does not read back as written (SHA-256 mismatch)",
					  p->path);
		if (rc < 0)
			break;
		a->sum->copied++;
		a->sum->bytes += f->size;
		touch_dir(a, p->path);
		free(p->path);
		free(p->tmp);
	}
	discard_pending(a, k);
	return rc;
}

/* Write the new contents of s (data, or s itself when NULL) to a
 * temporary beside it; committed by flush_pending. */
static int stage(struct applier *a, const struct ctx_entry *s, const void *data, size_t len,
		 const unsigned char want[32], const unsigned char ds[32], struct cc_error **err)
{
	struct sync_file *f = record_entry(a, s);
	const char *from = source_of(a, s);
	unsigned char got[32];
	char *tmp;

	memcpy(f->sha, want, 32);
	memcpy(f->src, ds, 32);
	if (sync_host_stage_file(a->rootfd, s->path, s->mode, data, len, a->srcfd, from, 0, got, &tmp, err) < 0)
		return -1;
	VEC_PUSH(a->pending, a->npending, a->cap_pending, ((struct pending){ xstrdup(s->path), tmp, a->out->n - 1 }));
	if (memcmp(got, want, 32)) {
		discard_pending(a, 0);
		return cc_error_set(err, "%s changed in the source while it was copied; run the sync again", s->path);
	}
	a->pending_bytes += data ? len : s->size;
	if (a->npending >= BATCH_FILES || a->pending_bytes >= BATCH_BYTES)
		return flush_pending(a, err);
	return 0;
}

/* Write regular file s (content digest ds) unless the destination has its
 * bytes already. */
static int apply_file(struct applier *a, const struct ctx_entry *s, const unsigned char ds[32],
		      const struct ctx_entry *d, const struct sync_file *r, struct cc_error **err)
{
	cleanup_free char *data = NULL;
	unsigned char want[32], have[32];
	size_t len = 0;
	int match = as_recorded(a, d, r, err), rw;
	struct sync_file *f;

	if (match < 0)
		return -1;
	if (match && a->rules_same && !memcmp(r->src, ds, 32) && (r->mode & 07777) == (s->mode & 07777)) {
		a->sum->same++;
		record_copy(record_entry(a, s), r);
		return 0;
	}
	if ((rw = rewritten(a, s, &data, &len, err)) < 0)
		return -1;
	if (rw)
		hash_sha256(data, len, want);
	else
		memcpy(want, ds, 32);
	if (d && S_ISREG(d->mode) && (d->mode & 07777) == (s->mode & 07777)) {
		if (match)
			memcpy(have, r->sha, 32);
		else if (sync_host_hash(a->rootfd, d->path, have, err) < 0)
			return -1;
		if (!memcmp(have, want, 32)) { /* content-checked: no write needed */
			f = record_entry(a, s);
			record_from(f, d);
			memcpy(f->sha, want, 32);
			memcpy(f->src, ds, 32);
			a->sum->same++;
			return 0;
		}
	}
	if (d && !match && keep(a, d, err) < 0)
		return -1;
	return stage(a, s, rw ? data : NULL, len, want, ds, err);
}

static int apply_link(struct applier *a, const struct ctx_entry *s, const struct ctx_entry *d,
		      const struct sync_file *r, struct cc_error **err)
{
	struct sync_file *f;
	int match = as_recorded(a, d, r, err);

	if (match < 0)
		return -1;
	if (d && S_ISLNK(d->mode) && d->link && !strcmp(d->link, s->link)) {
		record_from(record_entry(a, s), d);
		a->sum->same++;
		return 0;
	}
	if (d && !match && keep(a, d, err) < 0)
		return -1;
	f = record_entry(a, s);
	if (sync_host_put_link(a->rootfd, s->path, s->link, f, err) < 0)
		return -1;
	a->sum->copied++;
	touch_dir(a, s->path);
	return 0;
}

static int apply_dir(struct applier *a, const struct ctx_entry *s, const struct ctx_entry *d, struct cc_error **err)
{
	struct sync_file *f;

	if (d && S_ISDIR(d->mode) && (d->mode & 07777) == (s->mode & 07777)) {
		record_from(record_entry(a, s), d);
		return 0;
	}
	if (d && !S_ISDIR(d->mode) && keep(a, d, err) < 0)
		return -1;
	f = record_entry(a, s);
	if (sync_host_put_dir(a->rootfd, s->path, s->mode, f, err) < 0)
		return -1;
	touch_dir(a, s->path);
	return 0;
}

/* A single-file sync replaces a file, never a directory or a symlink. */
static int check_only(const struct applier *a, struct cc_error **err)
{
	const struct ctx_entry *d = a->job->only ? ctx_list_find(&a->dest, a->job->only) : NULL;

	if (!d || S_ISREG(d->mode))
		return 0;
	return cc_error_set(err,
			    "%s/%s is a %s, not a file: a single-file sync writes over a file only (end to: with '/'"
			    " to sync the file into a directory)",
			    a->job->dst, a->job->only,
			    S_ISDIR(d->mode)   ? "directory"
			    : S_ISLNK(d->mode) ? "symlink"
					       : "special file");
}

/* Temporary files a killed sync left go first, whatever delete says. */
static int remove_temps(struct applier *a, struct cc_error **err)
{
	for (size_t k = 0; k < a->dest.n; k++)
		if (S_ISREG(a->dest.v[k].mode) && sync_host_is_temp(a->dest.v[k].path)) {
			if (sync_host_remove(a->rootfd, a->dest.v[k].path, err) < 0)
				return -1;
			touch_dir(a, a->dest.v[k].path);
		}
	return 0;
}

/* With delete: what the destination has and the source has not goes,
 * children before their directory; what was not as recorded is kept. */
static int apply_deletes(struct applier *a, const struct sync_tree *src, struct cc_error **err)
{
	for (size_t k = a->dest.n; k-- > 0;) {
		const struct ctx_entry *d = &a->dest.v[k];
		const struct sync_file *r;
		int match;

		if (ctx_list_find(&src->list, d->path) || sync_host_is_temp(d->path))
			continue;
		r = sync_record_find(a->rec, d->path);
		if ((match = as_recorded(a, d, r, err)) < 0)
			return -1;
		if (!match && keep(a, d, err) < 0)
			return -1;
		if (sync_host_remove(a->rootfd, d->path, err) < 0)
			return -1;
		a->sum->deleted++;
		touch_dir(a, d->path);
	}
	return 0;
}

static int apply_entries(struct applier *a, const struct sync_tree *src, struct cc_error **err)
{
	for (size_t k = 0; k < src->list.n; k++) {
		const struct ctx_entry *s = &src->list.v[k], *d = ctx_list_find(&a->dest, s->path);
		const struct sync_file *r = sync_record_find(a->rec, s->path);
		int rc;

		if (cancel_pending(a->job->cancel))
			return cc_error_set(err, "interrupted");
		if (S_ISDIR(s->mode))
			rc = apply_dir(a, s, d, err);
		else if (S_ISLNK(s->mode))
			rc = apply_link(a, s, d, r, err);
		else if (S_ISREG(s->mode))
			rc = apply_file(a, s, src->digests[k], d, r, err);
		else
			continue; /* devices and FIFOs are not synced */
		if (rc < 0)
			return -1;
	}
	return flush_pending(a, err);
}

int sync_apply(const struct sync_job *job, const struct sync_tree *src, const struct sync_record *rec,
	       struct sync_record *out, struct sync_summary *sum, struct cc_error **err)
{
	struct applier a = { .job = job,
			     .rec = rec,
			     .tree = src,
			     .out = out,
			     .sum = sum,
			     .dest = CTX_LIST_INIT,
			     .rootfd = -1,
			     .srcfd = -1 };
	const char *rules = job->rewriter ? sync_rewriter_hash(job->rewriter) : "";
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(sum, 0, sizeof(*sum));
	snprintf(out->rules, sizeof(out->rules), "%s", rules);
	a.rules_same = !strcmp(rec->rules, rules);
	if ((a.rootfd = sync_host_open_root(job->dst, 1, err)) < 0)
		return -1;
	if ((a.srcfd = open(job->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		cc_error_set(err, "%s: %s", job->src, strerror(errno));
	else if (dest_list(job, 1, &a.dest, err) == 0 && check_only(&a, err) == 0 && remove_temps(&a, err) == 0 &&
		 apply_entries(&a, src, err) == 0 && (!job->delete || apply_deletes(&a, src, err) == 0))
		rc = 0;
	for (size_t k = 0; rc == 0 && k < a.dirs.n; k++) {
		cleanup_free char *probe = xasprintf("%s%s.", a.dirs.v[k], *a.dirs.v[k] ? "/" : "");

		rc = sync_host_sync_dir(a.rootfd, probe, err);
	}
	discard_pending(&a, 0);
	free(a.pending);
	strlist_release(&a.dirs);
	ctx_list_release(&a.dest);
	if (a.srcfd >= 0)
		close(a.srcfd);
	close(a.rootfd);
	return rc;
}
