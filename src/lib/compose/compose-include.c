/* compose-include (compose-internal.h): a compose file's top-level
 * include:, as Docker Compose v2 (compose-go's ApplyInclude) reads it.
 *
 *   include:
 *     - other/compose.yaml                 short form: one path
 *     - path: [a.yaml, a-override.yaml]    long form: a file and its overrides
 *       project_directory: dir             default: the first path's directory
 *       env_file: [x.env]                  default: PROJECT_DIRECTORY/.env
 *
 * Paths, project_directory and env_file are relative to the including
 * project's working directory (the project directory at the top, an
 * included project's project_directory below it).  An included project is
 * loaded like a project of its own: its files are interpolated with the
 * including environment, to which its env files add what it does not set;
 * its own include: is applied, its files merged, extends: resolved and its
 * relative paths made absolute from its project directory.  Its services,
 * volumes, networks, secrets and configs are then added to the including
 * file; a name that file (or an earlier include) defines with other data is
 * "services.NAME conflicts with imported resource", as in compose v2. */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One include: item, parsed (strings borrowed from the tree). */
struct include_item {
	const struct ynode *at;
	struct strlist paths, env_files;
	const char *project_dir;
};

/* "an integer", "a list": the type of n in the schema's words. */
static const char *type_words(const struct ynode *n)
{
	static const char *const words[] = {
		[CT_STR] = "a string",	 [CT_NULL] = "null",	 [CT_BOOL] = "a boolean", [CT_INT] = "an integer",
		[CT_FLOAT] = "a number", [CT_MAP] = "a mapping", [CT_SEQ] = "a list"
	};

	return words[ctype_of(n)];
}

int compose_tree_equal(const struct ynode *a, const struct ynode *b)
{
	size_t i;

	if (a->kind != b->kind || a->len != b->len)
		return 0;
	if (a->kind == YNODE_SCALAR)
		return ctype_of(a) == ctype_of(b) && !strcmp(a->str, b->str);
	for (i = 0; i < a->len; i++) {
		const struct ynode *other = a->kind == YNODE_MAP ? ynode_map_get(b, a->keys[i]->str) : b->items[i];

		if (!other || !compose_tree_equal(a->kind == YNODE_MAP ? a->vals[i] : a->items[i], other))
			return 0;
	}
	return 1;
}

/* A string or a list of strings into l; -1 with err otherwise. */
static int string_list(const struct ynode *v, size_t idx, const char *key, struct strlist *l, struct cc_error **err)
{
	if (cnode_is_str(v)) {
		strlist_push(l, v->str);
		return 0;
	}
	for (size_t i = 0; v->kind == YNODE_SEQ && i < v->len; i++) {
		if (!cnode_is_str(v->items[i]))
			return ynode_error(err, v->items[i], "include[%zu].%s[%zu] must be a string, not %s", idx, key,
					   i, type_words(v->items[i]));
		strlist_push(l, v->items[i]->str);
	}
	if (v->kind != YNODE_SEQ)
		return ynode_error(err, v, "include[%zu].%s must be a string or a list, not %s", idx, key,
				   type_words(v));
	return 0;
}

static int item_parse(struct compose_project *p, const struct ynode *n, size_t idx, struct include_item *it,
		      struct cc_error **err)
{
	const struct ynode *v;

	it->at = n;
	if (cnode_is_str(n))
		return strlist_push(&it->paths, n->str), 0;
	if (n->kind != YNODE_MAP)
		return ynode_error(err, n, "include[%zu] must be a string or a mapping, not %s", idx, type_words(n));
	for (size_t i = 0; i < n->len; i++) {
		const char *k = n->keys[i]->str;

		if (strcmp(k, "path") && strcmp(k, "project_directory") && strcmp(k, "env_file"))
			cc_warn(p->warnings, "%s:%d:%d: include[%zu]: unknown key '%s' ignored, as compose v2 does",
				n->keys[i]->pos.file, n->keys[i]->pos.line, n->keys[i]->pos.col, idx, k);
	}
	if ((v = ynode_map_get(n, "path")) && string_list(v, idx, "path", &it->paths, err) < 0)
		return -1;
	if ((v = ynode_map_get(n, "env_file")) && string_list(v, idx, "env_file", &it->env_files, err) < 0)
		return -1;
	if ((v = ynode_map_get(n, "project_directory"))) {
		if (!cnode_is_str(v))
			return ynode_error(err, v, "include[%zu].project_directory must be a string, not %s", idx,
					   type_words(v));
		it->project_dir = v->str;
	}
	if (!it->paths.n)
		return ynode_error(err, n, "include[%zu] needs the key 'path'", idx);
	return 0;
}

