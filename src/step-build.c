/* step-build: the build:IMAGE step kind.
 *
 * check: hash the inputs (docs/hashing.md) with the identity of every
 * base: a manifest image's input hash, an external one's image ID as the
 * engine knows it.  Up to date when the hash equals
 * the last success and that image still exists; if the image exists but
 * its tag moved, the tag is put back instead of rebuilding.
 * run: stream the walked context to POST /build (BuildKit) and record the
 * image ID. */
#include "engine.h"
#include "error.h"
#include "gitinfo.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "ui.h"
#include "util.h"
#include "why.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* path relative to the working directory when it lies below it. */
static const char *shown_path(const char *path, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;

	if (n && !strncmp(path, cwd, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static void build_describe(const struct step *s, struct strbuf *out)
{
	const struct image *img = s->data;
	cleanup_free char *cwd = getcwd(NULL, 0);
	size_t i;

	strbuf_addf(out, "%s from %s", img->ref, shown_path(img->dockerfile, cwd));
	if (img->target)
		strbuf_addf(out, " target=%s", img->target);
	for (i = 0; i < img->platforms.n; i++)
		strbuf_addf(out, "%s%s", i ? "," : " platforms=", img->platforms.v[i]);
}

/* What check leaves for run. */
struct build_scratch {
	struct hash_result hr;
};

static void build_release(struct step_result *res)
{
	struct build_scratch *bs = res->scratch;

	hash_result_release(&bs->hr);
	free(bs);
	res->scratch = NULL;
}

static json_t *kv_object(const struct kvlist *kv)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < kv->n; i++)
		json_object_set_new(o, kv->keys[i], kv->vals[i] ? json_string(kv->vals[i]) : json_null());
	return o;
}

/* The identity of an external base: its image ID, "absent" or "unknown". */
static char *external_identity(struct runner *r, const char *ref, struct cc_error **err)
{
	json_t *info = NULL;
	char *id;
	int rc;

	if (!r->engine)
		return xstrdup("unknown (engine unreachable)");
	rc = engine_image_inspect(r->engine, ref, &info, err);
	if (rc < 0)
		return NULL;
	id = rc == 1 && json_string_value(json_object_get(info, "Id")) ? xstrdup(json_string_value(json_object_get(info, "Id")))
									: xstrdup("absent");
	json_decref(info);
	return id;
}

/* Base identities in a fixed order (manifest images as "build:KEY" with
 * their input hash first, then externals as written with their image ID),
 * into res->inputs.bases and ids. */
static int collect_bases(struct runner *r, size_t i, struct strlist *ids, json_t *bases, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	size_t j;

	for (j = 0; j < s->ndeps; j++) {
		const struct step *d = &r->project->graph.steps[s->deps[j]];
		const char *out = r->results[s->deps[j]].hash;

		if (d->kind != &step_kind_build)
			continue;
		if (!out)
			return cc_error_set(err, "%s has no input hash yet", d->id);
		json_object_set_new(bases, d->id, json_string(out));
		strlist_push(ids, d->id);
		strlist_push(ids, out);
	}
	for (j = 0; j < img->bases.n; j++) {
		char *id;

		if (project_image_named(r->project, img->bases.v[j]) >= 0)
			continue; /* a manifest image: identified by its hash above */
		id = external_identity(r, img->bases.v[j], err);
		if (!id)
			return -1;
		json_object_set_new(bases, img->bases.v[j], json_string(id));
		strlist_push(ids, img->bases.v[j]);
		strlist_push(ids, id);
		free(id);
	}
	return 0;
}

static json_t *build_inputs(const struct image *img, const char *dockerfile_text, json_t *bases)
{
	json_t *in = json_object();

	json_object_set_new(in, "dockerfile", json_string(dockerfile_text ? dockerfile_text : ""));
	json_object_set_new(in, "target", img->target ? json_string(img->target) : json_null());
	json_object_set_new(in, "platform", img->platforms.n == 1 ? json_string(img->platforms.v[0]) : json_null());
	json_object_set_new(in, "args", kv_object(&img->args));
	json_object_set_new(in, "labels", kv_object(&img->labels));
	json_object_set_new(in, "bases", bases);
	return in;
}

/* Hash everything into res (hash, inputs, files, scratch). */
static int compute(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct strlist ids = { 0 };
	struct build_scratch *bs = xcalloc(1, sizeof(*bs));
	struct hash_input in = { 0 };
	cleanup_free char *statcache = NULL, *dftext = NULL;
	json_t *bases = json_object();
	size_t len;
	int rc = -1;

	res->scratch = bs;
	if (collect_bases(r, i, &ids, bases, err) < 0) {
		json_decref(bases);
		goto out;
	}
	if (r->state_exists)
		statcache = state_statcache_path(r->state_dir, img->context, img->dockerfile);
	in.context = img->context;
	in.dockerfile = img->dockerfile;
	in.target = img->target;
	in.platform = img->platforms.n == 1 ? img->platforms.v[0] : NULL;
	in.args = &img->args;
	in.labels = &img->labels;
	in.bases = (const char *const *)ids.v;
	in.nbases = ids.n;
	in.statcache = dry && access(r->state_dir, W_OK) < 0 ? NULL : statcache;
	if (read_file(img->dockerfile, &dftext, &len, NULL) < 0)
		dftext = NULL;
	res->inputs = build_inputs(img, dftext, bases);
	if (hash_build_inputs(&in, &bs->hr, err) < 0)
		goto out;
	if (bs->hr.warning)
		runner_warn(r, "%s: %s", r->project->graph.steps[i].id, bs->hr.warning);
	res->hash = xstrdup(bs->hr.hex);
	res->files = bs->hr.files;
	memset(&bs->hr.files, 0, sizeof(bs->hr.files));
	rc = 0;
out:
	strlist_release(&ids);
	return rc;
}

/* Why the recorded run does not match: a reason, via why_diff. */
static char *change_reason(struct runner *r, const struct step_record *rec, const struct step_result *res)
{
	struct hash_manifest old = { 0 };
	struct strlist lines = { 0 };
	cleanup_free char *warning = NULL;
	int have = state_load_files(r->state_dir, rec, &old, &warning);
	char *reason;

	why_diff(rec->inputs, have == 1 ? &old : NULL, res->inputs, &res->files, 20, &lines);
	reason = why_summary(&lines);
	strlist_release(&lines);
	hash_manifest_release(&old);
	return reason;
}

/* The recorded image: 1 present with its tag (retagged when !dry), 0 gone. */
static int output_present(struct runner *r, const struct image *img, const struct step_record *rec,
			  struct step_result *res, int dry, struct cc_error **err)
{
	json_t *info = NULL;
	const char *id;
	int rc;

	if (!r->engine) {
		res->reason = xstrdup("inputs unchanged (engine unreachable: image not checked)");
		return 1;
	}
	rc = engine_image_inspect(r->engine, img->ref, &info, err);
	if (rc < 0)
		return -1;
	id = json_string_value(json_object_get(info, "Id"));
	if (rc == 1 && id && !strcmp(id, rec->output)) {
		json_decref(info);
		res->reason = xstrdup("inputs unchanged");
		return 1;
	}
	json_decref(info);
	info = NULL;
	rc = engine_image_inspect(r->engine, rec->output, &info, err);
	json_decref(info);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		res->reason = xasprintf("image %.19s no longer exists", rec->output);
		return 0;
	}
	if (!dry && engine_image_tag(r->engine, rec->output, img->ref, err) < 0)
		return -1;
	res->reason = xasprintf("inputs unchanged; %s %s to %.19s", img->ref, dry ? "would be retagged" : "retagged",
				rec->output);
	return 1;
}

