/* compose-check (compose-internal.h): every field of a compose file has a type, checked the way
 * compose's JSON schema (compose_spec.json of 1.29) checks it, with
 * FILE:LINE:COL, the entry and the field at fault and the type expected:
 * unknown keys (with the nearest known one), wrong kinds of value, list
 * items and map values of the wrong kind, enumerations, required keys,
 * items that must be unique.  Not checked: the "format" keywords (ports,
 * durations are parsed later, with their own errors). */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The kinds a value may have: the schema's "type" words. */
enum {
	K_STR = 1,
	K_INT = 2,
	K_FLOAT = 4,
	K_BOOL = 8,
	K_NULL = 16,
	K_SEQ = 32,
	K_MAP = 64,
	K_NUM = K_INT | K_FLOAT,
};

struct field;

/* A value's type: the kinds it may have and, by kind, what is inside. */
struct vtype {
	unsigned kinds;
	const struct vtype *items;  /* a list: each item (NULL: any) */
	const struct field *fields; /* a map with known keys, {NULL}-ended (NULL: free-form) */
	const struct vtype *values; /* a free-form map: each value (NULL: any) */
	const char *const *oneof;   /* a string: one of these, NULL-ended (NULL: any) */
	int unique;		    /* a list: no two items equal (the schema's uniqueItems) */
};

struct field {
	const char *key;
	const struct vtype *type; /* NULL: anything */
	int required;
};

#define FIELDS(...) ((const struct field[]){ __VA_ARGS__, { NULL, NULL, 0 } })
#define T(...) (&(const struct vtype){ __VA_ARGS__ })
#define MAP_OF(...) T(.kinds = K_MAP, .fields = FIELDS(__VA_ARGS__))
#define LIST_OF(item) T(.kinds = K_SEQ, .items = (item))
#define SET_OF(item) T(.kinds = K_SEQ, .items = (item), .unique = 1)

static const struct vtype t_str = { .kinds = K_STR }, t_int = { .kinds = K_INT }, t_num = { .kinds = K_NUM },
			  t_bool = { .kinds = K_BOOL }, t_map = { .kinds = K_MAP },
			  t_num_str = { .kinds = K_NUM | K_STR }, t_int_str = { .kinds = K_INT | K_STR };
/* list_of_strings, string_or_list, list_or_dict of the schema (their lists
 * are sets); a plain list of strings; command: a string or such a list. */
static const struct vtype t_strings = { .kinds = K_SEQ, .items = &t_str, .unique = 1 },
			  t_str_or_list = { .kinds = K_STR | K_SEQ, .items = &t_str, .unique = 1 },
			  t_list_or_dict = { .kinds = K_SEQ | K_MAP,
					     .items = &t_str,
					     .unique = 1,
					     .values = T(.kinds = K_STR | K_NUM | K_NULL) },
			  t_str_list = { .kinds = K_SEQ, .items = &t_str },
			  t_command = { .kinds = K_STR | K_SEQ, .items = &t_str };
static const struct vtype t_external = { .kinds = K_BOOL | K_MAP, .fields = FIELDS({ "name", &t_str, 0 }) };
static const struct vtype t_driver_opts = { .kinds = K_MAP, .values = T(.kinds = K_STR | K_NUM) };

/* Defined below, with the service fields they belong to. */
static const struct vtype t_file_refs, t_ulimits;

static const struct vtype t_build = {
	.kinds = K_STR | K_MAP,
	.fields = FIELDS({ "context", &t_str, 0 }, { "dockerfile", &t_str, 0 }, { "args", &t_list_or_dict, 0 },
			 { "labels", &t_list_or_dict, 0 }, { "cache_from", &t_str_list, 0 }, { "network", &t_str, 0 },
			 { "target", &t_str, 0 }, { "shm_size", &t_int_str, 0 }, { "extra_hosts", &t_list_or_dict, 0 },
			 { "isolation", &t_str, 0 },
			 /* compose v2 */
			 { "dockerfile_inline", &t_str, 0 }, { "platforms", &t_strings, 0 }, { "tags", &t_strings, 0 },
			 { "additional_contexts", &t_list_or_dict, 0 }, { "secrets", &t_file_refs, 0 },
			 { "ssh", &t_list_or_dict, 0 }, { "entitlements", &t_strings, 0 }, { "privileged", &t_bool, 0 },
			 { "cache_to", &t_str_list, 0 }, { "no_cache", &t_bool, 0 }, { "pull", &t_bool, 0 },
			 { "ulimits", &t_ulimits, 0 }),
};

