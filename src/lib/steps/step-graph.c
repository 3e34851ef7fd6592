/* step-graph: the step graph of a resolved project (step-graph.h): a
 * build:IMAGE per image, with edges to the images it is built FROM or
 * depends_on, scan:IMAGE:SCAN after each scanned build, and push:IMAGE
 * after the build and every scan of the image when the profile pushes;
 * when it deploys, up:SERVICE per compose service, after build:SERVICE
 * and the up steps of what it depends on or shares namespaces with;
 * backup:NAME for each of the profile's backups (no edges).
 * Above the model (project.c knows no step kind) and below the cmd layer. */
#include "step-graph.h"
#include "compose.h"
#include "deploy-plan.h"
#include "error.h"
#include "imageref.h"
#include "manifest.h"
#include "step.h"
#include "sync-target.h"
#include "util.h"
#include "warnings.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 when base, an image of the manifest, has an image for platform that a
 * build of img looks up: one of a multi-platform base's several (REF-PLATFORM)
 * or, for img of one platform, a base built for that platform only.  A base
 * without platforms is the engine's platform, not known until run time. */
static int base_covers(const struct image *base, const struct image *img, const char *platform)
{
	if (base->spec.platforms.n > 1)
		return strlist_has(&base->spec.platforms, platform);
	if (img->spec.platforms.n > 1)
		return 0;
	return base->spec.platforms.n == 0 || !strcmp(base->spec.platforms.v[0], platform);
}

/* An image built for platforms FROM another image of the manifest needs
 * that image built for each of them: BuildKit looks the base up per
 * platform, and the engine has only what ccbuild built. */
static int platforms_covered(const struct project *p, const struct image *img, struct cc_error **err)
{
	char *seen;
	size_t j, k;
	long d;
	int rc = 0;

	if (img->spec.platforms.n == 0)
		return 0;
	seen = xcalloc(p->nimages, 1);
	for (j = 0; rc == 0 && j < img->platform_bases.n; j++) {
		const struct image *base;
		cleanup_free char *have = NULL, *want = NULL;

		d = project_base_image(p, img, img->platform_bases.v[j]);
		if (d < 0 || seen[d])
			continue;
		seen[d] = 1;
		base = &p->images[d];
		for (k = 0; k < img->spec.platforms.n; k++)
			if (!base_covers(base, img, img->spec.platforms.v[k]))
				break;
		if (k == img->spec.platforms.n)
			continue;
		have = base->spec.platforms.n ? strlist_join(&base->spec.platforms, ", ")
					      : xstrdup("the engine's platform only");
		want = strlist_join(&img->spec.platforms, ", ");
		rc = ynode_error(err, &(struct ynode){ .pos = img->spec.pos },
				 "image '%s' is built for %s FROM image '%s', which is built for %s; give '%s'"
				 " platforms: [%s] (each platform's build needs the base's image of that platform),"
				 " or use it FROM --platform=$BUILDPLATFORM",
				 img->spec.key, want, base->spec.key, have, base->spec.key, want);
	}
	free(seen);
	return rc;
}

/* The profile's scans: a scan:IMAGE:SCAN step after each scanned image's
 * build.  A scan's images: must name images of the profile. */
static int add_scans(struct project *p, struct cc_error **err)
{
	const struct profile_spec *prof = p->profile;
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < prof->scans.n; i++) {
		const struct scan_spec *spec = manifest_scan(p->manifest, prof->scans.v[i]);

		for (k = 0; spec && k < spec->images.n; k++)
			if (!project_image(p, spec->images.v[k]))
				rc = cc_error_set(
					err, "%s:%d:%d: scan '%s' names image '%s', which profile %s does not build",
					spec->pos.file, spec->pos.line, spec->pos.col, spec->name, spec->images.v[k],
					prof->name);
		for (j = 0; spec && j < p->nimages; j++) {
			struct image *img = &p->images[j];
			cleanup_free char *id = NULL, *bid = NULL;
			size_t s;

			if (spec->images.n && !strlist_has(&spec->images, img->spec.key))
				continue;
			VEC_PUSH(p->scans, p->nscans, p->nscans_cap, ((struct scan_target){ img, spec }));
			id = xasprintf("scan:%s:%s", img->spec.key, spec->name);
			bid = xasprintf("build:%s", img->spec.key);
			s = graph_add(&p->graph, id, &step_kind_scan, NULL);
			graph_add_edge(&p->graph, s, (size_t)graph_find(&p->graph, bid));
		}
	}
	/* Steps point into p->scans only now that it has stopped growing. */
	for (k = 0; k < p->graph.nsteps; k++)
		if (p->graph.steps[k].kind == &step_kind_scan) {
			for (i = 0; i < p->nscans; i++) {
				cleanup_free char *id =
					xasprintf("scan:%s:%s", p->scans[i].image->spec.key, p->scans[i].spec->name);

				if (!strcmp(id, p->graph.steps[k].id))
					p->graph.steps[k].data = &p->scans[i];
			}
		}
	return rc;
}

