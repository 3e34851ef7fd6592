/* compose-file: one compose file read the way config.py reads it (parse,
 * type, version and section checks, interpolation with the project
 * environment, schema check) and the table of loaded files that extends:
 * reaches into.  Implements its part of compose-internal.h; below
 * compose.c, compose-extends.c and compose-service.c, which all use it. */
#include "compose-internal.h"

#include "error.h"
#include "interp.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const compose_sections[COMPOSE_NSECTIONS][2] = {
	{ "services", "service" }, { "volumes", "volume" }, { "networks", "network" },
	{ "secrets", "secret" },   { "configs", "config" },
};

const char *compose_env_get(const struct compose_project *p, const char *name)
{
	const struct envfile_var *v = envfile_get(&p->env, name);

	return v ? v->val : NULL;
}
struct interp_walk {
	const struct envfile *env;
	const char *section, *name, *option; /* for messages, as compose words them */
	struct strlist unset;
};

static const char *walk_lookup(void *data, const char *name)
{
	const struct envfile_var *v = envfile_get(((struct interp_walk *)data)->env, name);

	return v ? v->val : NULL;
}

static int interp_scalar(struct interp_walk *w, struct ynode *n, const char *path, struct cc_error **err)
{
	struct interp_env env = { walk_lookup, w, &w->unset };
	struct cc_error *why = NULL;
	char *out = NULL;
	int rc;

	if (!cnode_is_str(n) || !strchr(n->str, '$'))
		return compose_convert(n, path, err);
	rc = interp_string(n->str, &env, &out, &why);
	if (rc == INTERP_INVALID)
		ynode_error(err, n, "Invalid interpolation format for \"%s\" option in %s \"%s\": \"%s\"", w->option,
			    w->section, w->name, n->str);
	else if (rc == INTERP_REQUIRED)
		ynode_error(err, n, "Missing mandatory value for \"%s\" option interpolating %s in %s \"%s\": %s",
			    w->option, n->str, w->section, w->name, why->msg);
	cc_error_free(why);
	if (rc < 0)
		return -1;
	free(n->str);
	n->str = out;
	return compose_convert(n, path, err);
}

/* recursive_interpolate: map keys extend the path, list items do not. */
static int interp_tree(struct interp_walk *w, struct ynode *n, const char *path, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	if (n->kind == YNODE_SCALAR)
		return interp_scalar(w, n, path, err);
	for (i = 0; i < n->len; i++) {
		if (n->kind == YNODE_SEQ) {
			rc |= interp_tree(w, n->items[i], path, err);
		} else {
			cleanup_free char *sub = xasprintf("%s/%s", path, n->keys[i]->str);

			rc |= interp_tree(w, n->vals[i], sub, err);
		}
	}
	return rc ? -1 : 0;
}

/* validate_config_section: a mapping of name -> mapping (or null, read as {}). */
static int section_check(const char *file, struct ynode *sec, const char *section, const char *singular,
			 struct cc_error **err)
{
	size_t i;
	int rc = 0;

	if (sec->kind != YNODE_MAP)
		return ynode_error(err, sec, "In file '%s', %s must be a mapping, not a %s", file, section,
				   ctype_of(sec) == CT_NULL ? "null" : ynode_kind_name(sec));
	for (i = 0; i < sec->len; i++) {
		struct ynode *v = sec->vals[i];

		if (ctype_of(v) == CT_NULL) {
			ynode_free(v);
			sec->vals[i] = ynode_new_map(&sec->keys[i]->pos);
		} else if (v->kind != YNODE_MAP) {
			rc = ynode_error(err, v, "%s '%s' must be a mapping, not a %s", singular, sec->keys[i]->str,
					 ynode_kind_name(v));
		}
	}
	return rc;
}

static int version_check(const char *file, const struct ynode *root, struct cc_error **err)
{
	const struct ynode *v = ynode_map_get(root, "version"), *name = ynode_map_get(root, "name");

	/* compose v2: version: is obsolete and ignored, but a string; a file
	 * without services: is fine (a version 1 file fails on its keys). */
	if (v && !cnode_is_str(v))
		return ynode_error(err, v, "%s: version must be a string", file);
	if (name && !cnode_is_str(name))
		return ynode_error(err, name, "%s: name must be a string", file);
	return 0;
}

