/* compose_check: the parts of compose 1.29's JSON schema that catch real
 * mistakes (unknown keys, wrong shapes of the common fields), reported as
 * FILE:LINE:COL with the service and key at fault.  Not the whole schema:
 * deploy, blkio_config and the like are only checked to be mappings. */
#include "compose_int.h"

#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = { "version", "services", "networks", "volumes", "secrets", "configs" };

enum shape { S_ANY, S_STR, S_LIST, S_STR_OR_LIST, S_LIST_OR_MAP, S_MAP, S_BOOL, S_INT, S_CMD, S_BUILD };

static const struct {
	const char *key;
	enum shape shape;
} service_keys[] = {
	{ "blkio_config", S_MAP }, { "build", S_BUILD }, { "cap_add", S_LIST }, { "cap_drop", S_LIST },
	{ "cgroup_parent", S_STR }, { "command", S_CMD }, { "configs", S_LIST }, { "container_name", S_STR },
	{ "cpu_count", S_INT }, { "cpu_percent", S_INT }, { "cpu_period", S_ANY }, { "cpu_quota", S_ANY },
	{ "cpu_rt_period", S_ANY }, { "cpu_rt_runtime", S_ANY }, { "cpu_shares", S_ANY }, { "cpus", S_ANY },
	{ "cpuset", S_STR }, { "credential_spec", S_MAP }, { "depends_on", S_LIST_OR_MAP }, { "deploy", S_MAP },
	{ "device_cgroup_rules", S_LIST }, { "devices", S_LIST }, { "dns", S_STR_OR_LIST }, { "dns_opt", S_LIST },
	{ "dns_search", S_STR_OR_LIST }, { "domainname", S_STR }, { "entrypoint", S_CMD },
	{ "env_file", S_STR_OR_LIST }, { "environment", S_LIST_OR_MAP }, { "expose", S_LIST }, { "extends", S_ANY },
	{ "external_links", S_LIST }, { "extra_hosts", S_LIST_OR_MAP }, { "group_add", S_LIST },
	{ "healthcheck", S_MAP }, { "hostname", S_STR }, { "image", S_STR }, { "init", S_BOOL }, { "ipc", S_STR },
	{ "isolation", S_STR }, { "labels", S_LIST_OR_MAP }, { "links", S_LIST }, { "logging", S_MAP },
	{ "mac_address", S_STR }, { "mem_limit", S_ANY }, { "mem_reservation", S_ANY }, { "mem_swappiness", S_INT },
	{ "memswap_limit", S_ANY }, { "network_mode", S_STR }, { "networks", S_LIST_OR_MAP },
	{ "oom_kill_disable", S_BOOL }, { "oom_score_adj", S_INT }, { "pid", S_ANY }, { "pids_limit", S_ANY },
	{ "platform", S_STR }, { "ports", S_LIST }, { "privileged", S_BOOL }, { "profiles", S_LIST },
	{ "pull_policy", S_STR }, { "read_only", S_BOOL }, { "restart", S_STR }, { "runtime", S_STR },
	{ "scale", S_INT }, { "secrets", S_LIST }, { "security_opt", S_LIST }, { "shm_size", S_ANY },
	{ "stdin_open", S_BOOL }, { "stop_grace_period", S_STR }, { "stop_signal", S_STR }, { "storage_opt", S_MAP },
	{ "sysctls", S_LIST_OR_MAP }, { "tmpfs", S_STR_OR_LIST }, { "tty", S_BOOL }, { "ulimits", S_MAP },
	{ "user", S_STR }, { "userns_mode", S_STR }, { "volumes", S_LIST }, { "volumes_from", S_LIST },
	{ "working_dir", S_STR },
};
#define NSERVICE_KEYS (sizeof(service_keys) / sizeof(service_keys[0]))

static const char *const build_keys[] = { "context", "dockerfile", "args", "labels", "cache_from", "network",
					  "target", "shm_size", "extra_hosts", "isolation" };
static const char *const healthcheck_keys[] = { "disable", "interval", "retries", "test", "timeout",
						"start_period" };

static const char *shape_words[] = {
	[S_STR] = "a string", [S_LIST] = "a list", [S_STR_OR_LIST] = "a string or a list",
	[S_LIST_OR_MAP] = "a list or a mapping", [S_MAP] = "a mapping", [S_BOOL] = "a boolean",
	[S_INT] = "an integer", [S_CMD] = "a string or a list of strings", [S_BUILD] = "a string or a mapping",
};

static int shape_ok(const struct ynode *v, enum shape s)
{
	enum ctype t = ctype_of(v);
	size_t i;

	switch (s) {
	case S_ANY: return 1;
	case S_STR: return t == CT_STR;
	case S_LIST: return t == CT_SEQ;
	case S_STR_OR_LIST: return t == CT_STR || t == CT_SEQ;
	case S_LIST_OR_MAP: return t == CT_SEQ || t == CT_MAP;
	case S_MAP: return t == CT_MAP;
	case S_BOOL: return t == CT_BOOL;
	case S_INT: return t == CT_INT;
	case S_BUILD: return t == CT_STR || t == CT_MAP;
	case S_CMD:
		if (t == CT_STR)
			return 1;
		for (i = 0; t == CT_SEQ && i < v->len; i++)
			if (ctype_of(v->items[i]) != CT_STR)
				return 0;
		return t == CT_SEQ;
	}
	return 0;
}

