/* deploy-mounts (deploy-internal.h): what a container mounts, as compose
 * 2.26's buildContainerVolumes chooses: a bind with create_host_path (the
 * short syntax, or bind.create_host_path: true) goes to Binds as
 * "SRC:TARGET:rw|ro[,selinux][,propagation]" (the engine creates a
 * missing host path only for Binds); every other volume goes to Mounts
 * (named volumes by their engine name, anonymous ones without a source,
 * tmpfs with its options); file-based secrets are read-only binds at
 * /run/secrets/NAME (or their target), file-based configs at their target
 * (default /NAME), both skipped when a volume already uses the target.
 * Also service-level tmpfs (HostConfig.Tmpfs) and volumes_from. */
#include "deploy-internal.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* go-units RAMInBytes: N[.N][b|k|m|g|t|p][b|ib], powers of 1024. */
static int parse_bytes(const char *s, long long *out)
{
	static const char units[] = "bkmgtp";
	char *end;
	double v = strtod(s, &end);
	const char *u;
	int pow = 0;

	if (end == s || v < 0)
		return -1;
	if (*end) {
		if (!(u = strchr(units, tolower((unsigned char)*end))))
			return -1;
		pow = (int)(u - units);
		end++;
		if (*end && strcasecmp(end, "b") && strcasecmp(end, "ib"))
			return -1;
	}
	while (pow-- > 0)
		v *= 1024;
	*out = (long long)v;
	return 0;
}

/* "SRC:TARGET:OPTS" as compose-go's ServiceVolumeConfig.String(). */
static char *bind_string(const struct ynode *v)
{
	const struct ynode *bind = ynode_map_get(v, "bind");
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s:%s:%s", deploy_get(v, "source"), deploy_get(v, "target"),
		    deploy_get_bool(v, "read_only") ? "ro" : "rw");
	if (deploy_get(bind, "selinux"))
		strbuf_addf(&sb, ",%s", deploy_get(bind, "selinux"));
	if (deploy_get(bind, "propagation"))
		strbuf_addf(&sb, ",%s", deploy_get(bind, "propagation"));
	return strbuf_detach(&sb);
}

static json_t *mount_options(const struct ynode *v, const char *type, struct cc_error **err)
{
	const struct ynode *opt = ynode_map_get(v, type);
	json_t *o;
	long long n;

	if (!opt)
		return NULL;
	o = json_object();
	if (!strcmp(type, "bind") && deploy_get(opt, "propagation"))
		json_object_set_new(o, "Propagation", json_string(deploy_get(opt, "propagation")));
	if (!strcmp(type, "volume") && deploy_get_bool(opt, "nocopy"))
		json_object_set_new(o, "NoCopy", json_true());
	if (!strcmp(type, "volume") && deploy_get(opt, "subpath"))
		json_object_set_new(o, "Subpath", json_string(deploy_get(opt, "subpath")));
	if (!strcmp(type, "tmpfs") && deploy_get(opt, "size")) {
		if (parse_bytes(deploy_get(opt, "size"), &n) < 0) {
			json_decref(o);
			ynode_error(err, ynode_map_get(opt, "size"), "tmpfs.size: not a size: '%s'",
				    deploy_get(opt, "size"));
			return json_null(); /* the caller sees the error */
		}
		if (n)
			json_object_set_new(o, "SizeBytes", json_integer(n));
	}
	if (!strcmp(type, "tmpfs") && deploy_get_ll(opt, "mode", &n) == 0 && n)
		json_object_set_new(o, "Mode", json_integer(n));
	return o;
}

/* The source of a volume mount: a declared volume by its engine name. */
static const char *volume_source(const struct deploy_ctx *c, const char *src)
{
	const struct ynode *decl = ynode_map_get(ynode_map_get(c->model, "volumes"), src);

	return decl && deploy_get(decl, "name") ? deploy_get(decl, "name") : src;
}

static int volume_mount(const struct deploy_ctx *c, const struct ynode *v, json_t *mounts, struct cc_error **err)
{
	const char *type = deploy_get(v, "type"), *src = deploy_get(v, "source");
	cleanup_free char *target = path_clean(deploy_get(v, "target") ? deploy_get(v, "target") : "");
	json_t *m = json_pack("{s:s}", "Type", type ? type : "volume"), *opts;

	if (src && *src)
		json_object_set_new(m, "Source",
				    json_string(type && !strcmp(type, "volume") ? volume_source(c, src) : src));
	json_object_set_new(m, "Target", json_string(target));
	if (deploy_get_bool(v, "read_only"))
		json_object_set_new(m, "ReadOnly", json_true());
	if (deploy_get(v, "consistency"))
		json_object_set_new(m, "Consistency", json_string(deploy_get(v, "consistency")));
	json_array_append_new(mounts, m);
	if (!type)
		return 0;
	opts = mount_options(v, type, err);
	if (opts && json_is_null(opts))
		return -1;
	if (opts)
		json_object_set_new(m,
				    !strcmp(type, "bind")     ? "BindOptions"
				    : !strcmp(type, "volume") ? "VolumeOptions"
							      : "TmpfsOptions",
				    opts);
	return 0;
}

