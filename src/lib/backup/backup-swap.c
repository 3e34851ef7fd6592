/* backup-swap: a restore over volumes in use (backup-swap.h).
 *
 * The swap container runs the image of a container that mounts the
 * volume (the service's own, which has a shell: the helper image of
 * backup-volume.c is empty), as root, with the volume at /data and the
 * verified new volume at /new (read only).  Its script, SWAP_SCRIPT, has
 * three modes:
 *   swap      every entry of /data moved into /data/.ccbuild-restore-old
 *             (renames in one file system), then /new copied in (cp -a);
 *             when the copy fails the old entries are put back;
 *   commit    .ccbuild-restore-old renamed to .ccbuild-restore-done and
 *             removed (a rename first, so that a cut removal is never
 *             taken for data to put back);
 *   rollback  the new entries removed, the old ones moved back.
 * swap starts with a rollback when .ccbuild-restore-old is still there
 * (a swap or verification cut short), so a rerun starts from the current
 * data.  The container runs to its end even when ccbuild is killed. */
#include "backup-swap.h"
#include "backup-quiesce.h"
#include "backup-service.h"
#include "backup-tree.h"
#include "backup-source.h"
#include "backup-volume.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "subspan.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ASIDE ".ccbuild-restore-old"

static const char SWAP_SCRIPT[] =
	"set -e\n"
	"cd /data\n"
	"O=" ASIDE " D=.ccbuild-restore-done\n"
	"each() { for f in * .[!.]* ..?*; do if [ -e \"$f\" ] || [ -h \"$f\" ]; then\n"
	"  case $f in $O|$D) ;; *) \"$@\" \"$f\" ;; esac; fi; done; }\n"
	"aside() { mv -- \"$1\" $O/; }\n"
	"back() { each rm -rf --; cd $O; for f in * .[!.]* ..?*; do if [ -e \"$f\" ] || [ -h \"$f\" ]; then\n"
	"  mv -- \"$f\" ../; fi; done; cd ..; rmdir $O; }\n"
	"[ ! -e $D ] || rm -rf $D\n"
	"case $1 in\n"
	"swap) [ ! -d $O ] || back; mkdir $O; each aside\n"
	"  if ! cp -a /new/. /data/; then back; echo 'copy failed; the old content is back' >&2; exit 1; fi ;;\n"
	"commit) if [ -d $O ]; then mv $O $D; rm -rf $D; fi ;;\n"
	"rollback) [ ! -d $O ] || back ;;\n"
	"*) exit 2 ;;\n"
	"esac\n";

struct target {
	const char *name;	       /* the volume (borrowed) */
	const struct bk_entries *list; /* its content (borrowed) */
	char *fresh;		       /* VOLUME-restore-TAG, or NULL: written directly */
	char *image;		       /* of a container mounting it: runs the swap */
	int swapped;		       /* the swap ran: commit or roll back */
};

/* Run SWAP_SCRIPT in mode over t; 0 or -1 with its output. */
static int swap_run(const struct bk_swap_opts *o, const struct target *t, const char *mode, struct cc_error **err)
{
	cleanup_free char *data = xasprintf("%s:/data", t->name), *fresh = xasprintf("%s:/new:ro", t->fresh);
	cleanup_free char *id = NULL, *out = NULL;
	json_t *body =
		json_pack("{s:s, s:s, s:[s,s], s:[s,s,s], s:b, s:{s:s}, s:{s:[s,s]}}", "Image", t->image, "User", "0:0",
			  "Entrypoint", "/bin/sh", "-c", "Cmd", SWAP_SCRIPT, "swap", mode, "NetworkDisabled", 1,
			  "Labels", "ccbuild.backup.helper", "1", "HostConfig", "Binds", data, fresh);
	long status = -1;
	int64_t t0 = subspan_now();
	int rc = engine_container_create(o->e, NULL, body, &id, err);

	json_decref(body);
	if (rc == 0)
		rc = engine_container_start(o->e, id, err);
	if (rc == 0)
		rc = engine_container_wait(o->e, id, "not-running", NULL, &status, err);
	if (rc == 0 && status != 0) {
		engine_container_tail(o->e, id, 20, &out, NULL);
		rc = cc_error_set(err, "the %s container (image %s) exited with code %ld: %s", mode, t->image, status,
				  out && *out ? out : "no output");
	}
	if (id)
		engine_container_remove(o->e, id, 1, 0, NULL);
	subspan_add(o->spans, "engine.container.run", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:s, s:s}", "ccbuild.swap.mode", mode, "ccbuild.volume", t->name));
	return rc < 0 ? cc_error_wrap(err, "volume %s", t->name) : 0;
}

