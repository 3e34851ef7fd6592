/* engine-image: the /images endpoints ccbuild needs (engine.h). */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <string.h>

int engine_image_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err)
{
	cleanup_free char *path = xasprintf("/images/%s/json", name);
	json_t *body = NULL;
	int status = engine_request(e, "GET", path, NULL, &body, err);

	if (status < 0)
		return status;
	if (status == 200 && json_is_object(body)) {
		*out = body;
		return 1;
	}
	if (status == 404) {
		json_decref(body);
		return 0;
	}
	engine_status_error(status, body, err);
	json_decref(body);
	return -1;
}

int engine_image_tag(struct engine *e, const char *image, const char *ref, struct cc_error **err)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	cleanup_free char *repo = NULL, *erepo = NULL, *etag = NULL, *path = NULL;
	json_t *body = NULL;
	int status;

	if (colon && (!slash || colon > slash)) {
		repo = xstrndup(ref, (size_t)(colon - ref));
		etag = engine_escape(colon + 1);
	} else {
		repo = xstrdup(ref);
		etag = xstrdup("latest");
	}
	erepo = engine_escape(repo);
	path = xasprintf("/images/%s/tag?repo=%s&tag=%s", image, erepo, etag);
	status = engine_request(e, "POST", path, NULL, &body, err);
	if (status >= 0 && status != 201 && status != 200)
		status = engine_status_error(status, body, err);
	json_decref(body);
	return status < 0 ? status : 0;
}

int engine_image_remove(struct engine *e, const char *name, int force, struct cc_error **err)
{
	cleanup_free char *path = xasprintf("/images/%s?force=%d", name, force ? 1 : 0);
	json_t *body = NULL;
	int status = engine_request(e, "DELETE", path, NULL, &body, err);

	if (status == 200)
		status = 0;
	else if (status == 404)
		status = 1;
	else if (status > 0)
		status = engine_status_error(status, body, err);
	json_decref(body);
	return status;
}

int engine_image_pull(struct engine *e, const char *name, const char *tag, const char *platform, const char *auth,
		      const atomic_int *cancel, struct cc_error **err)
{
	struct engine_progress x = { .line = STRBUF_INIT, .cancel = cancel, .raw = STRBUF_INIT };
	cleanup_free char *ename = engine_escape(name), *etag = engine_escape(tag);
	cleanup_free char *eplat = engine_escape(platform ? platform : "");
	cleanup_free char *what = xasprintf("pulling %s:%s", name, tag);
	cleanup_free char *path = xasprintf("/images/create?fromImage=%s&tag=%s%s%s", ename, etag,
					    platform ? "&platform=" : "", platform ? eplat : "");
	int rc = engine_progress_call(e, path, auth, &x, what, err);

	engine_progress_release(&x);
	return rc;
}
