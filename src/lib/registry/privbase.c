/* privbase: see privbase.h. */
#include "privbase.h"

#include "engine.h"
#include "error.h"
#include "registry.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int privbase_auth(const char *ref, char **auth, struct cc_error **err)
{
	cleanup_free char *host = NULL, *path = NULL, *reference = NULL;

	*auth = NULL;
	if (registry_split(ref, &host, &path, &reference) < 0)
		return 0;
	return registry_engine_auth(host, auth, err);
}

/* The digest part of a RepoDigests entry "REPO@DIGEST" of repo, or NULL. */
static const char *digest_of(const json_t *entry, const char *repo)
{
	const char *d = json_string_value(entry);
	size_t n = strlen(repo);

	return d && !strncmp(d, repo, n) && d[n] == '@' ? d + n + 1 : NULL;
}

/* "HOST/PATH" of ref and its tag or digest (default latest), or -1. */
static int split_ref(const char *ref, char **repo, char **reference)
{
	cleanup_free char *host = NULL, *path = NULL;

	*repo = *reference = NULL;
	if (registry_split(ref, &host, &path, reference) < 0)
		return -1;
	*repo = xasprintf("%s/%s", host, path);
	if (!*reference)
		*reference = xstrdup("latest");
	return 0;
}

const char *privbase_pulled_digest(const json_t *info, const char *ref)
{
	const json_t *digests = json_object_get(info, "RepoDigests");
	cleanup_free char *repo = NULL, *reference = NULL;
	const char *least = NULL, *d;
	size_t k;

	if (split_ref(ref, &repo, &reference) < 0)
		return NULL;
	for (k = 0; k < json_array_size(digests); k++)
		if ((d = digest_of(json_array_get(digests, k), repo)) && (!least || strcmp(d, least) < 0))
			least = d;
	return least;
}

/* 1 when the image (inspect JSON) was pulled from repo by digest. */
static int pulled_by(const json_t *info, const char *repo, const char *digest)
{
	const json_t *digests = json_object_get(info, "RepoDigests");
	const char *d;
	size_t k;

	for (k = 0; k < json_array_size(digests); k++)
		if ((d = digest_of(json_array_get(digests, k), repo)) && !strcmp(d, digest))
			return 1;
	return 0;
}

/* "os/arch[/variant]" of one entry of an index's manifests; arm64 without
 * a variant is v8, as containerd reads it. */
static int platform_is(const json_t *m, const char *platform)
{
	const json_t *p = json_object_get(m, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));
	cleanup_free char *full = NULL, *plain = NULL;

	if (!os || !arch)
		return 0;
	plain = xasprintf("%s/%s", os, arch);
	if (!variant && !strcmp(arch, "arm64"))
		variant = "v8";
	full = variant ? xasprintf("%s/%s/%s", os, arch, variant) : xstrdup(plain);
	return !strcmp(platform, full) || !strcmp(platform, plain);
}

/* The digest of platform's manifest in the index (or manifest list)
 * repo@index, or index itself when it is a single manifest. */
static char *platform_digest(const char *repo, const char *index, const char *platform, struct cc_error **err)
{
	struct registry_manifest m = { 0 };
	json_t *doc = NULL, *list;
	const char *d;
	char *digest = NULL;
	size_t k;
	int rc = registry_manifest_get(repo, index, &m, err);

	if (rc == 0)
		cc_error_set(err, "%s@%s: not found in the registry", repo, index);
	if (rc != 1)
		goto out;
	doc = json_loads(m.body, 0, NULL);
	list = json_object_get(doc, "manifests");
	if (!json_is_array(list)) {
		digest = xstrdup(index);
		goto out;
	}
	for (k = 0; k < json_array_size(list) && !digest; k++)
		if (platform_is(json_array_get(list, k), platform) &&
		    (d = json_string_value(json_object_get(json_array_get(list, k), "digest"))))
			digest = xstrdup(d);
	if (!digest)
		cc_error_set(err, "%s@%s has no image for %s", repo, index, platform);
out:
	json_decref(doc);
	registry_manifest_release(&m);
	return digest;
}

