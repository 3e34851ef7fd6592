/* compose-v2 (compose-internal.h): the loaded model in the form Docker Compose v2 (2.26) prints
 * with `config`: `name:` first, then services, networks, volumes,
 * secrets, configs and extensions; ports and volumes in their long form;
 * every service on the default network unless it names networks or a
 * network_mode; depends_on with `required: true`, and the dependencies v2
 * implies from links, volumes_from and network_mode: service:; top-level
 * entries named PROJECT_KEY; environment, labels and args as strings;
 * durations in Go's spelling (1m30s); memory in bytes; command and
 * entrypoint strings split as a shell does.  Built from the 1.29-normalised
 * tree (compose.c), which stays what the rest of ccbuild reads. */
#include "compose-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct ynode *str_node(const char *s)
{
	return ynode_new_scalar(s, 1, NULL);
}

static struct ynode *plain_node(const char *s)
{
	return ynode_new_scalar(s, 0, NULL);
}

static void set_steal(struct ynode *m, const char *key, char *s)
{
	ynode_map_set(m, key, str_node(s));
	free(s);
}

/* Every scalar value of a map as a string (null stays null). */
static void values_to_strings(struct ynode *m)
{
	for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->len; i++) {
		struct ynode *v = m->vals[i];

		if (v->kind == YNODE_SCALAR && !v->quoted && ctype_of(v) != CT_NULL)
			v->quoted = 1;
	}
}

/* Go's time.Duration.String() of ns nanoseconds; caller frees. */
static char *go_duration(long long ns)
{
	struct strbuf sb = STRBUF_INIT;
	long long h, m;
	double s;

	if (ns == 0)
		return xstrdup("0s");
	if (ns < 1000000000LL) {
		if (ns < 1000)
			return xasprintf("%lldns", ns);
		if (ns < 1000000)
			return xasprintf("%g\xc2\xb5s", (double)ns / 1e3);
		return xasprintf("%gms", (double)ns / 1e6);
	}
	h = ns / 3600000000000LL;
	m = ns / 60000000000LL % 60;
	s = (double)(ns % 60000000000LL) / 1e9;
	if (h)
		strbuf_addf(&sb, "%lldh", h);
	if (h || m)
		strbuf_addf(&sb, "%lldm", m);
	strbuf_addf(&sb, "%.9g", s);
	strbuf_addch(&sb, 's');
	return strbuf_detach(&sb);
}

static void set_steal_item(struct ynode *seq, char *s)
{
	ynode_seq_push(seq, str_node(s));
	free(s);
}

static void duration_field(struct ynode *m, const char *key)
{
	struct ynode *v = ynode_map_get(m, key);
	long long ns;

	if (v && v->kind == YNODE_SCALAR && compose_parse_duration(v->str, &ns) == 0)
		set_steal(m, key, go_duration(ns));
}

/* A CPU count as Go prints its float ("1", "0.5"). */
static void cpus_field(struct ynode *m, const char *key)
{
	struct ynode *v = ynode_map_get(m, key);
	char *end;
	double d;

	if (!v || v->kind != YNODE_SCALAR)
		return;
	d = strtod(v->str, &end);
	if (end != v->str && !*end) {
		ynode_map_set(m, key, plain_node(""));
		v = ynode_map_get(m, key);
		free(v->str);
		v->str = xasprintf("%g", d);
	}
}

static void bytes_field(struct ynode *m, const char *key)
{
	struct ynode *v = ynode_map_get(m, key);
	long long b;

	if (v && v->kind == YNODE_SCALAR && compose_parse_bytes(v->str, &b) == 0)
		set_steal(m, key, xasprintf("%lld", b));
}

/* A shell-words split of a command string (quotes and backslashes). */
static struct ynode *shell_split(const char *s)
{
	struct ynode *seq = ynode_new_seq(NULL);
	struct strbuf w = STRBUF_INIT;
	int have = 0;
	char q = 0;

