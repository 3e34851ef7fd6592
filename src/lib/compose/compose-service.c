/* compose-service (compose-internal.h): one merged service made into what `docker-compose
 * config` prints (compose 1.29's process_service, validate_service,
 * finalize_service and denormalize_service_dict), and the same for the
 * top-level volumes, networks, secrets and configs (load_mapping). */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const url_prefixes[] = { "http://", "https://", "git://", "github.com/", "git@" };

char *compose_expand_path(const char *dir, const char *path)
{
	cleanup_free char *home_path = NULL, *joined = NULL;
	const char *home = getenv("HOME");
	char cwd[4096];

	if (home && (!strcmp(path, "~") || str_has_prefix(path, "~/")))
		path = home_path = xasprintf("%s%s", home, path + 1);
	joined = path_join(dir ? dir : ".", path);
	if (joined[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		char *abs = path_join(cwd, joined);

		free(joined);
		joined = abs;
	}
	return path_clean(joined);
}

int compose_is_url(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(url_prefixes) / sizeof(url_prefixes[0]); i++)
		if (str_has_prefix(s, url_prefixes[i]))
			return 1;
	return 0;
}

static void set_str_node(struct ynode *n, char *s)
{
	free(n->str);
	n->str = s;
	n->quoted = 1;
}

/* A value of build.additional_contexts that names a directory (not
 * "docker-image://", a URL, "service:" or "target:"), which compose 2.26
 * resolves against the project's directory, as it does the context. */
static int context_is_dir(const char *v)
{
	return *v && !strstr(v, "://") && !compose_is_url(v) && !str_has_prefix(v, "service:") &&
	       !str_has_prefix(v, "target:");
}

/* build.additional_contexts' directories made absolute: "NAME=PATH" items
 * of the list form, NAME: PATH of the map form. */
static void process_contexts(const char *dir, struct ynode *ac)
{
	for (size_t i = 0; ac && ac->kind == YNODE_SEQ && i < ac->len; i++) {
		struct ynode *it = ac->items[i];
		const char *eq = cnode_is_str(it) ? strchr(it->str, '=') : NULL;

		if (eq && context_is_dir(eq + 1)) {
			cleanup_free char *abs = compose_expand_path(dir, eq + 1);

			set_str_node(it, xasprintf("%.*s=%s", (int)(eq - it->str), it->str, abs));
		}
	}
	for (size_t i = 0; ac && ac->kind == YNODE_MAP && i < ac->len; i++)
		if (cnode_is_str(ac->vals[i]) && context_is_dir(ac->vals[i]->str))
			set_str_node(ac->vals[i], compose_expand_path(dir, ac->vals[i]->str));
}

/* The context made absolute (compose v2: "." when there is none); ssh
 * keys' paths ("ID=PATH", or ID: PATH in the map form) and
 * additional_contexts' directories too. */
static void process_build(const char *dir, struct ynode *svc)
{
	struct ynode *b = ynode_map_get(svc, "build"), *ctx, *ssh;

	ctx = b && b->kind == YNODE_MAP ? ynode_map_get(b, "context") : b;
	if (b && b->kind == YNODE_MAP && !ctx)
		ynode_map_set(b, "context", ctx = cnode_str(".", &b->pos));
	if (ctx && cnode_is_str(ctx) && !compose_is_url(ctx->str))
		set_str_node(ctx, compose_expand_path(dir, ctx->str));
	ssh = b && b->kind == YNODE_MAP ? ynode_map_get(b, "ssh") : NULL;
	for (size_t i = 0; ssh && ssh->kind == YNODE_SEQ && i < ssh->len; i++) {
		struct ynode *it = ssh->items[i];
		const char *eq = cnode_is_str(it) ? strchr(it->str, '=') : NULL;

		if (eq && eq[1]) {
			cleanup_free char *abs = compose_expand_path(dir, eq + 1);

			set_str_node(it, xasprintf("%.*s=%s", (int)(eq - it->str), it->str, abs));
		}
	}
	for (size_t i = 0; ssh && ssh->kind == YNODE_MAP && i < ssh->len; i++)
		if (cnode_is_str(ssh->vals[i]) && *ssh->vals[i]->str)
			set_str_node(ssh->vals[i], compose_expand_path(dir, ssh->vals[i]->str));
	if (b && b->kind == YNODE_MAP)
		process_contexts(dir, ynode_map_get(b, "additional_contexts"));
}

