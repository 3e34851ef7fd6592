/* deploy-host (deploy-internal.h): HostConfig's own fields, as compose
 * 2.26 fills them (getCreateConfigs, getRestartPolicy,
 * getDeployResources): restart (deploy.restart_policy wins), init,
 * read_only, privileged, capabilities, security_opt, dns, extra_hosts,
 * group_add, shm_size, sysctls, logging, ulimits, devices and the
 * resources (mem_*, cpus as float32 nanoseconds, pids_limit, then
 * deploy.resources limits and reservations over them). */
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void set_array(json_t *o, const char *key, const struct ynode *seq)
{
	json_t *a = deploy_str_array(seq);

	if (a)
		json_object_set_new(o, key, a);
}

static void set_str(json_t *o, const char *key, const char *s)
{
	if (s && *s)
		json_object_set_new(o, key, json_string(s));
}

static void set_ll(json_t *o, const char *key, const struct ynode *m, const char *field)
{
	long long v;

	if (deploy_get_ll(m, field, &v) == 0 && v)
		json_object_set_new(o, key, json_integer(v));
}

static const char *restart_name(const char *s)
{
	if (!strcmp(s, "none") || !strcmp(s, "no"))
		return "no";
	if (!strcmp(s, "any") || !strcmp(s, "always"))
		return "always";
	return s; /* on-failure, unless-stopped */
}

static void restart_policy(json_t *host, const struct ynode *svc)
{
	const struct ynode *rp = ynode_map_get(ynode_map_get(svc, "deploy"), "restart_policy");
	const char *r = deploy_get(svc, "restart");
	cleanup_free char *name = NULL;
	long long tries = 0;

	if (rp) {
		r = deploy_get(rp, "condition");
		name = xstrdup(r ? r : "");
		if (deploy_get_ll(rp, "max_attempts", &tries) < 0)
			tries = 0;
	} else if (r) {
		const char *colon = strchr(r, ':');

		name = xstrndup(r, colon ? (size_t)(colon - r) : strlen(r));
		tries = colon ? atoll(colon + 1) : 0;
	} else {
		return;
	}
	json_object_set_new(host, "RestartPolicy",
			    json_pack("{s:s,s:I}", "Name", restart_name(name), "MaximumRetryCount", (json_int_t)tries));
}

/* compose-go keeps cpus as a float32 and multiplies by 1e9 in float32. */
static long long nano_cpus(const char *s)
{
	float f = strtof(s, NULL);

	return (long long)(f * 1e9f);
}

static void resources(json_t *host, const struct ynode *svc)
{
	const struct ynode *res = ynode_map_get(ynode_map_get(svc, "deploy"), "resources");
	const struct ynode *lim = ynode_map_get(res, "limits"), *resv = ynode_map_get(res, "reservations");
	long long v;

	set_ll(host, "Memory", svc, "mem_limit");
	set_ll(host, "MemorySwap", svc, "memswap_limit");
	set_ll(host, "MemoryReservation", svc, "mem_reservation");
	set_ll(host, "MemorySwappiness", svc, "mem_swappiness");
	set_ll(host, "CpuShares", svc, "cpu_shares");
	set_ll(host, "CpuPeriod", svc, "cpu_period");
	set_ll(host, "CpuQuota", svc, "cpu_quota");
	set_str(host, "CpusetCpus", deploy_get(svc, "cpuset"));
	set_str(host, "CgroupParent", deploy_get(svc, "cgroup_parent"));
	if (deploy_get(svc, "cpus") && nano_cpus(deploy_get(svc, "cpus")))
		json_object_set_new(host, "NanoCpus", json_integer(nano_cpus(deploy_get(svc, "cpus"))));
	json_object_set_new(host, "OomKillDisable", json_boolean(deploy_get_bool(svc, "oom_kill_disable")));
	set_ll(host, "PidsLimit", svc, "pids_limit");
	set_ll(host, "Memory", lim, "memory");
	if (deploy_get(lim, "cpus") && nano_cpus(deploy_get(lim, "cpus")))
		json_object_set_new(host, "NanoCpus", json_integer(nano_cpus(deploy_get(lim, "cpus"))));
	if (deploy_get_ll(lim, "pids", &v) == 0 && v > 0)
		json_object_set_new(host, "PidsLimit", json_integer(v));
	set_ll(host, "MemoryReservation", resv, "memory");
}

/* name: N (both) or {soft, hard}; sorted by name (compose: map order). */
static void ulimits(json_t *host, const struct ynode *u)
{
	json_t *a;

	if (!u || u->kind != YNODE_MAP)
		return;
	a = json_array();
	for (size_t i = 0; i < u->len; i++) {
		long long soft = 0, hard = 0, single = 0;

		deploy_get_ll(u, u->keys[i]->str, &single);
		soft = hard = single;
		deploy_get_ll(u->vals[i], "soft", &soft);
		deploy_get_ll(u->vals[i], "hard", &hard);
		json_array_append_new(a, json_pack("{s:s,s:I,s:I}", "Name", u->keys[i]->str, "Hard", (json_int_t)hard,
						   "Soft", (json_int_t)soft));
	}
	json_object_set_new(host, "Ulimits", a);
}