	for (;; s++) {
		if (!*s || (!q && (*s == ' ' || *s == '\t' || *s == '\n'))) {
			if (have)
				ynode_seq_push(seq, str_node(w.buf ? w.buf : ""));
			strbuf_release(&w);
			have = 0;
			if (!*s)
				break;
			continue;
		}
		have = 1;
		if (q && *s == q)
			q = 0;
		else if (!q && (*s == '\'' || *s == '"'))
			q = *s;
		else if (*s == '\\' && q != '\'' && s[1])
			strbuf_addch(&w, *++s);
		else
			strbuf_addch(&w, *s);
	}
	return seq;
}

static void command_field(struct ynode *svc, const char *key)
{
	struct ynode *v = ynode_map_get(svc, key);

	if (v && v->kind == YNODE_SCALAR && v->quoted)
		ynode_map_set(svc, key, shell_split(v->str));
}

/* One ports: item of the 1.29 tree in v2's long form. */
static void port_long(struct ynode *out, const struct cport *p)
{
	struct ynode *m = ynode_new_map(NULL);

	ynode_map_set(m, "mode", str_node(p->mode ? p->mode : "ingress"));
	if (p->external_ip)
		ynode_map_set(m, "host_ip", str_node(p->external_ip));
	ynode_map_set(m, "target", cnode_int(p->target, NULL));
	if (p->published)
		ynode_map_set(m, "published", str_node(p->published));
	ynode_map_set(m, "protocol", str_node(p->protocol ? p->protocol : "tcp"));
	ynode_seq_push(out, m);
}

static void ports_field(struct ynode *svc)
{
	struct ynode *v = ynode_map_get(svc, "ports"), *out;
	struct cport *ports = NULL;
	size_t n = 0;

	if (!v || compose_ports_collect(v, &ports, &n, NULL) < 0) {
		compose_ports_free(ports, n);
		return;
	}
	out = ynode_new_seq(NULL);
	for (size_t i = 0; i < n; i++)
		port_long(out, &ports[i]);
	compose_ports_free(ports, n);
	ynode_map_set(svc, "ports", out);
}

static int is_path(const char *s)
{
	return s[0] == '/' || s[0] == '.' || s[0] == '~';
}

/* "SRC:TARGET:MODE" (as 1.29 normalised it) in v2's long form. */
static struct ynode *volume_long(const char *s)
{
	static const char *const order[] = { "type", "source", "target", "read_only", "bind", "volume", NULL };
	cleanup_free char *host = NULL, *target = NULL, *mode = NULL;
	struct ynode *m = ynode_new_map(NULL), *sub = ynode_new_map(NULL);
	int bind;

	compose_volume_split(s, &host, &target, &mode);
	bind = host && is_path(host);
	ynode_map_set(m, "type", str_node(bind ? "bind" : "volume"));
	if (host)
		ynode_map_set(m, "source", str_node(host));
	ynode_map_set(m, "target", str_node(target));
	for (char *opt = mode, *next; opt && *opt; opt = next) {
		if ((next = strchr(opt, ',')))
			*next++ = '\0';
		if (!strcmp(opt, "ro"))
			ynode_map_set(m, "read_only", plain_node("true"));
		else if (!strcmp(opt, "z") || !strcmp(opt, "Z"))
			ynode_map_set(sub, "selinux", str_node(opt));
		else if (!strcmp(opt, "nocopy") && !bind)
			ynode_map_set(sub, "nocopy", plain_node("true"));
		else if (bind && strcmp(opt, "rw") && strcmp(opt, "cached") && strcmp(opt, "delegated") &&
			 strcmp(opt, "consistent"))
			ynode_map_set(sub, "propagation", str_node(opt));
	}
	if (bind)
		ynode_map_set(sub, "create_host_path", plain_node("true"));
	ynode_map_set(m, bind ? "bind" : "volume", sub);
	return compose_v3_reorder(m, order);
}

static void volumes_field(struct ynode *svc)
{
	static const char *const order[] = { "type", "source", "target", "read_only", "consistency",
					     "bind", "volume", "tmpfs",	 NULL };
	struct ynode *v = ynode_map_get(svc, "volumes");

	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		struct ynode *it = v->items[i];

		if (it->kind == YNODE_SCALAR) {
			v->items[i] = volume_long(it->str);
			ynode_free(it);
		} else if (it->kind == YNODE_MAP) {
			struct ynode *target = ynode_map_get(it, "target");

			if (target && cnode_is_str(target) && target->str[0]) {
				char *clean = path_clean(target->str);

				free(target->str);
				target->str = clean;
			}
			compose_v3_drop_false(it, 1);
			v->items[i] = compose_v3_reorder(it, order);
		}
	}
}