/* resolve_volume_path: relative and ~ host paths made absolute. */
static void volume_resolve(const char *dir, struct ynode *v)
{
	char *host = NULL, *container = NULL, *mode = NULL;

	if (v->kind == YNODE_MAP) {
		struct ynode *src = ynode_map_get(v, "source"), *type = ynode_map_get(v, "type");

		if (src && cnode_is_str(src) && (src->str[0] == '.' || src->str[0] == '~') && type &&
		    type->kind == YNODE_SCALAR && !strcmp(type->str, "bind"))
			set_str_node(src, compose_expand_path(dir, src->str));
		return;
	}
	if (v->kind != YNODE_SCALAR)
		return;
	compose_volume_split(v->str, &host, &container, &mode);
	if (host) {
		if (host[0] == '.' || host[0] == '~') {
			char *abs = compose_expand_path(dir, host);

			free(host);
			host = abs;
		}
		set_str_node(v, xasprintf("%s:%s%s%s", host, container, mode ? ":" : "", mode ? mode : ""));
	} else if (mode) {
		set_str_node(v, xstrdup(container));
	}
	free(host);
	free(container);
	free(mode);
}

static int map_to_strings(struct ynode *map)
{
	size_t i;

	for (i = 0; map && i < map->len; i++) {
		struct ynode *v = map->vals[i];
		char *s = ctype_of(v) == CT_NULL ? xstrdup("") : cnode_pystr(v);

		ynode_free(v);
		map->vals[i] = cnode_str(s, &map->keys[i]->pos);
		free(s);
	}
	return 0;
}

static int replace_kv(struct ynode *svc, const char *key, enum kv_split how, struct cc_error **err)
{
	struct ynode *v = ynode_map_get(svc, key), *m;

	if (!v)
		return 0;
	if (!(m = compose_kv_map(v, how, key, err)))
		return -1;
	ynode_map_set(svc, key, m);
	return 0;
}

static int healthcheck_time(struct ynode *hc, const char *field, struct cc_error **err)
{
	struct ynode *v = ynode_map_get(hc, field);
	long long ns;

	if (!v)
		return 0;
	if (ctype_of(v) == CT_INT) {
		errno = 0;
		ns = strtoll(v->str, NULL, 10);
		if (errno == ERANGE) /* atoll clamped it */
			return ynode_error(err, v, "healthcheck %s: %s nanoseconds is out of range", field, v->str);
	} else if (v->kind != YNODE_SCALAR || compose_parse_duration(v->str, &ns) < 0)
		return ynode_error(err, v, "healthcheck %s: invalid duration '%s'", field,
				   v->kind == YNODE_SCALAR ? v->str : "");
	ynode_map_set(hc, field, cnode_str("", &v->pos));
	set_str_node(ynode_map_get(hc, field), compose_format_duration(ns));
	return 0;
}

static int process_healthcheck(struct ynode *svc, struct cc_error **err)
{
	struct ynode *hc = ynode_map_get(svc, "healthcheck"), *test;
	int rc = 0;

	if (!hc || hc->kind != YNODE_MAP)
		return 0;
	/* compose v2 keeps `disable: true` beside the test (1.29 made the
	 * test [NONE]); a false one is dropped. */
	test = ynode_map_get(hc, "disable");
	if (test && !cnode_truthy(test))
		ynode_map_remove(hc, "disable");
	rc |= healthcheck_time(hc, "interval", err);
	rc |= healthcheck_time(hc, "timeout", err);
	rc |= healthcheck_time(hc, "start_period", err);
	return rc;
}