/* The services test service i of the compose model depends_on (a list,
 * or a map of conditions), borrowed from the model. */
static void depends_of(const struct compose_project *c, size_t i, struct strlist *out)
{
	const struct ynode *d = ynode_map_get(compose_service(c, i), "depends_on");

	for (size_t k = 0; d && (d->kind == YNODE_MAP || d->kind == YNODE_SEQ) && k < d->len; k++) {
		const char *name = d->kind == YNODE_MAP ? d->keys[k]->str : d->vals[k]->str;

		if (name && !strlist_has(out, name))
			strlist_push(out, name);
	}
}

/* A test:SERVICE step per test the profile names, after the build of its
 * image and the up: step of each service it depends_on. */
static int add_tests(struct project *p, struct cc_error **err)
{
	const struct profile_spec *prof = p->profile;
	int rc = 0;

	for (size_t k = 0; k < prof->tests.n; k++) {
		const char *name = prof->tests.v[k];
		long svc = p->compose ? compose_service_find(p->compose, name) : -1;
		cleanup_free char *id = xasprintf("test:%s", name), *bid = xasprintf("build:%s", name);
		struct strlist deps = { 0 };
		size_t t;

		if (svc < 0) {
			rc = cc_error_set(err,
					  "%s:%d:%d: profile %s tests '%s', which is no service of its compose files",
					  prof->pos.file, prof->pos.line, prof->pos.col, prof->name, name);
			continue;
		}
		t = graph_add(&p->graph, id, &step_kind_test, prof->tests.v[k]);
		if (graph_find(&p->graph, bid) >= 0)
			graph_add_edge(&p->graph, t, (size_t)graph_find(&p->graph, bid));
		depends_of(p->compose, (size_t)svc, &deps);
		for (size_t d = 0; d < deps.n; d++) {
			cleanup_free char *uid = xasprintf("up:%s", deps.v[d]);
			long u = graph_find(&p->graph, uid);

			if (u < 0 || strlist_has(&prof->tests, deps.v[d]))
				rc = cc_error_set(err, "%s:%d:%d: profile %s tests '%s', which depends on '%s', %s",
						  prof->pos.file, prof->pos.line, prof->pos.col, prof->name, name,
						  deps.v[d], u < 0 ? "which is not deployed" : "a test too");
			else
				graph_add_edge(&p->graph, t, (size_t)u);
		}
		strlist_release(&deps);
	}
	return rc;
}

/* An image FROM its own reference is built FROM the external image of
 * that name, not FROM itself; but once built, the engine's image of that
 * name is this one, and BuildKit looks there first. */
static void warn_self_base(struct project *p, const struct image *img, const char *ref)
{
	char where[4096];

	ypos_format(&img->spec.pos, where, sizeof(where));
	cc_warn(p->warnings,
		"%s: image '%s' (tagged %s) is built FROM %s in %s: that is the external image %s, not '%s'"
		" itself; but once '%s' is built, the engine's %s is '%s', and each build would start from the"
		" previous one: tag the image under another name",
		where, img->spec.key, img->spec.ref, ref, img->spec.dockerfile, img->ref_full, img->spec.key,
		img->spec.key, ref, img->spec.key);
}

/* The image service svc runs when ccbuild builds it: the image of that key
 * from compose, or one whose reference its image: names; NULL: none. */
static const struct image *service_image(const struct project *p, size_t svc)
{
	const char *name = compose_service_name(p->compose, svc);
	const struct ynode *image = ynode_map_get(compose_service(p->compose, svc), "image");
	size_t i;

	for (i = 0; i < p->nimages; i++)
		if ((p->images[i].from_compose && !strcmp(p->images[i].spec.key, name)) ||
		    (image && image->str && imageref_same(p->images[i].spec.ref, image->str)))
			return &p->images[i];
	return NULL;
}

/* The services to deploy: only (all when NULL) and, transitively, what
 * they depend on and share namespaces with; specs[k] for each (others
 * NULL).  Every problem is reported. */