/* What the volume holds now, less the content set aside, against t's
 * listing. */
static int swap_verify(const struct bk_swap_opts *o, const struct target *t, struct cc_error **err)
{
	struct bk_entries got = { 0 }, kept = { 0 };
	struct bk_store none = { .spans = o->spans };
	size_t i;
	int rc = bk_volume_read(o->e, t->name, &none, &got, NULL, err);

	for (i = 0; rc == 0 && i < got.n; i++) {
		const char *p = got.v[i].path;
		struct bk_entry *y;
		char *owned;

		if (!strcmp(p, ASIDE) || str_has_prefix(p, ASIDE "/"))
			continue;
		y = bk_entries_add(&kept, p, got.v[i].type);
		owned = y->path;
		*y = got.v[i];
		y->path = owned;
		got.v[i].link = NULL;
		got.v[i].chunks = NULL;
		got.v[i].nchunks = 0;
	}
	if (rc == 0)
		rc = bk_entries_compare(t->list, &kept, err);
	bk_entries_release(&got);
	bk_entries_release(&kept);
	bk_store_release(&none);
	return rc < 0 ? cc_error_wrap(err, "volume %s after the swap", t->name) : 0;
}

static void plan(const struct bk_swap_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plan(const struct bk_swap_opts *o, const char *fmt, ...)
{
	cleanup_free char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_push(o->plan, line);
}

/* Remove the helper containers (a killed run's) that mount volume name. */
static int remove_helpers(const struct bk_swap_opts *o, const char *name, struct cc_error **err)
{
	struct strlist labels = { 0 };
	json_t *list = NULL, *c, *m;
	size_t i, k;
	int rc;

	strlist_push(&labels, "ccbuild.backup.helper");
	rc = engine_container_list(o->e, &labels, &list, err);
	strlist_release(&labels);
	json_array_foreach(rc == 0 ? list : NULL, i, c) json_array_foreach(json_object_get(c, "Mounts"), k, m)
	{
		const char *vol = json_string_value(json_object_get(m, "Name"));
		const char *id = json_string_value(json_object_get(c, "Id"));

		if (rc == 0 && vol && id && !strcmp(vol, name))
			rc = engine_container_remove(o->e, id, 1, 0, err) < 0 ? -1 : 0;
	}
	json_decref(list);
	return rc;
}

/* An earlier run's VOLUME-restore-TAG (labelled ccbuild.restore) removed,
 * with the helpers a killed run left on it; a volume of that name that
 * ccbuild did not make is an error. */
static int clear_fresh(const struct bk_swap_opts *o, const char *name, struct cc_error **err)
{
	json_t *info = NULL;
	int rc = engine_volume_inspect(o->e, name, &info, err);

	if (rc == 1 && !json_object_get(json_object_get(info, "Labels"), "ccbuild.restore"))
		rc = cc_error_set(err, "volume %s exists and is not one a restore made; remove or rename it", name);
	else if (rc == 1)
		rc = remove_helpers(o, name, err) < 0 || engine_volume_remove(o->e, name, 0, err) < 0 ? -1 : 0;
	json_decref(info);
	return rc < 0 ? -1 : 0;
}

/* t's new content written and verified beside it (or into it, when it
 * does not exist), and the image for its swap found. */
static int prepare(const struct bk_swap_opts *o, const struct bk_repo *r, struct target *t, struct cc_error **err)
{
	struct strlist images = { 0 };
	int exists = engine_volume_inspect(o->e, t->name, NULL, err);

	if (exists < 0)
		return -1;
	if (!exists && o->plan)
		plan(o, "write the snapshot into the new volume %s and verify it", t->name);
	if (!exists)
		return o->plan ? 0 : bk_volume_write(o->e, t->name, r, t->list, o->spans, err);
	t->fresh = xasprintf("%s-restore-%.12s", t->name, o->tag);
	if (bk_volume_users(o->e, t->name, 1, NULL, NULL, &images, err) < 0)
		return -1;
	if (images.n)
		t->image = xstrdup(images.v[0]);
	strlist_release(&images);
	if (!t->image)
		return cc_error_set(err,
				    "volume %s exists and no container mounts it, so there is no image to swap its "
				    "content in: restore beside it (--to volume:NEW)",
				    t->name);
	if (o->plan) {
		plan(o, "write the snapshot into the new volume %s and verify it", t->fresh);
		return 0;
	}
	if (clear_fresh(o, t->fresh, err) < 0)
		return -1;
	return bk_volume_write(o->e, t->fresh, r, t->list, o->spans, err);
}

/* Stop the running containers that mount a volume of t (recorded in
 * q->record first). */
static int stop_users(const struct bk_swap_opts *o, struct target *t, size_t n, struct bk_quiesce *q,
		      struct cc_error **err)
{
	struct strlist ids = { 0 }, names = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		if (t[i].fresh)
			rc = bk_volume_users(o->e, t[i].name, 0, &ids, &names, NULL, err);
	if (rc == 0 && o->plan && names.n) {
		cleanup_free char *list = strlist_join(&names, ", ");

		plan(o, "stop %s (they use the volume), then start them again and wait until healthy", list);
	}
	if (rc == 0 && !o->plan) {
		int64_t t0 = subspan_now();

		rc = bk_quiesce_stop(q, &ids, &names, err);
		if (ids.n)
			subspan_add(o->spans, "engine.container.stop", t0, 0, rc < 0,
				    rc < 0 && *err ? (*err)->msg : NULL,
				    json_pack("{s:I}", "ccbuild.containers", (json_int_t)ids.n));
	}
	strlist_release(&ids);
	strlist_release(&names);
	return rc;
}

/* Swap every volume of t that has fresh content, then verify each. */
static int swap_all(const struct bk_swap_opts *o, struct target *t, size_t n, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		if (t[i].fresh && o->plan)
			plan(o,
			     "move the content of %s aside inside it, copy %s in (a container of %s), verify it, "
			     "then drop the old content (put it back on any failure)",
			     t[i].name, t[i].fresh, t[i].image);
		else if (t[i].fresh) {
			t[i].swapped = 1; /* a failed swap puts the old back itself; a rollback is then a no-op */
			rc = swap_run(o, &t[i], "swap", err);
		}
	for (i = 0; rc == 0 && !o->plan && i < n; i++)
		if (t[i].fresh)
			rc = swap_verify(o, &t[i], err);
	return rc;
}

/* Commit (ok) or roll back every swapped volume, then remove the fresh
 * volumes; failures are added to err. */
static int finish(const struct bk_swap_opts *o, struct target *t, size_t n, int ok, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (t[i].swapped && swap_run(o, &t[i], ok ? "commit" : "rollback", err) < 0)
			rc = -1;
		if (t[i].fresh && !o->plan && (!t[i].swapped || rc == 0))
			engine_volume_remove(o->e, t[i].fresh, 0, NULL);
	}
	return rc;
}