static int process_ports(struct ynode *svc, struct cc_error **err)
{
	struct ynode *ports = ynode_map_get(svc, "ports"), *seq;
	struct cport *v = NULL;
	size_t n = 0, i;

	if (!ports)
		return 0;
	if (compose_ports_collect(ports, &v, &n, err) < 0) {
		compose_ports_free(v, n);
		return -1;
	}
	seq = ynode_new_seq(&ports->pos);
	for (i = 0; i < n; i++)
		ynode_seq_push(seq, compose_port_node(&v[i], v[i].external_ip != NULL));
	compose_ports_free(v, n);
	ynode_map_set(svc, "ports", seq);
	return 0;
}

static void process_lists(const char *dir, struct ynode *svc)
{
	static const char *const lists[] = { "dns", "dns_search", "tmpfs", "env_file" };
	struct ynode *v;
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if ((v = ynode_map_get(svc, lists[i])))
			ynode_map_set(svc, lists[i], compose_to_list(v));
	v = ynode_map_get(svc, "env_file");
	for (i = 0; v && i < v->len; i++) {
		struct ynode *path = v->items[i]->kind == YNODE_MAP ? ynode_map_get(v->items[i], "path") : v->items[i];

		if (cnode_is_str(path))
			set_str_node(path, compose_expand_path(dir, path->str));
	}
	v = ynode_map_get(svc, "volume_driver");
	if (!v || ctype_of(v) == CT_NULL) {
		v = ynode_map_get(svc, "volumes");
		for (i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++)
			volume_resolve(dir, v->items[i]);
	}
}

/* compose v2 rejects a short volume with an empty part ("${UNSET}:/x");
 * 1.29 read the empty source as ".". */
static int volumes_check_sections(const struct ynode *svc, struct cc_error **err)
{
	const struct ynode *v = ynode_map_get(svc, "volumes");
	int rc = 0;

	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		const char *s = v->items[i]->kind == YNODE_SCALAR ? v->items[i]->str : NULL;
		size_t n = s ? strlen(s) : 0;

		if (n && (s[0] == ':' || s[n - 1] == ':' || strstr(s, "::")))
			rc = ynode_error(err, v->items[i], "invalid spec: %s: empty section between colons", s);
	}
	return rc;
}

/* develop.watch paths are relative to the file's directory (compose v2). */
static void develop_resolve(const char *dir, struct ynode *svc)
{
	struct ynode *w = ynode_map_get(ynode_map_get(svc, "develop"), "watch");

	for (size_t i = 0; w && w->kind == YNODE_SEQ && i < w->len; i++) {
		struct ynode *path = ynode_map_get(w->items[i], "path");

		if (cnode_is_str(path))
			set_str_node(path, compose_expand_path(dir, path->str));
	}
}

int compose_process_service(const char *dir, struct ynode *svc, struct cc_error **err)
{
	struct ynode *b = ynode_map_get(svc, "build");
	int rc = volumes_check_sections(svc, err);

	process_lists(dir, svc);
	process_build(dir, svc);
	develop_resolve(dir, svc);
	if (b && b->kind == YNODE_MAP && ynode_map_get(b, "labels"))
		rc |= replace_kv(b, "labels", KV_LABEL, err);
	if (ynode_map_get(svc, "sysctls")) {
		rc |= replace_kv(svc, "sysctls", KV_LABEL, err);
		map_to_strings(ynode_map_get(svc, "sysctls"));
	}
	rc |= replace_kv(svc, "labels", KV_LABEL, err);
	rc |= replace_kv(svc, "depends_on", KV_DEPENDS, err);
	rc |= process_healthcheck(svc, err);
	rc |= process_ports(svc, err);
	return rc ? -1 : 0;
}

/* validate_service: the checks that need the merged service. */
static int validate_service(const struct compose_project *p, const char *name, const struct ynode *svc,
			    const struct ynode *names, struct cc_error **err)
{
	const struct ynode *dep = ynode_map_get(svc, "depends_on"), *b = ynode_map_get(svc, "build"), *ctx;
	size_t i;
	int rc = 0;

	/* compose v2: a dependency with required: false may be left out by
	 * its profiles */
	for (i = 0; dep && dep->kind == YNODE_MAP && i < dep->len; i++)
		if (ynode_map_index(names, dep->keys[i]->str) < 0 &&
		    (!strlist_has(&p->inactive, dep->keys[i]->str) || !ynode_map_get(dep->vals[i], "required") ||
		     cnode_truthy(ynode_map_get(dep->vals[i], "required"))))
			rc = ynode_error(err, dep->keys[i], "Service '%s' depends on service '%s' which is undefined.",
					 name, dep->keys[i]->str);
	ctx = b && b->kind == YNODE_MAP ? ynode_map_get(b, "context") : b;
	if (ctx && cnode_is_str(ctx) && !compose_is_url(ctx->str) && access(ctx->str, R_OK) < 0)
		rc = ynode_error(err, ctx,
				 "service '%s': build path %s either does not exist, is not accessible, "
				 "or is not a valid URL.",
				 name, ctx->str);
	/* An upper-case name without image: is fine in compose v2 (its
	 * default image name is lower-cased); 1.29 rejected it. */
	return rc;
}

