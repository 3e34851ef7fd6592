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

static int on_event(void *ctx, const json_t *ev)
{
	const char *action = json_string_value(json_object_get(ev, "Action")) ?: "";

	(void)ctx;
	if (!strcmp(action, "die"))
		return WAIT_DIED;
	if (strncmp(action, "health_status", 13))
		return 0;
	action += 13;
	action += strspn(action, ": ");
	return !strcmp(action, "healthy") ? WAIT_HEALTHY : !strcmp(action, "unhealthy") ? WAIT_UNHEALTHY : 0;
}

/* Its last health check's output, or its last log lines; caller frees. */
static char *detail(struct engine *e, const char *id, int health)
{
	json_t *info = NULL, *log;
	char *out = NULL, *lines;
	struct cc_error *ignored = NULL;

	if (health && engine_container_inspect(e, id, &info, &ignored) == 1) {
		log = json_object_get(json_object_get(json_object_get(info, "State"), "Health"), "Log");
		log = json_array_get(log, json_array_size(log) - 1);
		if (log)
			out = xasprintf("last health check (exit %lld): %s",
					(long long)json_integer_value(json_object_get(log, "ExitCode")),
					json_string_value(json_object_get(log, "Output")) ?: "");
	} else if (!health && engine_container_tail(e, id, 10, &out, &ignored) == 0 && out) {
		lines = xasprintf("last output:\n%s", *out ? out : "(none)");
		free(out);
		out = lines;
	}
	json_decref(info);
	cc_error_free(ignored);
	return out ? out : xstrdup("no output");
}

/* WAIT_OK, WAIT_MORE, WAIT_DIED or WAIT_UNHEALTHY from an inspect; -1. */
static int judge(struct engine *e, const char *id, const char *what, int *health, struct cc_error **err)
{
	json_t *info = NULL, *state;
	const char *status, *hs;
	int rc = engine_container_inspect(e, id, &info, err);

	if (rc <= 0)
		return rc < 0 ? -1 : cc_error_set(err, "%s: container %.12s is gone", what, id);
	state = json_object_get(info, "State");
	status = json_string_value(json_object_get(state, "Status")) ?: "";
	hs = json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
	*health = hs && *hs && strcmp(hs, "none");
	if (!strcmp(status, "exited") || !strcmp(status, "dead"))
		rc = WAIT_DIED;
	else
		rc = !*health || !strcmp(hs, "healthy") ? WAIT_OK : !strcmp(hs, "unhealthy") ? WAIT_UNHEALTHY : WAIT_MORE;
	json_decref(info);
	return rc;
}

static int failed(struct engine *e, const char *id, const char *what, int how, int health, long timeout_ms,
		  struct cc_error **err)
{
	cleanup_free char *why = detail(e, id, how != WAIT_DIED && health);

	if (how == WAIT_DIED)
		return cc_error_set(err, "%s exited after its start; %s", what, why);
	if (how == WAIT_UNHEALTHY)
		return cc_error_set(err, "%s is unhealthy; %s", what, why);
	return cc_error_set(err, "%s is not healthy after %ld s; %s", what, timeout_ms / 1000, why);
}

int deploy_start_and_wait(struct engine *e, const char *id, const char *what, long timeout_ms,
			  const atomic_int *cancel, struct cc_error **err)
{
	cleanup_free char *since = engine_now(e, err);
	json_t *filters;
	int rc, health = 0;

	if (!since)
		return -1;
	if (engine_container_start(e, id, err) < 0)
		return cc_error_wrap(err, "starting %s", what);
	if ((rc = judge(e, id, what, &health, err)) < 0)
		return -1;
	if (rc != WAIT_MORE)
		return rc == WAIT_OK ? 0 : failed(e, id, what, rc, health, timeout_ms, err);
	filters = json_pack("{s:[s], s:[s], s:[s, s]}", "type", "container", "container", id, "event", "health_status",
			    "die");
	rc = engine_events(e, filters, since, timeout_ms, on_event, NULL, cancel, err);
	json_decref(filters);
	if (rc == WAIT_HEALTHY)
		return 0;
	if (rc == ENGINE_TIMEOUT && err) {
		cc_error_free(*err);
		*err = NULL;
	}
	if (rc == WAIT_DIED || rc == WAIT_UNHEALTHY || rc == ENGINE_TIMEOUT)
		return failed(e, id, what, rc, health, timeout_ms, err);
	return rc == ENGINE_CANCELLED ? cc_error_set(err, "interrupted") : -1;
}
