/* step-image: where the images of a build:IMAGE step live (step-image.h):
 * per-platform local tags, registry cache tags, and pulling a build the
 * registry cache satisfied.  Shared by the build, scan and push kinds,
 * below all three. */
#include "step-image.h"
#include "engine.h"
#include "graph.h"
#include "project.h"
#include "runner.h"
#include "ui.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* "name:tag" -> "name:tag-linux-arm64": where one platform's image of a
 * multi-platform build is tagged locally, so platforms never clobber. */
char *build_platform_ref(const char *ref, const char *platform)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	char *out, *p;

	if (colon && slash && colon < slash)
		colon = NULL;
	out = colon ? xasprintf("%s-%s", ref, platform) : xasprintf("%s:latest-%s", ref, platform);
	for (p = strrchr(out, ':') + 1; *p; p++)
		if (*p == '/')
			*p = '-';
	return out;
}

/* 1 when img's build for platform needs base's image of that platform
 * (REF-PLATFORM): base is multi-platform, img is built for that platform
 * (one of its several, or its only one), and so is base. */
int build_shares_platform(const struct image *base, const struct image *img, const char *platform)
{
	return base->spec.platforms.n > 1 && img->spec.platforms.n > 0 &&
	       strlist_has(&base->spec.platforms, platform) && strlist_has(&img->spec.platforms, platform);
}

/* The platform this engine runs natively, as in "linux/amd64". */
const char *build_native_platform(void)
{
#if defined(__aarch64__)
	return "linux/arm64";
#else
	return "linux/amd64";
#endif
}

char *build_platform_cache_tag(const char *hash, const char *platform)
{
	char *tag = xasprintf("ccb-%.32s-%s", hash, platform), *p;

	for (p = tag; *p; p++)
		if (*p == '/')
			*p = '-';
	return tag;
}

int build_make_local(struct runner *r, size_t b, size_t for_step, const struct image *fimg, struct cc_error **err)
{
	const struct step *d = &r->project->graph.steps[b], *f = &r->project->graph.steps[for_step];
	const struct step_result *dr = &r->results[b];
	const struct image *dimg = d->data;
	cleanup_free char *repo = NULL, *tag = NULL, *ref = NULL, *note = NULL;
	size_t k;

	if (!dr->output || strncmp(dr->output, "registry:", 9))
		return 0;
	repo = push_repository(r->project->manifest, dimg);
	tag = xasprintf("ccb-%s", dr->hash);
	ref = xasprintf("%s:%s", repo, tag);
	note = xasprintf("pulling %s", ref);
	ui_step_progress(r->ui, f->id, note);
	if (engine_image_pull(r->engine, repo, tag, NULL, r->registry_auth, r->cancel, err) < 0 ||
	    engine_image_tag(r->engine, ref, dimg->spec.ref, err) < 0)
		return -1;
	for (k = 0; fimg && k < dimg->spec.platforms.n; k++) {
		const char *plat = dimg->spec.platforms.v[k];
		cleanup_free char *ptag = NULL, *pref = NULL, *local = NULL;

		if (!build_shares_platform(dimg, fimg, plat))
			continue;
		ptag = build_platform_cache_tag(dr->hash, plat);
		pref = xasprintf("%s:%s", repo, ptag);
		local = build_platform_ref(dimg->spec.ref, plat);
		if (engine_image_pull(r->engine, repo, ptag, plat, r->registry_auth, r->cancel, err) < 0 ||
		    engine_image_tag(r->engine, pref, local, err) < 0)
			return -1;
	}
	return 0;
}
