/* compose-merge (compose-internal.h): one service of a base file merged with the same service
 * of an override file, by the rules of compose 1.29's
 * merge_service_dicts(): mappings (environment, labels, build args, ...)
 * merged key by key whether written as a list or a map; volumes and
 * devices merged by container path; ports, links, secrets and configs
 * merged by their identity; cap_add, expose and friends made a set of
 * strings; dns, tmpfs, env_file, security_opt and the lifecycle hooks
 * appended.  Lists keep the files' order (each item where it first came),
 * as compose v2 does; 1.29 sorted them;
 * every other known key replaced whole.  Extension keys (x-*) are kept,
 * an override's winning, as compose v2 does (1.29 dropped them). */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Keys merge_scalar() copies: compose's ALLOWED_KEYS. */
static const char *const allowed_keys[] = {
	"cap_add",
	"cap_drop",
	"cgroup_parent",
	"command",
	"cpu_count",
	"cpu_percent",
	"cpu_period",
	"cpu_quota",
	"cpu_rt_period",
	"cpu_rt_runtime",
	"cpu_shares",
	"cpus",
	"cpuset",
	"detach",
	"device_cgroup_rules",
	"devices",
	"dns",
	"dns_search",
	"dns_opt",
	"domainname",
	"entrypoint",
	"env_file",
	"environment",
	"extra_hosts",
	"group_add",
	"hostname",
	"healthcheck",
	"image",
	"ipc",
	"isolation",
	"labels",
	"links",
	"mac_address",
	"mem_limit",
	"mem_reservation",
	"memswap_limit",
	"mem_swappiness",
	"net",
	"oom_score_adj",
	"oom_kill_disable",
	"pid",
	"ports",
	"privileged",
	"read_only",
	"restart",
	"runtime",
	"secrets",
	"security_opt",
	"shm_size",
	"pids_limit",
	"stdin_open",
	"stop_signal",
	"sysctls",
	"tty",
	"user",
	"userns_mode",
	"volume_driver",
	"volumes",
	"volumes_from",
	"working_dir",
	"blkio_config",
	"build",
	"container_name",
	"credential_spec",
	"dockerfile",
	"init",
	"log_driver",
	"log_opt",
	"logging",
	"network_mode",
	"platform",
	"profiles",
	"scale",
	"stop_grace_period",
	/* compose v2 merges these too (1.29 dropped pull_policy from an override merge). */
	"pull_policy",
	"annotations",
	"attach",
	"cgroup",
	"develop",
	"uts",
};

int cnode_truthy(const struct ynode *n)
{
	switch (ctype_of(n)) {
	case CT_NULL: return 0;
	case CT_STR: return n->str[0] != '\0';
	case CT_BOOL: return !strcmp(n->str, "true");
	case CT_INT:
	case CT_FLOAT: return strtod(n->str, NULL) != 0;
	default: return n->len != 0;
	}
}

static int needs_merge(const struct ynode *b, const struct ynode *o, const char *field)
{
	return ynode_map_get(b, field) || ynode_map_get(o, field);
}

/* Python str() of a list item, for split functions. */
static char *item_text(const struct ynode *n)
{
	return cnode_pystr(n);
}

static int kv_split_item(struct ynode *map, const struct ynode *item, enum kv_split how, struct cc_error **err)
{
	cleanup_free char *s = item_text(item);
	char *eq = NULL;
	struct ynode *v = NULL;

	switch (how) {
	case KV_ENV:
	case KV_LABEL:
		if ((eq = strchr(s, '=')))
			*eq++ = '\0';
		if (how == KV_ENV && s[strcspn(s, " \t\r\n\f\v")])
			return ynode_error(err, item, "environment variable name '%s' may not contain whitespace.", s);
		v = eq		    ? cnode_str(eq, &item->pos)
		    : how == KV_ENV ? cnode_plain("null", &item->pos)
				    : cnode_str("", &item->pos);
		break;
	case KV_NAME:
	case KV_FLAT:
	case KV_PLAIN: v = cnode_plain("null", &item->pos); break;
	case KV_DEPENDS:
		v = ynode_new_map(&item->pos);
		ynode_map_set(v, "condition", cnode_str("service_started", &item->pos));
		break;
	case KV_HOSTS:
		if (!(eq = strchr(s, ':')))
			return ynode_error(err, item, "extra_hosts entry '%s' must be HOST:IP", s);
		*eq++ = '\0';
		v = cnode_str(compose_strip(eq), &item->pos);
		ynode_map_set(map, compose_strip(s), v);
		return 0;
	}
	ynode_map_set(map, s, v);
	return 0;
}

