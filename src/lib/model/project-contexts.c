/* project-contexts (project-contexts.h): named contexts, from compose to
 * the image, its bases and its Dockerfile. */
#include "project-contexts.h"
#include "compose.h"
#include "dockerfile.h"
#include "error.h"
#include "imageref.h"
#include "project.h"
#include "util.h"
#include "ynode.h"

#include <stdlib.h>
#include <string.h>

/* One NAME=VALUE of img's service into img; errors at img's position. */
static int context_add(struct image *img, const char *name, const char *v, struct cc_error **err)
{
	const struct ynode at = { .pos = img->spec.pos };
	cleanup_free char *norm = NULL;
	struct cc_error *e = NULL;
	int rc = 0;

	if (str_has_prefix(v, "service:")) {
		kvlist_set(&img->context_refs, name, v);
	} else if (str_has_prefix(v, "docker-image://")) {
		if (imageref_normalize(v + 15, &norm, &e) < 0)
			rc = ynode_error(err, &at, "service '%s': additional context '%s': %s", img->spec.key, name,
					 e->msg);
		else
			kvlist_set(&img->context_refs, name, v + 15);
	} else
		kvlist_set(&img->context_dirs, name, v);
	cc_error_free(e);
	return rc;
}

int project_contexts_from_service(struct image *img, const struct compose_project *c, size_t i, struct cc_error **err)
{
	struct kvlist all = { 0 };
	int rc = compose_service_build_contexts(c, i, &all, err);

	for (size_t k = 0; k < all.n; k++)
		rc |= context_add(img, all.keys[k], all.vals[k], err);
	kvlist_release(&all);
	return rc;
}

/* The context of img whose name is ref once both are normalised, or -1;
 * *dir tells which list. */
static long context_named(const struct image *img, const char *ref, int *dir)
{
	cleanup_free char *norm = imageref_normalized(ref);

	for (int d = 1; norm && d >= 0; d--) {
		const struct kvlist *kv = d ? &img->context_dirs : &img->context_refs;

		for (size_t k = 0; k < kv->n; k++) {
			cleanup_free char *n = imageref_normalized(kv->keys[k]);

			if (n && !strcmp(n, norm)) {
				*dir = d;
				return (long)k;
			}
		}
	}
	return -1;
}

/* bases without the names of img's directory contexts and with its image
 * contexts' references in place of their names; used (may be NULL) gets
 * the directory contexts named. */
static void context_bases(const struct image *img, struct strlist *bases, struct kvlist *used)
{
	struct strlist out = { 0 };
	int dir = 0;

	for (size_t j = 0; j < bases->n; j++) {
		long k = context_named(img, bases->v[j], &dir);
		const char *ref = k < 0 ? bases->v[j] : dir ? NULL : img->context_refs.vals[k];

		if (ref && !strlist_has(&out, ref))
			strlist_push(&out, ref);
		if (k >= 0 && dir && used)
			kvlist_set(used, img->context_dirs.keys[k], img->context_dirs.vals[k]);
	}
	strlist_release(bases);
	*bases = out;
}

/* The image of p whose key is key, or NULL. */
static const struct image *image_by_key(const struct project *p, const char *key)
{
	for (size_t i = 0; i < p->nimages; i++)
		if (!strcmp(p->images[i].spec.key, key))
			return &p->images[i];
	return NULL;
}

int project_contexts_resolve(struct project *p, struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; i < p->nimages; i++) {
		struct image *img = &p->images[i];

		for (size_t k = 0; k < img->context_refs.n; k++) {
			const char *v = img->context_refs.vals[k];
			const struct image *o = str_has_prefix(v, "service:") ? image_by_key(p, v + 8) : NULL;
			cleanup_free char *ref = NULL;

			if (!str_has_prefix(v, "service:"))
				continue;
			if (!o || o == img) {
				rc = ynode_error(err, &(struct ynode){ .pos = img->spec.pos },
						 "service '%s': additional context '%s': %s: %s", img->spec.key,
						 img->context_refs.keys[k], v,
						 o ? "a service cannot be built from itself"
						   : "no such image to build");
				continue;
			}
			ref = xstrdup(o->spec.ref);
			kvlist_set(&img->context_refs, img->context_refs.keys[k], ref);
		}
		/* A directory no reference reaches (a stage of that name wins, or
		 * only stages the target does not need name it) is not built. */
		struct kvlist used = { 0 };

		context_bases(img, &img->bases, &used);
		context_bases(img, &img->platform_bases, NULL);
		kvlist_release(&img->context_dirs);
		img->context_dirs = used;
	}
	return rc;
}

int project_contexts_dockerfile(const struct image *img, const char *file, const char *text, const struct kvlist *tags,
				char **out, struct cc_error **err)
{
	struct kvlist map = { 0 };
	struct dockerfile *df = NULL;
	int rc = 0;

	*out = NULL;
	for (int d = 0; d < 2; d++) {
		const struct kvlist *kv = d ? &img->context_dirs : &img->context_refs;

		for (size_t k = 0; k < kv->n; k++) {
			cleanup_free char *norm = imageref_normalized(kv->keys[k]);
			const char *to = d ? kvlist_get(tags, kv->keys[k]) : kv->vals[k];

			if (to && norm)
				kvlist_set(&map, norm, to);
		}
	}
	if (rc == 0 && map.n && (rc = dockerfile_parse(file, text, &img->spec.args, &df, err)) == 0)
		rc = dockerfile_rename(file, text, df, &map, out, err);
	dockerfile_free(df);
	kvlist_release(&map);
	return rc;
}
