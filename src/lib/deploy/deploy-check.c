/* deploy-check (deploy-internal.h): which service fields ccbuild deploys.
 *
 * Every key of a merged service is in one of three classes (the table
 * below; docs/technical/deploy.md has the field-by-field mapping):
 *   MAPPED   becomes part of the create body, as compose 2.26 maps it;
 *   NO_EFFECT does not change the container (how the image is made or
 *            fetched, compose's own behaviour): build, profiles, develop,
 *            pull_policy, attach, x-*;
 *   anything else is an error "FILE:LINE:COL: service 'x': field 'y' is
 *            not deployed by ccbuild yet", never dropped.
 * Some mapped fields have parts that are not deployed (GPU reservations,
 * a network's mac_address, secrets from the environment, seccomp profile
 * files, container_name with replicas): those parts are errors at their
 * position too. */
#include "compose.h"
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <string.h>

enum field_class { MAPPED, NO_EFFECT };

static const struct {
	const char *name;
	enum field_class cls;
} service_fields[] = {
	{ "build", NO_EFFECT },
	{ "profiles", NO_EFFECT },
	{ "develop", NO_EFFECT },
	{ "pull_policy", NO_EFFECT },
	{ "attach", NO_EFFECT },
	{ "scale", MAPPED }, /* deploy_service_replica */
	{ "cap_add", MAPPED },
	{ "cap_drop", MAPPED },
	{ "cgroup_parent", MAPPED },
	{ "command", MAPPED },
	{ "configs", MAPPED },
	{ "container_name", MAPPED },
	{ "cpus", MAPPED },
	{ "cpuset", MAPPED },
	{ "cpu_shares", MAPPED },
	{ "cpu_period", MAPPED },
	{ "cpu_quota", MAPPED },
	{ "depends_on", MAPPED },
	{ "deploy", MAPPED },
	{ "devices", MAPPED },
	{ "dns", MAPPED },
	{ "dns_opt", MAPPED },
	{ "dns_search", MAPPED },
	{ "domainname", MAPPED },
	{ "entrypoint", MAPPED },
	{ "env_file", MAPPED }, /* read into environment by compose */
	{ "environment", MAPPED },
	{ "expose", MAPPED },
	{ "extra_hosts", MAPPED },
	{ "group_add", MAPPED },
	{ "healthcheck", MAPPED },
	{ "hostname", MAPPED },
	{ "image", MAPPED },
	{ "init", MAPPED },
	{ "ipc", MAPPED },
	{ "labels", MAPPED },
	{ "logging", MAPPED },
	{ "mem_limit", MAPPED },
	{ "mem_reservation", MAPPED },
	{ "mem_swappiness", MAPPED },
	{ "memswap_limit", MAPPED },
	{ "network_mode", MAPPED },
	{ "networks", MAPPED },
	{ "oom_kill_disable", MAPPED },
	{ "oom_score_adj", MAPPED },
	{ "pid", MAPPED },
	{ "pids_limit", MAPPED },
	{ "ports", MAPPED },
	{ "privileged", MAPPED },
	{ "read_only", MAPPED },
	{ "restart", MAPPED },
	{ "runtime", MAPPED },
	{ "secrets", MAPPED },
	{ "security_opt", MAPPED },
	{ "shm_size", MAPPED },
	{ "stdin_open", MAPPED },
	{ "stop_grace_period", MAPPED },
	{ "stop_signal", MAPPED },
	{ "storage_opt", MAPPED },
	{ "sysctls", MAPPED },
	{ "tmpfs", MAPPED },
	{ "tty", MAPPED },
	{ "ulimits", MAPPED },
	{ "user", MAPPED },
	{ "userns_mode", MAPPED },
	{ "uts", MAPPED },
	{ "volumes", MAPPED },
	{ "volumes_from", MAPPED },
	{ "working_dir", MAPPED },
};

static int not_deployed(const struct ynode *at, const char *svc, const char *field, struct cc_error **err)
{
	return ynode_error(err, at, "service '%s': field '%s' is not deployed by ccbuild yet", svc, field);
}

static int known_field(const char *key)
{
	if (!strncmp(key, "x-", 2))
		return 1;
	for (size_t i = 0; i < sizeof(service_fields) / sizeof(service_fields[0]); i++)
		if (!strcmp(service_fields[i].name, key))
			return 1;
	return 0;
}

/* Each key of map m not in allowed (NULL-terminated) is an error as PREFIX.KEY. */
static int keys_allowed(const struct ynode *m, const char *const *allowed, const char *svc, const char *prefix,
			struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->len; i++) {
		const char *const *a = allowed;

		while (*a && strcmp(*a, m->keys[i]->str))
			a++;
		if (!*a) {
			cleanup_free char *field = xasprintf("%s.%s", prefix, m->keys[i]->str);

			rc = not_deployed(m->keys[i], svc, field, err);
		}
	}
	return rc;
}