struct ynode *compose_kv_map(const struct ynode *n, enum kv_split how, const char *what, struct cc_error **err)
{
	struct ynode *map;
	size_t i;

	if (!cnode_truthy(n))
		return ynode_new_map(n ? &n->pos : NULL);
	if (n->kind == YNODE_MAP)
		return ynode_clone(n);
	if (n->kind != YNODE_SEQ || how == KV_FLAT || how == KV_PLAIN) {
		cleanup_free char *s = cnode_pystr(n);

		if (how == KV_FLAT || how == KV_PLAIN)
			return ynode_error(err, n, "%s: invalid type: expected mapping", what), NULL;
		return ynode_error(err, n, "%s \"%s\" must be a list or mapping", what, s), NULL;
	}
	map = ynode_new_map(&n->pos);
	for (i = 0; i < n->len; i++)
		if (kv_split_item(map, n->items[i], how, err) < 0) {
			ynode_free(map);
			return NULL;
		}
	return map;
}

static void map_update(struct ynode *dst, const struct ynode *src)
{
	size_t i;

	for (i = 0; src && i < src->len; i++)
		ynode_map_set(dst, src->keys[i]->str, ynode_clone(src->vals[i]));
}

static int merge_mapping(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field,
			 enum kv_split how, struct cc_error **err)
{
	struct ynode *m, *m2;

	if (!needs_merge(b, o, field))
		return 0;
	if (!(m = compose_kv_map(ynode_map_get(b, field), how, field, err)))
		return -1;
	if (!(m2 = compose_kv_map(ynode_map_get(o, field), how, field, err))) {
		ynode_free(m);
		return -1;
	}
	map_update(m, m2);
	ynode_free(m2);
	ynode_map_set(out, field, m);
	return 0;
}

static void merge_scalar(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field)
{
	const struct ynode *v = ynode_map_get(o, field);

	if (!v)
		v = ynode_map_get(b, field);
	if (v)
		ynode_map_set(out, field, ynode_clone(v));
}

static void add_items_text(struct strlist *l, const struct ynode *seq)
{
	size_t i;

	for (i = 0; seq && seq->kind == YNODE_SEQ && i < seq->len; i++) {
		cleanup_free char *s = cnode_pystr(seq->items[i]);

		if (!strlist_has(l, s))
			strlist_push(l, s);
	}
}

/* merge_unique_items_lists, as compose v2 orders it: str(x) for x in base +
 * override, each once, in the order first met (1.29 sorted the set). */
static struct ynode *unique_items(const struct ynode *b, const struct ynode *o)
{
	struct strlist l = { 0 };
	struct ynode *seq = ynode_new_seq(o ? &o->pos : b ? &b->pos : NULL);
	size_t i;

	add_items_text(&l, b);
	add_items_text(&l, o);
	for (i = 0; i < l.n; i++)
		ynode_seq_push(seq, cnode_str(l.v[i], &seq->pos));
	strlist_release(&l);
	return seq;
}

static void merge_unique(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field)
{
	if (needs_merge(b, o, field))
		ynode_map_set(out, field, unique_items(ynode_map_get(b, field), ynode_map_get(o, field)));
}

struct ynode *compose_to_list(const struct ynode *n)
{
	struct ynode *seq;

