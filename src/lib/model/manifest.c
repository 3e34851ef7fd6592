/* manifest: ccbuild.yaml grammar v1.  The loader walks the YAML tree with a
 * table of known keys per object, so an unknown key gets "did you mean",
 * and keeps going after an error so lint can show every problem at once.
 * grammar/README.md and grammar/ccbuild.schema.json describe the same
 * grammar for people and editors; keep the three in step. */
#include "manifest.h"
#include "goregex.h"
#include "retention.h"
#include "scanpolicy.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mload {
	struct cc_error **err;
	int failed;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const top_keys[] = { "ccbuild",  "project", "registry", "compose", "env_file",  "images",
					"profiles", "scans",   "syncs",	   "backups", "retention", "observability" };
static const char *const image_keys[] = { "context",   "dockerfile", "image",	   "target",	 "args",      "labels",
					  "platforms", "tags",	     "cache_from", "depends_on", "retention", "secrets",
					  "ssh",       "no_cache",   "pull",	   "ulimits" };
static const char *const retention_keys[] = { "keep", "max_age", "keep_tags" };
static const char *const profile_keys[] = { "compose",	"env_file",	    "env",   "images", "push",	"scans",
					    "services", "compose_profiles", "tests", "up",     "syncs", "backups" };
static const char *const scan_keys[] = { "images", "rules", "required_labels", "command" };
static const char *const rule_names[] = { "non_root", "healthcheck", "secrets", "max_size", "pinned_base", "labels" };

static void fail(struct mload *ml, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct mload *ml, const struct ynode *at, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ynode_error(ml->err, at, "%s", msg);
	ml->failed = 1;
}

static void check_keys(struct mload *ml, const struct ynode *map, const char *const *known, size_t n, const char *what)
{
	const char *near;
	size_t i, j;

	for (i = 0; i < map->len; i++) {
		const char *k = map->keys[i]->str;

		if (str_has_prefix(k, "x-"))
			continue;
		for (j = 0; j < n && strcmp(k, known[j]); j++)
			;
		if (j < n)
			continue;
		near = str_nearest(k, known, n);
		if (near)
			fail(ml, map->keys[i], "unknown key '%s' in %s (did you mean '%s'?)", k, what, near);
		else
			fail(ml, map->keys[i], "unknown key '%s' in %s", k, what);
	}
}

static int want(struct mload *ml, const struct ynode *n, enum ynode_kind kind, const char *what)
{
	static const char *const names[] = { "a string", "a mapping", "a list" };

	if (n->kind == kind && !(kind == YNODE_SCALAR && ynode_is_null(n)))
		return 1;
	fail(ml, n, "%s must be %s, not %s", what, names[kind],
	     ynode_is_null(n)	       ? "empty"
	     : n->kind == YNODE_SCALAR ? "a scalar"
				       : ynode_kind_name(n));
	return 0;
}

static char *get_string(struct mload *ml, const struct ynode *n, const char *what)
{
	return want(ml, n, YNODE_SCALAR, what) ? xstrdup(n->str) : NULL;
}

/* A string or a list of strings. */
static void get_strlist(struct mload *ml, const struct ynode *n, const char *what, struct strlist *out)
{
	size_t i;

	strlist_release(out);
	if (n->kind == YNODE_SCALAR && !ynode_is_null(n)) {
		strlist_push(out, n->str);
		return;
	}
	if (!want(ml, n, YNODE_SEQ, what))
		return;
	for (i = 0; i < n->len; i++)
		if (want(ml, n->items[i], YNODE_SCALAR, what))
			strlist_push(out, n->items[i]->str);
}

/* A mapping of scalars, or a list of "KEY=VALUE". */
static void get_kv(struct mload *ml, const struct ynode *n, const char *what, struct kvlist *out)
{
	size_t i;
	const char *eq;
	char *key;

	kvlist_release(out);
	if (n->kind == YNODE_MAP) {
		for (i = 0; i < n->len; i++)
			if (n->vals[i]->kind != YNODE_SCALAR)
				fail(ml, n->vals[i], "%s.%s must be a string, number or boolean", what,
				     n->keys[i]->str);
			else
				kvlist_set(out, n->keys[i]->str, ynode_is_null(n->vals[i]) ? "" : n->vals[i]->str);
		return;
	}
	if (!want(ml, n, YNODE_SEQ, what))
		return;
	for (i = 0; i < n->len; i++) {
		if (!want(ml, n->items[i], YNODE_SCALAR, what))
			continue;
		eq = strchr(n->items[i]->str, '=');
		key = eq ? xstrndup(n->items[i]->str, (size_t)(eq - n->items[i]->str)) : xstrdup(n->items[i]->str);
		kvlist_set(out, key, eq ? eq + 1 : "");
		free(key);
	}
}