/* "service:NAME:rw" (1.29's spelling) back to v2's "NAME". */
static void volumes_from_field(struct ynode *svc)
{
	struct ynode *v = ynode_map_get(svc, "volumes_from");

	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		struct ynode *it = v->items[i];
		size_t n;

		if (it->kind != YNODE_SCALAR || (strncmp(it->str, "service:", 8) && strncmp(it->str, "container:", 10)))
			continue;
		if (!strncmp(it->str, "service:", 8))
			memmove(it->str, it->str + 8, strlen(it->str + 8) + 1);
		n = strlen(it->str);
		if (n > 3 && !strcmp(it->str + n - 3, ":rw"))
			it->str[n - 3] = '\0';
	}
}

/* An implied dependency; restart: true for links and network_mode (the
 * dependant must restart with it), as compose v2 sets it. */
static void depend(struct ynode *deps, const char *name, size_t len, int restart)
{
	cleanup_free char *key = xstrndup(name, len);
	struct ynode *d;

	if (ynode_map_get(deps, key))
		return;
	d = ynode_new_map(NULL);
	ynode_map_set(d, "condition", str_node("service_started"));
	if (restart)
		ynode_map_set(d, "restart", plain_node("true"));
	ynode_map_set(d, "required", plain_node("true"));
	ynode_map_set(deps, key, d);
}

/* depends_on with required: true, plus what links, volumes_from and
 * network_mode: service: imply. */
static void depends_field(struct ynode *svc)
{
	struct ynode *deps = ynode_map_get(svc, "depends_on"), *v;
	const char *s;

	if (!deps) {
		deps = ynode_new_map(NULL);
		ynode_map_set(svc, "depends_on", deps);
	}
	for (size_t i = 0; deps->kind == YNODE_MAP && i < deps->len; i++)
		if (deps->vals[i]->kind == YNODE_MAP && !ynode_map_get(deps->vals[i], "required"))
			ynode_map_set(deps->vals[i], "required", plain_node("true"));
	v = ynode_map_get(svc, "links");
	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++)
		if ((s = v->items[i]->str))
			depend(deps, s, strcspn(s, ":"), 1);
	v = ynode_map_get(svc, "volumes_from");
	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++)
		if ((s = v->items[i]->str) && strncmp(s, "container:", 10))
			depend(deps, s, strcspn(s, ":"), 0);
	for (size_t k = 0; k < 3; k++) {
		v = ynode_map_get(svc, (const char *const[]){ "network_mode", "ipc", "pid" }[k]);
		if (v && v->kind == YNODE_SCALAR && !strncmp(v->str, "service:", 8))
			depend(deps, v->str + 8, strlen(v->str + 8), 1);
	}
	if (!deps->len)
		ynode_map_remove(svc, "depends_on");
	else
		compose_v3_sort(deps, 0);
}

/* secrets:/configs: items as {source, target}. */
static void grants_field(struct ynode *svc, const char *key, const char *dir)
{
	static const char *const order[] = { "source", "target", "uid", "gid", "mode", NULL };
	struct ynode *v = ynode_map_get(svc, key);

	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		struct ynode *it = v->items[i], *m = it;
		const struct ynode *src;

		if (it->kind == YNODE_SCALAR) {
			m = ynode_new_map(NULL);
			ynode_map_set(m, "source", str_node(it->str));
			ynode_free(it);
		}
		src = ynode_map_get(m, "source");
		if (dir && src && src->kind == YNODE_SCALAR && !ynode_map_get(m, "target"))
			set_steal(m, "target", xasprintf("%s%s", dir, src->str));
		v->items[i] = compose_v3_reorder(m, order);
	}
}

/* Go's omitempty: an empty string field is not printed. */
static void drop_empty(struct ynode *m, const char *key)
{
	const struct ynode *v = ynode_map_get(m, key);

	if (v && v->kind == YNODE_SCALAR && v->quoted && !v->str[0])
		ynode_map_remove(m, key);
}