static int deploy_specs(struct project *p, const struct deploy_project *dp, const struct strlist *only,
			struct deploy_service **specs, struct cc_error **err)
{
	size_t n = compose_service_count(p->compose), *queue = xcalloc(n + 1, sizeof(*queue)), nq = 0, q, k;
	char *queued = xcalloc(n + 1, 1);
	int rc = 0;

	for (k = 0; k < (only ? only->n : n); k++) {
		long s = only ? compose_service_find(p->compose, only->v[k]) : (long)k;

		if (!only && strlist_has(&p->profile->tests, compose_service_name(p->compose, k)))
			continue; /* a test runs as test:SERVICE, not deployed */
		if (s < 0)
			rc = cc_error_set(err, "profile %s has no compose service '%s'", p->profile->name, only->v[k]);
		else if (!queued[s])
			queued[s] = 1, queue[nq++] = (size_t)s;
	}
	for (q = 0; q < nq; q++) {
		const struct image *img = service_image(p, queue[q]);
		struct deploy_service *s = NULL;

		if (deploy_service_spec(p->compose, dp, queue[q], img ? img->spec.ref : NULL, &s, err) < 0) {
			rc = -1;
			continue;
		}
		specs[queue[q]] = s;
		for (k = 0; k < s->ndeps + s->shares.n; k++) {
			const char *name = k < s->ndeps ? s->deps[k].service : s->shares.v[k - s->ndeps];
			long d = compose_service_find(p->compose, name);

			if (d >= 0 && !queued[d])
				queued[d] = 1, queue[nq++] = (size_t)d;
		}
	}
	free(queue);
	free(queued);
	return rc;
}

/* The edges of up:SERVICE (step u) to what it depends on and
 * what it shares namespaces with; and what they must wait for. */
static void add_up_edges(struct project *p, size_t u)
{
	struct deploy_unit *unit = p->graph.steps[u].data;
	const struct deploy_service *s = unit->spec;
	size_t k;

	for (k = 0; k < s->ndeps + s->shares.n; k++) {
		const char *name = k < s->ndeps ? s->deps[k].service : s->shares.v[k - s->ndeps];
		cleanup_free char *id = xasprintf("up:%s", name);
		long d = graph_find(&p->graph, id);
		struct deploy_unit *dep = d >= 0 ? p->graph.steps[d].data : NULL;

		if (!dep)
			continue;
		graph_add_edge(&p->graph, u, (size_t)d);
		if (k < s->ndeps && s->deps[k].condition == DEPLOY_COMPLETED)
			dep->wait_completed = 1;
		if (k < s->ndeps && s->deps[k].condition == DEPLOY_HEALTHY)
			dep->wait_healthy = 1;
	}
}

/* up:SERVICE for each service to deploy (only, or all), into p->deploy. */
static int add_ups(struct project *p, const struct strlist *only, struct cc_error **err)
{
	struct deploy_project *dp = NULL;
	struct deploy_service **specs;
	cleanup_free char *files = NULL;
	size_t n, k, first = p->graph.nsteps;
	int rc;

	if (!p->compose)
		return only ? cc_error_set(err, "profile %s has no compose files: nothing to deploy", p->profile->name)
			    : 0;
	n = compose_service_count(p->compose);
	files = compose_config_files(p->compose);
	if (deploy_project_spec(p->compose, compose_project_name(p->compose), compose_project_dir(p->compose), files,
				&dp, err) < 0)
		return -1;
	specs = xcalloc(n + 1, sizeof(*specs));
	rc = deploy_specs(p, dp, only, specs, err);
	p->deploy = deploy_plan_new(dp, n);
	for (k = 0; k < n; k++) {
		strlist_push(&p->deploy->model, compose_service_name(p->compose, k));
		if (specs[k]) {
			const struct image *img = service_image(p, k);
			cleanup_free char *id = xasprintf("up:%s", specs[k]->service);
			cleanup_free char *bid = img ? xasprintf("build:%s", img->spec.key) : NULL;
			size_t u = graph_add(&p->graph, id, &step_kind_up, deploy_plan_add(p->deploy, specs[k], !!img));

			if (img)
				graph_add_edge(&p->graph, u, (size_t)graph_find(&p->graph, bid));
		}
	}
	free(specs);
	for (k = first; rc == 0 && k < p->graph.nsteps; k++)
		add_up_edges(p, k);
	return rc;
}

/* A profile that does not deploy still brings up what its tests
 * depends_on (and what that needs): up: steps for those only. */