static const char *project_lookup(void *data, const char *name)
{
	return compose_env_get(data, name);
}

/* One env_file: entry (a path, or compose v2's {path, required, format})
 * into env.  A missing file that is not required is skipped, as compose v2
 * does; its own errors (a NUL byte at a line) are the file's. */
static int env_file_read(struct compose_project *p, const struct ynode *item, struct ynode *env, struct cc_error **err)
{
	const struct ynode *path = item->kind == YNODE_MAP ? ynode_map_get(item, "path") : item;
	const struct ynode *req = item->kind == YNODE_MAP ? ynode_map_get(item, "required") : NULL;
	const struct ynode *format = item->kind == YNODE_MAP ? ynode_map_get(item, "format") : NULL;
	struct cc_error *why = NULL;
	struct envfile ef = { 0 };
	size_t j;
	int rc;

	if (format && strcmp(format->str, "dotenv") && strcmp(format->str, "raw"))
		return ynode_error(err, format, "env_file format '%s' is not supported (dotenv or raw)", format->str);
	compose_note_env_read(p, path->str);
	if (format && !strcmp(format->str, "raw"))
		rc = envfile_load_raw(path->str, &ef, &why);
	else
		rc = envfile_load(path->str, project_lookup, p, &ef, p->warnings, &why);
	if (rc == ENVFILE_MISSING && req && !cnode_truthy(req))
		rc = 0;
	else if (rc == ENVFILE_MISSING)
		ynode_error(err, path, "%s", why->msg);
	else if (rc < 0)
		cc_error_set(err, "%s", why->msg);
	cc_error_free(why);
	for (j = 0; rc == 0 && j < ef.n; j++)
		ynode_map_set(env, ef.v[j].key,
			      ef.v[j].val ? cnode_str(ef.v[j].val, &path->pos) : cnode_plain("null", &path->pos));
	envfile_release(&ef);
	return rc < 0 ? -1 : 0;
}

/* resolve_environment: env_file entries, then environment:, then unset
 * values filled from the project environment. */
static int resolve_environment(struct compose_project *p, struct ynode *svc, struct cc_error **err)
{
	const struct ynode *files = ynode_map_get(svc, "env_file");
	struct ynode *env = ynode_new_map(NULL), *list;
	size_t i;

	for (i = 0; files && files->kind == YNODE_SEQ && i < files->len; i++)
		if (env_file_read(p, files->items[i], env, err) < 0) {
			ynode_free(env);
			return -1;
		}
	if (!(list = compose_kv_map(ynode_map_get(svc, "environment"), KV_ENV, "environment", err))) {
		ynode_free(env);
		return -1;
	}
	for (i = 0; i < list->len; i++)
		ynode_map_set(env, list->keys[i]->str, ynode_clone(list->vals[i]));
	ynode_free(list);
	for (i = 0; i < env->len; i++) {
		const char *val = ctype_of(env->vals[i]) == CT_NULL ? compose_env_get(p, env->keys[i]->str) : NULL;

		if (val) {
			ynode_free(env->vals[i]);
			env->vals[i] = cnode_str(val, &env->keys[i]->pos);
		}
	}
	ynode_map_set(svc, "environment", env);
	ynode_map_remove(svc, "env_file");
	return 0;
}

/* VolumeSpec._parse_unix: split at every ':' (empty parts kept: an unset
 * ${SRC} in "${SRC}:/x" is the source "", which normpath makes "."). */