	if (n && n->kind == YNODE_SEQ)
		return ynode_clone(n);
	seq = ynode_new_seq(n ? &n->pos : NULL);
	if (n && ctype_of(n) != CT_NULL)
		ynode_seq_push(seq, ynode_clone(n));
	return seq;
}

static void merge_list_or_string(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field)
{
	struct ynode *seq, *tail;
	size_t i;

	if (!needs_merge(b, o, field))
		return;
	seq = compose_to_list(ynode_map_get(b, field));
	tail = compose_to_list(ynode_map_get(o, field));
	for (i = 0; i < tail->len; i++)
		ynode_seq_push(seq, ynode_clone(tail->items[i]));
	ynode_free(tail);
	ynode_map_set(out, field, seq);
}

char *compose_volume_target(const struct ynode *v)
{
	char *host = NULL, *container = NULL, *mode = NULL;

	if (v->kind == YNODE_MAP) {
		const struct ynode *t = ynode_map_get(v, "target");

		return t && t->kind == YNODE_SCALAR ? xstrdup(t->str) : xstrdup("");
	}
	if (v->kind != YNODE_SCALAR) /* compose_check_file rejects it; never a NULL string */
		return xstrdup("");
	compose_volume_split(v->str, &host, &container, &mode);
	free(host);
	free(mode);
	return container;
}

struct keyed {
	char *key;
	const struct ynode *node;
};

/* Items of b then o keyed by keyfn; a later item with the same key takes
 * the earlier one's place.  In that order, as compose v2 keeps it (1.29
 * sorted by key); caller frees. */
static struct keyed *keyed_merge(const struct ynode *b, const struct ynode *o, char *(*keyfn)(const struct ynode *),
				 size_t *count)
{
	const struct ynode *src[2] = { b, o };
	struct keyed *v = NULL;
	size_t n = 0, cap = 0, s, i, j;

	for (s = 0; s < 2; s++)
		for (i = 0; src[s] && src[s]->kind == YNODE_SEQ && i < src[s]->len; i++) {
			struct keyed k = { keyfn(src[s]->items[i]), src[s]->items[i] };

			for (j = 0; j < n && strcmp(v[j].key, k.key); j++)
				;
			if (j < n) {
				free(k.key);
				v[j].node = k.node;
				continue;
			}
			VEC_PUSH(v, n, cap, k);
		}
	*count = n;
	return v;
}