static int add_test_ups(struct project *p, struct cc_error **err)
{
	struct strlist deps = { 0 };
	int rc = 0;

	for (size_t k = 0; p->compose && k < p->profile->tests.n; k++) {
		long svc = compose_service_find(p->compose, p->profile->tests.v[k]);

		if (svc >= 0)
			depends_of(p->compose, (size_t)svc, &deps);
	}
	if (deps.n)
		rc = add_ups(p, &deps, err);
	strlist_release(&deps);
	return rc;
}

/* The image a service runs when ccbuild builds it (sync_built_image_fn). */
static const char *sync_built(void *ctx, const char *service)
{
	const struct project *p = ctx;
	long svc = compose_service_find(p->compose, service);
	const struct image *img = svc >= 0 ? service_image(p, (size_t)svc) : NULL;

	return img ? img->spec.ref : NULL;
}

/* Edges of sync:NAME (step k): a volume sync after the build of the
 * image its helper runs and before up:SERVICE of every service that
 * mounts the volume; a host sync before up:SERVICE of a service that
 * binds the destination; a service sync after up:SERVICE. */
static void add_sync_edges(struct project *p, size_t k)
{
	const struct sync_spec *spec = p->graph.steps[k].data;
	struct sync_volume v = { 0 };
	cleanup_free char *host = NULL, *up = NULL;

	if (spec->target == SYNC_TO_VOLUME && p->compose)
		sync_target_volume(spec, p->compose, sync_built, p, &v, NULL); /* no image: the step says so */
	if (v.service) {
		long svc = compose_service_find(p->compose, v.service);
		const struct image *img = svc >= 0 ? service_image(p, (size_t)svc) : NULL;
		cleanup_free char *bid = img ? xasprintf("build:%s", img->spec.key) : NULL;

		if (bid && graph_find(&p->graph, bid) >= 0)
			graph_add_edge(&p->graph, k, (size_t)graph_find(&p->graph, bid));
	}
	if (spec->target == SYNC_TO_HOST) {
		cleanup_free char *cwd = getcwd(NULL, 0), *path = sync_spec_path(spec->to, p->manifest->dir);

		host = *path == '/' || !cwd ? xstrdup(path) : path_join(cwd, path);
	}
	if (spec->target == SYNC_TO_SERVICE && (up = xasprintf("up:%s", spec->service)) &&
	    graph_find(&p->graph, up) >= 0)
		graph_add_edge(&p->graph, k, (size_t)graph_find(&p->graph, up));
	for (size_t u = 0; spec->target != SYNC_TO_SERVICE && u < p->graph.nsteps; u++) {
		const struct deploy_unit *unit = p->graph.steps[u].data;
		char target[4096];

		if (p->graph.steps[u].kind == &step_kind_up &&
		    sync_target_mounted(unit->spec->create, v.volume, host, target, sizeof(target)))
			graph_add_edge(&p->graph, u, k);
	}
	sync_target_release(&v);
}

/* backup:NAME (step k) after up:S of the services it needs running: a
 * service: source and the services its quiesce: hooks exec in or stop. */
static void add_backup_edge(struct project *p, size_t k, const char *service)
{
	cleanup_free char *up = xasprintf("up:%s", service);
	long u = graph_find(&p->graph, up);

	if (u >= 0)
		graph_add_edge(&p->graph, k, (size_t)u);
}

static void add_backup_edges(struct project *p, size_t k)
{
	const struct backup_spec *b = p->graph.steps[k].data;

	if (!b)
		return;
	if (b->kind == BACKUP_SOURCE_SERVICE)
		add_backup_edge(p, k, b->source);
	for (size_t h = 0; h < b->nhooks; h++) {
		if (b->hooks[h].service)
			add_backup_edge(p, k, b->hooks[h].service);
		for (size_t j = 0; j < b->hooks[h].services.n; j++)
			add_backup_edge(p, k, b->hooks[h].services.v[j]);
	}
}