static int get_bool(struct mload *ml, const struct ynode *n, const char *what)
{
	int v = 0;

	if (!ynode_is_bool(n, &v))
		fail(ml, n, "%s must be true or false", what);
	return v;
}

static void parse_retention(struct mload *ml, const struct ynode *n, const char *what, struct retention_spec *r);
static void parse_image_secrets(struct mload *ml, const struct ynode *n, const char *what, struct image_spec *img);
static void parse_image_ssh(struct mload *ml, const struct ynode *n, const char *what, struct strlist *out);

/* One ulimit as compose writes it: a number (soft = hard) or
 * {soft, hard}; into *soft and *hard, 0 when it is not one. */
static int ulimit_values(struct mload *ml, const struct ynode *n, const char *what, long long *soft, long long *hard)
{
	const struct ynode *s = n->kind == YNODE_MAP ? ynode_map_get(n, "soft") : n;
	const struct ynode *h = n->kind == YNODE_MAP ? ynode_map_get(n, "hard") : n;

	if (n->kind == YNODE_MAP)
		check_keys(ml, n, (const char *const[]){ "soft", "hard" }, 2, what);
	if (!s || !h || !ynode_is_int(s, soft) || !ynode_is_int(h, hard) || *soft < -1 || *hard < -1) {
		fail(ml, n, "%s must be a number (-1: unlimited) or {soft: N, hard: N}", what);
		return 0;
	}
	if (*hard != -1 && (*soft == -1 || *soft > *hard)) {
		fail(ml, n, "%s: soft limit %lld is above hard limit %lld", what, *soft, *hard);
		return 0;
	}
	return 1;
}

/* images.KEY.no_cache, pull, ulimits (compose's build: options). */
static void parse_image_build_option(struct mload *ml, const char *k, const struct ynode *v, const char *field,
				     struct image_spec *img)
{
	long long soft, hard;

	if (!strcmp(k, "no_cache")) {
		img->no_cache = get_bool(ml, v, field);
		img->set |= IMG_NO_CACHE;
	} else if (!strcmp(k, "pull")) {
		img->pull = get_bool(ml, v, field);
		img->set |= IMG_PULL;
	} else if (!strcmp(k, "ulimits") && want(ml, v, YNODE_MAP, field)) {
		for (size_t i = 0; i < v->len; i++) {
			cleanup_free char *what = xasprintf("%s.%s", field, v->keys[i]->str);
			cleanup_free char *val = NULL;

			if (!ulimit_values(ml, v->vals[i], what, &soft, &hard))
				continue;
			val = xasprintf("%lld:%lld", soft, hard);
			kvlist_set(&img->ulimits, v->keys[i]->str, val);
		}
		img->set |= IMG_ULIMITS;
	}
}

