/* step-push: the push:IMAGE step kind — push a built image to the
 * manifest's registry under its expanded tags.
 *
 * The repository is REGISTRY/KEY (registry: 127.0.0.1:5000/shop, image
 * web: 127.0.0.1:5000/shop/web).  Tags: the image's tags: templates
 * expanded (tagtmpl.h), or the tag of its reference when it has none.
 * Input hash: the image ID, the repository and the tags; up to date when
 * the record matches.  The engine does the pushing (it has the layers);
 * every tag of one image shares one manifest digest. */
#include "engine.h"
#include "error.h"
#include "gitinfo.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "tagtmpl.h"
#include "ui.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static void push_describe(const struct step *s, struct strbuf *out)
{
	const struct image *img = s->data;

	strbuf_addf(out, "push %s", img->key);
	if (img->tags.n) {
		size_t i;

		for (i = 0; i < img->tags.n; i++)
			strbuf_addf(out, "%s%s", i ? "," : " tags=", img->tags.v[i]);
	}
}

char *push_repository(const struct manifest *m, const struct image *img)
{
	return xasprintf("%s/%s", m->registry, img->key);
}

/* The build step this push follows. */
static size_t build_dep(const struct runner *r, size_t i)
{
	const struct step *s = &r->project->graph.steps[i];
	size_t j;

	for (j = 0; j < s->ndeps; j++)
		if (r->project->graph.steps[s->deps[j]].kind == &step_kind_build)
			return s->deps[j];
	abort(); /* project.c always adds the edge */
}

/* Expand the tag templates with the build's input hash. */
static int expand_tags(struct runner *r, const struct image *img, const char *hash, struct strlist *tags,
		       struct cc_error **err)
{
	const char *colon = strrchr(img->ref, ':');
	size_t i;

	if (!img->tags.n)
		strlist_push(tags, colon && !strchr(colon, '/') ? colon + 1 : "latest");
	for (i = 0; i < img->tags.n; i++)
		if (tagtmpl_expand(img->tags.v[i], r->git, hash, tags, err) < 0)
			return cc_error_wrap(err, "image %s: tags", img->key);
	return 0;
}

static int push_check(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	struct step_result *res = &r->results[i], *b = &r->results[build_dep(r, i)];
	cleanup_free char *repo = push_repository(r->project->manifest, img), *warning = NULL;
	struct step_record rec;
	struct strbuf in = STRBUF_INIT;
	unsigned char d[32];
	unsigned int n = 32;
	size_t k;
	char hex[65];

	if (expand_tags(r, img, b->hash, &res->tags, err) < 0)
		return -1;
	strbuf_addf(&in, "ccbuild-push-v1\n%s\n%s", b->output ? b->output : "", repo);
	for (k = 0; k < res->tags.n; k++)
		strbuf_addf(&in, "\n%s", res->tags.v[k]);
	if (!EVP_Digest(in.buf, in.len, d, &n, EVP_sha256(), NULL))
		abort();
	strbuf_release(&in);
	hash_hex(d, hex);
	res->hash = xstrdup(hex);
	res->inputs = json_pack("{s:s?, s:s, s:o}", "image", b->output, "repository", repo, "tags", json_array());
	for (k = 0; k < res->tags.n; k++)
		json_array_append_new(json_object_get(res->inputs, "tags"), json_string(res->tags.v[k]));
	if (state_load_step(r->state_dir, s->id, &rec, &warning) != 1) {
		if (warning)
			runner_warn(r, "%s", warning);
		res->reason = xstrdup("not pushed before");
		return 0;
	}
	if (strcmp(rec.input, res->hash)) {
		res->reason = xstrdup(strcmp(json_string_value(json_object_get(rec.inputs, "image")) ?: "",
					     b->output ?: "") ? "a new image" : "tags changed");
		step_record_release(&rec);
		return 0;
	}
	res->output = xstrdup(rec.output);
	res->report = json_pack("{s:s, s:s}", "repository", repo, "digest", rec.output);
	res->reason = xasprintf("%s:%s is %.19s", repo, res->tags.v[0], rec.output);
	step_record_release(&rec);
	return 1;
}

static int push_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	struct step_result *res = &r->results[i], *b = &r->results[build_dep(r, i)];
	cleanup_free char *repo = push_repository(r->project->manifest, img);
	size_t k;

	for (k = 0; k < res->tags.n; k++) {
		cleanup_free char *ref = xasprintf("%s:%s", repo, res->tags.v[k]), *note = NULL;
		char *digest = NULL;

		if (engine_image_tag(r->engine, b->output, ref, err) < 0)
			return -1;
		note = xasprintf("pushing %s", ref);
		ui_step_progress(r->ui, s->id, note);
		if (engine_image_push(r->engine, repo, res->tags.v[k], r->registry_auth, r->cancel, &digest, err) < 0)
			return -1;
		if (!res->output)
			res->output = digest;
		else
			free(digest);
	}
	res->report = json_pack("{s:s, s:s?}", "repository", repo, "digest", res->output);
	return 0;
}

const struct step_kind step_kind_push = {
	.name = "push",
	.needs_outputs = 1,
	.describe = push_describe,
	.check = push_check,
	.run = push_run,
};