static const struct vtype t_blkio_limits = {
	.kinds = K_SEQ,
	.items = MAP_OF({ "path", &t_str, 0 }, { "rate", &t_int_str, 0 }),
};
static const struct vtype t_blkio = {
	.kinds = K_MAP,
	.fields = FIELDS({ "device_read_bps", &t_blkio_limits, 0 }, { "device_read_iops", &t_blkio_limits, 0 },
			 { "device_write_bps", &t_blkio_limits, 0 }, { "device_write_iops", &t_blkio_limits, 0 },
			 { "weight", &t_int, 0 },
			 { "weight_device", LIST_OF(MAP_OF({ "path", &t_str, 0 }, { "weight", &t_int, 0 })), 0 }),
};

/* configs: and secrets: of a service. */
static const struct vtype t_file_refs = {
	.kinds = K_SEQ,
	.items = T(.kinds = K_STR | K_MAP,
		   .fields = FIELDS({ "source", &t_str, 0 }, { "target", &t_str, 0 }, { "uid", &t_str, 0 },
				    { "gid", &t_str, 0 }, { "mode", &t_num, 0 })),
};

static const char *const conditions[] = { "service_started", "service_healthy", "service_completed_successfully",
					  NULL };
static const struct vtype t_depends_on = {
	.kinds = K_SEQ | K_MAP,
	.items = &t_str,
	.values = MAP_OF({ "condition", T(.kinds = K_STR, .oneof = conditions), 1 }, { "restart", &t_bool, 0 },
			 { "required", &t_bool, 0 }),
};

/* env_file: a path, or (compose v2) {path, required, format}. */
static const struct vtype t_env_file = {
	.kinds = K_STR | K_SEQ,
	.unique = 1,
	.items = T(.kinds = K_STR | K_MAP,
		   .fields = FIELDS({ "path", &t_str, 1 }, { "required", &t_bool, 0 }, { "format", &t_str, 0 })),
};

static const struct vtype t_extends = {
	.kinds = K_STR | K_MAP,
	.fields = FIELDS({ "service", &t_str, 1 }, { "file", &t_str, 0 }),
};

static const struct vtype t_healthcheck = {
	.kinds = K_MAP,
	.fields = FIELDS({ "disable", &t_bool, 0 }, { "interval", &t_str, 0 }, { "retries", &t_num, 0 },
			 { "test", &t_command, 0 }, { "timeout", &t_str, 0 }, { "start_period", &t_str, 0 },
			 { "start_interval", &t_str, 0 }),
};

static const struct vtype t_logging = {
	.kinds = K_MAP,
	.fields = FIELDS({ "driver", &t_str, 0 },
			 { "options", T(.kinds = K_MAP, .values = T(.kinds = K_STR | K_NUM | K_NULL)), 0 }),
};

static const struct vtype t_service_networks = {
	.kinds = K_SEQ | K_MAP,
	.items = &t_str,
	.values = T(.kinds = K_MAP | K_NULL,
		    .fields = FIELDS({ "aliases", &t_strings, 0 }, { "ipv4_address", &t_str, 0 },
				     { "ipv6_address", &t_str, 0 }, { "link_local_ips", &t_strings, 0 },
				     { "priority", &t_num, 0 })),
};

