/* step-push: the push:IMAGE step kind (step.h) — push a built image to the
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
#include "registry.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "step-image.h"
#include "tagtmpl.h"
#include "ui.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void push_describe(const struct step *s, struct strbuf *out)
{
	const struct image *img = s->data;

	strbuf_addf(out, "push %s", img->spec.key);
	if (img->spec.tags.n) {
		size_t i;

		for (i = 0; i < img->spec.tags.n; i++)
			strbuf_addf(out, "%s%s", i ? "," : " tags=", img->spec.tags.v[i]);
	}
}

/* Expand the tag templates with the build's input hash. */
static int expand_tags(struct runner *r, const struct image *img, const char *hash, struct strlist *tags,
		       struct cc_error **err)
{
	const char *colon = strrchr(img->spec.ref, ':');
	size_t i;

	cleanup_free char *cache = xasprintf("ccb-%s", hash);

	if (!img->spec.tags.n)
		strlist_push(tags, colon && !strchr(colon, '/') ? colon + 1 : "latest");
	for (i = 0; i < img->spec.tags.n; i++)
		if (tagtmpl_expand(img->spec.tags.v[i], r->git, hash, tags, err) < 0)
			return cc_error_wrap(err, "image %s: tags", img->spec.key);
	if (!strlist_has(tags, cache))
		strlist_push(tags, cache);
	return 0;
}

/* The image ID, the repository and the tags (expanded first). */
static int push_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i], *b = &r->results[runner_dep(r, i, &step_kind_build)];
	cleanup_free char *repo = push_repository(r->project->manifest, img);
	struct strbuf in = STRBUF_INIT;
	size_t k;
	char hex[65];

	if (expand_tags(r, img, b->hash, &res->tags, err) < 0)
		return -1;
	strbuf_addf(&in, "ccbuild-push-v1\n%s\n%s", b->output ? b->output : "", repo);
	for (k = 0; k < res->tags.n; k++)
		strbuf_addf(&in, "\n%s", res->tags.v[k]);
	hash_sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	res->hash = xstrdup(hex);
	res->inputs = json_pack("{s:s?, s:s, s:o}", "image", b->output, "repository", repo, "tags", json_array());
	for (k = 0; k < res->tags.n; k++)
		json_array_append_new(json_object_get(res->inputs, "tags"), json_string(res->tags.v[k]));
	return 0;
}

static char *push_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	const struct step_result *b = &r->results[runner_dep(r, i, &step_kind_build)];

	return xstrdup(strcmp(json_string_value(json_object_get(rec->inputs, "image")) ?: "", b->output ?: "")
			       ? "a new image"
			       : "tags changed");
}

/* The registry still has the recorded digest under the first tag. */
static int push_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err)
{
	struct step_result *res = &r->results[i];
	cleanup_free char *repo = push_repository(r->project->manifest, r->project->graph.steps[i].data);
	struct registry_manifest m;
	int rc;

	if (r->offline) {
		res->reason = xstrdup("pushed before (offline: registry not checked)");
		return 1;
	}
	rc = registry_manifest_head(repo, res->tags.v[0], &m, err);
	if (rc < 0 || rc == 0 || strcmp(m.digest ? m.digest : "", rec->output)) {
		registry_manifest_release(&m);
		if (rc < 0)
			return -1;
		res->reason = xasprintf("%s:%s %s", repo, res->tags.v[0], rc ? "moved" : "is gone");
		return 0;
	}
	registry_manifest_release(&m);
	res->report = json_pack("{s:s, s:s}", "repository", repo, "digest", rec->output);
	res->reason = xasprintf("%s:%s is %.19s", repo, res->tags.v[0], rec->output);
	return 1;
}

/* Put the manifest repo@digest under every tag it is not under yet. */
static int retag_remote(const char *repo, const char *digest, const struct strlist *tags, struct cc_error **err)
{
	struct registry_manifest m;
	size_t k;
	int rc = registry_manifest_get(repo, digest, &m, err);

	if (rc == 0)
		rc = cc_error_set(err, "registry: %s@%s is gone", repo, digest);
	for (k = 0; rc == 1 && k < tags->n; k++) {
		struct registry_manifest have;
		int h = registry_manifest_head(repo, tags->v[k], &have, err);

		if (h < 0)
			rc = -1;
		else if ((h == 0 || strcmp(have.digest ? have.digest : "", digest)) &&
			 registry_manifest_put(repo, tags->v[k], m.media_type, m.body, m.size, NULL, err) < 0)
			rc = -1;
		registry_manifest_release(&have);
	}
	registry_manifest_release(&m);
	return rc < 0 ? -1 : 0;
}

