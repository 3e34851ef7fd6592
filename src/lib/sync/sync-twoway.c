/* sync-twoway: the two-way sync of two host directories (sync-twoway.h). */
#include "sync-twoway.h"
#include "error.h"
#include "hash.h"
#include "sync-apply.h"
#include "sync-host.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-tree.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Rewrite input is read whole (as sync-apply does): larger files move as
 * they are. */
#define REWRITE_MAX ((size_t)64 << 20)

enum sync_twoway_action sync_twoway_decide(const struct sync_twoway_state *st, int delete)
{
	if (!st->src_changed && !st->dst_changed)
		return st->src || st->dst ? SYNC_TW_KEEP : SYNC_TW_FORGET;
	if (st->src_changed && st->dst_changed) {
		if (!st->src && !st->dst)
			return SYNC_TW_FORGET;
		if (!st->src) /* deleted here, changed there: the change wins */
			return SYNC_TW_TO_SOURCE;
		if (!st->dst)
			return SYNC_TW_TO_DEST;
		return st->same ? SYNC_TW_RECORD : SYNC_TW_CONFLICT;
	}
	if (st->src_changed)
		return st->src ? SYNC_TW_TO_DEST : delete ? SYNC_TW_DELETE_DEST : SYNC_TW_TO_SOURCE;
	return st->dst ? SYNC_TW_TO_SOURCE : delete ? SYNC_TW_DELETE_SOURCE : SYNC_TW_TO_DEST;
}