static void items_to_strings(struct ynode *seq)
{
	for (size_t i = 0; seq && seq->kind == YNODE_SEQ && i < seq->len; i++)
		if (seq->items[i]->kind == YNODE_SCALAR && ctype_of(seq->items[i]) != CT_NULL)
			seq->items[i]->quoted = 1;
}

/* build.ssh items "ID=PATH" as v2 prints its SSHKey: "ID: PATH". */
static void ssh_field(struct ynode *ssh)
{
	for (size_t i = 0; ssh && ssh->kind == YNODE_SEQ && i < ssh->len; i++) {
		struct ynode *it = ssh->items[i];
		char *eq = it->kind == YNODE_SCALAR ? strchr(it->str, '=') : NULL;

		if (eq) {
			char *s = xasprintf("%.*s: %s", (int)(eq - it->str), it->str, eq + 1);

			free(it->str);
			it->str = s;
			it->quoted = 1;
		}
	}
}

static void ulimits_field(struct ynode *v);

static void build_field(struct ynode *svc)
{
	static const char *const order[] = { "context",
					     "dockerfile",
					     "dockerfile_inline",
					     "entitlements",
					     "args",
					     "ssh",
					     "labels",
					     "cache_from",
					     "cache_to",
					     "no_cache",
					     "additional_contexts",
					     "pull",
					     "extra_hosts",
					     "isolation",
					     "network",
					     "target",
					     "secrets",
					     "tags",
					     "ulimits",
					     "platforms",
					     "privileged",
					     "shm_size",
					     NULL };
	struct ynode *b = ynode_map_get(svc, "build");

	if (!b || b->kind != YNODE_MAP)
		return;
	b = ynode_clone(b);
	if (!ynode_map_get(b, "dockerfile") && !ynode_map_get(b, "dockerfile_inline"))
		ynode_map_set(b, "dockerfile", str_node("Dockerfile"));
	drop_empty(b, "dockerfile");
	drop_empty(b, "target");
	values_to_strings(ynode_map_get(b, "args"));
	values_to_strings(ynode_map_get(b, "labels"));
	bytes_field(b, "shm_size");
	ssh_field(ynode_map_get(b, "ssh"));
	ulimits_field(ynode_map_get(b, "ulimits"));
	ynode_map_set(svc, "build", compose_v3_reorder(b, order));
}

static void healthcheck_field(struct ynode *svc)
{
	static const char *const order[] = { "test",	     "timeout",	       "interval", "retries",
					     "start_period", "start_interval", "disable",  NULL };
	static const char *const durations[] = { "timeout", "interval", "start_period", "start_interval" };
	struct ynode *h = ynode_map_get(svc, "healthcheck"), *test;

	if (!h || h->kind != YNODE_MAP)
		return;
	h = ynode_clone(h);
	test = ynode_map_get(h, "test");
	if (test && test->kind == YNODE_SCALAR && test->quoted) {
		struct ynode *seq = ynode_new_seq(NULL);

		ynode_seq_push(seq, str_node("CMD-SHELL"));
		ynode_seq_push(seq, str_node(test->str));
		ynode_map_set(h, "test", seq);
	}
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
		duration_field(h, durations[i]);
	ynode_map_set(svc, "healthcheck", compose_v3_reorder(h, order));
}

static void deploy_field(struct ynode *svc)
{
	static const char *const order[] = {
		"mode",	     "replicas",       "labels",    "update_config", "rollback_config",
		"resources", "restart_policy", "placement", "endpoint_mode", NULL
	};
	static const char *const tiers[] = { "limits", "reservations" };
	struct ynode *d = ynode_map_get(svc, "deploy"), *res;

	if (!d || d->kind != YNODE_MAP)
		return;
	d = ynode_clone(d);
	values_to_strings(ynode_map_get(d, "labels"));
	res = ynode_map_get(d, "resources");
	for (size_t i = 0; i < 2; i++) {
		bytes_field(ynode_map_get(res, tiers[i]), "memory");
		cpus_field(ynode_map_get(res, tiers[i]), "cpus");
	}
	ynode_map_set(svc, "deploy", compose_v3_reorder(d, order));
}