static void parse_image(struct mload *ml, const char *key, const struct ynode *n, struct image_spec *img)
{
	cleanup_free char *what = xasprintf("image '%s'", key);
	const struct ynode *v;
	size_t i;

	memset(img, 0, sizeof(*img));
	img->key = xstrdup(key);
	img->pos = n->pos;
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", key))
		fail(ml, n, "image key '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", key);
	if (ynode_is_null(n) || !want(ml, n, YNODE_MAP, what))
		return;
	check_keys(ml, n, image_keys, N(image_keys), what);
	for (i = 0; i < n->len; i++) {
		const char *k = n->keys[i]->str;
		cleanup_free char *field = xasprintf("images.%s.%s", key, k);

		v = n->vals[i];
		if (!strcmp(k, "context")) {
			img->context = get_string(ml, v, field);
			img->set |= IMG_CONTEXT;
		} else if (!strcmp(k, "dockerfile")) {
			img->dockerfile = get_string(ml, v, field);
			img->set |= IMG_DOCKERFILE;
		} else if (!strcmp(k, "image")) {
			img->ref = get_string(ml, v, field);
			img->set |= IMG_IMAGE;
		} else if (!strcmp(k, "target")) {
			img->target = get_string(ml, v, field);
			img->set |= IMG_TARGET;
		} else if (!strcmp(k, "args")) {
			get_kv(ml, v, field, &img->args);
			img->set |= IMG_ARGS;
		} else if (!strcmp(k, "labels")) {
			get_kv(ml, v, field, &img->labels);
			img->set |= IMG_LABELS;
		} else if (!strcmp(k, "platforms")) {
			get_strlist(ml, v, field, &img->platforms);
			img->set |= IMG_PLATFORMS;
		} else if (!strcmp(k, "tags")) {
			get_strlist(ml, v, field, &img->tags);
			img->set |= IMG_TAGS;
		} else if (!strcmp(k, "cache_from")) {
			get_strlist(ml, v, field, &img->cache_from);
			img->set |= IMG_CACHE_FROM;
		} else if (!strcmp(k, "depends_on")) {
			get_strlist(ml, v, field, &img->depends_on);
			img->set |= IMG_DEPENDS_ON;
		} else if (!strcmp(k, "retention")) {
			parse_retention(ml, v, field, &img->retention);
		} else if (!strcmp(k, "secrets")) {
			parse_image_secrets(ml, v, field, img);
			img->set |= IMG_SECRETS;
		} else if (!strcmp(k, "ssh")) {
			parse_image_ssh(ml, v, field, &img->ssh);
			img->set |= IMG_SSH;
		} else {
			parse_image_build_option(ml, k, v, field, img);
		}
	}
	for (i = 0; i < img->platforms.n; i++)
		if (!str_matches("^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$", img->platforms.v[i]))
			fail(ml, ynode_map_get(n, "platforms"), "images.%s.platforms: '%s' is not os/arch[/variant]",
			     key, img->platforms.v[i]);
}

/* secrets: {ID: {file: PATH} | {environment: VAR}}, as compose's
 * top-level secrets: exactly one source each. */
static void parse_image_secrets(struct mload *ml, const struct ynode *n, const char *what, struct image_spec *img)
{
	static const char *const keys[] = { "file", "environment" };

	kvlist_release(&img->secret_files);
	kvlist_release(&img->secret_envs);
	if (!want(ml, n, YNODE_MAP, what))
		return;
	for (size_t i = 0; i < n->len; i++) {
		const char *id = n->keys[i]->str;
		const struct ynode *v = n->vals[i], *file, *env;
		cleanup_free char *field = xasprintf("%s.%s", what, id);

		if (!str_matches("^[A-Za-z0-9_.-]+$", id)) {
			fail(ml, n->keys[i], "%s: secret id '%s' must match [A-Za-z0-9_.-]+", what, id);
			continue;
		}
		if (!want(ml, v, YNODE_MAP, field))
			continue;
		check_keys(ml, v, keys, N(keys), field);
		file = ynode_map_get(v, "file");
		env = ynode_map_get(v, "environment");
		if (!file == !env)
			fail(ml, v, "%s: give exactly one of file: or environment:", field);
		else if (file && want(ml, file, YNODE_SCALAR, field) && *file->str)
			kvlist_set(&img->secret_files, id, file->str);
		else if (env && want(ml, env, YNODE_SCALAR, field) && *env->str)
			kvlist_set(&img->secret_envs, id, env->str);
		else
			fail(ml, file ? file : env, "%s: the %s is empty", field,
			     file ? "file" : "environment variable");
	}
}

/* ssh: a list of "ID" (the agent of $SSH_AUTH_SOCK) or "ID=SOCKET". */
static void parse_image_ssh(struct mload *ml, const struct ynode *n, const char *what, struct strlist *out)
{
	get_strlist(ml, n, what, out);
	for (size_t i = 0; i < out->n; i++) {
		const char *e = out->v[i], *eq = strchr(e, '=');
		cleanup_free char *id = eq ? xstrndup(e, (size_t)(eq - e)) : xstrdup(e);

		if (!str_matches("^[A-Za-z0-9_.-]+$", id) || (eq && !eq[1]))
			fail(ml, n, "%s: '%s' is not ID or ID=SOCKET", what, e);
	}
}