static const struct vtype t_ports = {
	.kinds = K_SEQ,
	.unique = 1,
	.items = T(.kinds = K_NUM | K_STR | K_MAP,
		   .fields = FIELDS({ "mode", &t_str, 0 }, { "target", &t_int, 0 }, { "published", &t_int, 0 },
				    { "host_ip", &t_str, 0 }, { "protocol", &t_str, 0 })),
};

static const char *const pull_policies[] = { "always", "never", "if_not_present", "build", "missing", NULL };

static const struct vtype t_ulimits = {
	.kinds = K_MAP,
	.values = T(.kinds = K_INT | K_MAP, .fields = FIELDS({ "hard", &t_int, 1 }, { "soft", &t_int, 1 })),
};

static const struct vtype t_volumes = {
	.kinds = K_SEQ,
	.unique = 1,
	.items = T(.kinds = K_STR | K_MAP,
		   .fields = FIELDS({ "type", &t_str, 1 }, { "source", &t_str, 0 }, { "target", &t_str, 0 },
				    { "read_only", &t_bool, 0 }, { "consistency", &t_str, 0 },
				    { "bind",
				      MAP_OF({ "propagation", &t_str, 0 }, { "create_host_path", &t_bool, 0 },
					     { "selinux", &t_str, 0 }),
				      0 },
				    { "volume", MAP_OF({ "nocopy", &t_bool, 0 }, { "subpath", &t_str, 0 }), 0 },
				    { "tmpfs", MAP_OF({ "size", &t_int, 0 }, { "mode", &t_num, 0 }), 0 })),
};

static const char *const update_orders[] = { "start-first", "stop-first", NULL };
static const struct vtype t_update = {
	.kinds = K_MAP,
	.fields = FIELDS({ "parallelism", &t_int, 0 }, { "delay", &t_str, 0 }, { "failure_action", &t_str, 0 },
			 { "monitor", &t_str, 0 }, { "max_failure_ratio", &t_num, 0 },
			 { "order", T(.kinds = K_STR, .oneof = update_orders), 0 }),
};

static const struct vtype t_devices = {
	.kinds = K_SEQ,
	.items = MAP_OF({ "capabilities", &t_strings, 0 }, { "count", &t_int_str, 0 }, { "device_ids", &t_strings, 0 },
			{ "driver", &t_str, 0 }, { "options", &t_list_or_dict, 0 }),
};

static const struct vtype t_generic_resources = {
	.kinds = K_SEQ,
	.items = MAP_OF({ "discrete_resource_spec", MAP_OF({ "kind", &t_str, 0 }, { "value", &t_num, 0 }), 0 }),
};

static const struct vtype t_resources = {
	.kinds = K_MAP,
	.fields = FIELDS(
		{ "limits", MAP_OF({ "cpus", &t_num_str, 0 }, { "memory", &t_str, 0 }, { "pids", &t_int, 0 }), 0 },
		{ "reservations",
		  MAP_OF({ "cpus", &t_num_str, 0 }, { "memory", &t_str, 0 },
			 { "generic_resources", &t_generic_resources, 0 }, { "devices", &t_devices, 0 }),
		  0 }),
};

static const struct vtype t_deploy = {
	.kinds = K_MAP | K_NULL,
	.fields = FIELDS({ "mode", &t_str, 0 }, { "endpoint_mode", &t_str, 0 }, { "replicas", &t_int, 0 },
			 { "labels", &t_list_or_dict, 0 }, { "rollback_config", &t_update, 0 },
			 { "update_config", &t_update, 0 }, { "resources", &t_resources, 0 },
			 { "restart_policy",
			   MAP_OF({ "condition", &t_str, 0 }, { "delay", &t_str, 0 }, { "max_attempts", &t_int, 0 },
				  { "window", &t_str, 0 }),
			   0 },
			 { "placement",
			   MAP_OF({ "constraints", &t_str_list, 0 },
				  { "preferences", LIST_OF(MAP_OF({ "spread", &t_str, 0 })), 0 },
				  { "max_replicas_per_node", &t_int, 0 }),
			   0 }),
};