static int interp_section(struct compose_project *p, const struct envfile *env, struct ynode *sec, const char *singular,
			  struct cc_error **err)
{
	struct interp_walk w = { env, singular, NULL, NULL, { 0 } };
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < sec->len; i++) {
		struct ynode *conf = sec->vals[i];

		w.name = sec->keys[i]->str;
		for (j = 0; j < conf->len; j++) {
			cleanup_free char *path = xasprintf("%s/%s/%s", singular, w.name, conf->keys[j]->str);

			w.option = conf->keys[j]->str;
			rc |= interp_tree(&w, conf->vals[j], path, err);
		}
	}
	for (k = 0; k < w.unset.n; k++)
		cc_warn(p->warnings, "The %s variable is not set. Defaulting to a blank string.", w.unset.v[k]);
	strlist_release(&w.unset);
	return rc ? -1 : 0;
}

/* Top-level x- keys are interpolated too, as compose v2 does (it prints
 * them; 1.29 left them alone), and include: (its paths may name variables). */
static int interp_extensions(const struct envfile *env, struct ynode *root, struct cc_error **err)
{
	struct interp_walk w = { env, "extension", NULL, NULL, { 0 } };
	int rc = 0;

	for (size_t i = 0; i < root->len; i++) {
		if (strncmp(root->keys[i]->str, "x-", 2) && strcmp(root->keys[i]->str, "include"))
			continue;
		w.name = w.option = root->keys[i]->str;
		rc |= interp_tree(&w, root->vals[i], root->keys[i]->str, err);
	}
	strlist_release(&w.unset);
	return rc ? -1 : 0;
}

int compose_file_load(struct compose_project *p, const char *file, struct ynode **out, struct cc_error **err)
{
	struct compose_scope scope = { .dir = p->project_dir, .env = &p->env, .trail = { file }, .depth = 1 };

	return compose_file_load_in(p, file, &scope, out, err);
}

int compose_file_load_in(struct compose_project *p, const char *file, const struct compose_scope *scope,
			 struct ynode **out, struct cc_error **err)
{
	struct ynode *root = NULL, *sec;
	size_t i;
	int rc = 0;

	if (ynode_parse_file(file, &root, err) < 0)
		return -1;
	*out = root;
	if (root->kind != YNODE_MAP)
		return ynode_error(err, root, "Top level object in '%s' needs to be an object not '%s'.", file,
				   ynode_kind_name(root));
	compose_scalar_canon(root);
	if (version_check(file, root, err) < 0)
		return -1;
	for (i = 0; i < COMPOSE_NSECTIONS; i++) {
		if (!(sec = ynode_map_get(root, compose_sections[i][0])))
			continue;
		if (section_check(file, sec, compose_sections[i][0], compose_sections[i][1], err) < 0) {
			rc = -1;
			continue;
		}
		rc |= interp_section(p, scope->env, sec, compose_sections[i][1], err);
	}
	rc |= interp_extensions(scope->env, root, err);
	if (rc == 0)
		rc = compose_check_file(root, err);
	return rc ? -1 : 0;
}

int compose_file_load_kept(struct compose_project *p, const char *path, const struct compose_scope *scope,
			   const struct ynode **root, const char **name, struct cc_error **err)
{
	struct ynode *loaded = NULL;
	size_t i = p->next_files++;

	p->ext_names = xrealloc(p->ext_names, p->next_files * sizeof(*p->ext_names));
	p->ext_files = xrealloc(p->ext_files, p->next_files * sizeof(*p->ext_files));
	p->ext_failed = xrealloc(p->ext_failed, p->next_files * sizeof(*p->ext_failed));
	p->ext_names[i] = xstrdup(path);
	*name = p->ext_names[i];
	p->ext_failed[i] = (scope ? compose_file_load_in(p, *name, scope, &loaded, err)
				  : compose_file_load(p, *name, &loaded, err)) < 0;
	p->ext_files[i] = loaded;
	*root = loaded;
	return p->ext_failed[i] ? -1 : 0;
}

int compose_file_get(struct compose_project *p, const char *path, const struct ynode *at, const struct ynode **root,
		     const char **name, struct cc_error **err)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (!strcmp(p->file_names[i], path)) {
			*root = p->files[i];
			*name = p->file_names[i];
			return 0;
		}
	for (i = 0; i < p->next_files; i++)
		if (!strcmp(p->ext_names[i], path)) {
			if (p->ext_failed[i]) /* its errors were reported when it was loaded */
				return ynode_error(err, at, "extends: %s could not be loaded (see above)", path);
			*root = p->ext_files[i];
			*name = p->ext_names[i];
			return 0;
		}
	if (access(path, R_OK) < 0)
		return ynode_error(err, at, "extends: cannot read %s: %s", path, strerror(errno));
	return compose_file_load_kept(p, path, NULL, root, name, err);
}
