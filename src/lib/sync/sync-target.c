/* sync-target: volume and service destinations on the engine
 * (sync-target.h). */
#include "sync-target.h"
#include "compose.h"
#include "deploy-spec.h"
#include "error.h"
#include "manifest-sync.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* 1 when a and b are the same directory, or one lies inside the other. */
static int nested_paths(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	while (n > 1 && (a[n - 1] == '/' || b[n - 1] == '/'))
		n--;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/') && (b[n] == '\0' || b[n] == '/');
}

/* The target of a "SRC:TARGET[:OPTS]" bind whose SRC nests with host. */
static const char *bind_target(const char *bind, const char *host, char *buf, size_t size)
{
	const char *colon = strchr(bind, ':'), *end;
	cleanup_free char *src = NULL;

	if (!colon || *bind != '/')
		return NULL;
	src = xstrndup(bind, (size_t)(colon - bind));
	if (!nested_paths(src, host))
		return NULL;
	end = strchr(colon + 1, ':');
	snprintf(buf, size, "%.*s", (int)(end ? end - colon - 1 : (long)strlen(colon + 1)), colon + 1);
	return buf;
}

int sync_target_mounted(const json_t *create, const char *volume, const char *host, char *buf, size_t size)
{
	const json_t *hc = json_object_get(create, "HostConfig"), *mounts = json_object_get(hc, "Mounts");
	const json_t *binds = json_object_get(hc, "Binds");

	for (size_t k = 0; k < json_array_size(mounts); k++) {
		const json_t *m = json_array_get(mounts, k);
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *src = json_string_value(json_object_get(m, "Source"));
		const char *target = json_string_value(json_object_get(m, "Target"));

		if (!type || !src || !target)
			continue;
		if ((volume && !strcmp(type, "volume") && !strcmp(src, volume)) ||
		    (host && !strcmp(type, "bind") && nested_paths(src, host)))
			return snprintf(buf, size, "%s", target), 1;
	}
	for (size_t k = 0; host && k < json_array_size(binds); k++) {
		const char *bind = json_string_value(json_array_get(binds, k));

		if (bind && bind_target(bind, host, buf, size))
			return 1;
	}
	return 0;
}

/* The first service of p (by name) whose container mounts out->volume:
 * its image and mount point into out. */
static void find_mounting_service(const struct compose_project *p, const struct deploy_project *dp,
				  sync_built_image_fn built, void *ctx, struct sync_volume *out)
{
	for (size_t i = 0; !out->service && i < compose_service_count(p); i++) {
		const char *name = compose_service_name(p, i);
		struct deploy_service *s = NULL;
		struct cc_error *ignored = NULL;
		char target[4096];

		/* A service ccbuild cannot deploy cannot be a helper either. */
		if (deploy_service_spec(p, dp, i, built ? built(ctx, name) : NULL, &s, &ignored) == 0 && s->image &&
		    sync_target_mounted(s->create, out->volume, NULL, target, sizeof(target))) {
			out->service = xstrdup(name);
			out->image = xstrdup(s->image);
			out->mount = xstrdup(target);
		}
		cc_error_free(ignored);
		deploy_service_free(s);
	}
}

int sync_target_volume(const struct sync_spec *spec, const struct compose_project *p, sync_built_image_fn built,
		       void *ctx, struct sync_volume *out, struct cc_error **err)
{
	struct deploy_project *dp = NULL;
	cleanup_free char *files = NULL;
	struct cc_error *ignored = NULL;

	memset(out, 0, sizeof(*out));
	if (p) {
		files = compose_config_files(p);
		if (deploy_project_spec(p, compose_project_name(p), compose_project_dir(p), files, &dp, &ignored) < 0)
			dp = NULL;
		cc_error_free(ignored);
		out->project = xstrdup(compose_project_name(p));
	}
	for (size_t k = 0; dp && k < dp->nvolumes && !out->volume; k++)
		if (!strcmp(dp->volumes[k].key, spec->volume)) {
			out->volume = xstrdup(dp->volumes[k].name);
			out->create = json_incref(dp->volumes[k].create);
		}
	if (!out->volume)
		out->volume = xstrdup(spec->volume);
	if (dp)
		find_mounting_service(p, dp, built, ctx, out);
	deploy_project_free(dp);
	if (spec->helper_image) {
		free(out->image);
		out->image = xstrdup(spec->helper_image);
		if (!out->mount)
			out->mount = xstrdup("/ccbuild-sync");
		free(out->service);
		out->service = NULL;
	}
	if (!out->image)
		return cc_error_set(err,
				    "no service of the compose project mounts volume %s, so there is no image"
				    " to write it from; set helper_image: to a local image (with rm, for delete: true)",
				    out->volume);
	return 0;
}

void sync_target_release(struct sync_volume *t)
{
	free(t->volume);
	free(t->image);
	free(t->mount);
	free(t->service);
	free(t->project);
	json_decref(t->create);
	memset(t, 0, sizeof(*t));
}
