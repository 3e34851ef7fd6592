/* deploy-spec: a compose service as the engine runs it (deploy-spec.h).
 * This file holds the entry points, the flat configuration the deploy
 * hash covers, and the small readers the other deploy-*.c share; the
 * create body is filled by deploy-config.c (Config), deploy-host.c and
 * deploy-mounts.c (HostConfig) and deploy-net.c (networks, ports).  The
 * field table is in deploy-check.c; docs/technical/deploy.md. */
#include "compose.h"
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A scalar of the v2 tree as JSON: strings stay strings, plain scalars
 * are typed (null, bool, integer; other numbers as their text). */
static json_t *scalar_json(const struct ynode *n)
{
	long long v;
	int b;

	if (n->quoted)
		return json_string(n->str);
	if (ynode_is_null(n))
		return json_null();
	if (ynode_is_bool(n, &b))
		return json_boolean(b);
	if (ynode_is_int(n, &v))
		return json_integer(v);
	return json_string(n->str);
}

static int all_scalars(const struct ynode *seq)
{
	for (size_t i = 0; i < seq->len; i++)
		if (seq->items[i]->kind != YNODE_SCALAR)
			return 0;
	return 1;
}

/* n under path into the flat object: maps by ".key", sequences of
 * scalars whole, other sequences by "[i]". */
static void flatten(json_t *out, const char *path, const struct ynode *n)
{
	if (n->kind == YNODE_SCALAR) {
		json_object_set_new(out, path, scalar_json(n));
	} else if (n->kind == YNODE_SEQ && all_scalars(n)) {
		json_t *a = json_array();

		for (size_t i = 0; i < n->len; i++)
			json_array_append_new(a, scalar_json(n->items[i]));
		json_object_set_new(out, path, a);
	} else if (n->kind == YNODE_SEQ) {
		for (size_t i = 0; i < n->len; i++) {
			cleanup_free char *sub = xasprintf("%s[%zu]", path, i);

			flatten(out, sub, n->items[i]);
		}
	} else if (!n->len) {
		json_object_set_new(out, path, json_object());
	} else {
		for (size_t i = 0; i < n->len; i++) {
			cleanup_free char *sub = xasprintf("%s.%s", path, n->keys[i]->str);

			flatten(out, sub, n->vals[i]);
		}
	}
}

/* What the deploy hash covers: the service as v2 resolves it, without
 * what compose's own hash leaves out (build, pull_policy, scale,
 * deploy.replicas, depends_on, profiles) and what does not reach the
 * container. */
static json_t *service_config(const struct ynode *svc, const char *image)
{
	static const char *const skip[] = { "build",	"pull_policy", "scale",	 "depends_on",
					    "profiles", "develop",     "attach", NULL };
	json_t *out = json_object();

	for (size_t i = 0; i < svc->len; i++) {
		const char *key = svc->keys[i]->str;
		const char *const *s = skip;

		while (*s && strcmp(*s, key))
			s++;
		if (!*s && strncmp(key, "x-", 2))
			flatten(out, key, svc->vals[i]);
	}
	json_object_del(out, "deploy.replicas"); /* compose's hash leaves it out too */
	json_object_set_new(out, "image", json_string(image));
	return out;
}

static enum deploy_condition condition_of(const char *s)
{
	if (s && !strcmp(s, "service_healthy"))
		return DEPLOY_HEALTHY;
	if (s && !strcmp(s, "service_completed_successfully"))
		return DEPLOY_COMPLETED;
	return DEPLOY_STARTED;
}

/* depends_on (v2: explicit and implied); a dependency that only
 * network_mode: service:X implies restarts with X (compose-go's rule). */
