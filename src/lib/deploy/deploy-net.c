/* deploy-net (deploy-internal.h): networking as compose 2.26 maps it.
 * network_mode (service:X as container:X's container) or the service's
 * networks by priority then name: NetworkMode is the first one's engine
 * name and NetworkingConfig has only that endpoint (engines before API
 * 1.44 take one; the caller connects the others); each endpoint's aliases
 * are the container name, the service name and the declared aliases.
 * PortBindings: TARGET/PROTOCOL -> [{HostIp, HostPort}] (ranges are
 * already one entry per port in the v2 model).  ipc and pid: service:X
 * become container:X's container.  The project's networks and volumes
 * are those the services use, with compose's labels. */
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* "service:X" as "container:X's container name"; caller frees. */
static char *resolve_mode(const struct deploy_ctx *c, const char *mode)
{
	cleanup_free char *name = NULL;

	if (strncmp(mode, "service:", 8))
		return xstrdup(mode);
	name = deploy_container_name(c->model, c->proj->name, mode + 8);
	return xasprintf("container:%s", name);
}

static long long priority_of(const struct ynode *cfg)
{
	long long p = 0;

	deploy_get_ll(cfg, "priority", &p);
	return p;
}

/* The keys of nets in NetworksByPriority's order (index array, caller frees). */
static size_t *by_priority(const struct ynode *nets)
{
	size_t *ix = xcalloc(nets->len + 1, sizeof(*ix));

	for (size_t i = 0; i < nets->len; i++)
		ix[i] = i;
	for (size_t i = 1; i < nets->len; i++) /* insertion sort: few networks */
		for (size_t j = i; j > 0; j--) {
			long long pa = priority_of(nets->vals[ix[j - 1]]), pb = priority_of(nets->vals[ix[j]]);

			if (pa > pb || (pa == pb && strcmp(nets->keys[ix[j - 1]]->str, nets->keys[ix[j]]->str) <= 0))
				break;
			size_t t = ix[j];
			ix[j] = ix[j - 1];
			ix[j - 1] = t;
		}
	return ix;
}

static json_t *endpoint(const struct deploy_network *n, const struct ynode *cfg)
{
	json_t *e = json_object(), *aliases = json_array(), *ipam;

	for (size_t i = 0; i < n->aliases.n; i++)
		json_array_append_new(aliases, json_string(n->aliases.v[i]));
	json_object_set_new(e, "Aliases", aliases);
	if (!cfg || cfg->kind != YNODE_MAP)
		return e;
	ipam = json_object();
	if (deploy_get(cfg, "ipv4_address"))
		json_object_set_new(ipam, "IPv4Address", json_string(deploy_get(cfg, "ipv4_address")));
	if (deploy_get(cfg, "ipv6_address"))
		json_object_set_new(ipam, "IPv6Address", json_string(deploy_get(cfg, "ipv6_address")));
	if (ynode_map_get(cfg, "link_local_ips"))
		json_object_set_new(ipam, "LinkLocalIPs", deploy_str_array(ynode_map_get(cfg, "link_local_ips")));
	json_object_set_new(e, "IPAMConfig", ipam);
	if (deploy_get(cfg, "ipv4_address"))
		json_object_set_new(e, "IPAddress", json_string(deploy_get(cfg, "ipv4_address")));
	return e;
}

