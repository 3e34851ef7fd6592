/* compose: loading (compose.h), environment layers and the accessors.
 * Reading one file (interpolation, checks) is in compose-file.c, merging
 * in compose-merge.c, per-service normalisation in
 * compose-service.c, schema checks in compose-check.c.  The order of steps
 * is that of compose/config/config.py load(): interpolate and check each
 * file, merge the files' services, then normalise each merged service. */
#include "compose-internal.h"

#include "error.h"
#include "interp.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static char *abspath(const char *path)
{
	char cwd[4096];
	cleanup_free char *joined = NULL;

	if (path[0] == '/')
		return path_clean(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return path_clean(path);
	joined = path_join(cwd, path);
	return path_clean(joined);
}

static const char *process_getenv(void *data, const char *name)
{
	(void)data;
	return getenv(name);
}

const char *compose_getenv(const struct compose_project *p, const char *name)
{
	return compose_env_get(p, name);
}

/* A list of paths from a variable, split on sep, each relative to dir. */
static void paths_split(const char *value, const char *sep, const char *dir, struct strlist *out)
{
	cleanup_free char *copy = xstrdup(value);
	char *save = NULL;

	for (char *tok = strtok_r(copy, sep, &save); tok; tok = strtok_r(NULL, sep, &save)) {
		cleanup_free char *joined = path_join(dir, compose_strip(tok));

		if (*compose_strip(tok))
			strlist_push(out, joined);
	}
}

/* The env files read as .env is: COMPOSE_ENV_FILES (compose v2.24),
 * comma-separated, when the options name none, else the options'. */
static void env_files_of(const struct compose_project *p, const struct compose_load_opts *o, struct strlist *out,
			 int *dot_env)
{
	const char *var = o->use_process_env && o->compose_env_vars ? getenv("COMPOSE_ENV_FILES") : NULL;

	*dot_env = !o->no_dot_env;
	for (size_t i = 0; i < o->nenv_files; i++) {
		char *path = path_join(p->project_dir, o->env_files[i]);

		strlist_push(out, path);
		free(path);
	}
	if (var && *var && o->nenv_files)
		cc_warn(p->warnings, "COMPOSE_ENV_FILES is not used: the manifest's env_file: names the env files");
	else if (var && *var) {
		paths_split(var, ",", p->project_dir, out);
		*dot_env = 0;
	}
}

/* Layers, lowest first: PROJECT/.env (or COMPOSE_ENV_FILES), extra env
 * files, the profile's env map, the process environment (compose:
 * os.environ wins over .env). */
static int env_build(struct compose_project *p, const struct compose_load_opts *o, struct cc_error **err)
{
	cleanup_free char *dotenv = path_join(p->project_dir, ".env");
	struct strlist files = { 0 };
	int dot_env, rc = 0;
	char **e;

	env_files_of(p, o, &files, &dot_env);
	if (dot_env)
		compose_note_env_read(p, dotenv);
	for (size_t i = 0; i < files.n; i++)
		compose_note_env_read(p, files.v[i]);
	if (dot_env && access(dotenv, F_OK) == 0)
		rc = envfile_load(dotenv, o->use_process_env ? process_getenv : NULL, NULL, &p->env, p->warnings, err);
	for (size_t i = 0; rc >= 0 && i < files.n; i++)
		rc = envfile_load(files.v[i], o->use_process_env ? process_getenv : NULL, NULL, &p->env, p->warnings,
				  err);
	strlist_release(&files);
	if (rc < 0)
		return -1;
	for (size_t i = 0; o->env && i < o->env->n; i++)
		envfile_set(&p->env, o->env->keys[i], o->env->vals[i]);
	for (e = environ; o->use_process_env && e && *e; e++) {
		const char *eq = strchr(*e, '=');
		cleanup_free char *key = eq ? xstrndup(*e, (size_t)(eq - *e)) : NULL;

		if (key)
			envfile_set(&p->env, key, eq + 1);
	}
	return 0;
}

static struct ynode *section_of(const struct ynode *root, const char *name)
{
	struct ynode *sec = ynode_map_get(root, name);

	return sec && sec->kind == YNODE_MAP ? sec : NULL;
}

/* load_mapping: a later file's entry replaces the earlier one whole. */
static int entities_load(struct compose_project *p, struct ynode *config, struct cc_error **err)
{
	size_t s, f, i;
	int rc = 0;

	for (s = 1; s < COMPOSE_NSECTIONS; s++) {
		struct ynode *merged = ynode_new_map(NULL);

		for (f = 0; f < p->nfiles; f++) {
			const struct ynode *sec = section_of(p->files[f], compose_sections[s][0]);

			for (i = 0; sec && i < sec->len; i++)
				ynode_map_set(merged, sec->keys[i]->str, ynode_clone(sec->vals[i]));
		}
		for (i = 0; i < merged->len; i++)
			rc |= compose_finalize_entity(p, compose_sections[s][1], merged->keys[i]->str, merged->vals[i],
						      err);
		if (merged->len)
			ynode_map_set(config, compose_sections[s][0], merged);
		else
			ynode_free(merged);
	}
	return rc ? -1 : 0;
}

static int services_finalize(struct compose_project *p, struct ynode *services, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < services->len; i++) {
		struct ynode *svc = services->vals[i];

		services->vals[i] = NULL;
		if (compose_finalize_service(p, services->keys[i]->str, services, &svc, err) < 0)
			rc = -1;
		services->vals[i] = svc;
	}
	return rc;
}