static int volume_spec(struct ynode *v, char **internal, struct cc_error **err)
{
	const char *parts[3], *s = v->str, *colon;
	size_t lens[3], n = 0;

	for (;; s = colon + 1) {
		colon = strchr(s, ':');
		if (n == 3)
			return ynode_error(err, v, "Volume %s has incorrect format, should be external:internal[:mode]",
					   v->str);
		parts[n] = s;
		lens[n++] = colon ? (size_t)(colon - s) : strlen(s);
		if (!colon)
			break;
	}
	{
		cleanup_free char *first = xstrndup(parts[0], lens[0]), *second = NULL, *ext = NULL;

		if (n == 1) {
			*internal = path_clean(first);
			set_str_node(v, xstrdup(*internal));
			return 0;
		}
		second = xstrndup(parts[1], lens[1]);
		/* an absolute source stays as written, as compose v2 keeps it */
		ext = first[0] == '/' ? xstrdup(first) : path_clean(first);
		*internal = path_clean(second);
		set_str_node(v, xasprintf("%s:%s:%.*s", ext, *internal, n == 3 ? (int)lens[2] : 2,
					  n == 3 ? parts[2] : "rw"));
	}
	return 0;
}

/* MountSpec.repr(): the set fields among type, source, target, read_only,
 * consistency, plus the options under the type's own key. */
static struct ynode *mount_spec(const struct ynode *v, char **internal, struct cc_error **err)
{
	static const char *const fields[] = { "type", "source", "target", "read_only", "consistency" };
	const struct ynode *type = ynode_map_get(v, "type"), *src = ynode_map_get(v, "source"), *t;
	struct ynode *m;
	size_t i;

	if (src && cnode_truthy(src) && type && !strcmp(type->str, "tmpfs"))
		return ynode_error(err, v, "tmpfs mounts can not specify a source"), NULL;
	m = ynode_new_map(&v->pos);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((t = ynode_map_get(v, fields[i])) && cnode_truthy(t))
			ynode_map_set(m, fields[i], ynode_clone(t));
	src = ynode_map_get(m, "source");
	if (src && cnode_is_str(src) && src->str[0] != '/')
		set_str_node((struct ynode *)src, path_clean(src->str));
	if (type && type->kind == YNODE_SCALAR && (t = ynode_map_get(v, type->str)) && cnode_truthy(t))
		ynode_map_set(m, type->str, ynode_clone(t));
	t = ynode_map_get(v, "target");
	*internal = xstrdup(t && t->kind == YNODE_SCALAR ? t->str : "");
	return m;
}

static int volumes_finalize(struct ynode *svc, struct cc_error **err)
{
	struct ynode *vols = ynode_map_get(svc, "volumes");
	struct strlist internals = { 0 }, dups = { 0 };
	size_t i, j;
	int rc = 0;

	for (i = 0; vols && vols->kind == YNODE_SEQ && i < vols->len; i++) {
		struct ynode *v = vols->items[i], *m;
		char *internal = NULL;

		if (v->kind == YNODE_MAP) {
			if (!(m = mount_spec(v, &internal, err)))
				return -1;
			ynode_free(v);
			vols->items[i] = m;
		} else if (v->kind != YNODE_SCALAR || volume_spec(v, &internal, err) < 0) {
			strlist_release(&internals);
			return v->kind != YNODE_SCALAR ? ynode_error(err, v, "volume must be a string or a mapping")
						       : -1;
		}
		strlist_push(&internals, internal);
		free(internal);
	}
	for (i = 0; i < internals.n; i++)
		for (j = 0; j < internals.n; j++)
			if (i != j && !strcmp(internals.v[i], internals.v[j]) && !strlist_has(&dups, internals.v[i]))
				strlist_push(&dups, internals.v[i]);
	if (dups.n)
		rc = ynode_error(err, vols, "Duplicate mount points: [%s]", dups.v[0]);
	strlist_release(&internals);
	strlist_release(&dups);
	return rc;
}