static int join_networks(struct deploy_ctx *c, const struct ynode *nets, struct cc_error **err)
{
	const struct ynode *decls = ynode_map_get(c->model, "networks");
	cleanup_free size_t *ix = by_priority(nets);
	struct deploy_service *s = c->out;

	s->networks = xcalloc(nets->len, sizeof(*s->networks));
	for (size_t k = 0; k < nets->len; k++) {
		const char *key = nets->keys[ix[k]]->str, *name = deploy_get(ynode_map_get(decls, key), "name");
		const struct ynode *cfg = nets->vals[ix[k]], *aliases = ynode_map_get(cfg, "aliases");
		struct deploy_network *n = &s->networks[s->nnetworks++];

		if (!name)
			return ynode_error(err, nets->keys[ix[k]], "network '%s' is not declared", key);
		n->name = xstrdup(name);
		n->key = xstrdup(key);
		strlist_push(&n->aliases, s->container_name);
		strlist_push(&n->aliases, c->name);
		for (size_t i = 0; aliases && aliases->kind == YNODE_SEQ && i < aliases->len; i++)
			if (deploy_str(aliases->items[i]))
				strlist_push(&n->aliases, aliases->items[i]->str);
		n->endpoint = endpoint(n, cfg);
	}
	json_object_set_new(c->host, "NetworkMode", json_string(s->nnetworks ? s->networks[0].name : "none"));
	return 0;
}

static json_t *port_bindings(const struct ynode *ports)
{
	json_t *o = json_object();

	for (size_t i = 0; ports && ports->kind == YNODE_SEQ && i < ports->len; i++) {
		const struct ynode *p = ports->items[i];
		const char *proto = deploy_get(p, "protocol"), *ip = deploy_get(p, "host_ip");
		const char *pub = deploy_get(p, "published"), *target = deploy_get(p, "target");
		cleanup_free char *key = target ? xasprintf("%s/%s", target, proto ? proto : "tcp") : NULL;
		json_t *list = key ? json_object_get(o, key) : NULL;

		if (!key)
			continue;
		if (!list) {
			list = json_array();
			json_object_set_new(o, key, list);
		}
		json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip ? ip : "", "HostPort", pub ? pub : ""));
	}
	return o;
}

int deploy_net_fill(struct deploy_ctx *c, struct cc_error **err)
{
	const char *mode = deploy_get(c->svc, "network_mode");
	const struct ynode *nets = ynode_map_get(c->svc, "networks");
	static const char *const ns[][2] = { { "ipc", "IpcMode" }, { "pid", "PidMode" } };

	for (size_t i = 0; i < 2; i++)
		if (deploy_get(c->svc, ns[i][0])) {
			cleanup_free char *m = resolve_mode(c, deploy_get(c->svc, ns[i][0]));

			json_object_set_new(c->host, ns[i][1], json_string(m));
		}
	json_object_set_new(c->host, "PortBindings", port_bindings(ynode_map_get(c->svc, "ports")));
	if (mode) {
		cleanup_free char *m = resolve_mode(c, mode);

		json_object_set_new(c->host, "NetworkMode", json_string(m));
		return 0;
	}
	if (!nets || nets->kind != YNODE_MAP || !nets->len) {
		json_object_set_new(c->host, "NetworkMode", json_string("none"));
		return 0;
	}
	return join_networks(c, nets, err);
}

/* The labels of a project resource: its own, then compose's. */
static json_t *resource_labels(const struct ynode *decl, const char *kind, const char *key, const char *project)
{
	json_t *l = deploy_str_object(ynode_map_get(decl, "labels"));
	cleanup_free char *label = xasprintf(DEPLOY_LABEL_PREFIX "%s", kind);

	json_object_set_new(l, label, json_string(key));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "project", json_string(project));
	json_object_set_new(l, DEPLOY_LABEL_PREFIX "version", json_string(DEPLOY_COMPOSE_VERSION));
	return l;
}

static json_t *ipam_json(const struct ynode *ipam)
{
	const struct ynode *cfg = ynode_map_get(ipam, "config");
	json_t *o = json_object(), *list = json_array();

	if (deploy_get(ipam, "driver"))
		json_object_set_new(o, "Driver", json_string(deploy_get(ipam, "driver")));
	for (size_t i = 0; cfg && cfg->kind == YNODE_SEQ && i < cfg->len; i++) {
		static const char *const f[][2] = { { "subnet", "Subnet" },
						    { "ip_range", "IPRange" },
						    { "gateway", "Gateway" } };
		json_t *pool = json_object();

		for (size_t k = 0; k < 3; k++)
			if (deploy_get(cfg->items[i], f[k][0]))
				json_object_set_new(pool, f[k][1], json_string(deploy_get(cfg->items[i], f[k][0])));
		if (ynode_map_get(cfg->items[i], "aux_addresses"))
			json_object_set_new(pool, "AuxiliaryAddresses",
					    deploy_str_object(ynode_map_get(cfg->items[i], "aux_addresses")));
		json_array_append_new(list, pool);
	}
	json_object_set_new(o, "Config", list);
	return o;
}