/* serialize.py: every string has '$' doubled, and strings that read like
 * YAML 1.1 booleans are double-quoted (quoted == 2 tells ynode_emit). */
static void config_style(struct ynode *n)
{
	static const char *const boolish[] = { "y", "n", "yes", "no", "on", "off", "true", "false" };
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (n->kind != YNODE_SCALAR) {
		for (i = 0; i < n->len; i++) {
			if (n->kind == YNODE_MAP) {
				n->keys[i]->quoted = 1;
				config_style(n->keys[i]);
			}
			config_style(n->kind == YNODE_MAP ? n->vals[i] : n->items[i]);
		}
		if (n->kind == YNODE_MAP)
			ynode_map_rekeyed(n);
		return;
	}
	if (!n->quoted)
		return;
	for (i = 0; i < sizeof(boolish) / sizeof(boolish[0]); i++)
		if (!strcasecmp(n->str, boolish[i]))
			n->quoted = 2;
	if (!strchr(n->str, '$'))
		return;
	for (i = 0; n->str[i]; i++) {
		if (n->str[i] == '$')
			strbuf_addch(&sb, '$');
		strbuf_addch(&sb, n->str[i]);
	}
	free(n->str);
	n->str = strbuf_detach(&sb);
}

static const char *config_version(const struct compose_project *p)
{
	const struct ynode *v = ynode_map_get(p->files[0], "version");

	return v && v->kind == YNODE_SCALAR ? v->str : "3.9";
}

/* The active compose profiles: the load options', then COMPOSE_PROFILES
 * (comma-separated, from the environment or .env), as compose v2 adds them. */
static void profiles_collect(struct compose_project *p, const struct compose_load_opts *o)
{
	const char *env = compose_env_get(p, "COMPOSE_PROFILES");
	cleanup_free char *copy = xstrdup(env ? env : "");
	char *save = NULL;

	for (size_t i = 0; i < o->nprofiles; i++)
		if (!strlist_has(&p->profiles, o->profiles[i]))
			strlist_push(&p->profiles, o->profiles[i]);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = compose_strip(tok);
		if (*tok && !strlist_has(&p->profiles, tok))
			strlist_push(&p->profiles, tok);
	}
}

/* compose v2: a service that names profiles is in the model only when one
 * of them is active ("*" activates all). */
