/* deploy-config (deploy-internal.h): the Config part of the create body,
 * as compose 2.26's getCreateConfigs fills it: Image, Cmd, Entrypoint,
 * Env, Labels (the service's and compose's own), ExposedPorts,
 * Healthcheck in nanoseconds, User, WorkingDir, Hostname, Domainname,
 * Tty, OpenStdin, StopSignal, StopTimeout. */
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void set_str(json_t *o, const char *key, const char *s)
{
	if (s && *s)
		json_object_set_new(o, key, json_string(s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "K=V", or "K" for a variable without a value; sorted by text (compose
 * takes Go's map order, which is random: any order is compose's). */
static json_t *env_array(const struct ynode *env)
{
	size_t n = env && env->kind == YNODE_MAP ? env->len : 0;
	char **v = xcalloc(n + 1, sizeof(*v));
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		const char *val = deploy_str(env->vals[i]);

		v[i] = val ? xasprintf("%s=%s", env->keys[i]->str, val) : xstrdup(env->keys[i]->str);
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_string(v[i]));
		free(v[i]);
	}
	free(v);
	return a;
}

static const char *condition_name(enum deploy_condition c)
{
	return c == DEPLOY_HEALTHY     ? "service_healthy"
	       : c == DEPLOY_COMPLETED ? "service_completed_successfully"
				       : "service_started";
}

/* SERVICE:CONDITION:RESTART joined by "," (sorted by service; compose's
 * order is Go's map order). */
static char *depends_label(const struct deploy_service *s)
{
	struct strbuf sb = STRBUF_INIT;
	char **v = xcalloc(s->ndeps + 1, sizeof(*v));

	for (size_t i = 0; i < s->ndeps; i++)
		v[i] = xasprintf("%s:%s:%s", s->deps[i].service, condition_name(s->deps[i].condition),
				 s->deps[i].restart ? "true" : "false");
	qsort(v, s->ndeps, sizeof(*v), cmp_str);
	for (size_t i = 0; i < s->ndeps; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, v[i]);
		free(v[i]);
	}
	free(v);
	return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

static json_t *labels_object(const struct deploy_ctx *c)
{
	json_t *l = deploy_str_object(ynode_map_get(c->svc, "labels"));
	cleanup_free char *deps = depends_label(c->out);

	json_object_set_new(l, DEPLOY_LABEL_PREFIX "project", json_string(c->proj->name));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "service", json_string(c->name));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "version", json_string(DEPLOY_COMPOSE_VERSION));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "project.working_dir", json_string(c->proj->working_dir));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "project.config_files", json_string(c->proj->config_files));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "oneoff", json_string(c->out->oneoff ? "True" : "False"));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "container-number", json_string("1"));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "depends_on", json_string(deps));
	return l;
}

/* expose: as written; ports: TARGET/PROTOCOL. */
static json_t *exposed_ports(const struct ynode *svc)
{
	const struct ynode *expose = ynode_map_get(svc, "expose"), *ports = ynode_map_get(svc, "ports");
	json_t *o = json_object();

	for (size_t i = 0; expose && expose->kind == YNODE_SEQ && i < expose->len; i++)
		if (deploy_str(expose->items[i]))
			json_object_set_new(o, expose->items[i]->str, json_object());
	for (size_t i = 0; ports && ports->kind == YNODE_SEQ && i < ports->len; i++) {
		const char *proto = deploy_get(ports->items[i], "protocol"),
			   *target = deploy_get(ports->items[i], "target");
		cleanup_free char *key = target ? xasprintf("%s/%s", target, proto ? proto : "tcp") : NULL;

		if (key)
			json_object_set_new(o, key, json_object());
	}
	return o;
}

static int duration_ns(json_t *o, const char *key, const struct ynode *hc, const char *field, struct cc_error **err)
{
	const char *s = deploy_get(hc, field);
	long long ns;

	if (!s)
		return 0;
	if (deploy_parse_duration(s, &ns) < 0)
		return ynode_error(err, ynode_map_get(hc, field), "healthcheck.%s: not a duration: '%s'", field, s);
	if (ns)
		json_object_set_new(o, key, json_integer(ns));
	return 0;
}

/* HealthConfig: zero fields are left out (Go's omitempty). */
static int healthcheck(json_t *config, const struct ynode *hc, struct cc_error **err)
{
	json_t *h;
	long long retries;

	if (!hc || hc->kind != YNODE_MAP)
		return 0;
	h = json_object();
	json_object_set_new(config, "Healthcheck", h);
	if (deploy_get_bool(hc, "disable")) {
		json_object_set_new(h, "Test", json_pack("[s]", "NONE"));
	} else if (ynode_map_get(hc, "test")) {
		json_object_set_new(h, "Test", deploy_str_array(ynode_map_get(hc, "test")));
	}
	if (duration_ns(h, "Interval", hc, "interval", err) < 0 || duration_ns(h, "Timeout", hc, "timeout", err) < 0 ||
	    duration_ns(h, "StartPeriod", hc, "start_period", err) < 0 ||
	    duration_ns(h, "StartInterval", hc, "start_interval", err) < 0)
		return -1;
	if (deploy_get_ll(hc, "retries", &retries) == 0 && retries)
		json_object_set_new(h, "Retries", json_integer(retries));
	return 0;
}

int deploy_config_fill(struct deploy_ctx *c, struct cc_error **err)
{
	json_t *o = c->config;
	const struct ynode *svc = c->svc;

	set_str(o, "Hostname", deploy_get(svc, "hostname"));
	set_str(o, "Domainname", deploy_get(svc, "domainname"));
	set_str(o, "User", deploy_get(svc, "user"));
	json_object_set_new(o, "ExposedPorts", exposed_ports(svc));
	json_object_set_new(o, "Tty", json_boolean(deploy_get_bool(svc, "tty")));
	json_object_set_new(o, "OpenStdin", json_boolean(deploy_get_bool(svc, "stdin_open")));
	json_object_set_new(o, "AttachStdout", json_true());
	json_object_set_new(o, "AttachStderr", json_true());
	if (ynode_map_get(svc, "command"))
		json_object_set_new(o, "Cmd", deploy_str_array(ynode_map_get(svc, "command")));
	if (ynode_map_get(svc, "entrypoint"))
		json_object_set_new(o, "Entrypoint", deploy_str_array(ynode_map_get(svc, "entrypoint")));
	json_object_set_new(o, "Image", json_string(c->out->image));
	set_str(o, "WorkingDir", deploy_get(svc, "working_dir"));
	json_object_set_new(o, "Labels", labels_object(c));
	set_str(o, "StopSignal", deploy_get(svc, "stop_signal"));
	json_object_set_new(o, "Env", env_array(ynode_map_get(svc, "environment")));
	if (c->out->stop_timeout >= 0)
		json_object_set_new(o, "StopTimeout", json_integer(c->out->stop_timeout));
	if (deploy_get(svc, "network_mode") && !strcmp(deploy_get(svc, "network_mode"), "disabled"))
		json_object_set_new(o, "NetworkDisabled", json_true());
	return healthcheck(o, ynode_map_get(svc, "healthcheck"), err);
}