static int build_check(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	struct step_result *res = &r->results[i];
	struct step_record rec;
	cleanup_free char *warning = NULL;
	int rc;

	if (compute(r, i, dry, err) < 0)
		return -1;
	if (state_load_step(r->state_dir, s->id, &rec, &warning) != 1) {
		if (warning)
			runner_warn(r, "%s", warning);
		res->reason = xstrdup(warning ? "state unreadable" : "no record of a previous successful run");
		return 0;
	}
	if (strcmp(rec.input, res->hash)) {
		res->reason = change_reason(r, &rec, res);
		step_record_release(&rec);
		return 0;
	}
	rc = output_present(r, img, &rec, res, dry, err);
	if (rc == 1) {
		res->output = xstrdup(rec.output);
		strlist_copy(&res->tags, &rec.tags);
	}
	step_record_release(&rec);
	return rc;
}

struct progress {
	struct runner *r;
	const char *step;
};

static void on_progress(void *ctx, const struct engine_event *ev)
{
	struct progress *p = ctx;
	char *note;

	switch (ev->kind) {
	case ENGINE_STEP_STARTED:
		ui_step_progress(p->r->ui, p->step, ev->step);
		break;
	case ENGINE_STEP_CACHED:
		note = xasprintf("CACHED %s", ev->step);
		ui_step_progress(p->r->ui, p->step, note);
		free(note);
		break;
	default:
		break;
	}
}