static int service_active(const struct compose_project *p, const struct ynode *svc)
{
	const struct ynode *prof = ynode_map_get(svc, "profiles");

	if (!prof || prof->kind != YNODE_SEQ || !prof->len || strlist_has(&p->profiles, "*"))
		return 1;
	for (size_t i = 0; i < prof->len; i++)
		if (prof->items[i]->kind == YNODE_SCALAR && strlist_has(&p->profiles, prof->items[i]->str))
			return 1;
	return 0;
}

static void services_drop_inactive(struct compose_project *p, struct ynode *services)
{
	for (size_t i = 0; i < services->len; i++)
		if (!service_active(p, services->vals[i])) {
			strlist_push(&p->inactive, services->keys[i]->str);
			ynode_map_remove(services, services->keys[i--]->str);
		}
}

static int project_build(struct compose_project *p, struct cc_error **err)
{
	struct ynode *config = ynode_new_map(NULL), *services;
	int rc = 0;

	ynode_map_set(config, "version", cnode_str(config_version(p), NULL));
	if (!(services = compose_merge_files(p->files, p->nfiles, err))) {
		ynode_free(config);
		return -1;
	}
	for (size_t i = 0; i < services->len; i++)
		rc |= compose_resolve_extends(p, services->keys[i]->str, &services->vals[i], err);
	services_drop_inactive(p, services);
	if (rc == 0)
		rc |= compose_check_services(services, err);
	if (rc == 0)
		rc |= services_finalize(p, services, err);
	if (rc == 0)
		rc |= compose_check_cycles(services, err);
	ynode_map_sort(services, 1);
	ynode_map_set(config, "services", ynode_clone(services));
	rc |= entities_load(p, config, err);
	ynode_map_sort(config, 1);
	config_style(config);
	p->config = config;
	p->services = services;
	return rc ? -1 : 0;
}

/* get_project_name: lower case, only [-_a-z0-9] kept. */
static char *project_name(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		int c = tolower((unsigned char)*s);

		if (c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			strbuf_addch(&sb, (char)c);
	}
	return strbuf_detach(&sb);
}

/* The files, absolute: the options' (relative to the project, as
 * ccbuild.yaml writes them), else COMPOSE_FILE's (compose_env_vars). */
static void files_of(struct compose_project *p, const struct compose_load_opts *o, struct strlist *out)
{
	const char *var = o->compose_env_vars ? compose_env_get(p, "COMPOSE_FILE") : NULL;
	const char *sep = compose_env_get(p, "COMPOSE_PATH_SEPARATOR");
	struct strlist named = { 0 };

	for (size_t i = 0; i < o->nfiles; i++) {
		cleanup_free char *joined = o->project_dir ? path_join(p->project_dir, o->files[i]) : NULL;
		char *abs = abspath(joined ? joined : o->files[i]);

		strlist_push(out, abs);
		free(abs);
	}
	if (!var || !*var)
		return;
	paths_split(var, sep && *sep ? sep : ":", p->project_dir, &named);
	for (size_t i = 0; i < named.n; i++) {
		char *abs = abspath(named.v[i]);

		free(named.v[i]);
		named.v[i] = abs;
	}
	if (!o->nfiles) {
		strlist_copy(out, &named);
	} else {
		cleanup_free char *a = strlist_join(out, ":"), *b = strlist_join(&named, ":");

		if (strcmp(a, b))
			cc_warn(p->warnings, "COMPOSE_FILE is not used: the manifest's compose: names the files "
					     "(as docker compose -f does)");
	}
	strlist_release(&named);
}

/* The project name: the options' (a differing COMPOSE_PROJECT_NAME
 * warned about), else COMPOSE_PROJECT_NAME (compose_env_vars), else the
 * project directory's name; as compose normalises it. */
