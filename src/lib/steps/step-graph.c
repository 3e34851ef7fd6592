/* step-graph: the step graph of a resolved project (step-graph.h): a
 * build:IMAGE per image, with edges to the images it is built FROM or
 * depends_on, scan:IMAGE:SCAN after each scanned build, and push:IMAGE
 * after the build and every scan of the image when the profile pushes;
 * backup:NAME for each of the profile's backups (no edges).
 * Above the model (project.c knows no step kind) and below the cmd layer. */
#include "step-graph.h"
#include "error.h"
#include "manifest.h"
#include "step.h"
#include "util.h"
#include "warnings.h"

#include <stdlib.h>
#include <string.h>

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

int step_graph_build(struct project *p, struct cc_error **err)
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
	for (i = 0; rc == 0 && p->profile->push && i < p->nimages; i++) {
		size_t b, ps;

		free(id);
		id = xasprintf("build:%s", p->images[i].spec.key);
		b = (size_t)graph_find(g, id);
		free(id);
		id = xasprintf("push:%s", p->images[i].spec.key);
		ps = graph_add(g, id, &step_kind_push, &p->images[i]);
		graph_add_edge(g, ps, b);
		for (j = 0; j < p->nscans; j++) /* nothing unscanned is pushed */
			if (p->scans[j].image == &p->images[i]) {
				cleanup_free char *sid =
					xasprintf("scan:%s:%s", p->images[i].spec.key, p->scans[j].spec->name);

				graph_add_edge(g, ps, (size_t)graph_find(g, sid));
			}
	}
	for (i = 0; rc == 0 && i < p->profile->backups.n; i++) { /* manifest.c checked the names */
		free(id);
		id = xasprintf("backup:%s", p->profile->backups.v[i]);
		graph_add(g, id, &step_kind_backup, (void *)manifest_backup(p->manifest, p->profile->backups.v[i]));
	}
	if (rc == 0)
		rc = graph_finish(g, err);
	return rc;
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