static json_t *network_create(const struct ynode *decl, const char *key, const char *name, const char *project)
{
	json_t *b = json_pack("{s:s,s:b}", "Name", name, "CheckDuplicate", 1);

	if (deploy_get(decl, "driver"))
		json_object_set_new(b, "Driver", json_string(deploy_get(decl, "driver")));
	if (ynode_map_get(decl, "driver_opts"))
		json_object_set_new(b, "Options", deploy_str_object(ynode_map_get(decl, "driver_opts")));
	json_object_set_new(b, "Internal", json_boolean(deploy_get_bool(decl, "internal")));
	json_object_set_new(b, "Attachable", json_boolean(deploy_get_bool(decl, "attachable")));
	json_object_set_new(b, "EnableIPv6", json_boolean(deploy_get_bool(decl, "enable_ipv6")));
	if (ynode_map_get(decl, "ipam"))
		json_object_set_new(b, "IPAM", ipam_json(ynode_map_get(decl, "ipam")));
	json_object_set_new(b, "Labels", resource_labels(decl, "network", key, project));
	return b;
}

static json_t *volume_create(const struct ynode *decl, const char *key, const char *name, const char *project)
{
	json_t *b = json_pack("{s:s}", "Name", name);

	if (deploy_get(decl, "driver"))
		json_object_set_new(b, "Driver", json_string(deploy_get(decl, "driver")));
	if (ynode_map_get(decl, "driver_opts"))
		json_object_set_new(b, "DriverOpts", deploy_str_object(ynode_map_get(decl, "driver_opts")));
	json_object_set_new(b, "Labels", resource_labels(decl, "volume", key, project));
	return b;
}

/* 1 when some service joins network key. */
static int network_used(const struct ynode *services, const char *key)
{
	for (size_t i = 0; services && i < services->len; i++)
		if (!deploy_get(services->vals[i], "network_mode") &&
		    ynode_map_get(ynode_map_get(services->vals[i], "networks"), key))
			return 1;
	return 0;
}

static void add_resources(const struct ynode *decls, const struct ynode *services, int networks,
			  struct deploy_project *proj)
{
	struct deploy_resource **v = networks ? &proj->networks : &proj->volumes;
	size_t *n = networks ? &proj->nnetworks : &proj->nvolumes;

	*v = xcalloc(decls && decls->kind == YNODE_MAP ? decls->len + 1 : 1, sizeof(**v));
	for (size_t i = 0; decls && decls->kind == YNODE_MAP && i < decls->len; i++) {
		const char *key = decls->keys[i]->str, *name = deploy_get(decls->vals[i], "name");
		struct deploy_resource *r;

		if (networks && !network_used(services, key))
			continue;
		r = &(*v)[(*n)++];
		r->key = xstrdup(key);
		r->name = xstrdup(name ? name : key);
		r->external = deploy_get_bool(decls->vals[i], "external");
		if (!r->external)
			r->create = networks ? network_create(decls->vals[i], key, r->name, proj->name)
					     : volume_create(decls->vals[i], key, r->name, proj->name);
	}
}

int deploy_net_project(const struct ynode *model, struct deploy_project *proj, struct cc_error **err)
{
	const struct ynode *services = ynode_map_get(model, "services");

	add_resources(ynode_map_get(model, "networks"), services, 1, proj);
	add_resources(ynode_map_get(model, "volumes"), services, 0, proj);
	(void)err;
	return 0;
}
