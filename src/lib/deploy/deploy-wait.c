/* deploy-wait: a container started and waited for (deploy-wait.h).  The
 * events stream is read from the daemon's time just before the start, so
 * a health_status sent between the start and the request is not missed;
 * the container's state is judged by an inspect first, since one already
 * healthy sends no new event. */
#include "deploy-wait.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { WAIT_OK = 0, WAIT_MORE = 1, WAIT_HEALTHY = 1, WAIT_UNHEALTHY, WAIT_DIED };

struct waiter {
	int completed;	/* waiting for an exit 0, not for health */
	long exit_code; /* of the die event */
};

static int on_event(void *ctx, const json_t *ev)
{
	struct waiter *w = ctx;
	const char *action = json_string_value(json_object_get(ev, "Action")) ?: "";

	if (!strcmp(action, "die")) {
		const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
		const char *code = json_string_value(json_object_get(attrs, "exitCode"));

		w->exit_code = code ? strtol(code, NULL, 10) : -1;
		return WAIT_DIED;
	}
	if (w->completed || strncmp(action, "health_status", 13))
		return 0;
	action += 13;
	action += strspn(action, ": ");
	return !strcmp(action, "healthy") ? WAIT_HEALTHY : !strcmp(action, "unhealthy") ? WAIT_UNHEALTHY : 0;
}

/* Why the container failed: its last health check's output, or its last
 * log lines; caller frees. */
static char *failure_detail(struct engine *e, const char *id, int health)
{
	json_t *info = NULL, *log;
	char *out = NULL;
	struct cc_error *ignored = NULL;

	if (health && engine_container_inspect(e, id, &info, &ignored) == 1) {
		log = json_object_get(json_object_get(json_object_get(info, "State"), "Health"), "Log");
		log = json_array_get(log, json_array_size(log) - 1);
		if (log)
			out = xasprintf("last health check (exit %lld): %s",
					(long long)json_integer_value(json_object_get(log, "ExitCode")),
					json_string_value(json_object_get(log, "Output")) ?: "");
	} else if (!health && engine_container_tail(e, id, 10, &out, &ignored) == 0 && out) {
		char *lines = xasprintf("last output:\n%s", *out ? out : "(none)");

		free(out);
		out = lines;
	}
	json_decref(info);
	cc_error_free(ignored);
	return out ? out : xstrdup(health ? "no health check output" : "no output");
}

/* Fail for how the container ended up (WAIT_DIED, WAIT_UNHEALTHY or
 * ENGINE_TIMEOUT). */
static int wait_failed(struct engine *e, const char *id, const struct deploy_wait *w, int how, long code,
		       struct cc_error **err)
{
	cleanup_free char *detail = failure_detail(e, id, how == WAIT_UNHEALTHY || (how != WAIT_DIED && !w->completed));

	if (how == WAIT_DIED)
		return cc_error_set(err, "%s exited with code %ld; %s", w->what, code, detail);
	if (how == WAIT_UNHEALTHY)
		return cc_error_set(err, "%s is unhealthy; %s", w->what, detail);
	return cc_error_set(err, "%s is not %s after %ld s%s; %s", w->what, w->completed ? "completed" : "healthy",
			    w->timeout_ms / 1000, w->timeout_hint ? w->timeout_hint : "", detail);
}

/* From the container's inspect: WAIT_OK when it is where it should be,
 * WAIT_MORE to wait for events, -1 failed; *health 1 when it has a
 * healthcheck. */
static int judge_state(struct engine *e, const char *id, const struct deploy_wait *w, int *health,
		       struct cc_error **err)
{
	json_t *info = NULL, *state;
	const char *status, *hs;
	long code;
	int rc = engine_container_inspect(e, id, &info, err);

	if (rc <= 0) {
		json_decref(info);
		return rc < 0 ? -1 : cc_error_set(err, "%s: container %.12s is gone", w->what, id);
	}
	state = json_object_get(info, "State");
	status = json_string_value(json_object_get(state, "Status")) ?: "";
	hs = json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
	code = (long)json_integer_value(json_object_get(state, "ExitCode"));
	*health = hs && *hs && strcmp(hs, "none"); /* Podman: "" without a healthcheck */
	if (!strcmp(status, "exited") || !strcmp(status, "dead"))
		rc = w->completed && code == 0 ? WAIT_OK : code == 0 && !*health && !w->need_health ? WAIT_OK : -2;
	else if (w->completed)
		rc = WAIT_MORE;
	else if (!*health)
		rc = w->need_health ? cc_error_set(err,
						   "%s has no healthcheck, but a service depends on it"
						   " being healthy (condition: service_healthy)",
						   w->what)
				    : WAIT_OK;
	else
		rc = !strcmp(hs, "healthy") ? WAIT_OK : !strcmp(hs, "unhealthy") ? -3 : WAIT_MORE;
	json_decref(info);
	if (rc == -2)
		return wait_failed(e, id, w, WAIT_DIED, code, err);
	if (rc == -3)
		return wait_failed(e, id, w, WAIT_UNHEALTHY, 0, err);
	return rc;
}

int deploy_start_and_wait(struct engine *e, const char *id, int running, const struct deploy_wait *w,
			  const atomic_int *cancel, struct cc_error **err)
{
	struct waiter ws = { w->completed, -1 };
	cleanup_free char *since = engine_now(e, err);
	json_t *filters;
	int rc, health = 0;

	if (!since)
		return -1;
	if (!running && cancel_pending(cancel))
		return cc_error_set(err, "interrupted");
	if (!running && engine_container_start(e, id, err) < 0)
		return cc_error_wrap(err, "starting %s", w->container ? w->container : w->what);
	if ((rc = judge_state(e, id, w, &health, err)) != WAIT_MORE)
		return rc;
	if (w->waiting)
		w->waiting(w->ctx, w->completed ? "waiting until it completes" : "waiting until healthy");
	filters = json_pack("{s:[s], s:[s], s:[s, s]}", "type", "container", "container", id, "event", "health_status",
			    "die");
	rc = engine_events(e, filters, since, w->timeout_ms, on_event, &ws, cancel, err);
	json_decref(filters);
	if (rc == WAIT_HEALTHY || (rc == WAIT_DIED && ws.completed && ws.exit_code == 0))
		return 0;
	if (rc == WAIT_DIED || rc == WAIT_UNHEALTHY || rc == ENGINE_TIMEOUT) {
		if (rc == ENGINE_TIMEOUT && err)
			cc_error_free(*err), *err = NULL;
		return wait_failed(e, id, w, rc, ws.exit_code, err);
	}
	return rc == ENGINE_CANCELLED ? cc_error_set(err, "interrupted") : -1;
}