static void keyed_free(struct keyed *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

static void merge_keyed(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field,
			char *(*keyfn)(const struct ynode *), struct ynode *(*reprfn)(const struct ynode *))
{
	struct keyed *v;
	struct ynode *seq;
	size_t n, i;

	if (!needs_merge(b, o, field))
		return;
	v = keyed_merge(ynode_map_get(b, field), ynode_map_get(o, field), keyfn, &n);
	seq = ynode_new_seq(NULL);
	for (i = 0; i < n; i++)
		ynode_seq_push(seq, reprfn ? reprfn(v[i].node) : ynode_clone(v[i].node));
	keyed_free(v, n);
	ynode_map_set(out, field, seq);
}

/* Identity of a link (its alias), a secret or config (its source), a
 * security option (its text). */
static char *link_key(const struct ynode *n)
{
	cleanup_free char *s = cnode_pystr(n);
	char *colon = strchr(s, ':');

	return xstrdup(colon && colon[1] ? colon + 1 : s);
}

static struct ynode *link_repr(const struct ynode *n)
{
	cleanup_free char *s = cnode_pystr(n);
	char *colon = strchr(s, ':');

	if (colon && (!colon[1] || !strcmp(colon + 1, s) ||
		      (strlen(colon + 1) == (size_t)(colon - s) && !strncmp(s, colon + 1, (size_t)(colon - s)))))
		*colon = '\0';
	return cnode_str(s, &n->pos);
}

/* A secret or config grant is itself its identity in compose v2: the same
 * source at two targets is two grants (1.29 kept one per source). */
static char *grant_key(const struct ynode *n)
{
	struct ynode *r = compose_secret_repr(n);
	char *s = ynode_emit_string(r);

	ynode_free(r);
	return s ? s : xstrdup("");
}

static char *path_key(const struct ynode *n)
{
	const struct ynode *p = ynode_map_get(n, "path");

	return p ? cnode_pystr(p) : xstrdup("");
}

static void merge_path_mappings(struct ynode *out, const struct ynode *b, const struct ynode *o, const char *field)
{
	merge_keyed(out, b, o, field, compose_volume_target, NULL);
}

static int merge_networks(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	struct ynode *bm = NULL, *om = NULL, *res;
	size_t i;

	if (!needs_merge(b, o, "networks"))
		return 0;
	if (!(bm = compose_kv_map(ynode_map_get(b, "networks"), KV_NAME, "networks", err)) ||
	    !(om = compose_kv_map(ynode_map_get(o, "networks"), KV_NAME, "networks", err))) {
		ynode_free(bm);
		return -1;
	}
	res = ynode_new_map(NULL);
	for (i = 0; i < bm->len + om->len; i++) {
		const char *name = i < bm->len ? bm->keys[i]->str : om->keys[i - bm->len]->str;
		const struct ynode *nb = ynode_map_get(bm, name), *no = ynode_map_get(om, name);
		struct ynode *m = ynode_new_map(NULL);

		if (i >= bm->len && nb) {
			ynode_free(m);
			continue;
		}
		nb = nb && nb->kind == YNODE_MAP ? nb : NULL;
		no = no && no->kind == YNODE_MAP ? no : NULL;
		merge_unique(m, nb, no, "aliases");
		merge_unique(m, nb, no, "link_local_ips");
		merge_scalar(m, nb, no, "priority");
		merge_scalar(m, nb, no, "ipv4_address");
		merge_scalar(m, nb, no, "ipv6_address");
		ynode_map_set(res, name, m);
	}
	ynode_free(bm);
	ynode_free(om);
	ynode_map_set(out, "networks", res);
	return 0;
}

/* merge_ports: every spec parsed, keyed by (target, published, ip,
 * protocol), in the files' order (compose v2; 1.29 sorted by target). */
static int merge_ports(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	struct cport *v = NULL;
	size_t n = 0, i;
	struct ynode *seq;

	if (!needs_merge(b, o, "ports"))
		return 0;
	if (compose_ports_collect(ynode_map_get(b, "ports"), &v, &n, err) < 0 ||
	    compose_ports_collect(ynode_map_get(o, "ports"), &v, &n, err) < 0) {
		compose_ports_free(v, n);
		return -1;
	}
	compose_ports_dedup(v, &n);
	seq = ynode_new_seq(NULL);
	for (i = 0; i < n; i++)
		ynode_seq_push(seq, compose_port_node(&v[i], v[i].external_ip != NULL));
	compose_ports_free(v, n);
	ynode_map_set(out, "ports", seq);
	return 0;
}

static const struct ynode *sub_map(const struct ynode *m, const char *key)
{
	const struct ynode *v = ynode_map_get(m, key);

	return v && v->kind == YNODE_MAP ? v : NULL;
}

static void merge_healthcheck(struct ynode *out, const struct ynode *b, const struct ynode *o)
{
	const struct ynode *hb = sub_map(b, "healthcheck"), *ho = sub_map(o, "healthcheck");
	const struct ynode *dis = ynode_map_get(ho, "disabled");
	struct ynode *m;

	if (!needs_merge(b, o, "healthcheck"))
		return;
	if (dis && ctype_of(dis) == CT_BOOL && !strcmp(dis->str, "true")) {
		ynode_map_set(out, "healthcheck", ynode_clone(ho));
		return;
	}
	m = hb ? ynode_clone(hb) : ynode_new_map(NULL);
	map_update(m, ho);
	ynode_map_set(out, "healthcheck", m);
}

static void merge_blkio(struct ynode *out, const struct ynode *b, const struct ynode *o)
{
	static const char *const limits[] = { "device_read_bps", "device_read_iops", "device_write_bps",
					      "device_write_iops", "weight_device" };
	const struct ynode *bb = sub_map(b, "blkio_config"), *bo = sub_map(o, "blkio_config");
	struct ynode *m;
	size_t i;

	if (!needs_merge(b, o, "blkio_config"))
		return;
	m = ynode_new_map(NULL);
	merge_scalar(m, bb, bo, "weight");
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		merge_keyed(m, bb, bo, limits[i], path_key, NULL);
	ynode_map_set(out, "blkio_config", m);
}

static int merge_logging(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	const struct ynode *lb = sub_map(b, "logging"), *lo = sub_map(o, "logging");
	const struct ynode *db, *dm;
	struct ynode *m;

	if (!needs_merge(b, o, "logging"))
		return 0;
	m = ynode_new_map(NULL);
	merge_scalar(m, lb, lo, "driver");
	db = ynode_map_get(lb, "driver");
	dm = ynode_map_get(m, "driver");
	if (!db || ctype_of(db) == CT_NULL || (dm && !strcmp(dm->str, db->str) && dm->quoted == db->quoted)) {
		if (merge_mapping(m, lb, lo, "options", KV_PLAIN, err) < 0) {
			ynode_free(m);
			return -1;
		}
	} else if (cnode_truthy(ynode_map_get(lo, "options"))) {
		ynode_map_set(m, "options", ynode_clone(ynode_map_get(lo, "options")));
	}
	ynode_map_set(out, "logging", m);
	return 0;
}

static struct ynode *unique_objects(const struct ynode *b, const struct ynode *o)
{
	struct ynode *seq;
	struct keyed *v;
	size_t n, i;

	v = keyed_merge(b, o, ynode_emit_string, &n);
	seq = ynode_new_seq(NULL);
	for (i = 0; i < n; i++)
		ynode_seq_push(seq, ynode_clone(v[i].node));
	keyed_free(v, n);
	return seq;
}

static void merge_resources(struct ynode *out, const struct ynode *b, const struct ynode *o)
{
	const struct ynode *rb = sub_map(b, "resources"), *ro = sub_map(o, "resources");
	const struct ynode *vb = sub_map(rb, "reservations"), *vo = sub_map(ro, "reservations");
	struct ynode *m = ynode_new_map(NULL), *r;

	merge_mapping(m, rb, ro, "limits", KV_PLAIN, NULL);
	if (needs_merge(rb, ro, "reservations")) {
		r = ynode_new_map(NULL);
		merge_scalar(r, vb, vo, "cpus");
		merge_scalar(r, vb, vo, "memory");
		merge_keyed(r, vb, vo, "generic_resources", ynode_emit_string, NULL);
		if (needs_merge(vb, vo, "devices"))
			ynode_map_set(r, "devices",
				      unique_objects(ynode_map_get(vb, "devices"), ynode_map_get(vo, "devices")));
		ynode_map_set(m, "reservations", r);
	}
	ynode_map_set(out, "resources", m);
}

static int merge_deploy(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	const struct ynode *db = sub_map(b, "deploy"), *dO = sub_map(o, "deploy");
	struct ynode *m, *p;
	int rc = 0;

	if (!needs_merge(b, o, "deploy"))
		return 0;
	m = ynode_new_map(NULL);
	merge_scalar(m, db, dO, "mode");
	merge_scalar(m, db, dO, "endpoint_mode");
	merge_scalar(m, db, dO, "replicas");
	rc |= merge_mapping(m, db, dO, "labels", KV_LABEL, err);
	rc |= merge_mapping(m, db, dO, "update_config", KV_PLAIN, err);
	rc |= merge_mapping(m, db, dO, "rollback_config", KV_PLAIN, err);
	rc |= merge_mapping(m, db, dO, "restart_policy", KV_PLAIN, err);
	if (needs_merge(db, dO, "resources"))
		merge_resources(m, db, dO);
	if (needs_merge(db, dO, "placement")) {
		const struct ynode *pb = sub_map(db, "placement"), *po = sub_map(dO, "placement");

		p = ynode_new_map(NULL);
		merge_scalar(p, pb, po, "max_replicas_per_node");
		merge_unique(p, pb, po, "constraints");
		if (needs_merge(pb, po, "preferences"))
			ynode_map_set(
				p, "preferences",
				unique_objects(ynode_map_get(pb, "preferences"), ynode_map_get(po, "preferences")));
		ynode_map_set(m, "placement", p);
	}
	ynode_map_set(out, "deploy", m);
	return rc ? -1 : 0;
}

/* merge_build: a string build is {context: STRING}; only the keys compose
 * knows survive. */
/* x-* keys: kept, the override's winning (compose v2; 1.29 dropped them). */
static void merge_extensions(struct ynode *out, const struct ynode *b, const struct ynode *o)
{
	const struct ynode *src[] = { b, o };

	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; src[s] && src[s]->kind == YNODE_MAP && i < src[s]->len; i++)
			if (!strncmp(src[s]->keys[i]->str, "x-", 2))
				ynode_map_set(out, src[s]->keys[i]->str, ynode_clone(src[s]->vals[i]));
}