static char *name_of(const struct compose_project *p, const struct compose_load_opts *o)
{
	const char *var = o->compose_env_vars ? compose_env_get(p, "COMPOSE_PROJECT_NAME") : NULL;

	if (o->project_name && var && *var && strcmp(var, o->project_name))
		cc_warn(p->warnings,
			"COMPOSE_PROJECT_NAME=%s is not used: the manifest's project: %s names the compose project "
			"(as docker compose -p does)",
			var, o->project_name);
	if (o->project_name)
		return project_name(o->project_name);
	return project_name(var && *var ? var : strrchr(p->project_dir, '/') + 1);
}

int compose_load(const struct compose_load_opts *o, struct compose_project **out, struct cc_error **err)
{
	struct compose_project *p;
	struct strlist files = { 0 };
	cleanup_free char *first_dir = NULL;
	int rc = 0;

	*out = NULL;
	if (!o->nfiles && !(o->compose_env_vars && o->project_dir))
		return cc_error_set(err, "no compose file given"), -1;
	p = xcalloc(1, sizeof(*p));
	first_dir = o->nfiles ? path_dirname(o->files[0]) : NULL;
	p->warnings = o->warnings;
	p->project_dir = abspath(o->project_dir ? o->project_dir : first_dir);
	if (env_build(p, o, err) < 0)
		return compose_free(p), -1;
	files_of(p, o, &files);
	if (!files.n)
		return compose_free(p), strlist_release(&files), 0;
	p->nfiles = files.n;
	p->file_names = files.v; /* stolen */
	p->files = xcalloc(p->nfiles, sizeof(*p->files));
	p->project_name = name_of(p, o);
	profiles_collect(p, o);
	for (size_t i = 0; i < p->nfiles; i++) {
		struct compose_scope scope = {
			.dir = p->project_dir, .env = &p->env, .trail = { p->file_names[i] }, .depth = 1
		};

		if (compose_file_load(p, p->file_names[i], &p->files[i], err) < 0 ||
		    compose_include_apply(p, p->files[i], &scope, err) < 0)
			rc = -1;
	}
	if (rc || project_build(p, err) < 0) {
		compose_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

size_t compose_service_count(const struct compose_project *p)
{
	return p->services->len;
}

const char *compose_service_name(const struct compose_project *p, size_t i)
{
	return i < p->services->len ? p->services->keys[i]->str : NULL;
}

const struct ynode *compose_service_key(const struct compose_project *p, size_t i, const char *key)
{
	const char *name = compose_service_name(p, i);

	for (size_t f = p->nfiles; name && f-- > 0;) {
		const struct ynode *svc = ynode_map_get(ynode_map_get(p->files[f], "services"), name);
		long k = ynode_map_index(svc, key);

		if (k >= 0)
			return svc->keys[k];
	}
	return NULL;
}

long compose_service_find(const struct compose_project *p, const char *name)
{
	return ynode_map_index(p->services, name);
}

const char *compose_project_name(const struct compose_project *p)
{
	return p->project_name;
}

const char *compose_project_dir(const struct compose_project *p)
{
	return p->project_dir;
}

char *compose_config_files(const struct compose_project *p)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", p->file_names[i]);
	return strbuf_detach(&sb);
}

void compose_files_read(const struct compose_project *p, struct strlist *out)
{
	for (size_t i = 0; i < p->nfiles; i++)
		strlist_push(out, p->file_names[i]);
	for (size_t i = 0; i < p->next_files; i++)
		strlist_push(out, p->ext_names[i]);
	for (size_t i = 0; i < p->env_read.n; i++)
		strlist_push(out, p->env_read.v[i]);
}

const struct ynode *compose_service(const struct compose_project *p, size_t i)
{
	return i < p->services->len ? p->services->vals[i] : NULL;
}

static const char *scalar_of(const struct ynode *map, const char *key)
{
	const struct ynode *n = ynode_map_get(map, key);

	return n && n->kind == YNODE_SCALAR && ctype_of(n) != CT_NULL ? n->str : NULL;
}

static void kv_from_map(struct kvlist *kv, const struct ynode *map)
{
	size_t i;

	for (i = 0; map && map->kind == YNODE_MAP && i < map->len; i++) {
		const struct ynode *v = map->vals[i];

		kvlist_set(kv, map->keys[i]->str, v->kind == YNODE_SCALAR && ctype_of(v) != CT_NULL ? v->str : "");
	}
}

int compose_service_build(const struct compose_project *p, size_t i, struct compose_build *out)
{
	const struct ynode *svc = compose_service(p, i), *build = ynode_map_get(svc, "build"), *cf;
	size_t j;

	memset(out, 0, sizeof(*out));
	if (!build || build->kind != YNODE_MAP)
		return 1;
	out->context = scalar_of(build, "context");
	out->dockerfile = scalar_of(build, "dockerfile");
	out->target = scalar_of(build, "target");
	out->image = scalar_of(svc, "image");
	kv_from_map(&out->args, ynode_map_get(build, "args"));
	kv_from_map(&out->labels, ynode_map_get(build, "labels"));
	cf = ynode_map_get(build, "cache_from");
	for (j = 0; cf && cf->kind == YNODE_SEQ && j < cf->len; j++)
		if (cf->items[j]->kind == YNODE_SCALAR)
			strlist_push(&out->cache_from, cf->items[j]->str);
	return 0;
}

/* One build.secrets entry (normalised to {source, target}) into *s. */
static int build_secret(const struct ynode *top, const struct ynode *e, const char *svc, struct compose_build_secret *s,
			struct cc_error **err)
{
	const char *source = e->kind == YNODE_SCALAR ? e->str : scalar_of(e, "source");
	const struct ynode *def = source ? ynode_map_get(top, source) : NULL;

	if (!source)
		return ynode_error(err, e, "service '%s': build.secrets entry without a source", svc);
	if (!def || def->kind != YNODE_MAP)
		return ynode_error(err, e, "service '%s': build secret '%s' is not a top-level secret", svc, source);
	s->id = e->kind == YNODE_MAP && scalar_of(e, "target") ? scalar_of(e, "target") : source;
	s->file = scalar_of(def, "file");
	s->env = s->file ? NULL : scalar_of(def, "environment");
	if (!s->file && !s->env)
		return ynode_error(err, e,
				   "service '%s': build.secrets only supports environment or file-based secrets: '%s'",
				   svc, source);
	return 0;
}

int compose_service_build_secrets(const struct compose_project *p, size_t i, struct compose_build_secret **out,
				  size_t *n, struct cc_error **err)
{
	const struct ynode *b = ynode_map_get(compose_service(p, i), "build");
	const struct ynode *list = b && b->kind == YNODE_MAP ? ynode_map_get(b, "secrets") : NULL;
	const struct ynode *top = ynode_map_get(p->config, "secrets");
	size_t j;

	*out = NULL;
	*n = 0;
	if (!list || list->kind != YNODE_SEQ || !list->len)
		return 0;
	*out = xcalloc(list->len, sizeof(**out));
	for (j = 0; j < list->len; j++)
		if (build_secret(top, list->items[j], compose_service_name(p, i), &(*out)[(*n)++], err) < 0) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
	return 0;
}

void compose_service_build_ssh(const struct compose_project *p, size_t i, struct strlist *out)
{
	const struct ynode *b = ynode_map_get(compose_service(p, i), "build");
	const struct ynode *ssh = b && b->kind == YNODE_MAP ? ynode_map_get(b, "ssh") : NULL;

	for (size_t j = 0; ssh && ssh->kind == YNODE_SEQ && j < ssh->len; j++)
		if (ssh->items[j]->kind == YNODE_SCALAR && !ynode_is_null(ssh->items[j]))
			strlist_push(out, ssh->items[j]->str);
	for (size_t j = 0; ssh && ssh->kind == YNODE_MAP && j < ssh->len; j++) {
		const struct ynode *v = ssh->vals[j];
		cleanup_free char *e = cnode_is_str(v) && *v->str ? xasprintf("%s=%s", ssh->keys[j]->str, v->str)
								  : xstrdup(ssh->keys[j]->str);

		strlist_push(out, e);
	}
}

/* One named context NAME=VALUE at node n into out, or a positioned error
 * naming service svc and the context. */
static int build_context(const struct compose_project *p, const struct ynode *n, const char *svc, const char *name,
			 size_t nlen, const char *value, struct kvlist *out, struct cc_error **err)
{
	cleanup_free char *key = xstrndup(name, nlen);
	const char *other = str_has_prefix(value, "service:") ? value + 8 : NULL;
	long o = other ? compose_service_find(p, other) : -1;
	struct stat st;
	size_t k;

	for (k = 0; k < nlen && (islower((unsigned char)name[k]) || isdigit((unsigned char)name[k]) ||
				 (k && strchr("._-", name[k])));
	     k++)
		;
	if (!nlen || k < nlen)
		return ynode_error(err, n, "service '%s': additional context '%s': a name is [a-z0-9][a-z0-9._-]*", svc,
				   key);
	if (kvlist_get(out, key))
		return ynode_error(err, n, "service '%s': additional context '%s' given twice", svc, key);
	if (!*value)
		return ynode_error(err, n, "service '%s': additional context '%s' has no value", svc, key);
	if (str_has_prefix(value, "target:"))
		return ynode_error(err, n,
				   "service '%s': additional context '%s': %s: a stage of another build "
				   "is not supported; give a directory, docker-image://REF or service:NAME",
				   svc, key, value);
	if (str_has_prefix(value, "docker-image://") ? !value[15] : strstr(value, "://") || compose_is_url(value))
		return ynode_error(err, n,
				   "service '%s': additional context '%s': %s: only a directory, "
				   "docker-image://REF or service:NAME can be a named context (not a URL or git)",
				   svc, key, value);
	if (other && (o < 0 || (!scalar_of(compose_service(p, (size_t)o), "image") &&
				!ynode_map_get(compose_service(p, (size_t)o), "build"))))
		return ynode_error(err, n,
				   "service '%s': additional context '%s': %s: no service '%s' with an image "
				   "or a build",
				   svc, key, value, other);
	if (other && !strcmp(other, svc))
		return ynode_error(err, n,
				   "service '%s': additional context '%s': %s: a service cannot be built from "
				   "itself",
				   svc, key, value);
	if (!other && !str_has_prefix(value, "docker-image://") && (stat(value, &st) < 0 || !S_ISDIR(st.st_mode)))
		return ynode_error(err, n, "service '%s': additional context '%s': %s: %s", svc, key, value,
				   stat(value, &st) < 0 ? strerror(errno) : "not a directory");
	if (other && !ynode_map_get(compose_service(p, (size_t)o), "build")) { /* its image: as it is */
		cleanup_free char *ref =
			xasprintf("docker-image://%s", scalar_of(compose_service(p, (size_t)o), "image"));

		kvlist_set(out, key, ref);
		return 0;
	}
	kvlist_set(out, key, value);
	return 0;
}

int compose_service_build_contexts(const struct compose_project *p, size_t i, struct kvlist *out, struct cc_error **err)
{
	const struct ynode *b = ynode_map_get(compose_service(p, i), "build");
	const struct ynode *ac = b && b->kind == YNODE_MAP ? ynode_map_get(b, "additional_contexts") : NULL;
	const char *svc = compose_service_name(p, i);
	int rc = 0;

	for (size_t j = 0; ac && ac->kind == YNODE_SEQ && j < ac->len; j++) {
		const struct ynode *it = ac->items[j];
		const char *eq = cnode_is_str(it) ? strchr(it->str, '=') : NULL;

		if (!eq)
			rc = ynode_error(err, it, "service '%s': additional_contexts item is not NAME=VALUE", svc);
		else if (build_context(p, it, svc, it->str, (size_t)(eq - it->str), eq + 1, out, err) < 0)
			rc = -1;
	}
	for (size_t j = 0; ac && ac->kind == YNODE_MAP && j < ac->len; j++) {
		const struct ynode *v = ac->vals[j];
		const char *k = ac->keys[j]->str;

		if (!cnode_is_str(v))
			rc = ynode_error(err, v, "service '%s': additional context '%s' is not a string", svc, k);
		else if (build_context(p, v, svc, k, strlen(k), v->str, out, err) < 0)
			rc = -1;
	}
	return rc;
}

/* Compose v2 build fields config prints but a build through dockerd's
 * /build cannot honour: an error at each one that is set, never silently
 * ignored. */
static int build_check_unsupported(const struct ynode *b, const char *name, struct cc_error **err)
{
	static const char *const grants[] = { "entitlements", "privileged" };
	const struct ynode *v;
	int rc = 0;

	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
		if ((v = ynode_map_get(b, grants[i])) && cnode_truthy(v))
			rc = ynode_error(err, v,
					 "service '%s': build.%s: dockerd's /build API cannot grant BuildKit "
					 "entitlements (security.insecure, network.host)",
					 name, grants[i]);
	if ((v = ynode_map_get(b, "cache_to")) && cnode_truthy(v))
		rc = ynode_error(err, v,
				 "service '%s': build.cache_to: dockerd's /build API has no cache exporters (for "
				 "cache_from, build with the build arg BUILDKIT_INLINE_CACHE=1 and push the image)",
				 name);
	return rc;
}

int compose_service_build_check(const struct compose_project *p, size_t i, struct cc_error **err)
{
	const struct ynode *b = ynode_map_get(compose_service(p, i), "build"), *ctx, *df;
	const char *name = compose_service_name(p, i);
	int rc = 0;

	if (!b || b->kind != YNODE_MAP)
		return 0;
	if ((ctx = ynode_map_get(b, "context")) && cnode_is_str(ctx) && compose_is_url(ctx->str))
		rc = ynode_error(err, ctx,
				 "service '%s': build context %s: remote (git or URL) build contexts are "
				 "not supported yet; clone it and give its directory",
				 name, ctx->str);
	df = ynode_map_get(b, "dockerfile");
	if (df && df->kind == YNODE_SCALAR && (ctype_of(df) == CT_NULL || !*df->str))
		rc = ynode_error(err, df, "service '%s': build.dockerfile is empty (an unset variable?)", name);
	return rc | build_check_unsupported(b, name, err);
}

void compose_build_release(struct compose_build *b)
{
	kvlist_release(&b->args);
	kvlist_release(&b->labels);
	strlist_release(&b->cache_from);
}

const struct ynode *compose_config_tree(const struct compose_project *p)
{
	return p->config;
}

struct ynode *compose_config_tree_v2(const struct compose_project *p)
{
	return compose_config_v2(p);
}

int compose_config_emit(const struct compose_project *p, FILE *f, struct cc_error **err)
{
	struct ynode *v2 = compose_config_v2(p);
	int rc = compose_v2_emit(v2, f, err);

	ynode_free(v2);
	return rc;
}

void compose_free(struct compose_project *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nfiles; i++)
		ynode_free(p->files[i]);
	ynode_free(p->config);
	ynode_free(p->services);
	for (i = 0; i < p->nfiles; i++)
		free(p->file_names[i]);
	free(p->files);
	free(p->file_names);
	for (i = 0; i < p->next_files; i++) {
		ynode_free(p->ext_files[i]);
		free(p->ext_names[i]);
	}
	free(p->ext_files);
	free(p->ext_names);
	free(p->ext_failed);
	free(p->project_dir);
	free(p->project_name);
	envfile_release(&p->env);
	strlist_release(&p->profiles);
	strlist_release(&p->inactive);
	strlist_release(&p->env_read);
	free(p);
}