static void parse_retention(struct mload *ml, const struct ynode *n, const char *what, struct retention_spec *r)
{
	const struct ynode *v;
	long long keep;
	size_t i;

	r->keep = -1;
	if (!want(ml, n, YNODE_MAP, what))
		return;
	r->set = 1;
	r->pos = n->pos;
	check_keys(ml, n, retention_keys, N(retention_keys), what);
	if ((v = ynode_map_get(n, "keep"))) {
		if (!ynode_is_int(v, &keep) || keep < 0)
			fail(ml, v, "%s.keep must be a number of images (0 or more)", what);
		else
			r->keep = (long)keep;
	}
	if ((v = ynode_map_get(n, "max_age")) && (r->max_age = get_string(ml, v, "max_age")) &&
	    retention_duration(r->max_age) < 0)
		fail(ml, v,
		     retention_duration(r->max_age) == -1
			     ? "%s.max_age: '%s' is not a duration (30d, 12h, 2w, 90m, 45s)"
			     : "%s.max_age: '%s' is too long (more seconds than 64 bits hold)",
		     what, r->max_age);
	if ((v = ynode_map_get(n, "keep_tags"))) {
		get_strlist(ml, v, "keep_tags", &r->keep_tags);
		for (i = 0; i < r->keep_tags.n; i++) {
			const char *t = r->keep_tags.v[i];
			size_t len = strlen(t);
			struct cc_error *rerr = NULL;
			cleanup_free char *re =
				len >= 2 && t[0] == '/' && t[len - 1] == '/' ? xstrndup(t + 1, len - 2) : NULL;
			struct goregex *rx = re ? goregex_compile(re, &rerr) : NULL;

			if (re && !rx) {
				fail(ml, v, "%s.keep_tags: %s: %s", what, t, rerr ? rerr->msg : "bad regexp");
				cc_error_free(rerr);
			}
			goregex_free(rx);
		}
	}
}

static void retention_spec_release(struct retention_spec *r)
{
	free(r->max_age);
	strlist_release(&r->keep_tags);
	memset(r, 0, sizeof(*r));
}

static void parse_images(struct mload *ml, const struct ynode *n, const char *what, struct image_spec **out,
			 size_t *nout)
{
	size_t i;

	if (!want(ml, n, YNODE_MAP, what))
		return;
	*out = xcalloc(n->len, sizeof(**out));
	for (i = 0; i < n->len; i++)
		if (!str_has_prefix(n->keys[i]->str, "x-"))
			parse_image(ml, n->keys[i]->str, n->vals[i], &(*out)[(*nout)++]);
}