static int merge_build(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	static const char *const scalars[] = { "context",   "dockerfile",	   "network",	 "target",   "shm_size",
					       "isolation", "dockerfile_inline",   "privileged", "no_cache", "pull",
					       "ulimits",   "additional_contexts", "ssh",	 "secrets" };
	static const char *const sets[] = { "cache_from", "platforms", "tags", "entitlements", "cache_to" };
	struct ynode *bb = compose_build_dict(ynode_map_get(b, "build"));
	struct ynode *bo = compose_build_dict(ynode_map_get(o, "build"));
	struct ynode *m = ynode_new_map(NULL);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		merge_scalar(m, bb, bo, scalars[i]);
	rc |= merge_mapping(m, bb, bo, "args", KV_ENV, err);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		merge_unique(m, bb, bo, sets[i]);
	rc |= merge_mapping(m, bb, bo, "labels", KV_LABEL, err);
	rc |= merge_mapping(m, bb, bo, "extra_hosts", KV_HOSTS, err);
	merge_extensions(m, bb, bo);
	ynode_free(bb);
	ynode_free(bo);
	ynode_map_set(out, "build", m);
	return rc ? -1 : 0;
}

struct ynode *compose_build_dict(const struct ynode *build)
{
	struct ynode *m;

	if (build && build->kind == YNODE_MAP)
		return ynode_clone(build);
	m = ynode_new_map(build ? &build->pos : NULL);
	if (build && cnode_is_str(build))
		ynode_map_set(m, "context", ynode_clone(build));
	return m;
}

