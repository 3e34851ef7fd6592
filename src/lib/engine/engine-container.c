/* engine-container: the life of a container (engine-container.h): list,
 * inspect, create, start, stop, rename, remove and wait.  Names and IDs
 * are escaped into the path; Docker names are [a-zA-Z0-9][a-zA-Z0-9_.-]*
 * so escaping changes nothing for a valid one and stops a bad one from
 * reaching another endpoint. */
#include "engine-internal.h"
#include "error.h"
#include "lists.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAIT_BODY (64u * 1024)

int engine_container_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err)
{
	cleanup_free char *filters = engine_label_query(labels, '&');
	cleanup_free char *path = xasprintf("/containers/json?all=1%s", filters);
	int rc = engine_call(e, "GET", path, NULL, 200, 0, 0, out, err);

	if (rc == 0 && !json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return cc_error_set(err, "engine: GET /containers/json: the answer is not a list");
	}
	return rc;
}

int engine_container_inspect(struct engine *e, const char *id, json_t **out, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id);
	cleanup_free char *path = xasprintf("/containers/%s/json", eid);
	json_t *j = NULL;
	int rc = engine_call(e, "GET", path, NULL, 200, 0, 404, &j, err);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (!json_is_object(j)) {
		json_decref(j);
		return cc_error_set(err, "engine: inspecting container %s: the answer is not an object", id);
	}
	if (out)
		*out = j;
	else
		json_decref(j);
	return 1;
}

int engine_container_create(struct engine *e, const char *name, json_t *body, char **id, struct cc_error **err)
{
	cleanup_free char *ename = name ? engine_escape(name) : NULL;
	cleanup_free char *path = xasprintf("/containers/create%s%s", name ? "?name=" : "", name ? ename : "");
	json_t *answer = NULL;
	const char *v;
	int rc;

	*id = NULL;
	rc = engine_call(e, "POST", path, body, 201, 200, 0, &answer, err);
	if (rc < 0)
		return rc;
	v = json_string_value(json_object_get(answer, "Id"));
	if (v && *v)
		*id = xstrdup(v);
	else
		rc = cc_error_set(err, "engine: creating container %s: the answer has no Id", name ? name : "");
	json_decref(answer);
	return rc;
}

int engine_container_start(struct engine *e, const char *id, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id);
	cleanup_free char *path = xasprintf("/containers/%s/start", eid);

	return engine_call(e, "POST", path, NULL, 204, 304, 0, NULL, err);
}

/* API >= 1.42 takes stop's signal parameter. */
static int engine_api_at_least(struct engine *e, int minor)
{
	const char *v = engine_api_version(e);
	int major = 0, min = 0;

	return v && sscanf(v, "%d.%d", &major, &min) == 2 && (major > 1 || (major == 1 && min >= minor));
}

/* 1 running, 0 not, -1 gone or unknown. */
static int container_running(struct engine *e, const char *id)
{
	json_t *j = NULL;
	int running = -1;

	if (engine_container_inspect(e, id, &j, NULL) == 1)
		running = json_is_true(json_object_get(json_object_get(j, "State"), "Running"));
	json_decref(j);
	return running;
}

/* POST /containers/ID/kill?signal=SIG; 0 also when it is not running
 * (Docker answers 409, Podman 500). */
static int container_kill(struct engine *e, const char *id, const char *signal, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id), *esig = engine_escape(signal);
	cleanup_free char *path = xasprintf("/containers/%s/kill?signal=%s", eid, esig);
	struct cc_error *local = NULL;
	int rc = engine_call(e, "POST", path, NULL, 204, 0, 409, NULL, &local);

	if (rc == 1 || (rc == -1 && container_running(e, id) == 0))
		rc = 0;
	if (rc < 0)
		engine_error_pass(err, local);
	else
		cc_error_free(local);
	return rc;
}

/* Older engines: kill with signal, wait timeout seconds, then SIGKILL —
 * what stop does on 1.42+. */
static int container_stop_by_kill(struct engine *e, const char *id, int timeout, const char *signal,
				  struct cc_error **err)
{
	struct cc_error *local = NULL;
	long status = 0;
	int rc = container_kill(e, id, signal, err);