/* Push local image id as repo:tag through the engine; *digest set. */
static int engine_push_one(struct runner *r, const struct step *s, const char *id, const char *repo, const char *tag,
			   char **digest, struct cc_error **err)
{
	cleanup_free char *ref = xasprintf("%s:%s", repo, tag), *note = xasprintf("pushing %s", ref);
	int64_t t0 = subspan_now();
	int rc;

	if (engine_image_tag(r->engine, id, ref, err) < 0)
		return -1;
	ui_step_progress(r->ui, s->id, note);
	rc = engine_image_push(r->engine, repo, tag, r->registry_auth, r->cancel, digest, err);
	subspan_add(&r->results[s - r->project->graph.steps].spans, "engine.push", t0, 0, rc < 0,
		    rc < 0 && *err ? (*err)->msg : NULL, NULL);
	return rc;
}

/* Push every platform's image, then an index of them under the first tag;
 * the index digest into *digest. */
static int push_index(struct runner *r, const struct step *s, const char *outputs, const char *hash, const char *repo,
		      const char *tag, char **digest, struct cc_error **err)
{
	cleanup_free char *copy = xstrdup(outputs);
	json_t *list = json_array(), *doc;
	char *tok, *save = NULL, *text;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *os, *arch, *variant, *d = NULL;
		cleanup_free char *plat = NULL, *ptag = NULL;
		struct registry_manifest m;

		if (!eq)
			return cc_error_set(err, "%s: malformed build output '%s'", s->id, outputs);
		*eq = '\0';
		plat = xstrdup(tok);
		ptag = build_platform_cache_tag(hash, tok);
		os = strtok_r(plat, "/", &variant);
		arch = strtok_r(NULL, "/", &variant);
		if (engine_push_one(r, s, eq + 1, repo, ptag, &d, err) < 0 ||
		    registry_manifest_head(repo, d, &m, err) != 1) {
			free(d);
			rc = -1;
			break;
		}
		json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:{s:s, s:s}}", "mediaType",
						      m.media_type ? m.media_type : REGISTRY_DOCKER_MANIFEST, "size",
						      (json_int_t)m.size, "digest", d, "platform", "architecture",
						      arch ? arch : "", "os", os ? os : ""));
		if (variant && *variant)
			json_object_set_new(
				json_object_get(json_array_get(list, json_array_size(list) - 1), "platform"), "variant",
				json_string(variant));
		registry_manifest_release(&m);
		free(d);
	}
	if (rc < 0) {
		json_decref(list);
		return -1;
	}
	doc = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", REGISTRY_DOCKER_LIST, "manifests", list);
	text = json_dumps(doc, JSON_INDENT(3));
	json_decref(doc);
	rc = registry_manifest_put(repo, tag, REGISTRY_DOCKER_LIST, text, strlen(text), digest, err);
	free(text);
	return rc;
}

static int push_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct image *img = s->data;
	struct step_result *res = &r->results[i], *b = &r->results[runner_dep(r, i, &step_kind_build)];
	cleanup_free char *repo = push_repository(r->project->manifest, img);
	char *digest = NULL;
	int rc;

	if (!strncmp(b->output, "registry:", 9))
		digest = xstrdup(b->output + 9);
	else if (strchr(b->output, '='))
		rc = push_index(r, s, b->output, b->hash, repo, res->tags.v[0], &digest, err);
	else
		rc = engine_push_one(r, s, b->output, repo, res->tags.v[0], &digest, err);
	if (!digest)
		return -1;
	rc = retag_remote(repo, digest, &res->tags, err);
	res->output = digest;
	res->report = json_pack("{s:s, s:s}", "repository", repo, "digest", digest);
	return rc;
}

const struct step_kind step_kind_push = {
	.name = "push",
	.needs_outputs = 1,
	.describe = push_describe,
	.hash_inputs = push_hash_inputs,
	.no_record = "not pushed before",
	.changed = push_changed,
	.output_exists = push_output_exists,
	.run = push_run,
};
