/* step-addctx (step-addctx.h): context images for named contexts. */
#include "step-addctx.h"
#include "engine.h"
#include "error.h"
#include "lists.h"
#include "manifest.h"
#include "project.h"
#include "project-contexts.h"
#include "runner.h"
#include "state.h"
#include "step-session.h"
#include "tarstream.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the context image is built from: the hash covers the first (the
 * image's content is the same either way); the tar upload sends the
 * directory under ctx/ so that the Dockerfile added beside it, which
 * dockerd's BuildKit would copy with `.`, stays out of the image. */
#define ADDCTX_DOCKERFILE "FROM scratch\nCOPY . /\n"
#define ADDCTX_TAR_DOCKERFILE "FROM scratch\nCOPY ctx/ /\n"
#define ADDCTX_TAR_DIR "ctx/"

/* ccbuild-ctx/PROJECT-SERVICE-NAME:HEX16, lower-cased, [a-z0-9._-]. */
static char *addctx_tag(const char *project, const char *service, const char *name, const char *hex)
{
	char *tag = xasprintf("ccbuild-ctx/%s-%s-%s", project, service, name), *c;

	for (c = tag + strlen("ccbuild-ctx/"); *c; c++) {
		*c = (char)tolower((unsigned char)*c);
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
			*c = '-';
	}
	c = xasprintf("%s:%.16s", tag, hex);
	free(tag);
	return c;
}

/* Hash one directory context into x. */
static int addctx_hash_one(struct runner *r, const struct image *img, struct addctx *x, int dry, struct cc_error **err)
{
	cleanup_free char *df = path_join(x->dir, ".ccbuild-context"), *statcache = NULL;
	struct hash_input in = { 0 };

	if (r->state_exists)
		statcache = state_statcache_path(r->state_dir, x->dir, df);
	if (dry && statcache) { /* a plan uses the cache, but creates nothing */
		cleanup_free char *sdir = path_dirname(statcache);

		if (access(sdir, W_OK) < 0) {
			free(statcache);
			statcache = NULL;
		}
	}
	in.context = x->dir;
	in.dockerfile = df; /* not read: only its .dockerignore is looked for, and none is there */
	in.dockerfile_text = ADDCTX_DOCKERFILE;
	in.statcache = statcache;
	in.cancel = r->cancel;
	if (hash_build_inputs(&in, &x->hr, err) < 0)
		return cc_error_wrap(err, "additional context '%s'", x->name);
	x->tag = addctx_tag(r->project->manifest->project, img->spec.key, x->name, x->hr.hex);
	return 0;
}

int addctx_hash(struct runner *r, size_t i, int dry, struct addctx_set *set, struct strlist *ids, json_t *bases,
		struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	const struct kvlist *dirs = &img->context_dirs;

	set->v = dirs->n ? xcalloc(dirs->n, sizeof(*set->v)) : NULL;
	for (size_t k = 0; k < dirs->n; k++) {
		struct addctx *x = &set->v[set->n++];
		cleanup_free char *key = xasprintf("context:%s", dirs->keys[k]), *id = NULL;

		x->name = xstrdup(dirs->keys[k]);
		x->dir = dirs->vals[k];
		if (addctx_hash_one(r, img, x, dry, err) < 0)
			return -1;
		id = xasprintf("%s=%s", key, x->hr.hex);
		strlist_push(ids, id);
		json_object_set_new(bases, key, json_string(x->hr.hex));
	}
	return 0;
}

/* The walk of x as tar entries below ctx/ (hard links sent as files);
 * caller frees the array and each path and abspath. */
static struct tar_entry *addctx_entries(const struct addctx *x)
{
	struct tar_entry *v = xcalloc(x->hr.walk.n ? x->hr.walk.n : 1, sizeof(*v));

	for (size_t k = 0; k < x->hr.walk.n; k++) {
		const struct ctx_entry *e = &x->hr.walk.v[k];
		int64_t ns = e->mtime_ns;

		v[k].path = xasprintf("%s%s", ADDCTX_TAR_DIR, e->path);
		v[k].abspath = path_join(x->dir, e->path);
		v[k].link = e->link;
		v[k].st.st_mode = e->mode;
		v[k].st.st_size = (off_t)e->size;
		v[k].st.st_mtim.tv_sec = ns / 1000000000 - (ns % 1000000000 < 0);
		v[k].st.st_mtim.tv_nsec = (ns % 1000000000 + 1000000000) % 1000000000;
	}
	return v;
}

/* Build x's image as x->tag. */
static int addctx_build_one(struct runner *r, const struct addctx *x, struct cc_error **err)
{
	struct engine_build_req req = { 0 };
	struct step_session ss = { 0 };
	struct strlist tags = { 0 };
	cleanup_free char *id = NULL;
	int rc = 0;

	strlist_push(&tags, x->tag);
	req.entries = addctx_entries(x);
	req.nentries = x->hr.walk.n;
	req.dockerfile_data = ADDCTX_TAR_DOCKERFILE;
	req.dockerfile_len = strlen(ADDCTX_TAR_DOCKERFILE);
	req.tags = &tags;
	if (!r->no_session && (rc = step_session_init(&ss, x->dir, &x->hr.walk, NULL, ADDCTX_DOCKERFILE,
						      strlen(ADDCTX_DOCKERFILE), err)) == 0)
		req.session = &ss.req;
	if (rc == 0)
		rc = engine_build(r->engine, &req, NULL, NULL, r->cancel, &id, err);
	if (rc < 0)
		cc_error_wrap(err, "additional context '%s' (%s)", x->name, x->dir);
	step_session_release(&ss);
	for (size_t k = 0; k < req.nentries; k++) {
		free((char *)req.entries[k].path);
		free((char *)req.entries[k].abspath);
	}
	free((void *)req.entries);
	strlist_release(&tags);
	return rc < 0 ? -1 : 0;
}

int addctx_build(struct runner *r, const struct addctx_set *set, struct cc_error **err)
{
	for (size_t k = 0; k < set->n; k++) {
		json_t *info = NULL;
		int have = engine_image_inspect(r->engine, set->v[k].tag, &info, err);

		json_decref(info);
		if (have < 0 || (have == 0 && addctx_build_one(r, &set->v[k], err) < 0))
			return -1;
	}
	return 0;
}

int addctx_dockerfile(const struct image *img, const struct addctx_set *set, struct engine_build_req *req, char **text,
		      struct cc_error **err)
{
	struct kvlist tags = { 0 };
	cleanup_free char *orig = NULL;
	int rc;

	*text = NULL;
	if (!img->context_dirs.n && !img->context_refs.n)
		return 0;
	if (project_image_dockerfile(img, &orig, NULL, err) < 0)
		return -1;
	for (size_t k = 0; k < set->n; k++)
		kvlist_set(&tags, set->v[k].name, set->v[k].tag);
	rc = project_contexts_dockerfile(img, img->spec.dockerfile, orig, &tags, text, err);
	kvlist_release(&tags);
	if (rc == 0 && *text) {
		req->dockerfile_data = *text;
		req->dockerfile_len = strlen(*text);
	}
	return rc;
}

void addctx_release(struct addctx_set *set)
{
	for (size_t k = 0; k < set->n; k++) {
		free(set->v[k].name);
		free(set->v[k].tag);
		hash_result_release(&set->v[k].hr);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}