static const char *scope_lookup(void *data, const char *name)
{
	const struct envfile_var *v = envfile_get(data, name);

	return v ? v->val : NULL;
}

/* The included project's environment: the including one, to which each
 * env file adds the variables it does not set. */
static int item_env(struct compose_project *p, const struct include_item *it, const struct compose_scope *scope,
		    const char *dir, struct envfile *out, struct cc_error **err)
{
	struct envfile extra = { 0 };
	struct stat st;
	int rc = 0;

	for (size_t i = 0; i < scope->env->n; i++)
		envfile_set(out, scope->env->v[i].key, scope->env->v[i].val);
	for (size_t i = 0; rc == 0 && i < (it->env_files.n ? it->env_files.n : 1); i++) {
		cleanup_free char *path =
			it->env_files.n ? compose_expand_path(scope->dir, it->env_files.v[i]) : path_join(dir, ".env");

		compose_note_env_read(p, path);
		int missing = stat(path, &st) < 0;

		if (missing || !S_ISREG(st.st_mode)) {
			if (it->env_files.n)
				rc = ynode_error(err, it->at, "include env_file %s: %s", path,
						 missing ? strerror(errno) : "not a regular file");
			continue;
		}
		rc = envfile_load(path, scope_lookup, (void *)scope->env, &extra, p->warnings, err);
	}
	for (size_t i = 0; rc == 0 && i < extra.n; i++)
		if (!envfile_get(out, extra.v[i].key))
			envfile_set(out, extra.v[i].key, extra.v[i].val);
	envfile_release(&extra);
	return rc < 0 ? -1 : 0;
}

/* "include cycle detected", naming the chain as compose v2 does. */
static int cycle_check(const struct compose_scope *scope, const char *path, const struct ynode *at,
		       struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int found = 0, rc;

	for (i = 0; i < scope->depth; i++)
		found |= !strcmp(scope->trail[i], path);
	if (!found && scope->depth < COMPOSE_INCLUDE_DEPTH)
		return 0;
	for (i = 0; i < scope->depth; i++)
		strbuf_addf(&sb, "%s%s", i ? "\n include " : "", scope->trail[i]);
	if (found)
		rc = ynode_error(err, at, "include cycle detected:\n%s\n include %s", sb.buf, path);
	else
		rc = ynode_error(err, at, "include: nested more than %d deep:\n%s", COMPOSE_INCLUDE_DEPTH, sb.buf);
	strbuf_release(&sb);
	return rc;
}

/* The included files' volumes, networks, secrets and configs (a later
 * file's entry replaces an earlier one), file: made absolute. */
static struct ynode *item_entities(struct ynode *const *roots, size_t n, const char *dir)
{
	struct ynode *out = ynode_new_map(NULL);

	for (size_t s = 1; s < COMPOSE_NSECTIONS; s++) {
		struct ynode *merged = ynode_new_map(NULL);

		for (size_t f = 0; f < n; f++) {
			const struct ynode *sec = ynode_map_get(roots[f], compose_sections[s][0]);

			for (size_t i = 0; sec && sec->kind == YNODE_MAP && i < sec->len; i++)
				ynode_map_set(merged, sec->keys[i]->str, ynode_clone(sec->vals[i]));
		}
		for (size_t i = 0; i < merged->len; i++) {
			struct ynode *file = ynode_map_get(merged->vals[i], "file");

			if (file && cnode_is_str(file)) {
				char *abs = compose_expand_path(dir, file->str);

				free(file->str);
				file->str = abs;
			}
		}
		ynode_map_set(out, compose_sections[s][0], merged);
	}
	return out;
}

