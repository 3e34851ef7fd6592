/* privbase: see privbase.h. */
#include "privbase.h"

#include "engine.h"
#include "error.h"
#include "registry.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

char *privbase_auth(const char *ref)
{
	cleanup_free char *host = NULL, *path = NULL, *reference = NULL;

	if (registry_split(ref, &host, &path, &reference) < 0)
		return NULL;
	return registry_engine_auth(host);
}

/* 1 when the engine has an image by this name. */
static int engine_has(struct engine *e, const char *name, struct cc_error **err)
{
	json_t *info = NULL;
	int rc = engine_image_inspect(e, name, &info, err);

	json_decref(info);
	return rc;
}

/* "os/arch[/variant]" of one entry of an index's manifests. */
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
	full = variant ? xasprintf("%s/%s/%s", os, arch, variant) : xstrdup(plain);
	return !strcmp(platform, full) || !strcmp(platform, plain);
}

/* The digest of platform's manifest of repo:reference: its entry in an
 * index or manifest list, or the manifest itself when it is a single one. */
static char *platform_digest(const char *repo, const char *reference, const char *platform, struct cc_error **err)
{
	struct registry_manifest m = { 0 };
	json_t *doc = NULL, *list;
	char *digest = NULL;
	size_t k;
	int rc = registry_manifest_get(repo, reference, &m, err);

	if (rc == 0)
		cc_error_set(err, "%s:%s: not found in the registry", repo, reference);
	if (rc != 1)
		goto out;
	doc = json_loads(m.body, 0, NULL);
	list = json_object_get(doc, "manifests");
	if (!json_is_array(list)) {
		digest = xstrdup(m.digest);
		goto out;
	}
	for (k = 0; k < json_array_size(list) && !digest; k++)
		if (platform_is(json_array_get(list, k), platform))
			digest = xstrdup(json_string_value(json_object_get(json_array_get(list, k), "digest")));
	if (!digest)
		cc_error_set(err, "%s:%s has no image for %s", repo, reference, platform);
out:
	json_decref(doc);
	registry_manifest_release(&m);
	return digest;
}

int privbase_pull(struct engine *e, const char *ref, const char *platform, const char *local, const char *auth,
		  volatile sig_atomic_t *cancel, struct cc_error **err)
{
	cleanup_free char *host = NULL, *path = NULL, *reference = NULL, *repo = NULL, *digest = NULL;
	cleanup_free char *pinned = NULL;
	int rc;

	if (registry_split(ref, &host, &path, &reference) < 0)
		return cc_error_set(err, "%s: not a reference to a registry host", ref);
	repo = xasprintf("%s/%s", host, path);
	if (!reference)
		reference = xstrdup("latest");
	rc = engine_has(e, platform ? local : ref, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!platform)
		return engine_image_pull(e, repo, reference, NULL, auth, cancel, err);
	if (!(digest = platform_digest(repo, reference, platform, err)))
		return cc_error_wrap(err, "base %s for %s", ref, platform), -1;
	pinned = xasprintf("%s@%s", repo, digest);
	if (engine_image_pull(e, repo, digest, NULL, auth, cancel, err) < 0 ||
	    engine_image_tag(e, pinned, local, err) < 0)
		return -1;
	return 0;
}