static void parse_profile(struct mload *ml, const char *name, const struct ynode *n, struct profile_spec *p)
{
	cleanup_free char *what = xasprintf("profile '%s'", name);
	size_t i;

	p->name = xstrdup(name);
	p->pos = n->pos;
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", name))
		fail(ml, n, "profile name '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (ynode_is_null(n) || !want(ml, n, YNODE_MAP, what))
		return;
	check_keys(ml, n, profile_keys, N(profile_keys), what);
	for (i = 0; i < n->len; i++) {
		const char *k = n->keys[i]->str;
		const struct ynode *v = n->vals[i];
		cleanup_free char *field = xasprintf("profiles.%s.%s", name, k);

		if (!strcmp(k, "compose"))
			get_strlist(ml, v, field, &p->compose);
		else if (!strcmp(k, "env_file"))
			get_strlist(ml, v, field, &p->env_file);
		else if (!strcmp(k, "env"))
			get_kv(ml, v, field, &p->env);
		else if (!strcmp(k, "images"))
			parse_images(ml, v, field, &p->images, &p->nimages);
		else if (!strcmp(k, "push"))
			p->push = get_bool(ml, v, field);
		else if (!strcmp(k, "up"))
			p->up = get_bool(ml, v, field);
		else if (!strcmp(k, "scans"))
			get_strlist(ml, v, field, &p->scans);
		else if (!strcmp(k, "services"))
			get_strlist(ml, v, field, &p->services);
		else if (!strcmp(k, "compose_profiles"))
			get_strlist(ml, v, field, &p->compose_profiles);
		else if (!strcmp(k, "tests"))
			get_strlist(ml, v, field, &p->tests);
		else if (!strcmp(k, "syncs"))
			get_strlist(ml, v, field, &p->syncs);
		else if (!strcmp(k, "backups"))
			get_strlist(ml, v, field, &p->backups);
	}
}

static void parse_rules(struct mload *ml, const char *scan, const struct ynode *n, struct kvlist *rules)
{
	cleanup_free char *what = xasprintf("scans.%s.rules", scan);
	const char *near, *k, *v;
	size_t i;

	if (!want(ml, n, YNODE_MAP, what))
		return;
	for (i = 0; i < n->len; i++) {
		k = n->keys[i]->str;
		if (!strlist_has(&(struct strlist){ (char **)rule_names, N(rule_names), 0 }, k)) {
			near = str_nearest(k, rule_names, N(rule_names));
			fail(ml, n->keys[i], "unknown rule '%s' in %s%s%s%s", k, what, near ? " (did you mean '" : "",
			     near ? near : "", near ? "'?)" : "");
			continue;
		}
		if (n->vals[i]->kind != YNODE_SCALAR) {
			fail(ml, n->vals[i], "%s.%s must be error, warn or off", what, k);
			continue;
		}
		v = n->vals[i]->str;
		if (!strcmp(k, "max_size") ? !str_matches("^[0-9]+(\\.[0-9]+)?\\s*([kKmMgG]i?[bB]?|[bB])?$", v) ||
						     scanpolicy_size(v) < 0
					   : strcmp(v, "error") && strcmp(v, "warn") && strcmp(v, "off"))
			fail(ml, n->vals[i], "%s.%s: '%s' is not %s", what, k, v,
			     strcmp(k, "max_size")	? "error, warn or off"
			     : scanpolicy_size(v) == -2 ? "a size below 8 EiB"
							: "a size like 500MB");
		kvlist_set(rules, k, v);
	}
}

static void parse_scan(struct mload *ml, const char *name, const struct ynode *n, struct scan_spec *s)
{
	cleanup_free char *what = xasprintf("scan '%s'", name);
	size_t i;

	s->name = xstrdup(name);
	s->pos = n->pos;
	if (!want(ml, n, YNODE_MAP, what))
		return;
	check_keys(ml, n, scan_keys, N(scan_keys), what);
	for (i = 0; i < n->len; i++) {
		const char *k = n->keys[i]->str;
		cleanup_free char *field = xasprintf("scans.%s.%s", name, k);

		if (!strcmp(k, "images"))
			get_strlist(ml, n->vals[i], field, &s->images);
		else if (!strcmp(k, "rules"))
			parse_rules(ml, name, n->vals[i], &s->rules);
		else if (!strcmp(k, "required_labels"))
			get_strlist(ml, n->vals[i], field, &s->required_labels);
		else if (!strcmp(k, "command"))
			get_strlist(ml, n->vals[i], field, &s->command);
	}
	if (!s->command.n && !ynode_map_get(n, "rules"))
		fail(ml, n, "scan '%s' needs rules: (built-in policy) or command: (external scanner)", name);
	if (s->command.n && ynode_map_get(n, "rules"))
		fail(ml, n, "scan '%s' has both rules: and command:; make them two scans", name);
}

static void parse_observability(struct mload *ml, const struct ynode *n, struct observability_spec *o);

static void parse_top(struct mload *ml, struct manifest *m, const struct ynode *root)
{
	const struct ynode *v;
	long long version = 0;
	size_t i;

	check_keys(ml, root, top_keys, N(top_keys), "the manifest");
	v = ynode_map_get(root, "ccbuild");
	if (!v)
		fail(ml, root, "missing 'ccbuild: 1' (the grammar version)");
	else if (!ynode_is_int(v, &version) || version != 1)
		fail(ml, v,
		     ynode_is_int(v, &version)
			     ? "ccbuild: unsupported grammar version %s (this ccbuild reads version 1)"
			     : "ccbuild: grammar version must be the number 1, not the string '%s'",
		     v->str ? v->str : "");
	v = ynode_map_get(root, "project");
	if (!v)
		fail(ml, root, "missing 'project:' (the project name)");
	else if ((m->project = get_string(ml, v, "project")) && !str_matches("^[a-z0-9][a-z0-9_.-]*$", m->project))
		fail(ml, v, "project '%s' must be lowercase letters, digits, '_', '.', '-'", m->project);
	if ((v = ynode_map_get(root, "registry")))
		m->registry = get_string(ml, v, "registry");
	if ((v = ynode_map_get(root, "compose")))
		get_strlist(ml, v, "compose", &m->compose);
	if ((v = ynode_map_get(root, "env_file")))
		get_strlist(ml, v, "env_file", &m->env_file);
	if ((v = ynode_map_get(root, "images")))
		parse_images(ml, v, "images", &m->images, &m->nimages);
	v = ynode_map_get(root, "profiles");
	if (!v)
		fail(ml, root, "missing 'profiles:' (at least one, e.g. 'profiles: {dev: {}}')");
	else if (want(ml, v, YNODE_MAP, "profiles")) {
		m->profiles = xcalloc(v->len, sizeof(*m->profiles));
		for (i = 0; i < v->len; i++)
			if (!str_has_prefix(v->keys[i]->str, "x-"))
				parse_profile(ml, v->keys[i]->str, v->vals[i], &m->profiles[m->nprofiles++]);
		if (!m->nprofiles)
			fail(ml, v, "profiles: defines no profile (e.g. 'profiles: {dev: {}}')");
	}
	if ((v = ynode_map_get(root, "scans")) && want(ml, v, YNODE_MAP, "scans")) {
		m->scans = xcalloc(v->len, sizeof(*m->scans));
		for (i = 0; i < v->len; i++)
			if (!str_has_prefix(v->keys[i]->str, "x-"))
				parse_scan(ml, v->keys[i]->str, v->vals[i], &m->scans[m->nscans++]);
	}
	m->retention.keep = -1;
	if ((v = ynode_map_get(root, "retention")))
		parse_retention(ml, v, "retention", &m->retention);
	if (manifest_sync_parse(ynode_map_get(root, "syncs"), &m->syncs, &m->nsyncs, ml->err) < 0)
		ml->failed = 1;
	if (backup_specs_parse(ynode_map_get(root, "backups"), m->dir, &m->backups, &m->nbackups, ml->err) < 0)
		ml->failed = 1;
	m->observability.events_max_bytes = m->observability.events_keep = -1;
	m->observability.history_max_bytes = m->observability.history_keep = -1;
	m->observability.traces_max_bytes = m->observability.traces_keep = -1;
	if ((v = ynode_map_get(root, "observability")))
		parse_observability(ml, v, &m->observability);
}

/* References between parts of the manifest itself. */
static void check_refs(struct mload *ml, struct manifest *m)
{
	const struct ynode *profiles = ynode_map_get(m->root, "profiles");
	size_t i, j;

	for (i = 0; i < m->nsyncs; i++) /* a sync's backup: */
		if (m->syncs[i].backup && !manifest_backup(m, m->syncs[i].backup))
			fail(ml, &(struct ynode){ .pos = m->syncs[i].backup_pos },
			     "syncs.%s.backup: '%s' is not in backups: (a sync backs up with a backups: entry)",
			     m->syncs[i].name, m->syncs[i].backup);
	for (i = 0; i < m->nprofiles; i++) {
		const struct profile_spec *p = &m->profiles[i];
		const struct ynode *pn = ynode_map_get(profiles, p->name);
		const struct ynode *at = ynode_map_get(pn, "scans") ? ynode_map_get(pn, "scans") : pn;

		for (j = 0; j < p->scans.n; j++)
			if (!manifest_scan(m, p->scans.v[j]))
				fail(ml, at, "profile '%s' names scan '%s', which scans: does not define", p->name,
				     p->scans.v[j]);
		for (j = 0; j < p->syncs.n; j++)
			if (!sync_spec_find(m->syncs, m->nsyncs, p->syncs.v[j]))
				fail(ml, ynode_map_get(pn, "syncs"),
				     "profile '%s' names sync '%s', which syncs: does not define", p->name,
				     p->syncs.v[j]);
		for (j = 0; j < p->backups.n; j++)
			if (!manifest_backup(m, p->backups.v[j]))
				fail(ml, ynode_map_get(pn, "backups"),
				     "profile '%s' names backup '%s', which backups: does not define", p->name,
				     p->backups.v[j]);
		if (p->push && !m->registry)
			fail(ml, pn, "profile '%s' pushes but the manifest has no 'registry:'", p->name);
	}
}

int manifest_load(const char *path, struct manifest **out, struct cc_error **err)
{
	struct manifest *m = xcalloc(1, sizeof(*m));
	struct mload ml = { err, 0 };

	*out = NULL;
	m->path = xstrdup(path);
	m->dir = path_dirname(path);
	if (ynode_parse_file(m->path, &m->root, err) < 0) {
		manifest_free(m);
		return -1;
	}
	if (!want(&ml, m->root, YNODE_MAP, "the manifest")) {
		manifest_free(m);
		return -1;
	}
	parse_top(&ml, m, m->root);
	if (!ml.failed)
		check_refs(&ml, m);
	if (ml.failed) {
		manifest_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

char *manifest_find(const char *file, struct cc_error **err)
{
	if (file) {
		if (access(file, R_OK) < 0)
			return cc_error_set(err, "%s: cannot read the manifest: %s", file, strerror(errno)), NULL;
		return xstrdup(file);
	}
	if (access("ccbuild.yaml", F_OK) == 0)
		return xstrdup("ccbuild.yaml");
	if (access("ccbuild.yml", F_OK) == 0)
		return xstrdup("ccbuild.yml");
	cc_error_set(err, "no ccbuild.yaml (or ccbuild.yml) here; use -f FILE or -C DIR");
	return NULL;
}

const struct profile_spec *manifest_profile(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nprofiles; i++)
		if (!strcmp(m->profiles[i].name, name))
			return &m->profiles[i];
	return NULL;
}

const struct image_spec *manifest_image(const struct manifest *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nimages; i++)
		if (!strcmp(m->images[i].key, key))
			return &m->images[i];
	return NULL;
}

const struct scan_spec *manifest_scan(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nscans; i++)
		if (!strcmp(m->scans[i].name, name))
			return &m->scans[i];
	return NULL;
}