/* parse_restart_spec + serialize_restart_spec: "name[:count]", count 0 dropped. */
static int restart_normalise(struct ynode *svc, struct cc_error **err)
{
	struct ynode *r = ynode_map_get(svc, "restart");
	cleanup_free char *s = NULL;
	char *colon;
	long long count = 0;

	if (!r || r->kind != YNODE_SCALAR)
		return 0;
	s = ctype_of(r) == CT_NULL ? xstrdup("") : xstrdup(r->str);
	colon = strchr(s, ':');
	if (colon && (strchr(colon + 1, ':') || compose_parse_int(colon + 1, &count) < 0))
		return ynode_error(err, r, "Restart %s has incorrect format, should be mode[:max_retry]", s);
	if (colon)
		*colon = '\0';
	set_str_node(r, count ? xasprintf("%s:%lld", s, count) : xstrdup(s));
	return 0;
}

static void volumes_from_normalise(struct ynode *svc)
{
	struct ynode *vf = ynode_map_get(svc, "volumes_from");
	size_t i;

	for (i = 0; vf && vf->kind == YNODE_SEQ && i < vf->len; i++) {
		struct ynode *v = vf->items[i];
		cleanup_free char *s = cnode_pystr(v);
		char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c1)
			set_str_node(v, xasprintf("service:%s:rw", s));
		else if (!c2 && !strncmp(s, "container:", 10))
			set_str_node(v, xasprintf("container:%s:rw", c1 + 1));
		else if (!c2)
			set_str_node(v, xasprintf("service:%s", s));
	}
}

static void list_map(struct ynode *svc, const char *key, struct ynode *(*fn)(const struct ynode *))
{
	struct ynode *l = ynode_map_get(svc, key);
	size_t i;

	for (i = 0; l && l->kind == YNODE_SEQ && i < l->len; i++) {
		struct ynode *n = fn(l->items[i]);

		ynode_free(l->items[i]);
		l->items[i] = n;
	}
}

/* normalize_build: args resolved from the environment and made strings;
 * an arg without a value whose variable is unset is dropped, as compose
 * v2 does (1.29 passed it as ""). */
static void build_normalise(struct compose_project *p, struct ynode *svc)
{
	struct ynode *b = ynode_map_get(svc, "build"), *args;
	size_t i;

	if (!b)
		return;
	ynode_map_set(svc, "build", b = compose_build_dict(b));
	args = compose_kv_map(ynode_map_get(b, "args"), KV_ENV, "build arguments", NULL);
	if (!args || !ynode_map_get(b, "args")) {
		ynode_free(args);
		return;
	}
	for (i = 0; i < args->len; i++) {
		const char *val;

		if (ctype_of(args->vals[i]) != CT_NULL)
			continue;
		if (!(val = compose_env_get(p, args->keys[i]->str))) {
			ynode_map_remove(args, args->keys[i]->str);
			i--;
			continue;
		}
		ynode_free(args->vals[i]);
		args->vals[i] = cnode_str(val, &args->keys[i]->pos);
	}
	map_to_strings(args);
	ynode_map_set(b, "args", args);
}

static void v1_normalise(struct ynode *svc)
{
	struct ynode *v, *logging, *b;

	if (ynode_map_get(svc, "log_driver") || ynode_map_get(svc, "log_opt")) {
		if (!(logging = ynode_map_get(svc, "logging")))
			ynode_map_set(svc, "logging", logging = ynode_new_map(NULL));
		if ((v = ynode_map_get(svc, "log_driver"))) {
			ynode_map_set(logging, "driver", ynode_clone(v));
			ynode_map_remove(svc, "log_driver");
		}
		if ((v = ynode_map_get(svc, "log_opt"))) {
			ynode_map_set(logging, "options", ynode_clone(v));
			ynode_map_remove(svc, "log_opt");
		}
	}
	if ((v = ynode_map_get(svc, "dockerfile"))) {
		if (!(b = ynode_map_get(svc, "build")))
			ynode_map_set(svc, "build", b = ynode_new_map(NULL));
		ynode_map_set(b, "dockerfile", ynode_clone(v));
		ynode_map_remove(svc, "dockerfile");
	}
}