/* Unknown key: error with the nearest known one. */
static int unknown_key(const struct ynode *key, const char *where, const char *const *known, size_t n,
		       struct cc_error **err)
{
	const char *near = str_nearest(key->str, known, n);

	if (near)
		return ynode_error(err, key, "%sunknown key '%s' (did you mean '%s'?)", where, key->str, near);
	return ynode_error(err, key, "%sunknown key '%s'", where, key->str);
}

static int check_keys(const struct ynode *map, const char *const *known, size_t n, const char *where,
		      struct cc_error **err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < map->len; i++) {
		for (j = 0; j < n && strcmp(map->keys[i]->str, known[j]); j++)
			;
		if (j == n && !str_has_prefix(map->keys[i]->str, "x-"))
			rc = unknown_key(map->keys[i], where, known, n, err);
	}
	return rc;
}

static int check_environment(const char *svc, const struct ynode *env, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; env->kind == YNODE_MAP && i < env->len; i++) {
		enum ctype t = ctype_of(env->vals[i]);

		if (t != CT_STR && t != CT_INT && t != CT_FLOAT && t != CT_NULL)
			rc = ynode_error(err, env->vals[i], "service '%s': environment.%s contains %s, which is an "
					 "invalid type, it should be a string, number, or a null", svc,
					 env->keys[i]->str, ynode_kind_name(env->vals[i]));
	}
	return rc;
}

static int check_depends_on(const char *svc, const struct ynode *dep, struct cc_error **err)
{
	static const char *const conditions[] = { "service_started", "service_healthy",
						  "service_completed_successfully" };
	const struct ynode *c;
	size_t i, j;

	for (i = 0; dep->kind == YNODE_MAP && i < dep->len; i++) {
		if (dep->vals[i]->kind != YNODE_MAP || !(c = ynode_map_get(dep->vals[i], "condition")))
			return ynode_error(err, dep->vals[i], "service '%s': depends_on.%s must be a mapping with "
					   "a condition", svc, dep->keys[i]->str);
		for (j = 0; j < 3 && strcmp(c->str, conditions[j]); j++)
			;
		if (j == 3)
			return ynode_error(err, c, "service '%s': depends_on.%s.condition must be one of "
					   "service_started, service_healthy, service_completed_successfully", svc,
					   dep->keys[i]->str);
	}
	return 0;
}

static int check_nested(const char *svc, const struct ynode *conf, struct cc_error **err)
{
	const struct ynode *v;
	cleanup_free char *where = NULL;
	int rc = 0;

	if ((v = ynode_map_get(conf, "build")) && v->kind == YNODE_MAP) {
		where = xasprintf("service '%s': build: ", svc);
		rc |= check_keys(v, build_keys, sizeof(build_keys) / sizeof(build_keys[0]), where, err);
	}
	if ((v = ynode_map_get(conf, "healthcheck")) && v->kind == YNODE_MAP) {
		free(where);
		where = xasprintf("service '%s': healthcheck: ", svc);
		rc |= check_keys(v, healthcheck_keys, sizeof(healthcheck_keys) / sizeof(healthcheck_keys[0]), where,
				 err);
		if ((v = ynode_map_get(v, "test")) && !shape_ok(v, S_CMD))
			rc = ynode_error(err, v, "service '%s': healthcheck.test must be a string or a list of strings",
					 svc);
	}
	if ((v = ynode_map_get(conf, "environment")))
		rc |= check_environment(svc, v, err);
	if ((v = ynode_map_get(conf, "depends_on")))
		rc |= check_depends_on(svc, v, err);
	return rc;
}

static int check_service(const char *svc, const struct ynode *conf, struct cc_error **err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < conf->len; i++) {
		const struct ynode *k = conf->keys[i], *v = conf->vals[i];

		for (j = 0; j < NSERVICE_KEYS && strcmp(k->str, service_keys[j].key); j++)
			;
		if (j == NSERVICE_KEYS) {
			const char *names[NSERVICE_KEYS];
			cleanup_free char *where = xasprintf("service '%s': ", svc);
			size_t n;

			if (str_has_prefix(k->str, "x-"))
				continue;
			for (n = 0; n < NSERVICE_KEYS; n++)
				names[n] = service_keys[n].key;
			rc = unknown_key(k, where, names, NSERVICE_KEYS, err);
		} else if (!shape_ok(v, service_keys[j].shape)) {
			rc = ynode_error(err, v, "service '%s': %s must be %s", svc, k->str,
					 shape_words[service_keys[j].shape]);
		}
	}
	return rc | check_nested(svc, conf, err);
}

int compose_check_file(const struct ynode *root, struct cc_error **err)
{
	const struct ynode *services = ynode_map_get(root, "services");
	size_t i;
	int rc = check_keys(root, top_keys, sizeof(top_keys) / sizeof(top_keys[0]), "", err);

	for (i = 0; services && services->kind == YNODE_MAP && i < services->len; i++)
		rc |= check_service(services->keys[i]->str, services->vals[i], err);
	return rc ? -1 : 0;
}

int compose_check_services(const struct ynode *services, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < services->len; i++) {
		const struct ynode *s = services->vals[i];

		if (!ynode_map_get(s, "image") && !ynode_map_get(s, "build"))
			rc = ynode_error(err, s, "Service %s has neither an image nor a build context specified. At "
					 "least one must be provided.", services->keys[i]->str);
	}
	return rc ? -1 : 0;
}
