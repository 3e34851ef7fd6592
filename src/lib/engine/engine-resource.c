/* engine-resource: networks and volumes (engine-container.h), and
 * connecting a container to a network. */
#include "engine-internal.h"
#include "error.h"
#include "lists.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* GET path: 1 with *out (or dropped when out is NULL), 0 on 404. */
static int resource_inspect(struct engine *e, const char *path, json_t **out, struct cc_error **err)
{
	json_t *j = NULL;
	int rc = engine_call(e, "GET", path, NULL, 200, 0, 404, &j, err);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (out)
		*out = j;
	else
		json_decref(j);
	return 1;
}

int engine_network_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err)
{
	cleanup_free char *ename = engine_escape(name), *path = xasprintf("/networks/%s", ename);

	return resource_inspect(e, path, out, err);
}

int engine_network_create(struct engine *e, json_t *body, struct cc_error **err)
{
	/* Before API 1.44 the engine makes a second network of the same name
	 * unless asked not to; later ones ignore the field. */
	json_t *copy = json_copy(body);
	struct cc_error *local = NULL;
	const char *name;
	int rc;

	if (!json_is_object(copy)) {
		json_decref(copy);
		return cc_error_set(err, "engine: creating a network: the body is not an object");
	}
	if (!json_object_get(copy, "CheckDuplicate"))
		json_object_set_new(copy, "CheckDuplicate", json_true());
	rc = engine_call(e, "POST", "/networks/create", copy, 201, 200, 409, NULL, &local);
	/* Podman 4 answers 500 "network already exists": look for it. */
	name = json_string_value(json_object_get(copy, "Name"));
	if (rc == -1 && name && engine_network_inspect(e, name, NULL, NULL) == 1)
		rc = 1;
	if (rc < 0)
		engine_error_pass(err, local);
	else
		cc_error_free(local);
	json_decref(copy);
	return rc;
}

int engine_network_remove(struct engine *e, const char *name, struct cc_error **err)
{
	cleanup_free char *ename = engine_escape(name), *path = xasprintf("/networks/%s", ename);

	return engine_call(e, "DELETE", path, NULL, 204, 200, 404, NULL, err);
}

/* GET path, whose answer (or its member key when key is not NULL) is a
 * list; null counts as empty. */
static int resource_list(struct engine *e, const char *path, const char *key, json_t **out, struct cc_error **err)
{
	json_t *j = NULL, *list;
	int rc = engine_call(e, "GET", path, NULL, 200, 0, 0, &j, err);

	*out = NULL;
	if (rc < 0)
		return rc;
	list = key ? json_object_get(j, key) : j;
	if (json_is_null(list) || (key && !list && json_is_object(j)))
		*out = json_array();
	else if (json_is_array(list))
		*out = json_incref(list);
	else
		rc = cc_error_set(err, "engine: GET %s: the answer is not a list", path);
	json_decref(j);
	return rc;
}

int engine_network_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err)
{
	cleanup_free char *filters = engine_label_query(labels, '?');
	cleanup_free char *path = xasprintf("/networks%s", filters);

	return resource_list(e, path, NULL, out, err);
}

/* 1 when container id is on network net (by name), else 0. */
static int container_on_network(struct engine *e, const char *id, const char *net)
{
	json_t *j = NULL;
	int on = engine_container_inspect(e, id, &j, NULL) == 1 &&
		 json_object_get(json_object_get(json_object_get(j, "NetworkSettings"), "Networks"), net);

	json_decref(j);
	return on;
}

int engine_network_connect(struct engine *e, const char *net, const char *id, json_t *endpoint, struct cc_error **err)
{
	cleanup_free char *enet = engine_escape(net), *path = xasprintf("/networks/%s/connect", enet);
	json_t *body = json_pack("{s:s}", "Container", id);
	struct cc_error *local = NULL;
	int rc;

	if (!body)
		return cc_error_set(err, "engine: connecting to network %s: bad container name", net);
	if (endpoint)
		json_object_set(body, "EndpointConfig", endpoint);
	rc = engine_call(e, "POST", path, body, 200, 204, 0, NULL, &local);
	/* Already there: Docker answers 403, Podman 500. */
	if (rc == -1 && container_on_network(e, id, net))
		rc = 1;
	if (rc < 0)
		engine_error_pass(err, local);
	else
		cc_error_free(local);
	json_decref(body);
	return rc;
}

int engine_volume_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err)
{
	cleanup_free char *ename = engine_escape(name), *path = xasprintf("/volumes/%s", ename);

	return resource_inspect(e, path, out, err);
}

int engine_volume_create(struct engine *e, json_t *body, struct cc_error **err)
{
	return engine_call(e, "POST", "/volumes/create", body, 201, 200, 0, NULL, err);
}

int engine_volume_remove(struct engine *e, const char *name, int force, struct cc_error **err)
{
	cleanup_free char *ename = engine_escape(name);
	cleanup_free char *path = xasprintf("/volumes/%s%s", ename, force ? "?force=1" : "");

	return engine_call(e, "DELETE", path, NULL, 204, 200, 404, NULL, err);
}

int engine_volume_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err)
{
	cleanup_free char *filters = engine_label_query(labels, '?');
	cleanup_free char *path = xasprintf("/volumes%s", filters);

	return resource_list(e, path, "Volumes", out, err);
}