static void collect_deps(struct deploy_service *s, const struct ynode *svc, const struct ynode *svc129)
{
	const struct ynode *deps = ynode_map_get(svc, "depends_on");
	const struct ynode *own = ynode_map_get(svc129, "depends_on");
	const char *mode = deploy_get(svc, "network_mode");

	if (!deps || deps->kind != YNODE_MAP)
		return;
	s->deps = xcalloc(deps->len, sizeof(*s->deps));
	for (size_t i = 0; i < deps->len; i++) {
		struct deploy_dep *d = &s->deps[s->ndeps++];
		const char *name = deps->keys[i]->str;
		const char *req = deploy_get(deps->vals[i], "required");

		d->service = xstrdup(name);
		d->condition = condition_of(deploy_get(deps->vals[i], "condition"));
		d->restart = deploy_get_bool(deps->vals[i], "restart");
		d->required = !req || strcmp(req, "false");
		if (!ynode_map_get(own, name) && mode && !strncmp(mode, "service:", 8) && !strcmp(mode + 8, name))
			d->restart = 1;
	}
}

/* Services whose namespaces or volumes s shares. */
static void collect_shares(struct deploy_service *s, const struct ynode *svc)
{
	static const char *const modes[] = { "network_mode", "ipc", "pid" };
	const struct ynode *from = ynode_map_get(svc, "volumes_from");

	for (size_t i = 0; i < 3; i++) {
		const char *m = deploy_get(svc, modes[i]);

		if (m && !strncmp(m, "service:", 8) && !strlist_has(&s->shares, m + 8))
			strlist_push(&s->shares, m + 8);
	}
	for (size_t i = 0; from && from->kind == YNODE_SEQ && i < from->len; i++) {
		const char *v = deploy_str(from->items[i]);
		cleanup_free char *name = v ? xstrndup(v, strcspn(v, ":")) : NULL;

		if (name && strncmp(v, "container:", 10) && !strlist_has(&s->shares, name))
			strlist_push(&s->shares, name);
	}
}

static void service_facts(struct deploy_service *s, const struct ynode *svc)
{
	const struct ynode *hc = ynode_map_get(svc, "healthcheck");
	const struct ynode *test = ynode_map_get(hc, "test");
	const char *order = deploy_get(ynode_map_get(ynode_map_get(svc, "deploy"), "update_config"), "order");
	const char *grace = deploy_get(svc, "stop_grace_period");
	long long ns;

	s->has_healthcheck = hc && !deploy_get_bool(hc, "disable") &&
			     !(test && test->kind == YNODE_SEQ && test->len && deploy_str(test->items[0]) &&
			       !strcmp(test->items[0]->str, "NONE"));
	s->start_first = order && !strcmp(order, "start-first");
	s->stop_timeout = grace && deploy_parse_duration(grace, &ns) == 0 ? (int)(ns / 1000000000LL) : -1;
	s->stop_signal = deploy_get(svc, "stop_signal") ? xstrdup(deploy_get(svc, "stop_signal")) : NULL;
	s->replicas = 1;
	if (deploy_get_ll(ynode_map_get(svc, "deploy"), "replicas", &ns) == 0 || deploy_get_ll(svc, "scale", &ns) == 0)
		s->replicas = (int)ns;
}

static json_t *create_body(struct deploy_ctx *c)
{
	json_t *body = json_deep_copy(c->config);

	json_object_set(body, "HostConfig", c->host);
	if (c->out->nnetworks && c->out->networks[0].endpoint) {
		json_t *eps = json_object(), *nc = json_object();

		json_object_set(eps, c->out->networks[0].name, c->out->networks[0].endpoint);
		json_object_set_new(nc, "EndpointsConfig", eps);
		json_object_set_new(body, "NetworkingConfig", nc);
	}
	return body;
}

static int service_fill(struct deploy_ctx *c, struct cc_error **err)
{
	if (deploy_config_fill(c, err) < 0 || deploy_host_fill(c, err) < 0 || deploy_mounts_fill(c, err) < 0 ||
	    deploy_net_fill(c, err) < 0)
		return -1;
	c->out->create = create_body(c);
	return 0;
}

