/* backup-volume: volumes through the engine (backup-volume.h).  libcurl
 * pushes the archive while libarchive pulls it, so the transfer runs on a
 * thread at one end of a pipe (engine_archive_start) and libarchive works
 * at the other; the stream never exists whole in memory or on disk. */
#include "backup-volume.h"
#include "backup-repo.h"
#include "backup-snapshot.h"
#include "backup-source.h"
#include "backup-tree.h"
#include "engine-archive.h"
#include "engine-container.h"
#include "error.h"
#include "subspan.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A helper container for volume name: *id (caller frees and removes). */
static int helper(struct engine *e, const char *name, int must_exist, char **id, struct cc_error **err)
{
	int exists = engine_volume_inspect(e, name, NULL, err);
	json_t *body;

	*id = NULL;
	if (exists < 0)
		return -1;
	if (must_exist && !exists)
		return cc_error_set(err, "volume %s does not exist", name);
	if (!must_exist && exists)
		return cc_error_set(err, "volume %s exists already: restore into a new volume (--to volume:NEW)", name);
	if (!must_exist) {
		body = json_pack("{s:s, s:{s:s}}", "Name", name, "Labels", "ccbuild.restore", "1");
		exists = engine_volume_create(e, body, err);
		json_decref(body);
		if (exists < 0)
			return cc_error_wrap(err, "creating volume %s", name);
	}
	if (engine_helper_image(e, err) < 0)
		return -1;
	return engine_helper_create(e, name, "/data", id, err);
}

int bk_volume_read(struct engine *e, const char *name, struct bk_store *st, struct bk_entries *out, uint64_t *bytes,
		   struct cc_error **err)
{
	struct engine_archive_job *job;
	cleanup_free char *id = NULL;
	struct cc_error *mine = NULL;
	struct archive *a;
	int64_t t0 = subspan_now();
	size_t i;
	int fd, rc;

	if (helper(e, name, 1, &id, err) < 0)
		return cc_error_wrap(err, "volume %s", name);
	if (engine_archive_start(e, id, "/data", 0, st->cancel, &job, &fd, err) < 0) {
		engine_helper_remove(e, id, NULL);
		return -1;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	rc = archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK
		     ? cc_error_set(&mine, "reading the archive: %s", archive_error_string(a))
		     : bk_scan_archive(a, st, out, &mine);
	archive_read_free(a);
	close(fd); /* a transfer still writing gets EPIPE and ends */
	rc = engine_archive_finish(job, rc, mine, err);
	subspan_add(st->spans, "engine.archive.get", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:s, s:I}", "ccbuild.archive.source", "volume", "ccbuild.archive.entries",
			      (json_int_t)out->n));
	engine_helper_remove(e, id, NULL);
	for (i = 0; rc == 0 && bytes && i < out->n; i++)
		*bytes += out->v[i].type == BK_FILE ? out->v[i].size : 0;
	return rc < 0 ? cc_error_wrap(err, "volume %s", name) : 0;
}

static int write_entry(struct archive *a, const struct bk_repo *r, const struct bk_entry *x, struct cc_error **err)
{
	struct archive_entry *ae = archive_entry_new();
	size_t k, len;
	void *data;
	int rc = 0;

	archive_entry_set_pathname(ae, x->path);
	archive_entry_set_filetype(ae, x->type == BK_FILE ? AE_IFREG : x->type == BK_DIR ? AE_IFDIR : AE_IFLNK);
	archive_entry_set_perm(ae, x->mode);
	archive_entry_set_uid(ae, x->uid);
	archive_entry_set_gid(ae, x->gid);
	archive_entry_set_mtime(ae, (time_t)(x->mtime_ns / 1000000000), (long)(x->mtime_ns % 1000000000));
	archive_entry_set_size(ae, x->type == BK_FILE ? (la_int64_t)x->size : 0);
	if (x->type == BK_SYMLINK)
		archive_entry_set_symlink(ae, x->link);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		rc = cc_error_set(err, "writing %s: %s", x->path, archive_error_string(a));
	for (k = 0; rc == 0 && x->type == BK_FILE && k < x->nchunks; k++) {
		if (bk_repo_get(r, x->chunks[k], &data, &len, err) < 0)
			rc = cc_error_wrap(err, "/%s", x->path);
		else if (archive_write_data(a, data, len) != (la_ssize_t)len)
			rc = cc_error_set(err, "writing %s: %s", x->path, archive_error_string(a));
		free(data);
	}
	archive_entry_free(ae);
	return rc;
}

static int write_archive(struct engine *e, const char *id, const struct bk_repo *r, const struct bk_entries *list,
			 struct cc_error **err)
{
	struct engine_archive_job *job;
	struct cc_error *mine = NULL;
	struct archive *a;
	size_t i;
	int fd, rc = 0;

	if (engine_archive_start(e, id, "/data", 1, NULL, &job, &fd, err) < 0)
		return -1;
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		rc = cc_error_set(&mine, "archive: %s", archive_error_string(a));
	for (i = 0; rc == 0 && i < list->n; i++)
		rc = write_entry(a, r, &list->v[i], &mine);
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = cc_error_set(&mine, "archive: %s", archive_error_string(a));
	archive_write_free(a);
	close(fd);
	return engine_archive_finish(job, rc, mine, err);
}

int bk_entries_compare(const struct bk_entries *want, const struct bk_entries *got, struct cc_error **err)
{
	size_t i;

	if (want->n != got->n)
		return cc_error_set(err, "the volume holds %zu entries, the snapshot %zu", got->n, want->n);
	for (i = 0; i < want->n; i++) {
		const struct bk_entry *w = &want->v[i], *g = &got->v[i];

		if (strcmp(w->path, g->path) || w->type != g->type || w->mode != g->mode || w->uid != g->uid ||
		    w->gid != g->gid || (w->type == BK_SYMLINK && strcmp(w->link, g->link)) ||
		    (w->type == BK_FILE && (w->size != g->size || memcmp(w->sha, g->sha, 32))))
			return cc_error_set(err, "/%s differs from the snapshot after the restore", w->path);
	}
	return 0;
}

int bk_volume_write(struct engine *e, const char *name, const struct bk_repo *r, const struct bk_entries *list,
		    struct subspans *spans, struct cc_error **err)
{
	cleanup_free char *id = NULL;
	struct bk_entries got = { 0 };
	struct bk_store none = { .spans = spans };
	int64_t t0;
	int rc;

	if (helper(e, name, 0, &id, err) < 0)
		return cc_error_wrap(err, "restoring into volume %s", name);
	t0 = subspan_now();
	rc = write_archive(e, id, r, list, err);
	subspan_add(spans, "engine.archive.put", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:s, s:s, s:I}", "ccbuild.archive.target", "volume", "ccbuild.volume", name,
			      "ccbuild.archive.entries", (json_int_t)list->n));
	engine_helper_remove(e, id, NULL);
	if (rc == 0)
		rc = bk_volume_read(e, name, &none, &got, NULL, err);
	if (rc == 0)
		rc = bk_entries_compare(list, &got, err);
	bk_entries_release(&got);
	bk_store_release(&none);
	return rc < 0 ? cc_error_wrap(err, "restoring into volume %s (left as it is)", name) : 0;
}
