/* step-base: the bases of a build:IMAGE step (step-base.h): the identity
 * of each (a manifest image's input hash, an external image's ID or
 * registry digest) for the input hash, and making them local before the
 * build, private ones per platform (privbase.h). */
#include "step-base.h"
#include "step-image.h"
#include "engine.h"
#include "error.h"
#include "graph.h"
#include "imageref.h"
#include "privbase.h"
#include "project.h"
#include "registry.h"
#include "runner.h"
#include "state.h"
#include "ui.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* An external base the engine does not have: its digest where the
 * reference names a registry host (one HEAD; BuildKit resolves it there
 * too), else "absent".  Docker Hub short names are never asked. */
static char *registry_identity(const char *ref, int offline, struct cc_error **err)
{
	cleanup_free char *host = NULL, *path = NULL, *tag = NULL, *repo = NULL;
	struct registry_manifest m;
	char *id = NULL;
	int rc;

	if (registry_split(ref, &host, &path, &tag) < 0)
		return xstrdup("absent");
	if (offline)
		return xstrdup("unknown (offline)");
	repo = xasprintf("%s/%s", host, path);
	rc = registry_manifest_head(repo, tag ? tag : "latest", &m, err);
	if (rc == 1 && m.digest)
		id = xasprintf("registry %s", m.digest);
	else if (rc >= 0)
		id = xstrdup("absent");
	registry_manifest_release(&m);
	return id;
}

/* An image pulled from ref's repository is identified as the registry
 * names it ("registry sha256:..." from its RepoDigests): the same identity
 * it had before it was pulled, so pulling a base (privbase) rebuilds
 * nothing.  NULL when it was not pulled from there. */
static char *pulled_identity(const char *ref, const json_t *info)
{
	const char *d = privbase_pulled_digest(info, ref);

	return d ? xasprintf("registry %s", d) : NULL;
}

/* The identity of an external base: its image ID (or the registry digest
 * it was pulled by), its registry digest, "absent" or "unknown". */
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
	id = rc == 1 ? pulled_identity(ref, info) : NULL;
	if (!id && rc == 1 && json_string_value(json_object_get(info, "Id")))
		id = xstrdup(json_string_value(json_object_get(info, "Id")));
	json_decref(info);
	return id ? id : registry_identity(ref, r->offline, err);
}

/* The identity of an external base of an image with build.pull: the
 * digest its registry has now (pull=1 makes BuildKit resolve it there), so
 * a moved tag rebuilds; a Docker Hub short name, or offline, as above. */
static char *pull_identity(struct runner *r, const char *ref, struct cc_error **err)
{
	cleanup_free char *host = NULL, *path = NULL, *tag = NULL;

	if (r->offline || registry_split(ref, &host, &path, &tag) < 0)
		return external_identity(r, ref, err);
	return registry_identity(ref, 0, err);
}

/* 1 when each platform's build of img looks ref up per platform: img is
 * built for platforms and ref is not used FROM --platform=$BUILDPLATFORM. */
static int per_platform_base(const struct image *img, const char *ref)
{
	return img->spec.platforms.n > 0 && strlist_has(&img->platform_bases, ref);
}

/* The local name of platform's image of private base ref: REF-os-arch, or
 * for a reference by digest (REPO@sha256:HEX) REPO:ccb-HEX16-os-arch. */
char *build_private_local_ref(const char *ref, const char *platform)
{
	const char *at = strchr(ref, '@'), *hex;
	char *out, *p;

	if (!at)
		return build_platform_ref(ref, platform);
	hex = strchr(at, ':') ? strchr(at, ':') + 1 : at + 1;
	out = xasprintf("%.*s:ccb-%.16s-%s", (int)(at - ref), ref, hex, platform);
	for (p = strrchr(out, ':') + 1; *p; p++)
		if (*p == '/')
			*p = '-';
	return out;
}

/* Will the build pull its private bases itself, asking the session's auth
 * service for credentials (no --no-session; BuildKit and API 1.39+, where
 * engine_build opens a session)?  Then a base looked up once, not per
 * platform, needs no pre-pull. */
static int build_session_pulls(struct runner *r)
{
	const char *v = engine_api_version(r->engine);
	int major = 0, minor = 0;

	return !r->no_session && engine_has_buildkit(r->engine) && v && sscanf(v, "%d.%d", &major, &minor) == 2 &&
	       major * 100 + minor >= 139;
}

/* An external base of img in a registry the docker config has
 * credentials for: *auth set (else NULL, also for manifest images), and 1
 * when each platform's build of img looks it up per platform
 * (per_platform_base); -1 with err for unusable credentials. */
int build_private_per_platform(const struct runner *r, const struct image *img, const char *ref, char **auth,
			       struct cc_error **err)
{
	*auth = NULL;
	if (project_base_image(r->project, img, ref) >= 0)
		return 0;
	if (privbase_auth(ref, auth, err) < 0)
		return -1;
	return *auth ? per_platform_base(img, ref) : 0;
}