static const struct ynode *key_node(const struct ynode *m, const char *key)
{
	long i = ynode_map_index(m, key);

	return i < 0 ? NULL : m->keys[i];
}

static int check_deploy(const struct ynode *d, const char *svc, struct cc_error **err)
{
	static const char *const top[] = {
		"mode",	     "replicas",       "labels",    "update_config", "rollback_config",
		"resources", "restart_policy", "placement", "endpoint_mode", NULL
	};
	static const char *const limits[] = { "cpus", "memory", "pids", NULL };
	static const char *const reservations[] = { "cpus", "memory", NULL };
	const struct ynode *res = ynode_map_get(d, "resources");
	int rc = keys_allowed(d, top, svc, "deploy", err);

	if (deploy_get(d, "mode") && strcmp(deploy_get(d, "mode"), "replicated"))
		rc = not_deployed(key_node(d, "mode"), svc, "deploy.mode (other than replicated)", err);
	if (keys_allowed(ynode_map_get(res, "limits"), limits, svc, "deploy.resources.limits", err) < 0)
		rc = -1;
	if (keys_allowed(ynode_map_get(res, "reservations"), reservations, svc, "deploy.resources.reservations", err) <
	    0)
		rc = -1;
	return rc;
}

static int check_networks(const struct ynode *nets, const char *svc, struct cc_error **err)
{
	static const char *const allowed[] = { "aliases",	 "ipv4_address", "ipv6_address",
					       "link_local_ips", "priority",	 NULL };
	int rc = 0;

	for (size_t i = 0; nets && nets->kind == YNODE_MAP && i < nets->len; i++) {
		cleanup_free char *prefix = xasprintf("networks.%s", nets->keys[i]->str);

		if (keys_allowed(nets->vals[i], allowed, svc, prefix, err) < 0)
			rc = -1;
	}
	return rc;
}

/* Secrets and configs come from files only (compose copies the others
 * into the container after creating it: not done by ccbuild yet). */
static int check_grants(const struct ynode *list, const char *kind, const char *svc, const struct ynode *model,
			struct cc_error **err)
{
	const struct ynode *defs = ynode_map_get(model, kind);
	int rc = 0;

	for (size_t i = 0; list && list->kind == YNODE_SEQ && i < list->len; i++) {
		const struct ynode *it = list->items[i];
		const char *src = it->kind == YNODE_SCALAR ? it->str : deploy_get(it, "source");
		const struct ynode *def = src ? ynode_map_get(defs, src) : NULL;

		if (def && !deploy_get(def, "file")) {
			cleanup_free char *field = xasprintf("%s (%s not from a file)", kind, src);

			rc = not_deployed(it, svc, field, err);
		}
	}
	return rc;
}

static int check_security(const struct ynode *opts, const char *svc, struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; opts && opts->kind == YNODE_SEQ && i < opts->len; i++) {
		const char *s = deploy_str(opts->items[i]);

		if (s && (!strncmp(s, "seccomp=", 8) || !strncmp(s, "seccomp:", 8)) && strcmp(s + 8, "unconfined"))
			rc = not_deployed(opts->items[i], svc, "security_opt (a seccomp profile file)", err);
	}
	return rc;
}

int deploy_check_service(const struct compose_project *p, size_t index, struct cc_error **err)
{
	const struct ynode *svc = compose_service(p, index), *model = compose_config_tree(p);
	const char *name = compose_service_name(p, index);
	long long n;
	int rc = 0;

	for (size_t i = 0; svc && svc->kind == YNODE_MAP && i < svc->len; i++) {
		const struct ynode *at = compose_service_key(p, index, svc->keys[i]->str);

		if (!known_field(svc->keys[i]->str))
			rc = not_deployed(at ? at : svc->keys[i], name, svc->keys[i]->str, err);
	}
	if (deploy_get(svc, "container_name") &&
	    ((deploy_get_ll(svc, "scale", &n) == 0 && n > 1) ||
	     (deploy_get_ll(ynode_map_get(svc, "deploy"), "replicas", &n) == 0 && n > 1)))
		rc = ynode_error(err, key_node(svc, "container_name"),
				 "service '%s': container_name names one container, not %lld replicas", name, n);
	if (check_deploy(ynode_map_get(svc, "deploy"), name, err) < 0)
		rc = -1;
	if (check_networks(ynode_map_get(svc, "networks"), name, err) < 0)
		rc = -1;
	if (check_grants(ynode_map_get(svc, "secrets"), "secrets", name, model, err) < 0)
		rc = -1;
	if (check_grants(ynode_map_get(svc, "configs"), "configs", name, model, err) < 0)
		rc = -1;
	if (check_security(ynode_map_get(svc, "security_opt"), name, err) < 0)
		rc = -1;
	return rc;
}
