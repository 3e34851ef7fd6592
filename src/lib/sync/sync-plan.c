/* sync-plan: deciding a sync against a destination listing (sync-plan.h). */
#include "sync-plan.h"
#include "ctxwalk.h"
#include "error.h"
#include "hash.h"
#include "ignore.h"
#include "sync-record.h"
#include "sync-rewrite.h"
#include "sync-tree.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Rewrite input is read whole: a larger file is copied as it is (as
 * sync-apply.c does). */
#define REWRITE_MAX ((size_t)64 << 20)

/* The bytes source file s gets in the destination: 1 with *data (caller
 * frees) when a rule rewrote it, 0 when it is copied as it is. */
static int plan_rewrite(const struct sync_rewriter *rw, const char *srcroot, const struct ctx_entry *s,
			const char *srcpath, char **data, size_t *len, struct cc_error **err)
{
	cleanup_free char *path = NULL, *in = NULL;
	size_t n;

	*data = NULL;
	if (!rw || !sync_rewriter_matches(rw, s->path) || s->size > REWRITE_MAX)
		return 0;
	path = path_join(srcroot, srcpath);
	if (read_file_max(path, REWRITE_MAX, &in, &n, err) < 0)
		return cc_error_wrap(err, "cannot read the source file");
	return sync_rewriter_apply(rw, s->path, in, n, data, len);
}

/* 1 when destination entry d already is what source entry s should become
 * (want: the bytes' SHA-256, for files). */
static int plan_same(const struct ctx_entry *s, const struct sync_file *d, const unsigned char want[32])
{
	if (!d || (d->mode & S_IFMT) != (s->mode & S_IFMT))
		return 0;
	if (S_ISLNK(s->mode))
		return d->link && s->link && !strcmp(d->link, s->link);
	if ((d->mode & 07777) != (s->mode & 07777))
		return 0;
	return !S_ISREG(s->mode) || !memcmp(d->sha, want, 32);
}

/* d (there, about to be replaced or removed) was not left so by the last
 * sync: name it. */
static void note_replaced(struct sync_plan *p, const struct sync_file *d, const struct sync_record *rec)
{
	const struct sync_file *r = sync_record_find(rec, d->path);

	if (S_ISDIR(d->mode))
		return;
	if (!r || (r->mode & S_IFMT) != (d->mode & S_IFMT) || (S_ISREG(d->mode) && memcmp(r->sha, d->sha, 32)) ||
	    (S_ISLNK(d->mode) && strcmp(r->link ? r->link : "", d->link ? d->link : "")))
		strlist_push(&p->replaced, d->path);
}

static int plan_entry(struct sync_plan *p, const struct sync_tree *src, size_t k, const char *srcroot,
		      const struct sync_rewriter *rw, const struct sync_record *dest, const struct sync_record *rec,
		      struct sync_record *next, struct cc_error **err)
{
	const struct ctx_entry *s = &src->list.v[k];
	const struct sync_file *d = sync_record_find(dest, s->path);
	struct sync_action act = { .src = k };
	struct sync_file *f;
	int rw_rc = 0;

	if (S_ISREG(s->mode)) {
		if ((rw_rc = plan_rewrite(rw, srcroot, s, sync_tree_source(src, k), &act.data, &act.len, err)) < 0)
			return -1;
		if (rw_rc)
			hash_sha256(act.data, act.len, act.sha);
		else
			memcpy(act.sha, src->digests[k], 32);
	} else if (!S_ISDIR(s->mode) && !S_ISLNK(s->mode)) {
		return 0; /* devices and FIFOs are not synced */
	}
	f = sync_record_add(next, s->path, s->link);
	f->mode = s->mode;
	f->size = S_ISREG(s->mode) ? (rw_rc ? act.len : s->size) : 0;
	f->mtime_ns = s->mtime_ns;
	if (S_ISREG(s->mode)) {
		memcpy(f->sha, act.sha, 32);
		memcpy(f->src, src->digests[k], 32);
	}
	if (plan_same(s, d, act.sha)) {
		free(act.data);
		p->same += !S_ISDIR(s->mode);
		return 0;
	}
	if (d)
		note_replaced(p, d, rec);
	act.kind = S_ISDIR(s->mode) ? SYNC_ACT_DIR : S_ISLNK(s->mode) ? SYNC_ACT_LINK : SYNC_ACT_FILE;
	VEC_PUSH(p->v, p->n, p->cap, act);
	return 0;
}

/* 1 when path lies below dir ("a/b" below "a"). */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Every directory above path into held. */
static void hold_parents(struct strlist *held, const char *path)
{
	cleanup_free char *dir = xstrdup(path);
	char *slash;

	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		if (!strlist_has(held, dir))
			strlist_push(held, dir);
	}
}

/* With delete: the destination's entries that the source has not, except
 * the excluded ones and the directories that hold one; the topmost only
 * (removing a directory removes what is in it). */
static void plan_removals(struct sync_plan *p, const struct sync_tree *src, const struct ignore *ig,
			  const struct sync_record *dest, const struct sync_record *rec)
{
	struct strlist held = { 0 }; /* directories holding an excluded entry */
	const char *last = NULL;

	for (size_t k = 0; k < dest->n; k++) {
		const char *path = dest->v[k].path;

		if (!strcmp(path, SYNC_STAGE_NAME) || below(path, SYNC_STAGE_NAME) || (ig && ignore_match(ig, path)))
			hold_parents(&held, path);
	}
	for (size_t k = 0; k < dest->n; k++) {
		const struct sync_file *d = &dest->v[k];

		if ((last && below(d->path, last)) || ctx_list_find(&src->list, d->path) ||
		    !strcmp(d->path, SYNC_STAGE_NAME) || below(d->path, SYNC_STAGE_NAME) ||
		    (ig && ignore_match(ig, d->path)) || (S_ISDIR(d->mode) && strlist_has(&held, d->path)))
			continue;
		note_replaced(p, d, rec);
		strlist_push(&p->remove, d->path);
		last = S_ISDIR(d->mode) ? d->path : last;
	}
	strlist_release(&held);
}

int sync_plan_make(const struct sync_tree *src, const char *srcroot, const struct sync_rewriter *rw,
		   const struct ignore *ig, int delete, const struct sync_record *dest, const struct sync_record *rec,
		   struct sync_plan *out, struct sync_record *next, struct cc_error **err)
{
	memset(out, 0, sizeof(*out));
	memset(next, 0, sizeof(*next));
	snprintf(next->rules, sizeof(next->rules), "%s", rw ? sync_rewriter_hash(rw) : "");
	for (size_t k = 0; k < src->list.n; k++)
		if (plan_entry(out, src, k, srcroot, rw, dest, rec, next, err) < 0)
			return -1;
	if (delete)
		plan_removals(out, src, ig, dest, rec);
	return 0;
}

void sync_plan_release(struct sync_plan *p)
{
	for (size_t k = 0; k < p->n; k++)
		free(p->v[k].data);
	free(p->v);
	strlist_release(&p->remove);
	strlist_release(&p->replaced);
	memset(p, 0, sizeof(*p));
}