static int graph_build(struct project *p, int deploy, const struct strlist *only, struct cc_error **err)
{
	struct graph *g = &p->graph;
	cleanup_free char *id = NULL;
	size_t i, j;
	long dep;
	int rc = 0;

	for (i = 0; i < p->nimages; i++) {
		free(id);
		id = xasprintf("build:%s", p->images[i].spec.key);
		graph_add(g, id, &step_kind_build, &p->images[i]);
	}
	for (i = 0; i < p->nimages; i++) {
		const struct image *img = &p->images[i];

		for (j = 0; j < img->bases.n; j++)
			if ((dep = project_base_image(p, img, img->bases.v[j])) >= 0)
				graph_add_edge(g, i, (size_t)dep);
			else if (project_base_is_self(img, img->bases.v[j]))
				warn_self_base(p, img, img->bases.v[j]);
		if (platforms_covered(p, img, err) < 0)
			rc = -1;
		for (j = 0; j < img->spec.depends_on.n; j++) {
			const struct image *d = project_image(p, img->spec.depends_on.v[j]);

			if (!d)
				rc = ynode_error(err, &(struct ynode){ .pos = img->spec.pos },
						 "image '%s' depends_on '%s', which is not an image", img->spec.key,
						 img->spec.depends_on.v[j]);
			else
				graph_add_edge(g, i, (size_t)(d - p->images));
		}
	}
	if (rc == 0)
		rc = add_scans(p, err);
	if (rc == 0 && (deploy || p->profile->up))
		rc = add_ups(p, only, err);
	else if (rc == 0)
		rc = add_test_ups(p, err);
	if (rc == 0 && !deploy) /* `ccbuild up` deploys; the pipeline tests */
		rc = add_tests(p, err);
	for (i = 0; rc == 0 && p->profile->push && i < p->nimages; i++) {
		size_t b, ps;

		free(id);
		id = xasprintf("build:%s", p->images[i].spec.key);
		b = (size_t)graph_find(g, id);
		free(id);
		id = xasprintf("push:%s", p->images[i].spec.key);
		ps = graph_add(g, id, &step_kind_push, &p->images[i]);
		graph_add_edge(g, ps, b);
		for (j = 0; j < g->nsteps; j++) /* nothing untested is pushed */
			if (g->steps[j].kind == &step_kind_test)
				graph_add_edge(g, ps, j);
		for (j = 0; j < p->nscans; j++) /* nothing unscanned is pushed */
			if (p->scans[j].image == &p->images[i]) {
				cleanup_free char *sid =
					xasprintf("scan:%s:%s", p->images[i].spec.key, p->scans[j].spec->name);

				graph_add_edge(g, ps, (size_t)graph_find(g, sid));
			}
	}
	for (i = 0; rc == 0 && i < p->profile->syncs.n; i++) { /* sync:NAME, direction in (out: on demand) */
		const struct sync_spec *sp =
			sync_spec_find(p->manifest->syncs, p->manifest->nsyncs, p->profile->syncs.v[i]);

		free(id);
		id = xasprintf("sync:%s", p->profile->syncs.v[i]);
		if (sp && sp->direction != SYNC_OUT && graph_find(g, id) < 0)
			add_sync_edges(p, graph_add(g, id, &step_kind_sync, (void *)sp));
	}
	for (i = 0; rc == 0 && i < p->profile->backups.n; i++) { /* manifest.c checked the names */
		free(id);
		id = xasprintf("backup:%s", p->profile->backups.v[i]);
		add_backup_edges(p, graph_add(g, id, &step_kind_backup,
					      (void *)manifest_backup(p->manifest, p->profile->backups.v[i])));
	}
	for (i = 0; rc == 0 && i < g->nsteps; i++) {
		if (g->steps[i].kind != &step_kind_sync)
			continue;
		if (((const struct sync_spec *)g->steps[i].data)->backup) { /* it runs inside the sync, not beside */
			long b;

			free(id);
			id = xasprintf("backup:%s", ((const struct sync_spec *)g->steps[i].data)->backup);
			if ((b = graph_find(g, id)) >= 0)
				graph_add_edge(g, i, (size_t)b);
		} /* add_sync_edges ordered the sync against up:SERVICE */
	}
	if (rc == 0)
		rc = graph_finish(g, err);
	return rc;
}

int step_graph_build(struct project *p, struct cc_error **err)
{
	return graph_build(p, 0, NULL, err);
}

int project_load_deploy(const struct manifest *m, const char *name, const struct strlist *services,
			struct project **out, struct cc_warnings *warnings, struct cc_error **err)
{
	struct project *p;

	if (project_resolve(m, name, &p, warnings, err) < 0)
		return -1;
	if (graph_build(p, 1, services && services->n ? services : NULL, err) < 0) {
		project_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int project_load(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		 struct cc_error **err)
{
	struct project *p;

	if (project_resolve(m, name, &p, warnings, err) < 0)
		return -1;
	if (step_graph_build(p, err) < 0) {
		project_free(p);
		return -1;
	}
	*out = p;
	return 0;
}