/* The walk as tar entries; paths borrowed from the walk, abspaths owned. */
static struct tar_entry *tar_entries(const char *context, const struct ctx_list *walk)
{
	struct tar_entry *v = xcalloc(walk->n ? walk->n : 1, sizeof(*v));
	size_t i;

	for (i = 0; i < walk->n; i++) {
		const struct ctx_entry *e = &walk->v[i];

		v[i].path = e->path;
		v[i].abspath = path_join(context, e->path);
		v[i].link = e->link;
		v[i].st.st_mode = e->mode;
		v[i].st.st_size = (off_t)e->size;
		v[i].st.st_mtim.tv_sec = e->mtime_ns / 1000000000;
		v[i].st.st_mtim.tv_nsec = e->mtime_ns % 1000000000;
	}
	return v;
}

/* The image's labels plus the default OCI labels from git, which the
 * user's own labels override.  Not part of the input hash (docs/hashing.md):
 * a new commit that changes nothing an image is built from does not
 * rebuild it, so revision names the commit it was built at. */
static void oci_labels(const struct runner *r, const struct image *img, struct kvlist *out)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	kvlist_set(out, "org.opencontainers.image.created", created);
	if (r->git && r->git->sha && *r->git->sha) {
		kvlist_set(out, "org.opencontainers.image.revision", r->git->sha);
		if (r->git->describe)
			kvlist_set(out, "org.opencontainers.image.version", r->git->describe);
		if (r->git->remote)
			kvlist_set(out, "org.opencontainers.image.source", r->git->remote);
	}
	for (size_t k = 0; k < img->labels.n; k++)
		kvlist_set(out, img->labels.keys[k], img->labels.vals[k]);
}

static int build_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	struct step_result *res = &r->results[i];
	struct build_scratch *bs = res->scratch;
	struct engine_build_req req = { 0 };
	struct progress p = { r, s->id };
	struct strlist tags = { 0 };
	struct kvlist labels = { 0 };
	cleanup_free char *dfdata = NULL;
	char *id = NULL;
	size_t k, dflen = 0;
	int rc;

	req.entries = tar_entries(img->context, &bs->hr.walk);
	req.nentries = bs->hr.walk.n;
	if (bs->hr.dockerfile_rel)
		req.dockerfile = bs->hr.dockerfile_rel;
	else if (read_file(img->dockerfile, &dfdata, &dflen, err) < 0)
		goto out;
	req.dockerfile_data = dfdata;
	req.dockerfile_len = dflen;
	strlist_push(&tags, img->ref);
	req.tags = &tags;
	req.cachefrom = img->cache_from.n ? &img->cache_from : NULL;
	req.buildargs = &img->args;
	oci_labels(r, img, &labels);
	req.labels = &labels;
	req.target = img->target;
	req.platform = img->platforms.n == 1 ? img->platforms.v[0] : NULL;
	rc = engine_build(r->engine, &req, on_progress, &p, r->cancel, &id, err);
	if (rc == 0) {
		res->output = id;
		strlist_copy(&res->tags, &tags);
	}
out:
	for (k = 0; k < req.nentries; k++)
		free((char *)req.entries[k].abspath);
	free((void *)req.entries);
	strlist_release(&tags);
	kvlist_release(&labels);
	return res->output ? 0 : -1;
}

const struct step_kind step_kind_build = {
	.name = "build",
	.needs_outputs = 0,
	.describe = build_describe,
	.check = build_check,
	.run = build_run,
	.release = build_release,
};