static const char *const cgroup_modes[] = { "host", "private", NULL };
static const char *const watch_actions[] = { "rebuild", "sync", "sync+restart", NULL };
static const struct vtype t_develop = {
	.kinds = K_MAP,
	.fields = FIELDS(
		{ "watch",
		  LIST_OF(T(.kinds = K_MAP, .fields = FIELDS({ "path", &t_str, 1 },
							     { "action", T(.kinds = K_STR, .oneof = watch_actions), 1 },
							     { "target", &t_str, 0 }, { "ignore", &t_str_list, 0 }))),
		  0 }),
};
static const struct vtype t_hooks = {
	.kinds = K_SEQ,
	.items = MAP_OF({ "command", &t_command, 1 }, { "user", &t_str, 0 }, { "privileged", &t_bool, 0 },
			{ "working_dir", &t_str, 0 }, { "environment", &t_list_or_dict, 0 }),
};

static const struct field service_fields[] = {
	{ "blkio_config", &t_blkio, 0 },
	{ "build", &t_build, 0 },
	{ "cap_add", &t_strings, 0 },
	{ "cap_drop", &t_strings, 0 },
	{ "cgroup_parent", &t_str, 0 },
	{ "command", &t_command, 0 },
	{ "configs", &t_file_refs, 0 },
	{ "container_name", &t_str, 0 },
	{ "cpu_count", &t_int, 0 },
	{ "cpu_percent", &t_int, 0 },
	{ "cpu_period", &t_num_str, 0 },
	{ "cpu_quota", &t_num_str, 0 },
	{ "cpu_rt_period", &t_num_str, 0 },
	{ "cpu_rt_runtime", &t_num_str, 0 },
	{ "cpu_shares", &t_num_str, 0 },
	{ "cpus", &t_num_str, 0 },
	{ "cpuset", &t_str, 0 },
	{ "credential_spec", MAP_OF({ "config", &t_str, 0 }, { "file", &t_str, 0 }, { "registry", &t_str, 0 }), 0 },
	{ "depends_on", &t_depends_on, 0 },
	{ "deploy", &t_deploy, 0 },
	{ "device_cgroup_rules", &t_strings, 0 },
	{ "devices", &t_strings, 0 },
	{ "dns", &t_str_or_list, 0 },
	{ "dns_opt", &t_strings, 0 },
	{ "dns_search", &t_str_or_list, 0 },
	{ "domainname", &t_str, 0 },
	{ "entrypoint", &t_command, 0 },
	{ "env_file", &t_env_file, 0 },
	{ "environment", &t_list_or_dict, 0 },
	{ "expose", SET_OF(T(.kinds = K_STR | K_NUM)), 0 },
	{ "extends", &t_extends, 0 },
	{ "external_links", &t_strings, 0 },
	{ "extra_hosts", &t_list_or_dict, 0 },
	{ "group_add", SET_OF(T(.kinds = K_STR | K_NUM)), 0 },
	{ "healthcheck", &t_healthcheck, 0 },
	{ "hostname", &t_str, 0 },
	{ "image", &t_str, 0 },
	{ "init", &t_bool, 0 },
	{ "ipc", &t_str, 0 },
	{ "isolation", &t_str, 0 },
	{ "labels", &t_list_or_dict, 0 },
	{ "links", &t_strings, 0 },
	{ "logging", &t_logging, 0 },
	{ "mac_address", &t_str, 0 },
	{ "mem_limit", &t_num_str, 0 },
	{ "mem_reservation", &t_int_str, 0 },
	{ "mem_swappiness", &t_int, 0 },
	{ "memswap_limit", &t_num_str, 0 },
	{ "network_mode", &t_str, 0 },
	{ "networks", &t_service_networks, 0 },
	{ "oom_kill_disable", &t_bool, 0 },
	{ "oom_score_adj", &t_int, 0 },
	{ "pid", T(.kinds = K_STR | K_NULL), 0 },
	{ "pids_limit", &t_num_str, 0 },
	{ "platform", &t_str, 0 },
	{ "ports", &t_ports, 0 },
	{ "privileged", &t_bool, 0 },
	{ "profiles", &t_strings, 0 },
	{ "pull_policy", T(.kinds = K_STR, .oneof = pull_policies), 0 },
	{ "read_only", &t_bool, 0 },
	{ "restart", &t_str, 0 },
	{ "runtime", &t_str, 0 },
	{ "scale", &t_int, 0 },
	{ "secrets", &t_file_refs, 0 },
	{ "security_opt", &t_strings, 0 },
	{ "shm_size", &t_num_str, 0 },
	{ "stdin_open", &t_bool, 0 },
	{ "stop_grace_period", &t_str, 0 },
	{ "stop_signal", &t_str, 0 },
	{ "storage_opt", &t_map, 0 },
	{ "sysctls", &t_list_or_dict, 0 },
	{ "tmpfs", &t_str_or_list, 0 },
	{ "tty", &t_bool, 0 },
	{ "ulimits", &t_ulimits, 0 },
	{ "user", &t_str, 0 },
	{ "userns_mode", &t_str, 0 },
	{ "volumes", &t_volumes, 0 },
	{ "volumes_from", &t_strings, 0 },
	{ "working_dir", &t_str, 0 },
	/* compose v2: in the model and in config; the lifecycle hooks and
	 * develop.watch are for `ccbuild up`/sync to act on. */
	{ "annotations", &t_list_or_dict, 0 },
	{ "attach", &t_bool, 0 },
	{ "cgroup", T(.kinds = K_STR, .oneof = cgroup_modes), 0 },
	{ "develop", &t_develop, 0 },
	{ "post_start", &t_hooks, 0 },
	{ "pre_stop", &t_hooks, 0 },
	{ "uts", &t_str, 0 },
	{ NULL, NULL, 0 },
};

