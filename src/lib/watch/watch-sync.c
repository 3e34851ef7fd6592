/* watch-sync: copy changed files into a container (watch-sync.h). */
#include "watch-sync.h"
#include "ctxwalk.h"
#include "engine-archive.h"
#include "engine-container.h"
#include "error.h"
#include "lists.h"
#include "subspan.h"
#include "tarstream.h"
#include "util.h"
#include "watch-rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_fd(void *ctx, const void *buf, size_t len)
{
	return write_full(*(int *)ctx, buf, len);
}

/* The tar of what still exists into a temporary file (*fd, caller
 * closes); gone paths into gone (borrowed dests). */
static int tar_build(const struct watch_copy *v, size_t n, int *fd, const char ***gone, size_t *ngone, size_t *nput,
		     struct cc_error **err)
{
	struct tar_entry *t = xcalloc(n ? n : 1, sizeof(*t));
	FILE *tmp = tmpfile();
	size_t k = 0;
	int rc = 0;

	*gone = xcalloc(n + 1, sizeof(**gone));
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].dest, "/"))
			continue;
		if (lstat(v[i].host, &t[k].st) < 0) {
			(*gone)[(*ngone)++] = v[i].dest;
			continue;
		}
		if (!S_ISREG(t[k].st.st_mode) && !S_ISDIR(t[k].st.st_mode) && !S_ISLNK(t[k].st.st_mode))
			continue; /* sockets, FIFOs: nothing to copy */
		t[k].path = v[i].dest + 1;
		t[k].abspath = v[i].host;
		k++;
	}
	if (!tmp)
		rc = cc_error_set(err, "a temporary file: %s", strerror(errno));
	else if ((*fd = dup(fileno(tmp))) < 0)
		rc = cc_error_set(err, "a temporary file: %s", strerror(errno));
	if (rc == 0 && k && tarstream_write(t, k, write_fd, fd, err) < 0)
		rc = cc_error_wrap(err, "packing the changed files");
	if (rc == 0 && lseek(*fd, 0, SEEK_SET) < 0)
		rc = cc_error_set(err, "a temporary file: %s", strerror(errno));
	if (tmp)
		fclose(tmp);
	*nput = k;
	free(t);
	return rc;
}

static int remove_gone(struct engine *e, const char *id, const char **gone, size_t n, const atomic_int *cancel,
		       struct cc_error **err)
{
	const char **argv = xcalloc(n + 4, sizeof(*argv));
	long status = 0;
	int rc;

	argv[0] = "rm";
	argv[1] = "-rf";
	argv[2] = "--";
	memcpy(argv + 3, gone, n * sizeof(*argv));
	rc = engine_container_exec(e, id, argv, NULL, NULL, NULL, cancel, &status, err);
	free(argv);
	if (rc == 0 && status != 0)
		rc = cc_error_set(err, "rm -rf in the container exited with %ld", status);
	return rc;
}

/* The span of one engine call of a copy into id, n paths. */
static void copy_span(struct subspans *spans, const char *name, int64_t t0, int rc, struct cc_error **err,
		      const char *id, size_t n)
{
	subspan_add(spans, name, t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:s, s:I}", "ccbuild.container", id, "ccbuild.watch.paths", (json_int_t)n));
}

int watch_sync_copy(struct engine *e, const char *id, const struct watch_copy *v, size_t n, const atomic_int *cancel,
		    size_t *copied, size_t *removed, struct subspans *spans, struct cc_error **err)
{
	const char **gone = NULL;
	size_t ngone = 0, nput = 0;
	int fd = -1, rc;
	int64_t t0;

	rc = tar_build(v, n, &fd, &gone, &ngone, &nput, err);
	if (rc == 0 && nput) {
		t0 = subspan_now();
		rc = engine_archive_put(e, id, "/", fd, cancel, err) < 0 ? -1 : 0;
		copy_span(spans, "engine.archive.put", t0, rc, err, id, nput);
	}
	if (rc == 0 && ngone) {
		t0 = subspan_now();
		rc = remove_gone(e, id, gone, ngone, cancel, err);
		copy_span(spans, "engine.exec", t0, rc, err, id, ngone);
	}
	if (fd >= 0)
		close(fd);
	free(gone);
	if (copied)
		*copied = rc == 0 ? nput : 0;
	if (removed)
		*removed = rc == 0 ? ngone : 0;
	return rc;
}

void watch_copies_add(struct watch_copies *c, const struct watch_rule *r, const char *host)
{
	char *dest = watch_rule_target(r, host);
	size_t n = c->n;

	VEC_PUSH(c->dests, n, c->dcap, dest);
	VEC_PUSH(c->v, c->n, c->cap, ((struct watch_copy){ host, dest }));
	c->restart |= r->action == WATCH_SYNC_RESTART;
}

void watch_copies_whole(struct watch_copies *c, const struct watch_rule *r, struct strlist *keep)
{
	struct ctx_list l = CTX_LIST_INIT;
	struct cc_error *err = NULL;

	if (ctxwalk(r->path, r->ig, NULL, &l, &err) < 0) {
		cc_error_free(err);
		strlist_push(keep, r->path); /* a single file: itself */
		watch_copies_add(c, r, keep->v[keep->n - 1]);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		cleanup_free char *host = path_join(r->path, l.v[i].path);

		strlist_push(keep, host);
		watch_copies_add(c, r, keep->v[keep->n - 1]);
	}
	ctx_list_release(&l);
}

void watch_copies_release(struct watch_copies *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->dests[i]);
	free(c->dests);
	free(c->v);
}