static int merge_mappings(struct ynode *out, const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	int rc = 0;

	rc |= merge_mapping(out, b, o, "environment", KV_ENV, err);
	rc |= merge_mapping(out, b, o, "labels", KV_LABEL, err);
	rc |= merge_mapping(out, b, o, "ulimits", KV_FLAT, err);
	rc |= merge_mapping(out, b, o, "sysctls", KV_LABEL, err);
	rc |= merge_mapping(out, b, o, "depends_on", KV_DEPENDS, err);
	rc |= merge_mapping(out, b, o, "storage_opt", KV_FLAT, err);
	merge_keyed(out, b, o, "links", link_key, link_repr);
	merge_keyed(out, b, o, "secrets", grant_key, compose_secret_repr);
	merge_keyed(out, b, o, "configs", grant_key, compose_secret_repr);
	rc |= merge_mapping(out, b, o, "extra_hosts", KV_HOSTS, err);
	return rc;
}

struct ynode *compose_merge_service(const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	static const char *const unique[] = { "cap_add",	"cap_drop",	"expose",
					      "external_links", "volumes_from", "device_cgroup_rules",
					      "profiles" };
	/* security_opt: appended as compose v2 does (1.29 made it a set). */
	static const char *const appended[] = { "dns",		"dns_search", "env_file", "tmpfs",
						"security_opt", "post_start", "pre_stop" };
	struct ynode *out = ynode_new_map(NULL);
	size_t i;
	int rc = merge_mappings(out, b, o, err);

	rc |= merge_networks(out, b, o, err);
	merge_path_mappings(out, b, o, "volumes");
	merge_path_mappings(out, b, o, "devices");
	for (i = 0; i < sizeof(unique) / sizeof(unique[0]); i++)
		merge_unique(out, b, o, unique[i]);
	for (i = 0; i < sizeof(appended) / sizeof(appended[0]); i++)
		merge_list_or_string(out, b, o, appended[i]);
	rc |= merge_logging(out, b, o, err);
	rc |= merge_ports(out, b, o, err);
	merge_blkio(out, b, o);
	merge_healthcheck(out, b, o);
	rc |= merge_deploy(out, b, o, err);
	for (i = 0; i < sizeof(allowed_keys) / sizeof(allowed_keys[0]); i++)
		if (ynode_map_index(out, allowed_keys[i]) < 0 && strcmp(allowed_keys[i], "build"))
			merge_scalar(out, b, o, allowed_keys[i]);
	if (needs_merge(b, o, "build"))
		rc |= merge_build(out, b, o, err);
	if (ynode_map_get(o, "extends") || ynode_map_get(b, "extends"))
		merge_scalar(out, b, o, "extends");
	merge_extensions(out, b, o);
	if (rc) {
		ynode_free(out);
		return NULL;
	}
	return out;
}