/* extra_hosts as v2 prints them: a list of "HOST=IP", sorted. */
static void hosts_field(struct ynode *svc)
{
	struct ynode *h = ynode_map_get(svc, "extra_hosts"), *seq;

	if (!h || h->kind != YNODE_MAP)
		return;
	seq = ynode_new_seq(NULL);
	compose_v3_sort(h, 0);
	for (size_t i = 0; i < h->len; i++) {
		cleanup_free char *v = cnode_pystr(h->vals[i]);

		set_steal_item(seq, xasprintf("%s=%s", h->keys[i]->str, v));
	}
	ynode_map_set(svc, "extra_hosts", seq);
}

/* ulimits as compose-go prints them: soft, then hard; a single limit
 * as its number, except 0, which it prints as {soft: 0, hard: 0}. */
static void ulimits_field(struct ynode *v)
{
	static const char *const order[] = { "soft", "hard", NULL };
	long long n;

	for (size_t i = 0; v && v->kind == YNODE_MAP && i < v->len; i++)
		if (v->vals[i]->kind == YNODE_MAP) {
			v->vals[i] = compose_v3_reorder(v->vals[i], order);
		} else if (ynode_is_int(v->vals[i], &n) && n == 0) {
			ynode_free(v->vals[i]);
			v->vals[i] = ynode_new_map(NULL);
			ynode_map_set(v->vals[i], "soft", plain_node("0"));
			ynode_map_set(v->vals[i], "hard", plain_node("0"));
		}
}

/* A service's network without settings is null; ulimits as above. */
static void networks_ulimits_field(struct ynode *svc)
{
	static const char *const net_order[] = { "priority",	   "aliases",	  "ipv4_address", "ipv6_address",
						 "link_local_ips", "mac_address", "driver_opts",  NULL };
	struct ynode *v = ynode_map_get(svc, "networks");

	for (size_t i = 0; v && v->kind == YNODE_MAP && i < v->len; i++)
		if (v->vals[i]->kind == YNODE_MAP && !v->vals[i]->len) {
			ynode_free(v->vals[i]);
			v->vals[i] = plain_node("null");
		} else if (v->vals[i]->kind == YNODE_MAP) {
			v->vals[i] = compose_v3_reorder(v->vals[i], net_order);
		}
	ulimits_field(ynode_map_get(svc, "ulimits"));
}

/* compose-go's ServiceConfig field order, as v2 prints a service. */
static const char *const service_order[] = {
	"profiles",
	"annotations",
	"attach",
	"build",
	"develop",
	"blkio_config",
	"cap_add",
	"cap_drop",
	"cgroup_parent",
	"cgroup",
	"cpu_count",
	"cpu_percent",
	"cpu_period",
	"cpu_quota",
	"cpu_rt_period",
	"cpu_rt_runtime",
	"cpus",
	"cpuset",
	"cpu_shares",
	"command",
	"configs",
	"container_name",
	"credential_spec",
	"depends_on",
	"deploy",
	"device_cgroup_rules",
	"devices",
	"dns",
	"dns_opt",
	"dns_search",
	"domainname",
	"entrypoint",
	"environment",
	"expose",
	"external_links",
	"extra_hosts",
	"group_add",
	"hostname",
	"healthcheck",
	"image",
	"init",
	"ipc",
	"isolation",
	"labels",
	"links",
	"logging",
	"mem_limit",
	"mem_reservation",
	"memswap_limit",
	"mem_swappiness",
	"mac_address",
	"network_mode",
	"networks",
	"oom_kill_disable",
	"oom_score_adj",
	"pid",
	"pids_limit",
	"platform",
	"ports",
	"privileged",
	"pull_policy",
	"read_only",
	"restart",
	"runtime",
	"scale",
	"secrets",
	"security_opt",
	"shm_size",
	"stdin_open",
	"stop_grace_period",
	"stop_signal",
	"storage_opt",
	"sysctls",
	"tmpfs",
	"tty",
	"ulimits",
	"user",
	"userns_mode",
	"uts",
	"volumes",
	"volumes_from",
	"working_dir",
	"post_start",
	"pre_stop",
	NULL,
};

