/* engine-exec: a command run in a running container
 * (engine-container.h): POST /containers/ID/exec makes the exec, POST
 * /exec/EID/start runs it attached (no Upgrade header: the daemon answers
 * 200 and streams the framed output until the process ends), GET
 * /exec/EID/json gives the exit code.  A cancelled exec keeps running in
 * the container: the API cannot kill it. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long the exit code may lag behind the end of the stream. */
#define EXEC_SETTLE_MS 5000

static int exec_create(struct engine *e, const char *id, const char *const *argv, const char *const *env,
		       const char *user, char **eid, struct cc_error **err)
{
	cleanup_free char *ecid = engine_escape(id), *path = xasprintf("/containers/%s/exec", ecid);
	json_t *cmd = json_array(), *body, *answer = NULL;
	const char *v;
	int rc;

	for (; *argv; argv++)
		json_array_append_new(cmd, json_string(*argv));
	body = json_pack("{s:b,s:b,s:b,s:b,s:o}", "AttachStdin", 0, "AttachStdout", 1, "AttachStderr", 1, "Tty", 0,
			 "Cmd", cmd);
	if (user)
		json_object_set_new(body, "User", json_string(user));
	if (env && *env) {
		json_t *list = json_array();

		for (; *env; env++)
			json_array_append_new(list, json_string(*env));
		json_object_set_new(body, "Env", list);
	}
	rc = engine_call(e, "POST", path, body, 201, 200, 0, &answer, err);
	json_decref(body);
	if (rc < 0)
		return rc;
	if ((v = json_string_value(json_object_get(answer, "Id"))) && *v)
		*eid = xstrdup(v);
	else
		rc = cc_error_set(err, "engine: exec in %s: the answer has no Id", id);
	json_decref(answer);
	return rc;
}

static int exec_feed(void *ctx, const char *data, size_t n)
{
	return engine_demux_feed(ctx, data, n);
}

static int exec_ignore(void *ctx, int stream, const char *line, size_t len)
{
	return 0;
}

/* GET /exec/EID/json until Running is false; *status its ExitCode. */
static int exec_status(struct engine *e, const char *eid, long *status, struct cc_error **err)
{
	cleanup_free char *path = xasprintf("/exec/%s/json", eid);
	struct timespec pause = { 0, 20 * 1000000 };
	int waited, rc = 0;

	for (waited = 0; rc == 0; waited += 20) {
		json_t *j = NULL;
		json_t *code;

		if ((rc = engine_call(e, "GET", path, NULL, 200, 0, 0, &j, err)) < 0)
			return rc;
		code = json_object_get(j, "ExitCode");
		if (!json_is_true(json_object_get(j, "Running")) && json_is_integer(code)) {
			*status = (long)json_integer_value(code);
			json_decref(j);
			return 0;
		}
		json_decref(j);
		if (waited >= EXEC_SETTLE_MS)
			rc = cc_error_set(err, "engine: exec %.12s: still running after its output ended", eid);
		nanosleep(&pause, NULL);
	}
	return rc;
}

int engine_container_exec(struct engine *e, const char *id, const char *const *argv, const char *user, engine_log_fn fn,
			  void *ctx, const atomic_int *cancel, long *status, struct cc_error **err)
{
	return engine_container_exec_env(e, id, argv, NULL, user, fn, ctx, cancel, status, err);
}

int engine_container_exec_env(struct engine *e, const char *id, const char *const *argv, const char *const *env,
			      const char *user, engine_log_fn fn, void *ctx, const atomic_int *cancel, long *status,
			      struct cc_error **err)
{
	struct engine_demux d = { .fn = fn ? fn : exec_ignore, .ctx = ctx };
	cleanup_free char *eid = NULL, *path = NULL, *what = xasprintf("exec in %s", id);
	struct engine_xfer x = { .feed = exec_feed, .ctx = &d, .cancel = cancel, .timeout_ms = -1, .what = what };
	int rc = exec_create(e, id, argv, env, user, &eid, err);

	if (rc < 0)
		return rc;
	path = xasprintf("/exec/%s/start", eid);
	rc = engine_xfer_run(e, "POST", path, "{\"Detach\":false,\"Tty\":false}", &x, err);
	if (rc >= 0 && rc != 200)
		rc = engine_xfer_error(&x, err);
	else if (rc >= 0 && (d.stopped || engine_demux_finish(&d))) {
		*status = -1; /* fn stopped reading; the command goes on */
		rc = 0;
	} else if (rc >= 0)
		rc = exec_status(e, eid, status, err);
	engine_xfer_release(&x);
	engine_demux_release(&d);
	return rc;
}