/* Start what stop_users stopped and wait for it (a span when it did). */
static int quiesce_end(const struct bk_swap_opts *o, struct bk_quiesce *q, struct cc_error **err)
{
	int64_t t0 = subspan_now();
	size_t n = q->stopped.n;
	int rc = bk_quiesce_end(q, err);

	if (n)
		subspan_add(o->spans, "engine.container.start", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
			    json_pack("{s:I, s:b}", "ccbuild.containers", (json_int_t)n, "ccbuild.wait.healthy", 1));
	return rc;
}

int bk_swap_restore(const struct bk_swap_opts *o, const struct bk_repo *r, const struct strlist *vols,
		    const struct bk_entries *lists, struct cc_error **err)
{
	struct target *t = xcalloc(vols->n ? vols->n : 1, sizeof(*t));
	struct bk_quiesce q = { .e = o->e, .wait_timeout_ms = o->wait_timeout_ms, .record = o->stopped_file };
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < vols->n; i++) {
		t[i].name = vols->v[i];
		t[i].list = &lists[i];
		if (cancel_pending(o->cancel))
			rc = cc_error_set(err, "interrupted");
		else
			rc = prepare(o, r, &t[i], err);
	}
	if (!o->plan)
		bk_quiesce_recover(&q);
	if (rc == 0)
		rc = stop_users(o, t, vols->n, &q, err);
	if (rc == 0)
		rc = swap_all(o, t, vols->n, err);
	if (finish(o, t, vols->n, rc == 0, err) < 0)
		rc = -1;
	if (quiesce_end(o, &q, err) < 0)
		rc = -1;
	for (i = 0; i < vols->n; i++) {
		free(t[i].fresh);
		free(t[i].image);
	}
	free(t);
	bk_quiesce_release(&q);
	return rc;
}