/* develop.watch items: path, action, target, ignore. */
static void develop_field(struct ynode *svc)
{
	static const char *const order[] = { "path", "action", "target", "ignore", NULL };
	struct ynode *w = ynode_map_get(ynode_map_get(svc, "develop"), "watch");

	for (size_t i = 0; w && w->kind == YNODE_SEQ && i < w->len; i++)
		if (w->items[i]->kind == YNODE_MAP)
			w->items[i] = compose_v3_reorder(w->items[i], order);
}

/* Lifecycle hooks: a command string split as a shell does. */
static void hooks_field(struct ynode *svc, const char *key)
{
	static const char *const order[] = { "command", "user", "privileged", "working_dir", "environment", NULL };
	struct ynode *h = ynode_map_get(svc, key);

	for (size_t i = 0; h && h->kind == YNODE_SEQ && i < h->len; i++) {
		if (h->items[i]->kind != YNODE_MAP)
			continue;
		command_field(h->items[i], "command");
		values_to_strings(ynode_map_get(h->items[i], "environment"));
		h->items[i] = compose_v3_reorder(h->items[i], order);
	}
}

/* One service of the 1.29 tree in v2's form (consumed; result owned). */
static struct ynode *service_v2(struct ynode *svc)
{
	compose_v3_drop_empty(svc, 1);
	if (!ynode_map_get(svc, "networks") && !ynode_map_get(svc, "network_mode")) {
		struct ynode *nets = ynode_new_map(NULL);

		ynode_map_set(nets, "default", plain_node("null"));
		ynode_map_set(svc, "networks", nets);
	}
	values_to_strings(ynode_map_get(svc, "environment"));
	values_to_strings(ynode_map_get(svc, "labels"));
	values_to_strings(ynode_map_get(ynode_map_get(svc, "logging"), "options"));
	items_to_strings(ynode_map_get(svc, "group_add"));
	cpus_field(svc, "cpus");
	bytes_field(svc, "mem_limit");
	bytes_field(svc, "mem_reservation");
	bytes_field(svc, "memswap_limit");
	bytes_field(svc, "shm_size");
	command_field(svc, "command");
	command_field(svc, "entrypoint");
	ports_field(svc);
	items_to_strings(ynode_map_get(svc, "expose"));
	volumes_field(svc);
	volumes_from_field(svc);
	depends_field(svc);
	grants_field(svc, "secrets", "/run/secrets/");
	grants_field(svc, "configs", NULL);
	build_field(svc);
	healthcheck_field(svc);
	deploy_field(svc);
	duration_field(svc, "stop_grace_period");
	hosts_field(svc);
	networks_ulimits_field(svc);
	develop_field(svc);
	hooks_field(svc, "post_start");
	hooks_field(svc, "pre_stop");
	grants_field(ynode_map_get(svc, "build"), "secrets", NULL);
	return compose_v3_reorder(svc, service_order);
}

/* 1 when a service is on the default network. */
static int uses_default(const struct ynode *services)
{
	for (size_t i = 0; services && i < services->len; i++) {
		const struct ynode *nets = ynode_map_get(services->vals[i], "networks");

		if (nets && nets->kind == YNODE_MAP && ynode_map_get(nets, "default"))
			return 1;
	}
	return 0;
}

/* Top-level entries named PROJECT_KEY (external ones KEY) unless named. */
static struct ynode *entities_v2(const struct compose_project *p, const struct ynode *sec)
{
	struct ynode *out = ynode_clone(sec);

	compose_v3_sort(out, 1);
	for (size_t i = 0; i < out->len; i++) {
		struct ynode *e = out->vals[i], *ext;
		cleanup_free char *name = NULL;

		if (e->kind != YNODE_MAP) {
			ynode_free(e);
			out->vals[i] = e = ynode_new_map(NULL);
		}
		compose_v3_drop_false(e, 0);
		ext = ynode_map_get(e, "external");
		if (!ynode_map_get(e, "name")) {
			name = ext && ctype_of(ext) == CT_BOOL && !strcmp(ext->str, "true")
				       ? xstrdup(out->keys[i]->str)
				       : xasprintf("%s_%s", p->project_name, out->keys[i]->str);
			ynode_map_set(e, "name", str_node(name));
		}
		{
			static const char *const order[] = { "name", NULL };

			out->vals[i] = compose_v3_reorder(e, order);
		}
	}
	return out;
}