static const struct vtype t_ipam = {
	.kinds = K_MAP,
	.fields = FIELDS({ "driver", &t_str, 0 },
			 { "config",
			   LIST_OF(MAP_OF({ "subnet", &t_str, 0 }, { "ip_range", &t_str, 0 }, { "gateway", &t_str, 0 },
					  { "aux_addresses", T(.kinds = K_MAP, .values = &t_str), 0 })),
			   0 },
			 { "options", T(.kinds = K_MAP, .values = &t_str), 0 }),
};

/* The top-level sections: every entry of a section has its type. */
static const struct {
	const char *section, *singular;
	struct vtype type;
} entity_types[] = {
	{ "services", "service", { .kinds = K_MAP, .fields = service_fields } },
	{ "networks",
	  "network",
	  { .kinds = K_MAP | K_NULL,
	    .fields = FIELDS({ "name", &t_str, 0 }, { "driver", &t_str, 0 }, { "driver_opts", &t_driver_opts, 0 },
			     { "ipam", &t_ipam, 0 }, { "external", &t_external, 0 }, { "internal", &t_bool, 0 },
			     { "enable_ipv6", &t_bool, 0 }, { "attachable", &t_bool, 0 },
			     { "labels", &t_list_or_dict, 0 }) } },
	{ "volumes",
	  "volume",
	  { .kinds = K_MAP | K_NULL,
	    .fields = FIELDS({ "name", &t_str, 0 }, { "driver", &t_str, 0 }, { "driver_opts", &t_driver_opts, 0 },
			     { "external", &t_external, 0 }, { "labels", &t_list_or_dict, 0 }) } },
	{ "secrets",
	  "secret",
	  { .kinds = K_MAP,
	    .fields = FIELDS({ "name", &t_str, 0 }, { "file", &t_str, 0 }, { "environment", &t_str, 0 },
			     { "external", &t_external, 0 }, { "labels", &t_list_or_dict, 0 }, { "driver", &t_str, 0 },
			     { "driver_opts", &t_driver_opts, 0 }, { "template_driver", &t_str, 0 }) } },
	{ "configs",
	  "config",
	  { .kinds = K_MAP,
	    .fields = FIELDS({ "name", &t_str, 0 }, { "file", &t_str, 0 }, { "environment", &t_str, 0 },
			     { "content", &t_str, 0 }, { "external", &t_external, 0 }, { "labels", &t_list_or_dict, 0 },
			     { "template_driver", &t_str, 0 }) } },
};