int deploy_service_spec(const struct compose_project *p, const struct deploy_project *proj, size_t i, const char *image,
			struct deploy_service **out, struct cc_error **err)
{
	const char *name = compose_service_name(p, i);
	struct ynode *model = NULL;
	struct deploy_ctx c = { .p = p, .proj = proj, .name = name };
	struct deploy_service *s;
	int rc;

	*out = NULL;
	if (deploy_check_service(p, i, err) < 0)
		return -1;
	model = compose_config_tree_v2(p);
	deploy_model_unescape(model);
	c.model = model;
	c.svc = ynode_map_get(ynode_map_get(model, "services"), name);
	s = c.out = xcalloc(1, sizeof(*s));
	s->service = xstrdup(name);
	s->container_name = deploy_container_name(model, proj->name, name);
	s->image = image			? xstrdup(image)
		   : deploy_get(c.svc, "image") ? xstrdup(deploy_get(c.svc, "image"))
						: xasprintf("%s-%s", proj->name, name);
	c.config = json_object();
	c.host = json_object();
	collect_deps(s, c.svc, compose_service(p, i));
	collect_shares(s, c.svc);
	service_facts(s, c.svc);
	rc = service_fill(&c, err);
	if (rc == 0)
		s->config = service_config(c.svc, s->image);
	json_decref(c.config);
	json_decref(c.host);
	ynode_free(model);
	if (rc < 0) {
		deploy_service_free(s);
		return cc_error_wrap(err, "service '%s'", name);
	}
	*out = s;
	return 0;
}

int deploy_project_spec(const struct compose_project *p, const char *name, const char *working_dir,
			const char *config_files, struct deploy_project **out, struct cc_error **err)
{
	struct deploy_project *proj = xcalloc(1, sizeof(*proj));
	struct ynode *model = compose_config_tree_v2(p);
	int rc;

	deploy_model_unescape(model);
	proj->name = xstrdup(name);
	proj->working_dir = xstrdup(working_dir);
	proj->config_files = xstrdup(config_files);
	rc = deploy_net_project(model, proj, err);
	ynode_free(model);
	if (rc < 0) {
		deploy_project_free(proj);
		*out = NULL;
		return -1;
	}
	*out = proj;
	return 0;
}

void deploy_service_labels(struct deploy_service *s, const char *hash, const char *image_id)
{
	json_t *labels = json_object_get(s->create, "Labels");

	if (!labels) {
		labels = json_object();
		json_object_set_new(s->create, "Labels", labels);
	}
	if (hash) {
		json_object_set_new(labels, DEPLOY_LABEL_PREFIX "config-hash", json_string(hash));
		json_object_set_new(labels, DEPLOY_LABEL_HASH, json_string(hash));
	}
	if (image_id)
		json_object_set_new(labels, DEPLOY_LABEL_PREFIX "image", json_string(image_id));
	json_object_set_new(labels, DEPLOY_LABEL_PREFIX "oneoff", json_string(s->oneoff ? "True" : "False"));
}

void deploy_service_free(struct deploy_service *s)
{
	if (!s)
		return;
	free(s->service);
	free(s->container_name);
	free(s->image);
	json_decref(s->create);
	for (size_t i = 0; i < s->nnetworks; i++) {
		free(s->networks[i].name);
		free(s->networks[i].key);
		strlist_release(&s->networks[i].aliases);
		json_decref(s->networks[i].endpoint);
	}
	free(s->networks);
	json_decref(s->config);
	kvlist_release(&s->files);
	for (size_t i = 0; i < s->ndeps; i++)
		free(s->deps[i].service);
	free(s->deps);
	strlist_release(&s->shares);
	free(s->stop_signal);
	free(s);
}

static void resources_free(struct deploy_resource *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].key);
		json_decref(r[i].create);
	}
	free(r);
}

void deploy_project_free(struct deploy_project *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->working_dir);
	free(p->config_files);
	resources_free(p->networks, p->nnetworks);
	resources_free(p->volumes, p->nvolumes);
	free(p);
}