/* "SRC[:DST[:PERMS]]" as compose's getDeployResources splits it. */
static void devices(json_t *host, const struct ynode *d)
{
	json_t *a;

	if (!d || d->kind != YNODE_SEQ)
		return;
	a = json_array();
	for (size_t i = 0; i < d->len; i++) {
		cleanup_free char *s = deploy_str(d->items[i]) ? xstrdup(d->items[i]->str) : xstrdup("");
		char *dst = strchr(s, ':'), *perm = NULL;

		if (dst && (perm = strchr(++dst, ':')))
			*perm++ = '\0';
		if (dst)
			dst[-1] = '\0';
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "PathOnHost", s, "PathInContainer",
						   dst && *dst ? dst : s, "CgroupPermissions", perm ? perm : "rwm"));
	}
	json_object_set_new(host, "Devices", a);
}

/* HOST:IP as compose's ExtraHosts.AsList(":") (v2 prints HOST=IP too);
 * an empty list when there are none, as compose sends it. */
static void extra_hosts(json_t *host, const struct ynode *h)
{
	json_t *a = json_array();

	json_object_set_new(host, "ExtraHosts", a);
	for (size_t i = 0; h && h->kind == YNODE_SEQ && i < h->len; i++) {
		cleanup_free char *s = deploy_str(h->items[i]) ? xstrdup(h->items[i]->str) : NULL;
		char *eq = s ? strchr(s, '=') : NULL;

		if (eq)
			*eq = ':';
		if (s)
			json_array_append_new(a, json_string(s));
	}
}

/* systempaths=unconfined clears MaskedPaths and ReadonlyPaths instead. */
static void security_opt(json_t *host, const struct ynode *opts)
{
	json_t *a;

	if (!opts || opts->kind != YNODE_SEQ)
		return;
	a = json_array();
	for (size_t i = 0; i < opts->len; i++) {
		const char *s = deploy_str(opts->items[i]);

		if (s && !strcmp(s, "systempaths=unconfined")) {
			json_object_set_new(host, "MaskedPaths", json_array());
			json_object_set_new(host, "ReadonlyPaths", json_array());
		} else if (s) {
			json_array_append_new(a, json_string(s));
		}
	}
	json_object_set_new(host, "SecurityOpt", a);
}

static void logging(json_t *host, const struct ynode *log)
{
	const struct ynode *opts = ynode_map_get(log, "options");

	if (!log || log->kind != YNODE_MAP)
		return;
	json_object_set_new(host, "LogConfig",
			    json_pack("{s:s,s:o}", "Type", deploy_get(log, "driver") ? deploy_get(log, "driver") : "",
				      "Config", opts ? deploy_str_object(opts) : json_null()));
}

int deploy_host_fill(struct deploy_ctx *c, struct cc_error **err)
{
	json_t *h = c->host;
	const struct ynode *svc = c->svc;

	restart_policy(h, svc);
	resources(h, svc);
	ulimits(h, ynode_map_get(svc, "ulimits"));
	devices(h, ynode_map_get(svc, "devices"));
	extra_hosts(h, ynode_map_get(svc, "extra_hosts"));
	security_opt(h, ynode_map_get(svc, "security_opt"));
	logging(h, ynode_map_get(svc, "logging"));
	set_array(h, "CapAdd", ynode_map_get(svc, "cap_add"));
	set_array(h, "CapDrop", ynode_map_get(svc, "cap_drop"));
	set_array(h, "Dns", ynode_map_get(svc, "dns"));
	set_array(h, "DnsSearch", ynode_map_get(svc, "dns_search"));
	set_array(h, "DnsOptions", ynode_map_get(svc, "dns_opt"));
	set_array(h, "GroupAdd", ynode_map_get(svc, "group_add"));
	if (ynode_map_get(svc, "init") && deploy_get(svc, "init"))
		json_object_set_new(h, "Init", json_boolean(deploy_get_bool(svc, "init")));
	json_object_set_new(h, "ReadonlyRootfs", json_boolean(deploy_get_bool(svc, "read_only")));
	json_object_set_new(h, "Privileged", json_boolean(deploy_get_bool(svc, "privileged")));
	set_ll(h, "ShmSize", svc, "shm_size");
	set_ll(h, "OomScoreAdj", svc, "oom_score_adj");
	if (ynode_map_get(svc, "sysctls"))
		json_object_set_new(h, "Sysctls", deploy_str_object(ynode_map_get(svc, "sysctls")));
	if (ynode_map_get(svc, "storage_opt"))
		json_object_set_new(h, "StorageOpt", deploy_str_object(ynode_map_get(svc, "storage_opt")));
	set_str(h, "UsernsMode", deploy_get(svc, "userns_mode"));
	set_str(h, "UTSMode", deploy_get(svc, "uts"));
	set_str(h, "Runtime", deploy_get(svc, "runtime"));
	(void)err;
	return 0;
}
