/* sync-engine: a sync into a volume or a container (sync-engine.h). */
#include "sync-engine.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "manifest-sync.h"
#include "sync-container.h"
#include "sync-plan.h"
#include "sync-record.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The running container of the job's service: *id (caller frees). */
static int service_container(const struct sync_engine_job *job, char **id, struct cc_error **err)
{
	const struct sync_spec *spec = job->spec;
	struct deploy_found_list found = { 0 };
	const char *state = NULL;

	*id = NULL;
	if (!job->compose)
		return cc_error_set(err, "the profile has no compose files, so there is no service %s", spec->service);
	if (compose_service_find(job->compose, spec->service) < 0)
		return cc_error_set(err, "there is no service %s in the compose files", spec->service);
	if (deploy_find_containers(job->e, compose_project_name(job->compose), &found, err) < 0)
		return -1;
	for (size_t k = 0; k < found.n && !*id; k++)
		if (!strcmp(found.v[k].service, spec->service) && !found.v[k].oneoff) {
			state = found.v[k].state;
			if (!strcmp(state, "running"))
				*id = xstrdup(found.v[k].id);
		}
	if (!*id)
		cc_error_set(err, "service %s is not running (%s); start it first (ccbuild up)", spec->service,
			     state ? state : "no container");
	deploy_found_release(&found);
	return *id ? 0 : -1;
}

/* "volume NAME CREATED" of volume name. */
static int volume_identity(struct engine *e, const char *name, char **out, struct cc_error **err)
{
	json_t *info = NULL;
	int rc = engine_volume_inspect(e, name, &info, err);

	if (rc < 0)
		return -1;
	*out = xasprintf("volume %s %s", name,
			 rc ? (json_string_value(json_object_get(info, "CreatedAt")) ?: "?") : "absent");
	json_decref(info);
	return 0;
}

int sync_engine_identity(const struct sync_engine_job *job, char **out, struct cc_error **err)
{
	struct sync_volume v;
	cleanup_free char *id = NULL;
	int rc;

	*out = NULL;
	if (job->spec->target == SYNC_TO_SERVICE) {
		if (service_container(job, &id, err) < 0)
			return -1;
		*out = xasprintf("container %s", id);
		return 0;
	}
	if (sync_target_volume(job->spec, job->compose, job->built, job->built_ctx, &v, err) < 0)
		return -1;
	rc = volume_identity(job->e, v.volume, out, err);
	sync_target_release(&v);
	return rc;
}

/* The helper container for the job's volume, the volume made first when
 * it is a compose volume (with compose's labels) that does not exist. */
static int open_volume(const struct sync_engine_job *job, struct sync_volume *v, struct sync_container *c,
		       struct cc_error **err)
{
	const struct sync_spec *spec = job->spec;
	json_t *info = NULL;
	int have;

	if (sync_target_volume(spec, job->compose, job->built, job->built_ctx, v, err) < 0)
		return -1;
	have = engine_image_inspect(job->e, v->image, &info, err);
	json_decref(info);
	if (have < 0)
		return -1;
	if (!have)
		return cc_error_set(err,
				    "the helper image %s%s%s%s is not on the engine; build or pull it first, or"
				    " set helper_image: to a local image",
				    v->image, v->service ? " (service " : "", v->service ? v->service : "",
				    v->service ? "'s)" : "");
	if (v->create && (have = engine_volume_inspect(job->e, v->volume, NULL, err)) == 0 &&
	    engine_volume_create(job->e, v->create, err) < 0)
		return cc_error_wrap(err, "creating volume %s", v->volume);
	if (have < 0)
		return -1;
	return sync_container_open_volume(job->e, v->volume, job->dir ? job->dir : spec->subdir, v->image, v->mount,
					  job->helper_name, job->cancel, c, err);
}

/* Carry out plan in c, then read back what was written. */
static int apply_plan(const struct sync_engine_job *job, struct sync_container *c, const struct sync_plan *plan,
		      const struct sync_tree *tree, struct sync_engine_summary *sum, struct cc_error **err)
{
	unsigned long long bytes = 0;

	if (plan->n && sync_container_write(c, plan, tree, job->src, &bytes, err) < 0)
		return -1;
	if (plan->remove.n && sync_container_remove(c, &plan->remove, err) < 0)
		return -1;
	if (plan->n && sync_container_verify(c, plan, tree, err) < 0)
		return -1;
	for (size_t k = 0; k < plan->n; k++)
		sum->copied += plan->v[k].kind != SYNC_ACT_DIR;
	sum->deleted = plan->remove.n;
	sum->same = plan->same;
	sum->bytes = bytes;
	return 0;
}

/* A single-file sync replaces a file, never a directory or a symlink. */
static int check_only(const struct sync_engine_job *job, const struct sync_container *c, const struct sync_record *dest,
		      struct cc_error **err)
{
	const struct sync_file *d = job->only ? sync_record_find(dest, job->only) : NULL;
	cleanup_free char *full = NULL;

	if (!d || S_ISREG(d->mode))
		return 0;
	full = path_join(c->root, job->only);
	return cc_error_set(err,
			    "%s:%s is a %s, not a file: a single-file sync writes over a file only (end to: with '/'"
			    " to sync the file into a directory)",
			    c->what, full,
			    S_ISDIR(d->mode)   ? "directory"
			    : S_ISLNK(d->mode) ? "symlink"
					       : "special file");
}

int sync_engine_run(const struct sync_engine_job *job, const struct sync_tree *tree, const struct sync_record *rec,
		    struct sync_record *out, char **identity, struct sync_engine_summary *sum, struct cc_error **err)
{
	struct sync_volume v = { 0 };
	struct sync_container c = { 0 };
	struct sync_record dest = { 0 };
	struct sync_plan plan = { 0 };
	cleanup_free char *id = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(sum, 0, sizeof(*sum));
	*identity = NULL;
	if (job->spec->target == SYNC_TO_SERVICE) {
		rc = service_container(job, &id, err);
		if (rc == 0)
			sync_container_open_service(job->e, id, job->spec->service,
						    job->dir ? job->dir : job->spec->path, job->cancel, &c);
	} else {
		rc = open_volume(job, &v, &c, err);
	}
	c.spans = job->spans;
	c.only = job->only;
	if (rc == 0)
		rc = sync_container_list(&c, &dest, err);
	if (rc == 0)
		rc = check_only(job, &c, &dest, err);
	if (rc == 0)
		rc = sync_plan_make(tree, job->src, job->rewriter, job->ignore, job->only ? 0 : job->spec->delete,
				    &dest, rec, &plan, out, err);
	if (rc == 0)
		rc = apply_plan(job, &c, &plan, tree, sum, err);
	if (rc == 0)
		rc = id ? (*identity = xasprintf("container %s", id), 0)
			: volume_identity(job->e, v.volume, identity, err);
	strlist_copy(&sum->replaced, &plan.replaced);
	sync_plan_release(&plan);
	sync_record_release(&dest);
	sync_container_close(&c);
	sync_target_release(&v);
	if (rc < 0)
		sync_record_release(out);
	return rc;
}