static const struct ynode *services_of(const struct ynode *root)
{
	const struct ynode *sec = ynode_map_get(root, "services");

	return sec && sec->kind == YNODE_MAP ? sec : NULL;
}

/* compose v2's override tags on a service's keys: `!reset` drops the
 * key (the base's value too), `!override` replaces the base's value
 * instead of merging with it. */
struct ynode *compose_merge_tagged(const struct ynode *b, const struct ynode *o, struct cc_error **err)
{
	struct ynode *b2 = ynode_clone(b), *o2 = ynode_clone(o), *m;

	for (size_t i = 0; o2->kind == YNODE_MAP && i < o2->len; i++) {
		const char *tag = o2->vals[i]->tag, *key = o2->keys[i]->str;

		if (!tag || (strcmp(tag, "!reset") && strcmp(tag, "!override")))
			continue;
		ynode_map_remove(b2, key);
		if (!strcmp(tag, "!reset"))
			ynode_map_remove(o2, o2->keys[i--]->str);
	}
	m = compose_merge_service(b2, o2, err);
	ynode_free(b2);
	ynode_free(o2);
	return m;
}

/* load_services' reduce(merge_services): one file is taken as it is; with
 * overrides every service goes through merge_service_dicts_from_files. */
struct ynode *compose_merge_files(struct ynode *const *files, size_t nfiles, struct cc_error **err)
{
	struct ynode *acc =
		ynode_clone(services_of(files[0]) ? services_of(files[0]) : &(struct ynode){ .kind = YNODE_MAP });
	const struct ynode *over, *empty = &(struct ynode){ .kind = YNODE_MAP };
	size_t f, i;

	for (f = 1; f < nfiles; f++) {
		struct ynode *next = ynode_new_map(NULL);

		over = services_of(files[f]) ? services_of(files[f]) : empty;
		for (i = 0; i < acc->len + over->len; i++) {
			const struct ynode *key = i < acc->len ? acc->keys[i] : over->keys[i - acc->len];
			const struct ynode *b = ynode_map_get(acc, key->str), *o = ynode_map_get(over, key->str);
			struct ynode *m;

			if (i >= acc->len && b)
				continue;
			if (!(m = compose_merge_tagged(b ? b : empty, o ? o : empty, err))) {
				ynode_free(next);
				ynode_free(acc);
				return NULL;
			}
			m->pos = (o ? o : b)->pos;
			ynode_map_set(next, key->str, m);
		}
		ynode_free(acc);
		acc = next;
	}
	return acc;
}