/* The names of a section's entries that svc uses: its networks (a map),
 * volume mounts' sources, secrets (its build's too), configs. */
static void used_by(const struct ynode *svc, const char *section, struct strlist *names)
{
	const struct ynode *v = ynode_map_get(svc, section), *src;

	if (!strcmp(section, "networks")) {
		for (size_t i = 0; v && v->kind == YNODE_MAP && i < v->len; i++)
			strlist_push(names, v->keys[i]->str);
		return;
	}
	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		const struct ynode *type = ynode_map_get(v->items[i], "type");

		if (!strcmp(section, "volumes") && (!type || strcmp(type->str, "volume")))
			continue;
		if ((src = ynode_map_get(v->items[i], "source")) && src->kind == YNODE_SCALAR)
			strlist_push(names, src->str);
	}
	if (!strcmp(section, "secrets") && ynode_map_get(svc, "build"))
		used_by(ynode_map_get(svc, "build"), section, names);
}

/* compose v2 prints only the top-level entries a service uses
 * (WithoutUnnecessaryResources). */
static struct ynode *entities_used(const struct ynode *sec, const char *section, const struct ynode *svcs)
{
	struct ynode *out = ynode_new_map(NULL);
	struct strlist names = { 0 };

	for (size_t s = 0; s < svcs->len; s++)
		used_by(svcs->vals[s], section, &names);
	for (size_t i = 0; i < sec->len; i++)
		if (strlist_has(&names, sec->keys[i]->str))
			ynode_map_set(out, sec->keys[i]->str, ynode_clone(sec->vals[i]));
	strlist_release(&names);
	compose_v3_sort(out, 0);
	return out;
}

/* Top-level x- keys of every file (a later file's wins), sorted as Go
 * prints maps. */
static void extensions_v2(const struct compose_project *p, struct ynode *out)
{
	struct ynode *ext = ynode_new_map(NULL);

	for (size_t f = 0; f < p->nfiles; f++)
		for (size_t i = 0; p->files[f] && p->files[f]->kind == YNODE_MAP && i < p->files[f]->len; i++)
			if (!strncmp(p->files[f]->keys[i]->str, "x-", 2))
				ynode_map_set(ext, p->files[f]->keys[i]->str, ynode_clone(p->files[f]->vals[i]));
	compose_v3_sort(ext, 1);
	for (size_t i = 0; i < ext->len; i++)
		ynode_map_set(out, ext->keys[i]->str, ynode_clone(ext->vals[i]));
	ynode_free(ext);
}

struct ynode *compose_config_v2(const struct compose_project *p)
{
	static const char *const sections[] = { "networks", "volumes", "secrets", "configs" };
	const struct ynode *services = ynode_map_get(p->config, "services");
	struct ynode *out = ynode_new_map(NULL), *svcs = ynode_new_map(NULL), *nets;

	ynode_map_set(out, "name", str_node(p->project_name));
	for (size_t i = 0; services && i < services->len; i++) {
		struct ynode *svc = ynode_clone(services->vals[i]);

		compose_v3_sort(svc, 1);
		ynode_map_set(svcs, services->keys[i]->str, service_v2(svc));
	}
	compose_v3_sort(svcs, 0);
	ynode_map_set(out, "services", svcs);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct ynode *sec = ynode_map_get(p->config, sections[i]);

		if (i == 0 && uses_default(svcs)) {
			nets = sec ? entities_used(sec, sections[i], svcs) : ynode_new_map(NULL);
			if (!ynode_map_get(nets, "default"))
				ynode_map_set(nets, "default", ynode_new_map(NULL));
			compose_v3_sort(nets, 0);
			ynode_map_set(out, "networks", entities_v2(p, nets));
			ynode_free(nets);
		} else if (sec && sec->kind == YNODE_MAP && sec->len) {
			struct ynode *used = entities_used(sec, sections[i], svcs);

			if (used->len)
				ynode_map_set(out, sections[i], entities_v2(p, used));
			ynode_free(used);
		}
	}
	extensions_v2(p, out);
	return out;
}