/* The engine's image by this name: 1 with *info, 0 absent, -1. */
static int inspect(struct engine *e, const char *name, json_t **info, struct cc_error **err)
{
	*info = NULL;
	return engine_image_inspect(e, name, info, err);
}

/* platform's image of repo@index as local. */
static int platform_local(struct engine *e, const char *repo, const char *index, const char *platform,
			  const char *local, const char *auth, const atomic_int *cancel, struct cc_error **err)
{
	cleanup_free char *digest = platform_digest(repo, index, platform, err), *pinned = NULL;
	json_t *have = NULL;
	int rc;

	if (!digest)
		return -1;
	if ((rc = inspect(e, local, &have, err)) < 0)
		return -1;
	rc = rc == 1 && pulled_by(have, repo, digest);
	json_decref(have);
	if (rc)
		return 0;
	pinned = xasprintf("%s@%s", repo, digest);
	if (engine_image_pull(e, repo, digest, NULL, auth, cancel, err) < 0 ||
	    engine_image_tag(e, pinned, local, err) < 0)
		return -1;
	return 0;
}

int privbase_make_local(struct engine *e, const char *ref, const char *native, const struct strlist *platforms,
			const struct strlist *locals, const char *want_index, const char *auth,
			const atomic_int *cancel, struct cc_error **err)
{
	cleanup_free char *reference = NULL, *repo = NULL;
	cleanup_free char *index = want_index ? xstrdup(want_index) : NULL;
	int need_native = !platforms || !platforms->n || strlist_has(platforms, native);
	json_t *info = NULL;
	size_t k;
	int rc;

	if (split_ref(ref, &repo, &reference) < 0)
		return cc_error_set(err, "%s: not a reference to a registry host", ref);
	if ((rc = inspect(e, ref, &info, err)) < 0)
		return -1;
	if (rc == 0) {
		struct cc_error *perr = NULL; /* only other platforms are needed: not an error */
		int prc = engine_image_pull(e, repo, reference, NULL, auth, cancel, need_native ? err : &perr);

		cc_error_free(perr);
		if (prc < 0 && need_native)
			return cc_error_wrap(err, "base %s", ref), -1;
		if (prc == 0 && (rc = inspect(e, ref, &info, err)) < 0)
			return -1;
	}
	for (k = 0; rc >= 0 && platforms && k < platforms->n; k++) {
		const char *plat = platforms->v[k], *id = json_string_value(json_object_get(info, "Id")), *hid;
		json_t *have = NULL;

		if (!strcmp(plat, native) && id && index && pulled_by(info, repo, index)) {
			/* REF, pulled by that index, is this platform's image */
			rc = inspect(e, locals->v[k], &have, err);
			hid = json_string_value(json_object_get(have, "Id"));
			if (rc >= 0 && !(rc == 1 && hid && !strcmp(hid, id)))
				rc = engine_image_tag(e, id, locals->v[k], err);
			json_decref(have);
			continue;
		}
		if (!index) {
			struct registry_manifest m = { 0 };

			rc = registry_manifest_head(repo, reference, &m, err);
			if (rc == 0)
				rc = cc_error_set(err, "%s: not found in the registry", ref);
			else if (rc == 1 && !m.digest)
				rc = cc_error_set(err, "%s: the registry gave no digest", ref);
			else if (rc == 1)
				index = xstrdup(m.digest);
			registry_manifest_release(&m);
			if (rc < 0)
				break;
		}
		rc = platform_local(e, repo, index, plat, locals->v[k], auth, cancel, err);
	}
	json_decref(info);
	if (rc < 0)
		return cc_error_wrap(err, "base %s", ref), -1;
	return 0;
}