/* Add the entries of from (a map of sections) to root. */
static int import_sections(struct ynode *root, const struct ynode *from, const struct ynode *at, struct cc_error **err)
{
	for (size_t s = 0; s < from->len; s++) {
		const char *section = from->keys[s]->str;
		const struct ynode *src = from->vals[s];
		struct ynode *to = ynode_map_get(root, section);

		if (!src->len)
			continue;
		if (!to || to->kind != YNODE_MAP)
			ynode_map_set(root, section, to = ynode_new_map(&at->pos));
		for (size_t i = 0; i < src->len; i++) {
			const struct ynode *have = ynode_map_get(to, src->keys[i]->str);

			if (have && !compose_tree_equal(have, src->vals[i]))
				return ynode_error(err, at, "%s.%s conflicts with imported resource", section,
						   src->keys[i]->str);
			if (!have)
				ynode_map_set(to, src->keys[i]->str, ynode_clone(src->vals[i]));
		}
	}
	return 0;
}

/* The services of the included files, merged, extends: resolved and
 * normalised in dir; added to sections as "services". */
static int item_services(struct compose_project *p, struct ynode *const *roots, size_t n, const char *file,
			 const char *dir, struct ynode *sections, struct cc_error **err)
{
	struct ynode *services = compose_merge_files(roots, n, err);
	int rc = 0;

	if (!services)
		return -1;
	for (size_t i = 0; i < services->len; i++) {
		if (compose_resolve_extends_in(p, file, dir, services->keys[i]->str, &services->vals[i], err) < 0 ||
		    compose_process_service(dir, services->vals[i], err) < 0)
			rc = -1;
	}
	ynode_map_set(sections, "services", services);
	return rc;
}

/* Load the project one include: item names and add it to root. */
static int item_apply(struct compose_project *p, struct ynode *root, const struct include_item *it,
		      const struct compose_scope *scope, struct cc_error **err)
{
	struct compose_scope sub = *scope;
	struct envfile env = { 0 };
	struct ynode **roots = xcalloc(it->paths.n, sizeof(*roots)), *sections = NULL;
	cleanup_free char *first = compose_expand_path(scope->dir, it->paths.v[0]), *first_dir = path_dirname(first);
	cleanup_free char *dir =
		it->project_dir ? compose_expand_path(scope->dir, it->project_dir) : xstrdup(first_dir);
	const char *name0 = NULL;
	int rc = cycle_check(scope, first, it->at, err);

	if (rc == 0)
		rc = item_env(p, it, scope, dir, &env, err);
	sub.dir = dir;
	sub.env = &env;
	for (size_t i = 0; rc == 0 && i < it->paths.n; i++) {
		cleanup_free char *path = compose_expand_path(scope->dir, it->paths.v[i]);
		const struct ynode *loaded;
		const char *name;

		if (access(path, R_OK) < 0) {
			rc = ynode_error(err, it->at, "include: cannot read %s: %s", path, strerror(errno));
			break;
		}
		sub.trail[scope->depth] = name0 ? name0 : path;
		sub.depth = scope->depth + 1;
		rc = compose_file_load_kept(p, path, &sub, &loaded, &name, err);
		roots[i] = (struct ynode *)loaded;
		if (rc == 0) /* its own include:, its trail naming it */
			sub.trail[scope->depth] = name0 ? name0 : name;
		if (rc == 0)
			rc = compose_include_apply(p, roots[i], &sub, err);
		name0 = name0 ? name0 : name;
	}
	if (rc == 0) {
		sections = item_entities(roots, it->paths.n, dir);
		rc = item_services(p, roots, it->paths.n, name0, dir, sections, err);
	}
	if (rc == 0)
		rc = import_sections(root, sections, it->at, err);
	ynode_free(sections);
	envfile_release(&env);
	free(roots);
	return rc;
}

int compose_include_apply(struct compose_project *p, struct ynode *root, const struct compose_scope *scope,
			  struct cc_error **err)
{
	const struct ynode *inc = ynode_map_get(root, "include");
	int rc = 0;

	if (!inc)
		return 0;
	if (inc->kind != YNODE_SEQ)
		return ynode_error(err, inc, "`include` must be a list, not %s", type_words(inc));
	for (size_t i = 0; rc == 0 && i < inc->len; i++) {
		struct include_item it = { 0 };

		rc = item_parse(p, inc->items[i], i, &it, err);
		if (rc == 0)
			rc = item_apply(p, root, &it, scope, err);
		strlist_release(&it.paths);
		strlist_release(&it.env_files);
	}
	if (rc == 0)
		ynode_map_remove(root, "include");
	return rc;
}