const char *sync_twoway_action_name(enum sync_twoway_action a)
{
	static const char *const names[] = { "keep",	      "to-dest", "to-source", "delete-dest",
					     "delete-source", "record",	 "forget",    "conflict" };

	return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

/* What one plan or apply works with. */
struct twoway {
	const struct sync_job *job;
	const struct sync_rewriter *reverse;
	int srcfd, dstfd;
	struct sync_record *out;
	struct sync_twoway_summary *sum;
	struct strlist gone_src, gone_dst; /* deletions, done last, children first */
	int rules_same;			   /* the record was made under these rewrite rules */
};

static int link_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* The from side's entry s differs from what the record r says it was. */
static int src_changed(const struct ctx_entry *s, const unsigned char *digest, const struct sync_file *r)
{
	if (!s || !r)
		return (s != NULL) != (r != NULL);
	if ((s->mode & S_IFMT) != (r->mode & S_IFMT))
		return 1;
	if (S_ISDIR(s->mode))
		return 0;
	if (S_ISLNK(s->mode))
		return link_differs(s->link, r->link);
	return (s->mode & 07777) != (r->mode & 07777) || memcmp(digest, r->src, 32);
}

/* The to side's entry d differs from the record r: 1, 0, -1. */
static int dst_changed(int dstfd, const struct ctx_entry *d, const struct sync_file *r, struct cc_error **err)
{
	int match;

	if (!d || !r)
		return (d != NULL) != (r != NULL);
	if (S_ISDIR(d->mode))
		return (r->mode & S_IFMT) != S_IFDIR;
	if ((match = sync_host_matches(dstfd, d, r, err)) < 0)
		return -1;
	return !match;
}

/* The bytes s gets on the to side, when a rewrite applies: 1 with *data
 * (caller frees), 0 when they are s's own. */
static int forward_bytes(const struct sync_job *job, const struct ctx_entry *s, char **data, size_t *len,
			 struct cc_error **err)
{
	cleanup_free char *path = NULL, *in = NULL;
	size_t n;

	if (!job->rewriter || !sync_rewriter_matches(job->rewriter, s->path) || s->size > REWRITE_MAX)
		return 0;
	path = path_join(job->src, s->path);
	if (read_file_max(path, REWRITE_MAX, &in, &n, err) < 0)
		return cc_error_wrap(err, "cannot read the from side's file");
	return sync_rewriter_apply(job->rewriter, s->path, in, n, data, len);
}

/* 1 when both sides hold the same thing at it (after the rewrite). */
static int same_content(const struct twoway *t, const struct sync_twoway_item *it, struct cc_error **err)
{
	const struct ctx_entry *s = it->s, *d = it->d;
	cleanup_free char *data = NULL;
	unsigned char want[32], have[32];
	size_t len = 0;
	int rw;

	if ((s->mode & S_IFMT) != (d->mode & S_IFMT))
		return 0;
	if (S_ISDIR(s->mode))
		return 1;
	if (S_ISLNK(s->mode))
		return !link_differs(s->link, d->link);
	if (!S_ISREG(s->mode) || (s->mode & 07777) != (d->mode & 07777))
		return 0;
	if ((rw = forward_bytes(t->job, s, &data, &len, err)) < 0)
		return -1;
	if (rw)
		hash_sha256(data, len, want);
	else
		memcpy(want, it->digest, 32);
	if (sync_host_hash(t->dstfd, d->path, have, err) < 0)
		return -1;
	return !memcmp(want, have, 32);
}

static int decide_item(struct twoway *t, struct sync_twoway_item *it, struct cc_error **err)
{
	struct sync_twoway_state st = { .src = it->s != NULL, .dst = it->d != NULL };
	int dc = dst_changed(t->dstfd, it->d, it->r, err);

	if (dc < 0)
		return -1;
	st.dst_changed = dc;
	st.src_changed = src_changed(it->s, it->digest, it->r);
	/* new rules: every file is rewritten again, as in one-way syncs */
	st.src_changed |= !t->rules_same && it->s && S_ISREG(it->s->mode);
	if (st.src && st.dst && st.src_changed && st.dst_changed && (st.same = same_content(t, it, err)) < 0)
		return -1;
	it->action = sync_twoway_decide(&st, t->job->delete);
	return 0;
}

/* The next path in walk order among the three lists' heads. */
static const char *next_path(const char *a, const char *b, const char *c)
{
	const char *m = a;

	if (b && (!m || ctx_path_cmp(b, m) < 0))
		m = b;
	if (c && (!m || ctx_path_cmp(c, m) < 0))
		m = c;
	return m;
}

static int plan_items(struct twoway *t, const struct sync_tree *src, const struct sync_record *rec,
		      struct sync_twoway_plan *plan, struct cc_error **err)
{
	const struct ctx_list *sl = &src->list, *dl = &plan->dest;
	size_t i = 0, j = 0, k = 0;

	while (i < sl->n || j < dl->n || k < rec->n) {
		const char *p = next_path(i < sl->n ? sl->v[i].path : NULL, j < dl->n ? dl->v[j].path : NULL,
					  k < rec->n ? rec->v[k].path : NULL);
		struct sync_twoway_item it = { 0 };

		if (i < sl->n && !strcmp(sl->v[i].path, p))
			it.s = &sl->v[i], it.digest = src->digests[i], i++;
		if (j < dl->n && !strcmp(dl->v[j].path, p))
			it.d = &dl->v[j++];
		if (k < rec->n && !strcmp(rec->v[k].path, p))
			it.r = &rec->v[k++];
		if (sync_host_is_temp(p) && it.s && S_ISREG(it.s->mode))
			strlist_push(&plan->src_temps, p);
		if (sync_host_is_temp(p) ||
		    (it.s && !S_ISDIR(it.s->mode) && !S_ISREG(it.s->mode) && !S_ISLNK(it.s->mode)))
			continue; /* a killed sync's temporary; devices and FIFOs */
		if (decide_item(t, &it, err) < 0)
			return -1;
		plan->changes += it.action != SYNC_TW_KEEP && it.action != SYNC_TW_FORGET;
		VEC_PUSH(plan->v, plan->n, plan->cap, it);
	}
	return 0;
}

int sync_twoway_plan(const struct sync_job *job, const struct sync_tree *src, const struct sync_record *rec,
		     struct sync_twoway_plan *plan, struct cc_error **err)
{
	struct twoway t = { .job = job, .srcfd = -1 };
	int rc;

	t.rules_same = !strcmp(rec->rules, job->rewriter ? sync_rewriter_hash(job->rewriter) : "");
	memset(plan, 0, sizeof(*plan));
	plan->dest = (struct ctx_list)CTX_LIST_INIT;
	if ((t.dstfd = open(job->dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 && errno != ENOENT)
		return cc_error_set(err, "%s: %s", job->dst, strerror(errno));
	if (t.dstfd >= 0 && ctxwalk(job->dst, job->ignore, job->cancel, &plan->dest, err) < 0) {
		close(t.dstfd);
		return -1;
	}
	rc = plan_items(&t, src, rec, plan, err);
	if (t.dstfd >= 0)
		close(t.dstfd);
	return rc;
}

void sync_twoway_plan_release(struct sync_twoway_plan *plan)
{
	ctx_list_release(&plan->dest);
	strlist_release(&plan->src_temps);
	free(plan->v);
	memset(plan, 0, sizeof(*plan));
}

/* Copy the stat data of the to side's entry d into f. */
static void record_stat(struct sync_file *f, const struct ctx_entry *d)
{
	f->mode = d->mode;
	f->size = S_ISREG(d->mode) ? d->size : 0;
	f->mtime_ns = d->mtime_ns;
	f->ctime_ns = d->ctime_ns;
	f->ino = d->ino;
}

/* Read back path below fd: its SHA-256 must be want. */
static int read_back(int fd, const char *side, const char *path, const unsigned char want[32], struct cc_error **err)
{
	unsigned char have[32];

	if (sync_host_hash(fd, path, have, err) < 0)
		return -1;
	if (memcmp(have, want, 32))
		return cc_error_set(err, "%s: the %s side's copy does not read back as written (SHA-256 mismatch)",
				    path, side);
	return 0;
}

static int file_to_dest(struct twoway *t, const struct sync_twoway_item *it, struct sync_file *f, struct cc_error **err)
{
	cleanup_free char *data = NULL;
	unsigned char want[32], got[32];
	size_t len = 0;
	int rw = forward_bytes(t->job, it->s, &data, &len, err);

	if (rw < 0)
		return -1;
	if (rw)
		hash_sha256(data, len, want);
	else
		memcpy(want, it->digest, 32);
	if (sync_host_put_file(t->dstfd, it->s->path, it->s->mode, rw ? data : NULL, len, t->srcfd, it->s->path, got, f,
			       err) < 0)
		return -1;
	if (memcmp(got, want, 32))
		return cc_error_set(err, "%s changed on the from side while it was copied; run the sync again",
				    it->s->path);
	memcpy(f->sha, want, 32);
	memcpy(f->src, it->digest, 32);
	t->sum->bytes += f->size;
	return read_back(t->dstfd, "to", it->s->path, want, err);
}

static char *dup_bytes(const char *p, size_t n)
{
	char *c = xmalloc(n + 1);

	memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

/* The to side's bytes of d with the rewrite undone: 1 with *data (caller
 * frees), 0 when they go back as they are; -1 when undoing it does not
 * give back exactly what the rewrite would make again. */
static int reverse_bytes(struct twoway *t, const struct ctx_entry *d, unsigned char dsha[32], char **data, size_t *len,
			 struct cc_error **err)
{
	cleanup_free char *path = path_join(t->job->dst, d->path), *in = NULL, *again = NULL;
	size_t n, alen = 0;
	int rw;

	*data = NULL;
	if (!t->reverse || !sync_rewriter_matches(t->reverse, d->path) || d->size > REWRITE_MAX)
		return sync_host_hash(t->dstfd, d->path, dsha, err) < 0 ? -1 : 0;
	if (read_file_max(path, REWRITE_MAX, &in, &n, err) < 0)
		return cc_error_wrap(err, "cannot read the to side's file");
	hash_sha256(in, n, dsha);
	if (!(rw = sync_rewriter_apply(t->reverse, d->path, in, n, data, len)))
		*data = dup_bytes(in, n), *len = n;
	if (sync_rewriter_apply(t->job->rewriter, d->path, *data, *len, &again, &alen) == 0)
		again = dup_bytes(*data, *len), alen = *len;
	if (alen != n || memcmp(again, in, n)) {
		free(*data);
		*data = NULL;
		return cc_error_set(
			err,
			"%s: changed on the to side, but its rewrite cannot be undone exactly for the from side"
			" (rewrite with direction both: the file holds text the reverse replacement would"
			" change); make the change on the from side instead",
			d->path);
	}
	return 1;
}

static int file_to_source(struct twoway *t, const struct sync_twoway_item *it, struct sync_file *f,
			  struct cc_error **err)
{
	cleanup_free char *data = NULL;
	unsigned char dsha[32], got[32];
	size_t len = 0;
	int rw = reverse_bytes(t, it->d, dsha, &data, &len, err);

	if (rw < 0)
		return -1;
	if (sync_host_put_file(t->srcfd, it->d->path, it->d->mode, data, len, t->dstfd, it->d->path, got, NULL, err) <
	    0)
		return -1;
	if (!rw && memcmp(got, dsha, 32))
		return cc_error_set(err, "%s changed on the to side while it was copied; run the sync again",
				    it->d->path);
	record_stat(f, it->d);
	memcpy(f->sha, dsha, 32);
	memcpy(f->src, got, 32);
	t->sum->bytes += rw ? len : it->d->size;
	return read_back(t->srcfd, "from", it->d->path, got, err);
}

/* Make e (a directory, link or file of side `from`) on the other side. */
static int copy_item(struct twoway *t, const struct sync_twoway_item *it, int to_dest, struct cc_error **err)
{
	const struct ctx_entry *e = to_dest ? it->s : it->d;
	struct sync_file *f = sync_record_add(t->out, e->path, e->link);
	int fd = to_dest ? t->dstfd : t->srcfd, rc;

	f->mode = e->mode;
	if (S_ISDIR(e->mode))
		rc = sync_host_put_dir(fd, e->path, e->mode, to_dest ? f : NULL, err);
	else if (S_ISLNK(e->mode))
		rc = sync_host_put_link(fd, e->path, e->link, to_dest ? f : NULL, err);
	else
		return to_dest ? file_to_dest(t, it, f, err) : file_to_source(t, it, f, err);
	if (rc == 0 && !to_dest)
		record_stat(f, it->d);
	return rc;
}

/* Record an entry both sides hold alike; the to side's content hash is
 * taken from the record when the file is as recorded. */
static int record_same(struct twoway *t, const struct sync_twoway_item *it, struct cc_error **err)
{
	struct sync_file *f = sync_record_add(t->out, it->d->path, it->d->link);

	record_stat(f, it->d);
	if (!S_ISREG(it->d->mode))
		return 0;
	memcpy(f->src, it->digest, 32);
	if (it->action == SYNC_TW_KEEP && it->r) {
		memcpy(f->sha, it->r->sha, 32);
		return 0;
	}
	return sync_host_hash(t->dstfd, it->d->path, f->sha, err);
}

/* NAME.conflict-SIDE-TIME for path, TIME the version's mtime (UTC): a
 * rerun finds the copies it made and makes no more; n > 0 when that name
 * holds something else already. */
static char *conflict_name(const char *path, const char *side, int64_t mtime_ns, int n)
{
	time_t secs = (time_t)(mtime_ns / 1000000000);
	char stamp[32];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return n ? xasprintf("%s.conflict-%s-%s-%d", path, side, stamp, n)
		 : xasprintf("%s.conflict-%s-%s", path, side, stamp);
}

/* What name below fd holds: 0 nothing, 1 the content sha, 2 else; -1. */
static int copy_state(int fd, const char *name, const unsigned char sha[32], struct cc_error **err)
{
	unsigned char have[32];
	struct stat st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cc_error_set(err, "%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return 2;
	if (sync_host_hash(fd, name, have, err) < 0)
		return -1;
	return memcmp(have, sha, 32) ? 2 : 1;
}

/* Keep the version of path on side fromfd (content sha, mtime) beside
 * path on both sides; *name gets the copy's name (caller frees). */
static int keep_version(struct twoway *t, const char *path, const char *side, const struct ctx_entry *e, int fromfd,
			const unsigned char sha[32], char **name, struct cc_error **err)
{
	int fds[2] = { t->srcfd, t->dstfd }, state[2];
	unsigned char got[32];

	for (int n = 0; n < 100; n++) {
		*name = conflict_name(path, side, e->mtime_ns, n);
		if ((state[0] = copy_state(fds[0], *name, sha, err)) < 0 ||
		    (state[1] = copy_state(fds[1], *name, sha, err)) < 0)
			return -1;
		if (state[0] != 2 && state[1] != 2)
			break;
		free(*name);
		*name = NULL;
	}
	if (!*name)
		return cc_error_set(err, "%s: no free name for a conflict copy", path);
	for (int k = 0; k < 2; k++) {
		if (state[k] == 1)
			continue;
		if (sync_host_put_file(fds[k], *name, e->mode, NULL, 0, fromfd, path, got, NULL, err) < 0 ||
		    sync_host_sync_dir(fds[k], *name, err) < 0)
			return -1;
		if (memcmp(got, sha, 32))
			return cc_error_set(err, "%s changed on the %s side while it was kept; run the sync again",
					    path, side);
		t->sum->bytes += e->size;
	}
	return 0;
}

static void note_conflict(struct twoway *t, char *what)
{
	strlist_push(&t->sum->conflicts, what);
	free(what);
}

/* Changed on both sides: neither file is touched, both versions are kept
 * beside it on both sides, the old record entry stays (so it is still a
 * conflict next time, until both sides agree). */
static int conflict_keep(struct twoway *t, const struct sync_twoway_item *it, struct cc_error **err)
{
	cleanup_free char *from = NULL, *to = NULL;
	unsigned char dsha[32];

	if (it->r) {
		struct sync_file *f = sync_record_add(t->out, it->r->path, it->r->link);
		char *path = f->path, *link = f->link;

		*f = *it->r;
		f->path = path;
		f->link = link;
	}
	if (!S_ISREG(it->s->mode) || !S_ISREG(it->d->mode)) {
		note_conflict(t, xasprintf("%s (changed on both sides; neither side was touched)", it->s->path));
		return 0;
	}
	if (sync_host_hash(t->dstfd, it->d->path, dsha, err) < 0 ||
	    keep_version(t, it->s->path, "from", it->s, t->srcfd, it->digest, &from, err) < 0 ||
	    keep_version(t, it->d->path, "to", it->d, t->dstfd, dsha, &to, err) < 0)
		return cc_error_wrap(err, "keeping both versions of %s", it->s->path);
	note_conflict(t, xasprintf("%s (both versions kept on both sides: %s, %s)", it->s->path, from, to));
	return 0;
}

static int apply_item(struct twoway *t, const struct sync_twoway_item *it, struct cc_error **err)
{
	switch (it->action) {
	case SYNC_TW_KEEP:
	case SYNC_TW_RECORD: return record_same(t, it, err);
	case SYNC_TW_TO_DEST:
	case SYNC_TW_TO_SOURCE:
		if (copy_item(t, it, it->action == SYNC_TW_TO_DEST, err) < 0 ||
		    /* the rename reaches the disk with its directory */
		    sync_host_sync_dir(it->action == SYNC_TW_TO_DEST ? t->dstfd : t->srcfd,
				       (it->s ? it->s : it->d)->path, err) < 0)
			return -1;
		if (it->action == SYNC_TW_TO_DEST)
			t->sum->to_dest++;
		else
			t->sum->to_source++;
		return 0;
	case SYNC_TW_DELETE_DEST: strlist_push(&t->gone_dst, it->d->path); return 0;
	case SYNC_TW_DELETE_SOURCE: strlist_push(&t->gone_src, it->s->path); return 0;
	case SYNC_TW_CONFLICT: return conflict_keep(t, it, err);
	case SYNC_TW_FORGET: return 0;
	}
	return 0;
}

/* Remove the deletions of one side, children before their directory; a
 * directory that still holds something (kept, new) stays. */
static int remove_gone(struct twoway *t, int fd, const struct strlist *gone, struct cc_error **err)
{
	for (size_t k = gone->n; k-- > 0;) {
		struct cc_error *rerr = NULL;

		if (sync_host_remove(fd, gone->v[k], &rerr) < 0) {
			int notempty = strstr(rerr->msg, strerror(ENOTEMPTY)) != NULL;

			if (!notempty) {
				cc_error_set(err, "%s", rerr->msg);
				cc_error_free(rerr);
				return -1;
			}
			cc_error_free(rerr);
			continue;
		}
		t->sum->deleted++;
		if (sync_host_sync_dir(fd, gone->v[k], err) < 0)
			return -1;
	}
	return 0;
}

/* Temporaries a killed sync left on either side go first. */
static void remove_temps(int fd, const struct ctx_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		if (S_ISREG(l->v[k].mode) && sync_host_is_temp(l->v[k].path))
			sync_host_remove(fd, l->v[k].path, NULL);
}

static int apply_all(struct twoway *t, const struct sync_twoway_plan *plan, struct cc_error **err)
{
	remove_temps(t->dstfd, &plan->dest);
	for (size_t k = 0; k < plan->src_temps.n; k++)
		sync_host_remove(t->srcfd, plan->src_temps.v[k], NULL);
	for (size_t k = 0; k < plan->n; k++) {
		if (cancel_pending(t->job->cancel))
			return cc_error_set(err, "interrupted");
		if (apply_item(t, &plan->v[k], err) < 0)
			return -1;
	}
	return remove_gone(t, t->dstfd, &t->gone_dst, err) < 0 || remove_gone(t, t->srcfd, &t->gone_src, err) < 0 ? -1
														  : 0;
}

int sync_twoway_apply(const struct sync_job *job, const struct sync_rewriter *reverse,
		      const struct sync_twoway_plan *plan, struct sync_record *out, struct sync_twoway_summary *sum,
		      struct cc_error **err)
{
	struct twoway t = { .job = job, .reverse = reverse, .out = out, .sum = sum, .srcfd = -1, .dstfd = -1 };
	const char *rules = job->rewriter ? sync_rewriter_hash(job->rewriter) : "";
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(sum, 0, sizeof(*sum));
	snprintf(out->rules, sizeof(out->rules), "%s", rules);
	if ((t.dstfd = sync_host_open_root(job->dst, 1, err)) < 0)
		return -1;
	if ((t.srcfd = sync_host_open_root(job->src, 0, err)) >= 0)
		rc = apply_all(&t, plan, err);
	strlist_release(&t.gone_src);
	strlist_release(&t.gone_dst);
	if (t.srcfd >= 0)
		close(t.srcfd);
	close(t.dstfd);
	return rc;
}