const struct backup_spec *manifest_backup(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nbackups; i++)
		if (!strcmp(m->backups[i].name, name))
			return &m->backups[i];
	return NULL;
}

static void replace_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

/* dst = src, or src's items added to dst. */
static void list_overlay(struct strlist *dst, const struct strlist *src, int add)
{
	if (!add) {
		strlist_copy(dst, src);
		return;
	}
	for (size_t i = 0; i < src->n; i++)
		if (!strlist_has(dst, src->v[i]))
			strlist_push(dst, src->v[i]);
}

void image_spec_overlay(struct image_spec *dst, const struct image_spec *src, int add_lists)
{
	if (src->set & IMG_CONTEXT)
		replace_str(&dst->context, src->context);
	if (src->set & IMG_DOCKERFILE)
		replace_str(&dst->dockerfile, src->dockerfile);
	if (src->set & IMG_IMAGE)
		replace_str(&dst->ref, src->ref);
	if (src->set & IMG_TARGET)
		replace_str(&dst->target, src->target);
	if (src->set & IMG_ARGS)
		for (size_t i = 0; i < src->args.n; i++)
			kvlist_set(&dst->args, src->args.keys[i], src->args.vals[i]);
	if (src->set & IMG_LABELS)
		for (size_t i = 0; i < src->labels.n; i++)
			kvlist_set(&dst->labels, src->labels.keys[i], src->labels.vals[i]);
	if (src->set & IMG_PLATFORMS)
		list_overlay(&dst->platforms, &src->platforms, add_lists);
	if (src->set & IMG_TAGS)
		list_overlay(&dst->tags, &src->tags, add_lists);
	if (src->set & IMG_CACHE_FROM)
		strlist_copy(&dst->cache_from, &src->cache_from);
	if (src->set & IMG_DEPENDS_ON)
		strlist_copy(&dst->depends_on, &src->depends_on);
	if (src->set & IMG_SECRETS) {
		for (size_t i = 0; i < src->secret_files.n; i++)
			kvlist_set(&dst->secret_files, src->secret_files.keys[i], src->secret_files.vals[i]);
		for (size_t i = 0; i < src->secret_envs.n; i++)
			kvlist_set(&dst->secret_envs, src->secret_envs.keys[i], src->secret_envs.vals[i]);
	}
	if (src->set & IMG_SSH)
		list_overlay(&dst->ssh, &src->ssh, 1);
	if (src->set & IMG_NO_CACHE)
		dst->no_cache = src->no_cache;
	if (src->set & IMG_PULL)
		dst->pull = src->pull;
	for (size_t i = 0; (src->set & IMG_ULIMITS) && i < src->ulimits.n; i++)
		kvlist_set(&dst->ulimits, src->ulimits.keys[i], src->ulimits.vals[i]);
	dst->set |= src->set;
}