/* When img's Dockerfile names img's own reference (project_base_is_self)
 * and the engine's image of that name (id) is this step's own last build:
 * the identity recorded then, that of the external image it was built
 * FROM, so that a build never changes its own inputs.  Else id.  Takes id. */
static char *own_base_identity(struct runner *r, size_t i, const char *key, char *id)
{
	struct step_record rec;
	cleanup_free char *warning = NULL;
	const char *prev;

	if (state_load_step(r->state_dir, r->project->graph.steps[i].id, &rec, &warning) != 1)
		return id;
	prev = json_string_value(json_object_get(json_object_get(rec.inputs, "bases"), key));
	if (prev && rec.output && strstr(rec.output, id)) {
		free(id);
		id = xstrdup(prev);
	}
	step_record_release(&rec);
	return id;
}

/* The external bases of step i's image, each once under its normalised
 * reference (imageref.h), with its identity, in FROM order. */
static int collect_external(struct runner *r, size_t i, struct strlist *ids, json_t *bases, struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	size_t j;

	for (j = 0; j < img->bases.n; j++) {
		const char *ref = img->bases.v[j];
		cleanup_free char *norm = imageref_normalized(ref), *auth = NULL;
		const char *key = norm ? norm : ref;
		char *id;

		if (project_base_image(r->project, img, ref) >= 0 || json_object_get(bases, key))
			continue; /* a manifest image (identified by its hash), or named twice */
		/* credentials (a helper may run) only asked where they can matter */
		int per = 0;

		if (per_platform_base(img, ref) && !r->offline &&
		    (per = build_private_per_platform(r, img, ref, &auth, err)) < 0)
			return -1;
		if (per)
			id = registry_identity(ref, 0, err); /* its index: what each platform pulls */
		else if (img->spec.pull)
			id = pull_identity(r, ref, err);
		else
			id = external_identity(r, ref, err);
		if (id && project_base_is_self(img, ref))
			id = own_base_identity(r, i, key, id);
		if (!id)
			return -1;
		json_object_set_new(bases, key, json_string(id));
		strlist_push(ids, key);
		strlist_push(ids, id);
		free(id);
	}
	return 0;
}

/* Base identities in a fixed order (manifest images as "build:KEY" with
 * their input hash first, then externals by normalised reference with
 * their image ID), into res->inputs.bases and ids. */
int build_collect_bases(struct runner *r, size_t i, struct strlist *ids, json_t *bases, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	size_t j;

	for (j = 0; j < s->ndeps; j++) {
		const struct step *d = &r->project->graph.steps[s->deps[j]];
		const char *out = r->results[s->deps[j]].hash;

		if (d->kind != s->kind) /* a build it is built FROM */
			continue;
		if (!out)
			return cc_error_set(err, "%s has no input hash yet", d->id);
		json_object_set_new(bases, d->id, json_string(out));
		strlist_push(ids, d->id);
		strlist_push(ids, out);
	}
	return collect_external(r, i, ids, bases, err);
}

/* A base found in the registry (not built here) must be local before an
 * image is built FROM it, and so must an external base in a registry that
 * wants credentials (privbase.h): for a build per platform, each
 * platform's image under REF-os-arch. */
int build_bases_local(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	size_t j, k;

	for (j = 0; j < s->ndeps; j++)
		if (r->project->graph.steps[s->deps[j]].kind == s->kind &&
		    build_make_local(r, s->deps[j], i, img, err) < 0)
			return -1;
	for (j = 0; j < img->bases.n; j++) {
		const char *ref = img->bases.v[j];
		cleanup_free char *auth = NULL, *note = NULL, *norm = imageref_normalized(ref);
		int per = build_private_per_platform(r, img, ref, &auth, err);
		struct strlist locals = { 0 };
		const char *index;
		int rc;

		if (per < 0)
			return -1;
		if (!auth || (!per && build_session_pulls(r)))
			continue;
		note = xasprintf("making %s local", ref);
		ui_step_progress(r->ui, s->id, note);
		for (k = 0; per && k < img->spec.platforms.n; k++) {
			char *local = build_private_local_ref(ref, img->spec.platforms.v[k]);

			strlist_push(&locals, local);
			free(local);
		}
		index = json_string_value(
			json_object_get(json_object_get(r->results[i].inputs, "bases"), norm ? norm : ref));
		if (index && str_has_prefix(index, "registry "))
			index += strlen("registry ");
		else
			index = NULL;
		rc = privbase_make_local(r->engine, ref, build_native_platform(), per ? &img->spec.platforms : NULL,
					 &locals, index, auth, r->cancel, err);
		strlist_release(&locals);
		if (rc < 0)
			return -1;
	}
	return 0;
}