static const char *const top_keys[] = { "version",  "name",    "include", "services",
					"networks", "volumes", "secrets", "configs" };

static unsigned kind_of(const struct ynode *v)
{
	static const unsigned kinds[] = {
		[CT_STR] = K_STR,     [CT_NULL] = K_NULL, [CT_BOOL] = K_BOOL, [CT_INT] = K_INT,
		[CT_FLOAT] = K_FLOAT, [CT_MAP] = K_MAP,	  [CT_SEQ] = K_SEQ
	};

	return kinds[ctype_of(v)];
}

/* "a string, an integer or null": the kinds in the schema's words. */
static char *kinds_words(unsigned kinds)
{
	static const struct {
		unsigned kinds;
		const char *words;
	} names[] = { { K_STR, "a string" },   { K_NUM, "a number" }, { K_INT, "an integer" }, { K_FLOAT, "a number" },
		      { K_BOOL, "a boolean" }, { K_NULL, "null" },    { K_SEQ, "a list" },     { K_MAP, "a mapping" } };
	const char *picked[8];
	struct strbuf sb = STRBUF_INIT;
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((kinds & names[i].kinds) == names[i].kinds) {
			picked[n++] = names[i].words;
			kinds &= ~names[i].kinds;
		}
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", picked[i]);
	return strbuf_detach(&sb);
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

static int check_value(const struct ynode *v, const struct vtype *t, const char *where, const char *path,
		       struct cc_error **err);

/* "service 'web': build: " for the messages about the keys of a map at path. */
static char *sub_where(const char *where, const char *path)
{
	return *path ? xasprintf("%s%s: ", where, path) : xstrdup(where);
}

static int check_fields(const struct ynode *map, const struct field *fields, const char *where, const char *path,
			struct cc_error **err)
{
	cleanup_free char *at = sub_where(where, path);
	const char *names[128];
	size_t i, j, n;
	int rc = 0;

	for (n = 0; fields[n].key && n < sizeof(names) / sizeof(names[0]); n++)
		names[n] = fields[n].key;
	for (i = 0; i < map->len; i++) {
		const char *key = map->keys[i]->str;
		cleanup_free char *sub = NULL;

		for (j = 0; j < n && strcmp(key, names[j]); j++)
			;
		if (j == n) {
			if (!str_has_prefix(key, "x-"))
				rc = unknown_key(map->keys[i], at, names, n, err);
			continue;
		}
		sub = *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
		rc |= check_value(map->vals[i], fields[j].type, where, sub, err);
	}
	for (j = 0; j < n; j++)
		if (fields[j].required && !ynode_map_get(map, names[j]))
			rc = ynode_error(err, map, "%s%s needs the key '%s'", where, *path ? path : "entry", names[j]);
	return rc;
}

static int check_oneof(const struct ynode *v, const char *const *oneof, const char *where, const char *path,
		       struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int rc;

	for (i = 0; oneof[i]; i++)
		if (!strcmp(v->str, oneof[i]))
			return 0;
	for (i = 0; oneof[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", oneof[i]);
	rc = ynode_error(err, v, "%s%s must be one of %s, not '%s'", where, path, sb.buf, v->str);
	strbuf_release(&sb);
	return rc;
}

struct item_key {
	char *key;
	size_t index;
};

/* What makes two items equal as JSON values: 80 and 80.0 are. */
static char *item_key(const struct ynode *n)
{
	cleanup_free char *text = NULL;

	switch (kind_of(n)) {
	case K_STR: return xasprintf("s%s", n->str);
	case K_INT:
	case K_FLOAT: return xasprintf("n%.17g", strtod(n->str, NULL));
	case K_BOOL: return xasprintf("b%s", n->str);
	case K_NULL: return xstrdup("z");
	default: text = ynode_emit_string(n); return xasprintf("c%s", text);
	}
}

static int item_key_cmp(const void *a, const void *b)
{
	const struct item_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* uniqueItems, sorted so that a long list stays n log n. */
static int check_unique(const struct ynode *seq, const char *where, const char *path, struct cc_error **err)
{
	struct item_key *keys = xcalloc(seq->len + 1, sizeof(*keys));
	size_t i;
	int rc = 0;

	for (i = 0; i < seq->len; i++)
		keys[i] = (struct item_key){ item_key(seq->items[i]), i };
	qsort(keys, seq->len, sizeof(*keys), item_key_cmp);
	for (i = 1; i < seq->len; i++)
		if (!strcmp(keys[i].key, keys[i - 1].key) && (i < 2 || strcmp(keys[i].key, keys[i - 2].key)))
			rc = ynode_error(err, seq->items[keys[i].index],
					 "%s%s[%zu] repeats %s[%zu]; its items must be "
					 "unique",
					 where, path, keys[i].index, path, keys[i - 1].index);
	for (i = 0; i < seq->len; i++)
		free(keys[i].key);
	free(keys);
	return rc;
}

/* v against t; where ("service 'web': ") and path ("build.args") name it. */
static int check_value(const struct ynode *v, const struct vtype *t, const char *where, const char *path,
		       struct cc_error **err)
{
	unsigned k = kind_of(v);
	size_t i;
	int rc = 0;

	/* compose v2's !reset/!override: on a service's own keys the merge
	 * acts on them (a !reset value is dropped, whatever it is); deeper,
	 * an error rather than a silent merge. */
	if (v->tag && (!strcmp(v->tag, "!reset") || !strcmp(v->tag, "!override"))) {
		if (strpbrk(path, ".["))
			return ynode_error(err, v, "%s%s: %s below a service's own keys is not supported yet", where,
					   path, v->tag);
		if (!strcmp(v->tag, "!reset"))
			return 0;
	}

	if (!t)
		return 0;
	if (!(t->kinds & k)) {
		cleanup_free char *want = kinds_words(t->kinds), *got = kinds_words(k);

		return ynode_error(err, v, "%s%s must be %s, not %s", where, path, want, got);
	}
	if (k == K_STR && t->oneof)
		return check_oneof(v, t->oneof, where, path, err);
	for (i = 0; k == K_SEQ && i < v->len; i++) {
		cleanup_free char *sub = xasprintf("%s[%zu]", path, i);

		rc |= check_value(v->items[i], t->items, where, sub, err);
	}
	if (k == K_SEQ && t->unique && rc == 0)
		rc = check_unique(v, where, path, err);
	if (k == K_MAP && t->fields)
		return check_fields(v, t->fields, where, path, err);
	for (i = 0; k == K_MAP && i < v->len; i++) {
		cleanup_free char *sub = xasprintf("%s.%s", path, v->keys[i]->str);

		rc |= check_value(v->vals[i], t->values, where, sub, err);
	}
	return rc;
}

int compose_check_file(const struct ynode *root, struct cc_error **err)
{
	size_t s, i;
	int rc = check_keys(root, top_keys, sizeof(top_keys) / sizeof(top_keys[0]), "", err);

	for (s = 0; s < sizeof(entity_types) / sizeof(entity_types[0]); s++) {
		const struct ynode *sec = ynode_map_get(root, entity_types[s].section);

		for (i = 0; sec && sec->kind == YNODE_MAP && i < sec->len; i++) {
			cleanup_free char *where = xasprintf("%s '%s': ", entity_types[s].singular, sec->keys[i]->str);

			rc |= check_value(sec->vals[i], &entity_types[s].type, where, "", err);
		}
	}
	return rc ? -1 : 0;
}

/* compose v2: a service-level limit and its deploy.resources.limits twin
 * must not disagree (mem_limit/memory as bytes, cpus as numbers). */
static int limits_agree(const char *name, const struct ynode *s, struct cc_error **err)
{
	const struct ynode *lim = ynode_map_get(ynode_map_get(ynode_map_get(s, "deploy"), "resources"), "limits");
	const struct ynode *a = ynode_map_get(s, "mem_limit"), *b = ynode_map_get(lim, "memory");
	long long x, y;
	int rc = 0;

	if (a && b && a->kind == YNODE_SCALAR && b->kind == YNODE_SCALAR && compose_parse_bytes(a->str, &x) == 0 &&
	    compose_parse_bytes(b->str, &y) == 0 && x != y)
		rc = ynode_error(err, a,
				 "services.%s: can't set distinct values on 'mem_limit' and "
				 "'deploy.resources.limits.memory'",
				 name);
	a = ynode_map_get(s, "cpus");
	b = ynode_map_get(lim, "cpus");
	if (a && b && a->kind == YNODE_SCALAR && b->kind == YNODE_SCALAR &&
	    strtod(a->str, NULL) != strtod(b->str, NULL))
		rc = ynode_error(err, a,
				 "services.%s: can't set distinct values on 'cpus' and "
				 "'deploy.resources.limits.cpus'",
				 name);
	return rc;
}

/* compose v2: a build gives its Dockerfile as a file or inline, not both. */
static int inline_exclusive(const char *name, const struct ynode *svc, struct cc_error **err)
{
	const struct ynode *b = ynode_map_get(svc, "build"), *df = ynode_map_get(b, "dockerfile");
	const struct ynode *inl = ynode_map_get(b, "dockerfile_inline");

	if (b && b->kind == YNODE_MAP && df && inl && ctype_of(df) != CT_NULL && ctype_of(inl) != CT_NULL)
		return ynode_error(err, inl,
				   "service \"%s\" declares mutualy exclusive dockerfile and dockerfile_inline", name);
	return 0;
}

/* compose v2: a service's platform: must be one its build.platforms: builds. */
static int platform_in_build(const struct ynode *svc, struct cc_error **err)
{
	const struct ynode *pl = ynode_map_get(svc, "platform");
	const struct ynode *pls = ynode_map_get(ynode_map_get(svc, "build"), "platforms");

	if (!pl || !cnode_is_str(pl) || !pl->str[0] || !pls || pls->kind != YNODE_SEQ || !pls->len)
		return 0;
	for (size_t i = 0; i < pls->len; i++)
		if (cnode_is_str(pls->items[i]) && !strcmp(pls->items[i]->str, pl->str))
			return 0;
	return ynode_error(err, pl, "service.build.platforms MUST include service.platform \"%s\"", pl->str);
}

int compose_check_services(const struct ynode *services, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < services->len; i++) {
		const struct ynode *s = services->vals[i];

		const struct ynode *sec = ynode_map_get(s, "security_opt");

		const struct ynode *image = ynode_map_get(s, "image");

		/* compose v2: an image: "" (an unset variable) is no image */
		if ((!image || (cnode_is_str(image) && !image->str[0])) && !ynode_map_get(s, "build"))
			rc = ynode_error(err, s,
					 "Service %s has neither an image nor a build context specified. At "
					 "least one must be provided.",
					 services->keys[i]->str);
		rc |= limits_agree(services->keys[i]->str, s, err);
		rc |= inline_exclusive(services->keys[i]->str, s, err);
		rc |= platform_in_build(s, err);
		/* compose v2 appends security_opt over the files, then checks
		 * the schema's uniqueItems on the result. */
		if (sec && sec->kind == YNODE_SEQ) {
			cleanup_free char *where = xasprintf("service '%s': ", services->keys[i]->str);

			rc |= check_unique(sec, where, "security_opt", err);
		}
	}
	return rc ? -1 : 0;
}