static int has_target(json_t *mounts, json_t *binds, const char *target)
{
	size_t i;
	json_t *m;

	json_array_foreach(mounts, i, m) if (!strcmp(json_string_value(json_object_get(m, "Target")), target)) return 1;
	json_array_foreach(binds, i, m)
	{
		const char *s = strchr(json_string_value(m), ':');
		size_t n = strlen(target);

		if (s && !strncmp(s + 1, target, n) && s[1 + n] == ':')
			return 1;
	}
	return 0;
}

/* Secrets (dir "/run/secrets/") or configs (dir "/") from their files. */
static void grant_mounts(struct deploy_ctx *c, const char *kind, const char *dir, json_t *mounts, json_t *binds)
{
	const struct ynode *list = ynode_map_get(c->svc, kind), *defs = ynode_map_get(c->model, kind);

	for (size_t i = 0; list && list->kind == YNODE_SEQ && i < list->len; i++) {
		const char *src = deploy_get(list->items[i], "source"), *t = deploy_get(list->items[i], "target");
		const char *file = src ? deploy_get(ynode_map_get(defs, src), "file") : NULL;
		cleanup_free char *target = !src	     ? NULL
					    : t && *t == '/' ? xstrdup(t)
							     : xasprintf("%s%s", dir, t ? t : src);
		cleanup_free char *key =
			xasprintf("%s %s", !strcmp(kind, "secrets") ? "secret" : "config", src ? src : "");

		if (!file || has_target(mounts, binds, target))
			continue;
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", file, "Target",
							target, "ReadOnly", 1));
		kvlist_set(&c->out->files, key, file);
	}
}

static json_t *tmpfs_object(const struct ynode *t)
{
	json_t *o = json_object();

	for (size_t i = 0; t && t->kind == YNODE_SEQ && i < t->len; i++) {
		const char *s = deploy_str(t->items[i]);
		const char *colon = s ? strchr(s, ':') : NULL;
		cleanup_free char *path = s ? xstrndup(s, colon ? (size_t)(colon - s) : strlen(s)) : NULL;

		if (path)
			json_object_set_new(o, path, json_string(colon ? colon + 1 : ""));
	}
	return o;
}

/* volumes_from as compose's resolveVolumeFrom: a service by its
 * container (compose: its ID), container:X as X; a :ro/:rw mode is
 * dropped, as compose drops it. */
static json_t *volumes_from(const struct deploy_ctx *c, const struct ynode *from)
{
	json_t *a = json_array();

	for (size_t i = 0; i < from->len; i++) {
		const char *s = deploy_str(from->items[i]);
		size_t n = s ? strcspn(s, ":") : 0;
		cleanup_free char *svc = s ? xstrndup(s, n) : NULL, *name = NULL;

		if (!s)
			continue;
		if (!strcmp(svc, "container"))
			name = xstrndup(s + n + 1, strcspn(s + n + 1, ":"));
		else
			name = deploy_container_name(c->model, c->proj->name, svc);
		json_array_append_new(a, json_string(name));
	}
	return a;
}

int deploy_mounts_fill(struct deploy_ctx *c, struct cc_error **err)
{
	const struct ynode *vols = ynode_map_get(c->svc, "volumes"), *from = ynode_map_get(c->svc, "volumes_from");
	json_t *binds = json_array(), *mounts = json_array();
	int rc = 0;

	for (size_t i = 0; vols && vols->kind == YNODE_SEQ && i < vols->len && rc == 0; i++) {
		const struct ynode *v = vols->items[i];
		const char *type = deploy_get(v, "type");

		if (type && !strcmp(type, "bind") && deploy_get_bool(ynode_map_get(v, "bind"), "create_host_path")) {
			cleanup_free char *b = bind_string(v);

			json_array_append_new(binds, json_string(b));
		} else {
			rc = volume_mount(c, v, mounts, err);
		}
	}
	grant_mounts(c, "secrets", "/run/secrets/", mounts, binds);
	grant_mounts(c, "configs", "/", mounts, binds);
	if (json_array_size(binds))
		json_object_set(c->host, "Binds", binds);
	if (json_array_size(mounts))
		json_object_set(c->host, "Mounts", mounts);
	json_decref(binds);
	json_decref(mounts);
	if (ynode_map_get(c->svc, "tmpfs"))
		json_object_set_new(c->host, "Tmpfs", tmpfs_object(ynode_map_get(c->svc, "tmpfs")));
	if (from && from->kind == YNODE_SEQ)
		json_object_set_new(c->host, "VolumesFrom", volumes_from(c, from));
	return rc;
}