static int finalize(struct compose_project *p, struct ynode *svc, struct cc_error **err)
{
	struct ynode *net;
	int rc = 0;

	if (ynode_map_get(svc, "environment") || ynode_map_get(svc, "env_file"))
		rc |= resolve_environment(p, svc, err);
	volumes_from_normalise(svc);
	rc |= volumes_finalize(svc, err);
	if ((net = ynode_map_get(svc, "net"))) {
		ynode_map_set(svc, "network_mode", ynode_clone(net));
		ynode_map_remove(svc, "net");
	}
	rc |= replace_kv(svc, "networks", KV_NAME, err);
	rc |= restart_normalise(svc, err);
	list_map(svc, "secrets", compose_secret_repr);
	list_map(svc, "configs", compose_secret_repr);
	build_normalise(p, svc);
	v1_normalise(svc);
	return rc ? -1 : 0;
}

int compose_finalize_service(struct compose_project *p, const char *name, const struct ynode *names, struct ynode **svc,
			     struct cc_error **err)
{
	if (compose_process_service(p->project_dir, *svc, err) < 0 || validate_service(p, name, *svc, names, err) < 0)
		return -1;
	return finalize(p, *svc, err);
}

static int external_check(const char *kind, const char *name, const struct ynode *conf, struct cc_error **err)
{
	struct strbuf extra = STRBUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < conf->len; i++) {
		const char *k = conf->keys[i]->str;

		if (strcmp(k, "external") && strcmp(k, "name") && !(!strcmp(kind, "network") && !strcmp(k, "driver")))
			rc = -1;
		if (strcmp(k, "external"))
			strbuf_addf(&extra, "%s%s", extra.len ? ", " : "", k);
	}
	if (rc)
		ynode_error(err, conf, "%c%s %s declared as external but specifies additional attributes (%s).",
			    toupper((unsigned char)kind[0]), kind + 1, name, extra.buf);
	strbuf_release(&extra);
	return rc;
}

/* compose v2: the device of a volume of driver: local with o: bind is a
 * path relative to the project (an empty one from an unset variable is
 * the project directory); without driver: it is left as written. */
static void driver_opts_normalise(const char *dir, const char *kind, struct ynode *conf)
{
	struct ynode *opts = ynode_map_get(conf, "driver_opts");
	const struct ynode *driver = ynode_map_get(conf, "driver"), *o, *dev;

	if (!opts || opts->kind != YNODE_MAP)
		return;
	map_to_strings(opts);
	if (strcmp(kind, "volume") || !driver || driver->kind != YNODE_SCALAR || strcmp(driver->str, "local"))
		return;
	o = ynode_map_get(opts, "o");
	dev = ynode_map_get(opts, "device");
	if (o && !strcmp(o->str, "bind") && dev)
		set_str_node((struct ynode *)dev, compose_expand_path(dir, dev->str));
}

int compose_finalize_entity(struct compose_project *p, const char *kind, const char *name, struct ynode *conf,
			    struct cc_error **err)
{
	struct ynode *ext = ynode_map_get(conf, "external"), *f;

	if (!conf->len)
		return 0;
	if (cnode_truthy(ext)) {
		if (external_check(kind, name, conf, err) < 0)
			return -1;
		if (ext->kind == YNODE_MAP)
			ynode_map_set(conf, "name",
				      ynode_map_get(ext, "name") ? ynode_clone(ynode_map_get(ext, "name"))
								 : cnode_plain("null", &ext->pos));
		else if (!cnode_truthy(ynode_map_get(conf, "name")))
			ynode_map_set(conf, "name", cnode_str(name, &conf->pos));
	}
	if (ynode_map_get(conf, "labels") && replace_kv(conf, "labels", KV_LABEL, err) < 0)
		return -1;
	if ((f = ynode_map_get(conf, "file")) && cnode_is_str(f))
		set_str_node(f, compose_expand_path(p->project_dir, f->str));
	driver_opts_normalise(p->project_dir, kind, conf);
	ynode_map_remove(conf, "external_name");
	if (ynode_map_get(conf, "name") && (ext = ynode_map_get(conf, "external")))
		ynode_map_set(conf, "external", cnode_plain(cnode_truthy(ext) ? "true" : "false", &ext->pos));
	return 0;
}