void image_spec_release(struct image_spec *img)
{
	free(img->key);
	free(img->context);
	free(img->dockerfile);
	free(img->ref);
	free(img->target);
	kvlist_release(&img->args);
	kvlist_release(&img->labels);
	strlist_release(&img->platforms);
	strlist_release(&img->tags);
	strlist_release(&img->cache_from);
	strlist_release(&img->depends_on);
	kvlist_release(&img->ulimits);
	retention_spec_release(&img->retention);
	kvlist_release(&img->secret_files);
	kvlist_release(&img->secret_envs);
	strlist_release(&img->ssh);
	memset(img, 0, sizeof(*img));
}

void manifest_free(struct manifest *m)
{
	size_t i, j;

	if (!m)
		return;
	retention_spec_release(&m->retention);
	free(m->observability.events);
	free(m->observability.metrics);
	free(m->observability.history);
	free(m->observability.traces);
	for (i = 0; i < m->nimages; i++)
		image_spec_release(&m->images[i]);
	free(m->images);
	for (i = 0; i < m->nprofiles; i++) {
		struct profile_spec *p = &m->profiles[i];

		for (j = 0; j < p->nimages; j++)
			image_spec_release(&p->images[j]);
		free(p->images);
		free(p->name);
		strlist_release(&p->compose);
		strlist_release(&p->env_file);
		strlist_release(&p->scans);
		strlist_release(&p->services);
		strlist_release(&p->compose_profiles);
		strlist_release(&p->tests);
		strlist_release(&p->syncs);
		strlist_release(&p->backups);
		kvlist_release(&p->env);
	}
	free(m->profiles);
	for (i = 0; i < m->nscans; i++) {
		free(m->scans[i].name);
		strlist_release(&m->scans[i].images);
		kvlist_release(&m->scans[i].rules);
		strlist_release(&m->scans[i].required_labels);
		strlist_release(&m->scans[i].command);
	}
	free(m->scans);
	sync_specs_free(m->syncs, m->nsyncs);
	backup_specs_free(m->backups, m->nbackups);
	strlist_release(&m->compose);
	strlist_release(&m->env_file);
	free(m->project);
	free(m->registry);
	ynode_free(m->root);
	free(m->dir);
	free(m->path);
	free(m);
}