	if (rc < 0)
		return rc;
	rc = engine_container_wait_ms(e, id, "not-running", timeout < 0 ? 10000 : timeout * 1000L, NULL, &status,
				      &local);
	if (rc != ENGINE_TIMEOUT) {
		engine_error_pass(err, local);
		return rc < 0 ? rc : 0;
	}
	cc_error_free(local);
	return container_kill(e, id, "KILL", err);
}

int engine_container_stop(struct engine *e, const char *id, int timeout, const char *signal, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id), *esig = NULL, *path = NULL;
	struct strbuf q = STRBUF_INIT;
	int rc;

	if ((rc = engine_ping(e, err)) < 0)
		return rc;
	if (signal && !engine_api_at_least(e, 42))
		return container_stop_by_kill(e, id, timeout, signal, err);
	if (timeout >= 0)
		strbuf_addf(&q, "?t=%d", timeout);
	if (signal) {
		esig = engine_escape(signal);
		strbuf_addf(&q, "%csignal=%s", q.len ? '&' : '?', esig);
	}
	path = xasprintf("/containers/%s/stop%s", eid, q.buf ? q.buf : "");
	strbuf_release(&q);
	return engine_call(e, "POST", path, NULL, 204, 304, 0, NULL, err);
}

int engine_container_rename(struct engine *e, const char *id, const char *name, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id), *ename = engine_escape(name);
	cleanup_free char *path = xasprintf("/containers/%s/rename?name=%s", eid, ename);

	return engine_call(e, "POST", path, NULL, 204, 200, 0, NULL, err);
}

int engine_container_remove(struct engine *e, const char *id, int force, int volumes, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id);
	cleanup_free char *path = xasprintf("/containers/%s?force=%d&v=%d", eid, force ? 1 : 0, volumes ? 1 : 0);

	return engine_call(e, "DELETE", path, NULL, 204, 200, 404, NULL, err);
}

static int wait_feed(void *ctx, const char *data, size_t n)
{
	struct strbuf *sb = ctx;

	if (sb->len + n > MAX_WAIT_BODY)
		return 1;
	strbuf_add(sb, data, n);
	return 0;
}

/* {"StatusCode":N,"Error":{"Message":...}} into *status. */
static int wait_answer(const struct strbuf *body, const char *id, long *status, struct cc_error **err)
{
	json_t *j = body->len ? json_loadb(body->buf, body->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(json_object_get(j, "Error"), "Message"));
	json_t *code = json_object_get(j, "StatusCode");
	int rc = 0;

	if (msg && *msg)
		rc = cc_error_set(err, "engine: waiting for container %s: %s", id, msg);
	else if (!json_is_integer(code))
		rc = cc_error_set(err, "engine: waiting for container %s: the answer has no StatusCode", id);
	else
		*status = (long)json_integer_value(code);
	json_decref(j);
	return rc;
}

int engine_container_wait_ms(struct engine *e, const char *id, const char *cond, long timeout_ms,
			     const atomic_int *cancel, long *status, struct cc_error **err)
{
	cleanup_free char *eid = engine_escape(id), *econd = engine_escape(cond ? cond : "not-running");
	cleanup_free char *path = xasprintf("/containers/%s/wait?condition=%s", eid, econd);
	cleanup_free char *what = xasprintf("waiting for container %s", id);
	struct strbuf body = STRBUF_INIT;
	struct engine_xfer x = { .feed = wait_feed, .ctx = &body, .cancel = cancel, .timeout_ms = timeout_ms };
	int rc;

	x.what = what;
	rc = engine_xfer_run(e, "POST", path, NULL, &x, err);
	if (rc >= 0 && x.stopped)
		rc = cc_error_set(err, "engine: %s: the answer passed %u bytes", what, MAX_WAIT_BODY);
	else if (rc >= 0 && rc != 200)
		rc = engine_xfer_error(&x, err);
	else if (rc >= 0)
		rc = wait_answer(&body, id, status, err);
	engine_xfer_release(&x);
	strbuf_release(&body);
	return rc;
}

int engine_container_wait(struct engine *e, const char *id, const char *cond, const atomic_int *cancel, long *status,
			  struct cc_error **err)
{
	return engine_container_wait_ms(e, id, cond, -1, cancel, status, err);
}