static const char *const observability_keys[] = { "events", "metrics", "history", "traces" };
static const char *const rotated_keys[] = { "path", "max_size", "keep" };

/* KEY: PATH, or {path, max_size: SIZE, keep: N} (events, history, traces). */
static void parse_rotated(struct mload *ml, const struct ynode *n, const char *key, char **path, long long *max_bytes,
			  long *keep_out)
{
	cleanup_free char *what = xasprintf("observability.%s", key), *wpath = NULL, *wsize = NULL, *wkeep = NULL;
	const struct ynode *v;
	long long keep;

	if (n->kind != YNODE_MAP) {
		*path = get_string(ml, n, what);
		return;
	}
	wpath = xasprintf("%s.path", what);
	wsize = xasprintf("%s.max_size", what);
	wkeep = xasprintf("%s.keep", what);
	check_keys(ml, n, rotated_keys, N(rotated_keys), what);
	if (!(v = ynode_map_get(n, "path")))
		fail(ml, n, "%s needs 'path:' (the %s)", what, strcmp(key, "traces") ? "file" : "directory");
	else
		*path = get_string(ml, v, wpath);
	if ((v = ynode_map_get(n, "max_size")) && want(ml, v, YNODE_SCALAR, wsize) &&
	    (*max_bytes = scanpolicy_size(v->str)) < 0)
		fail(ml, v, "%s: '%s' is not a size (10MiB, 500k, 0 for never)", wsize, v->str);
	if ((v = ynode_map_get(n, "keep")) && (!ynode_is_int(v, &keep) || keep < 1 || keep > 1000))
		fail(ml, v, "%s must be a number from 1 to 1000", wkeep);
	else if (v)
		*keep_out = (long)keep;
}

static void parse_observability(struct mload *ml, const struct ynode *n, struct observability_spec *o)
{
	const struct ynode *v;

	if (!want(ml, n, YNODE_MAP, "observability"))
		return;
	check_keys(ml, n, observability_keys, N(observability_keys), "observability");
	if ((v = ynode_map_get(n, "events")))
		parse_rotated(ml, v, "events", &o->events, &o->events_max_bytes, &o->events_keep);
	if ((v = ynode_map_get(n, "metrics")))
		o->metrics = get_string(ml, v, "observability.metrics");
	if ((v = ynode_map_get(n, "history")))
		parse_rotated(ml, v, "history", &o->history, &o->history_max_bytes, &o->history_keep);
	if ((v = ynode_map_get(n, "traces")))
		parse_rotated(ml, v, "traces", &o->traces, &o->traces_max_bytes, &o->traces_keep);
}
