/* project: from manifest + compose to images (project.h; the step graph
 * is built above, by step-graph.c).  The
 * order of precedence for an image's settings is compose build:, then the
 * manifest's images.KEY, then the profile's images.KEY. */
#include "project.h"
#include "compose.h"
#include "project-contexts.h"
#include "deploy-plan.h"
#include "dockerfile.h"
#include "error.h"
#include "imageref.h"
#include "manifest.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void image_release(struct image *img)
{
	image_spec_release(&img->spec);
	free(img->ref_full);
	free(img->dockerfile_inline);
	for (size_t i = 0; i < img->nsecrets; i++) {
		free(img->secrets[i].id);
		free(img->secrets[i].source);
	}
	free(img->secrets);
	strlist_release(&img->ssh);
	kvlist_release(&img->context_dirs);
	kvlist_release(&img->context_refs);
	strlist_release(&img->bases);
	strlist_release(&img->platform_bases);
}

static struct image *project_add_image(struct project *p, const char *key, const struct ypos *pos)
{
	struct image *img;

	p->images = xrealloc(p->images, (p->nimages + 1) * sizeof(*p->images));
	img = &p->images[p->nimages++];
	memset(img, 0, sizeof(*img));
	img->spec.key = xstrdup(key);
	if (pos)
		img->spec.pos = *pos;
	return img;
}

const struct image *project_image(const struct project *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nimages; i++)
		if (!strcmp(p->images[i].spec.key, key))
			return &p->images[i];
	return NULL;
}

/* A scalar map or a "K=V" list, as compose writes args and labels. */
static void kv_from_node(const struct ynode *n, struct kvlist *out)
{
	size_t i;
	const char *eq;
	char *k;

	if (!n)
		return;
	if (n->kind == YNODE_MAP) {
		for (i = 0; i < n->len; i++)
			if (n->vals[i]->kind == YNODE_SCALAR)
				kvlist_set(out, n->keys[i]->str, ynode_is_null(n->vals[i]) ? "" : n->vals[i]->str);
		return;
	}
	if (n->kind != YNODE_SEQ)
		return;
	for (i = 0; i < n->len; i++) {
		if (n->items[i]->kind != YNODE_SCALAR)
			continue;
		eq = strchr(n->items[i]->str, '=');
		k = eq ? xstrndup(n->items[i]->str, (size_t)(eq - n->items[i]->str)) : xstrdup(n->items[i]->str);
		kvlist_set(out, k, eq ? eq + 1 : "");
		free(k);
	}
}

static void list_from_node(const struct ynode *n, struct strlist *out)
{
	size_t i;

	if (n && n->kind == YNODE_SCALAR)
		strlist_push(out, n->str);
	else if (n && n->kind == YNODE_SEQ)
		for (i = 0; i < n->len; i++)
			if (n->items[i]->kind == YNODE_SCALAR)
				strlist_push(out, n->items[i]->str);
}

/* Compose's build.ulimits (checked by compose-check.c: a number, or
 * {soft, hard}) as name -> "SOFT:HARD". */
static void ulimits_from_node(const struct ynode *n, struct kvlist *out)
{
	for (size_t i = 0; n && n->kind == YNODE_MAP && i < n->len; i++) {
		const struct ynode *v = n->vals[i];
		const struct ynode *soft = v->kind == YNODE_MAP ? ynode_map_get(v, "soft") : v;
		const struct ynode *hard = v->kind == YNODE_MAP ? ynode_map_get(v, "hard") : v;
		cleanup_free char *val = NULL;
		long long s, h;

		if (ynode_is_int(soft, &s) && ynode_is_int(hard, &h)) {
			val = xasprintf("%lld:%lld", s, h);
			kvlist_set(out, n->keys[i]->str, val);
		}
	}
}

static const char *scalar(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && !ynode_is_null(n) ? n->str : NULL;
}

/* The settings a compose service's build: section gives (contexts made
 * relative to the manifest's directory). */
static void image_from_service(struct image *img, const struct ynode *svc, const char *dir)
{
	const struct ynode *build = ynode_map_get(svc, "build");
	const char *ctx = scalar(build), *v;

	img->from_compose = 1;
	if (build && build->kind == YNODE_MAP) {
		ctx = scalar(ynode_map_get(build, "context"));
		if ((v = scalar(ynode_map_get(build, "dockerfile"))))
			img->spec.dockerfile = xstrdup(v);
		if ((v = scalar(ynode_map_get(build, "target"))))
			img->spec.target = xstrdup(v);
		if ((v = scalar(ynode_map_get(build, "dockerfile_inline"))))
			img->dockerfile_inline = xstrdup(v);
		kv_from_node(ynode_map_get(build, "args"), &img->spec.args);
		kv_from_node(ynode_map_get(build, "labels"), &img->spec.labels);
		list_from_node(ynode_map_get(build, "cache_from"), &img->spec.cache_from);
		list_from_node(ynode_map_get(build, "platforms"), &img->spec.platforms);
		list_from_node(ynode_map_get(build, "tags"), &img->spec.tags);
		ynode_is_bool(ynode_map_get(build, "no_cache"), &img->spec.no_cache);
		ynode_is_bool(ynode_map_get(build, "pull"), &img->spec.pull);
		ulimits_from_node(ynode_map_get(build, "ulimits"), &img->spec.ulimits);
	}
	img->spec.context = path_join(dir, ctx ? ctx : ".");
	if ((v = scalar(ynode_map_get(svc, "image"))))
		img->spec.ref = xstrdup(v);
	if ((v = scalar(ynode_map_get(svc, "platform"))) && !strlist_has(&img->spec.platforms, v))
		strlist_push(&img->spec.platforms, v);
}

/* The service's build.secrets into img->secrets. */
static int image_secrets_from_service(struct image *img, const struct compose_project *c, size_t i,
				      struct cc_error **err)
{
	struct compose_build_secret *v;
	size_t n, j;

	if (compose_service_build_secrets(c, i, &v, &n, err) < 0)
		return -1;
	img->secrets = n ? xcalloc(n, sizeof(*img->secrets)) : NULL;
	for (j = 0; j < n; j++)
		img->secrets[j] = (struct image_secret){ xstrdup(v[j].id), xstrdup(v[j].file ? v[j].file : v[j].env),
							 !v[j].file };
	img->nsecrets = n;
	free(v);
	return 0;
}

/* Set secret ID of img to SOURCE (copied), replacing one of that id. */
static void image_secret_set(struct image *img, const char *id, const char *source, int from_env)
{
	size_t k;

	for (k = 0; k < img->nsecrets && strcmp(img->secrets[k].id, id); k++)
		;
	if (k == img->nsecrets) {
		img->secrets = xrealloc(img->secrets, (k + 1) * sizeof(*img->secrets));
		img->secrets[k].id = xstrdup(id);
		img->nsecrets++;
	} else {
		free(img->secrets[k].source);
	}
	img->secrets[k].source = xstrdup(source);
	img->secrets[k].from_env = from_env;
}

/* An images: entry's secrets: and ssh: over the image's (compose's
 * build.secrets and build.ssh): a file relative to dir made absolute, as
 * compose makes its secret files, so the hash (which takes the path) does
 * not depend on where ccbuild was started; likewise an ssh socket path;
 * an ssh ID replaces its own. */
static void image_secrets_apply(struct image *img, const struct image_spec *spec, const char *dir)
{
	cleanup_free char *abs = realpath(dir, NULL);
	size_t i, j;

	for (i = 0; i < spec->secret_files.n; i++) {
		cleanup_free char *f = path_join(abs ? abs : dir, spec->secret_files.vals[i]);

		image_secret_set(img, spec->secret_files.keys[i], f, 0);
	}
	for (i = 0; i < spec->secret_envs.n; i++)
		image_secret_set(img, spec->secret_envs.keys[i], spec->secret_envs.vals[i], 1);
	for (i = 0; i < spec->ssh.n; i++) {
		const char *e = spec->ssh.v[i];
		size_t idlen = strcspn(e, "=");
		cleanup_free char *sock = e[idlen] ? path_join(abs ? abs : dir, e + idlen + 1) : NULL;
		char *entry = sock ? xasprintf("%.*s=%s", (int)idlen, e, sock) : xstrdup(e);

		for (j = 0; j < img->ssh.n; j++)
			if (strcspn(img->ssh.v[j], "=") == idlen && !strncmp(img->ssh.v[j], e, idlen))
				break;
		if (j == img->ssh.n)
			strlist_push(&img->ssh, "");
		free(img->ssh.v[j]);
		img->ssh.v[j] = entry;
	}
}

/* Apply a manifest or profile images: entry (its context relative to
 * the manifest's directory); add: its platforms: and tags: add to the
 * image's (the manifest's over compose's build:), else replace them (a
 * profile narrows). */
static void image_apply(struct image *img, const struct image_spec *spec, const char *dir, int add)
{
	image_spec_overlay(&img->spec, spec, add);
	image_secrets_apply(img, spec, dir);
	if (spec->set & IMG_CONTEXT) {
		free(img->spec.context);
		img->spec.context = path_join(dir, spec->context);
	}
	if (!img->spec.pos.line)
		img->spec.pos = spec->pos;
}

static int load_compose(struct project *p, struct cc_error **err)
{
	const struct manifest *m = p->manifest;
	const struct profile_spec *prof = p->profile;
	struct compose_load_opts opts = { 0 };
	struct strlist files = { 0 }, env_files = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < m->compose.n; i++)
		strlist_push(&files, m->compose.v[i]);
	for (i = 0; i < prof->compose.n; i++)
		strlist_push(&files, prof->compose.v[i]);
	for (i = 0; i < m->env_file.n; i++)
		strlist_push(&env_files, m->env_file.v[i]);
	for (i = 0; i < prof->env_file.n; i++)
		strlist_push(&env_files, prof->env_file.v[i]);
	opts.project_dir = m->dir;
	opts.project_name = m->project;
	opts.profiles = (const char **)prof->compose_profiles.v;
	opts.nprofiles = prof->compose_profiles.n;
	opts.files = (const char **)files.v;
	opts.nfiles = files.n;
	opts.env_files = (const char **)env_files.v;
	opts.nenv_files = env_files.n;
	opts.env = &prof->env;
	opts.use_process_env = 1;
	opts.compose_env_vars = 1; /* COMPOSE_FILE when the manifest names no files */
	opts.warnings = p->warnings;
	rc = compose_load(&opts, &p->compose, err);
	strlist_release(&files);
	strlist_release(&env_files);
	return rc;
}

static int wanted(const struct profile_spec *prof, const char *key)
{
	return !prof->services.n || strlist_has(&prof->services, key);
}

static int collect_images(struct project *p, struct cc_error **err)
{
	const struct manifest *m = p->manifest;
	size_t i, n = p->compose ? compose_service_count(p->compose) : 0;
	const struct image_spec *spec;
	struct image *img;
	int rc = 0;

	for (i = 0; i < n; i++) {
		const struct ynode *svc = compose_service(p->compose, i);

		if (!ynode_map_get(svc, "build"))
			continue;
		img = project_add_image(p, compose_service_name(p->compose, i), &svc->pos);
		image_from_service(img, svc, m->dir);
		rc |= compose_service_build_check(p->compose, i, err);
		rc |= image_secrets_from_service(img, p->compose, i, err);
		compose_service_build_ssh(p->compose, i, &img->ssh);
		rc |= project_contexts_from_service(img, p->compose, i, err);
	}
	for (i = 0; i < m->nimages; i++) {
		img = (struct image *)project_image(p, m->images[i].key);
		if (!img) {
			img = project_add_image(p, m->images[i].key, &m->images[i].pos);
			img->spec.context = path_join(m->dir, ".");
		}
		image_apply(img, &m->images[i], m->dir, img->from_compose);
	}
	for (i = 0; i < p->profile->nimages; i++) {
		spec = &p->profile->images[i];
		img = (struct image *)project_image(p, spec->key);
		if (img) {
			image_apply(img, spec, m->dir, 0);
			continue;
		}
		{
			const char **keys = xcalloc(p->nimages + 1, sizeof(*keys));
			const char *near;
			size_t j;

			for (j = 0; j < p->nimages; j++)
				keys[j] = p->images[j].spec.key;
			near = str_nearest(spec->key, keys, p->nimages);
			rc = ynode_error(err, &(struct ynode){ .pos = spec->pos },
					 "profile '%s' sets image '%s', which is neither in images: nor a compose "
					 "service with build:%s%s%s",
					 p->profile->name, spec->key, near ? " (did you mean '" : "", near ? near : "",
					 near ? "'?)" : "");
			free(keys);
		}
	}
	return rc;
}

/* Defaults, Dockerfile path, and the bases its FROM lines name. */
static int finish_image(struct project *p, struct image *img, struct cc_error **err)
{
	cleanup_free char *text = NULL, *df_rel = NULL;
	struct dockerfile *df = NULL;
	struct cc_error *e = NULL;

	if (!img->spec.ref) {
		/* compose v2's default image name: PROJECT-SERVICE, lower case. */
		img->spec.ref = xasprintf("%s-%s:latest", p->manifest->project, img->spec.key);
		for (char *c = img->spec.ref; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	img->ref_full = imageref_normalized(img->spec.ref);
	if (img->dockerfile_inline && img->spec.dockerfile) { /* the manifest's dockerfile: wins */
		free(img->dockerfile_inline);
		img->dockerfile_inline = NULL;
	}
	df_rel = img->spec.dockerfile ? img->spec.dockerfile
				      : xstrdup(img->dockerfile_inline ? PROJECT_INLINE_DOCKERFILE : "Dockerfile");
	img->spec.dockerfile = path_join(img->spec.context, df_rel);
	if (project_image_dockerfile(img, &text, NULL, &e) < 0) {
		/* read_file says "PATH: why"; keep the why (Permission denied). */
		size_t n = strlen(img->spec.dockerfile);
		const char *why = strncmp(e->msg, img->spec.dockerfile, n) || strncmp(e->msg + n, ": ", 2)
					  ? e->msg
					  : e->msg + n + 2;
		int rc = ynode_error(err, &(struct ynode){ .pos = img->spec.pos },
				     "image '%s': cannot read Dockerfile %s: %s", img->spec.key, img->spec.dockerfile,
				     why);

		cc_error_free(e);
		return rc;
	}
	if (dockerfile_parse(img->spec.dockerfile, text, &img->spec.args, &df, err) < 0)
		return cc_error_wrap(err, "image '%s'", img->spec.key);
	if (img->spec.target && !dockerfile_has_stage(df, img->spec.target)) {
		dockerfile_free(df);
		return ynode_error(err, &(struct ynode){ .pos = img->spec.pos },
				   "image '%s': target '%s' is not a stage of %s", img->spec.key, img->spec.target,
				   img->spec.dockerfile);
	}
	dockerfile_external_refs(df, img->spec.target, &img->bases);
	dockerfile_platform_refs(df, img->spec.target, &img->platform_bases);
	dockerfile_free(df);
	return 0;
}

int project_image_dockerfile(const struct image *img, char **text, size_t *len, struct cc_error **err)
{
	if (!img->dockerfile_inline)
		return read_file(img->spec.dockerfile, text, len, err);
	*text = xstrdup(img->dockerfile_inline);
	if (len)
		*len = strlen(*text);
	return 0;
}

int project_base_is_self(const struct image *img, const char *ref)
{
	cleanup_free char *norm = imageref_normalized(ref);

	return norm && img->ref_full && !strcmp(norm, img->ref_full);
}

long project_base_image(const struct project *p, const struct image *img, const char *ref)
{
	cleanup_free char *norm = imageref_normalized(ref);
	size_t i;

	if (!norm || (img->ref_full && !strcmp(norm, img->ref_full)))
		return -1;
	for (i = 0; i < p->nimages; i++)
		if (p->images[i].ref_full && !strcmp(p->images[i].ref_full, norm))
			return (long)i;
	return -1;
}

/* Keep only the images the profile's services: list asks for, plus what
 * they are built from. */
static void select_services(struct project *p)
{
	char *keep = xcalloc(p->nimages + 1, 1);
	size_t i, j, n = 0, changed = 1;

	for (i = 0; i < p->nimages; i++)
		keep[i] = (char)wanted(p->profile, p->images[i].spec.key);
	while (changed) {
		changed = 0;
		for (i = 0; i < p->nimages; i++) {
			if (!keep[i])
				continue;
			for (j = 0; j < p->images[i].bases.n; j++) {
				long d = project_base_image(p, &p->images[i], p->images[i].bases.v[j]);

				if (d >= 0 && !keep[d])
					keep[d] = 1, changed = 1;
			}
			for (j = 0; j < p->images[i].spec.depends_on.n; j++) {
				const struct image *d = project_image(p, p->images[i].spec.depends_on.v[j]);

				if (d && !keep[d - p->images])
					keep[d - p->images] = 1, changed = 1;
			}
		}
	}
	for (i = 0; i < p->nimages; i++)
		if (keep[i])
			p->images[n++] = p->images[i];
		else
			image_release(&p->images[i]);
	p->nimages = n;
	free(keep);
}

static int unknown_profile(const struct manifest *m, const char *name, struct cc_error **err)
{
	const char **names = xcalloc(m->nprofiles + 1, sizeof(*names));
	struct strbuf sb = STRBUF_INIT;
	const char *near;
	size_t i;

	for (i = 0; i < m->nprofiles; i++) {
		names[i] = m->profiles[i].name;
		strbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
	}
	near = str_nearest(name, names, m->nprofiles);
	if (near)
		cc_error_set(err, "%s: no profile '%s' (did you mean '%s'?)", m->path, name, near);
	else
		cc_error_set(err, "%s: no profile '%s' (profiles: %s)", m->path, name, sb.buf);
	strbuf_release(&sb);
	free(names);
	return -1;
}

/* Every name in the profile's services: list must be an image or a compose
 * service; a typo would otherwise silently select nothing. */
static int check_services(const struct project *p, struct cc_error **err)
{
	const struct ynode *list = ynode_map_get(
		ynode_map_get(ynode_map_get(p->manifest->root, "profiles"), p->profile->name), "services");
	const char **names;
	size_t i, n = 0, ncomp = p->compose ? compose_service_count(p->compose) : 0;
	int rc = 0;

	if (!list || list->kind != YNODE_SEQ)
		return 0;
	names = xcalloc(p->nimages + ncomp + 1, sizeof(*names));
	for (i = 0; i < p->nimages; i++)
		names[n++] = p->images[i].spec.key;
	for (i = 0; i < ncomp; i++)
		names[n++] = compose_service_name(p->compose, i);
	for (i = 0; i < list->len; i++) {
		const struct ynode *it = list->items[i];
		const char *near;
		size_t j;

		if (it->kind != YNODE_SCALAR)
			continue;
		for (j = 0; j < n && strcmp(names[j], it->str); j++)
			;
		if (j < n)
			continue;
		near = str_nearest(it->str, names, n);
		rc = cc_error_set(err, "%s:%d:%d: profiles.%s.services: no image or compose service '%s'%s%s%s",
				  it->pos.file, it->pos.line, it->pos.col, p->profile->name, it->str,
				  near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
	free(names);
	return rc;
}

/* A project of profile name of m with nothing loaded yet; NULL with err
 * when m has no such profile.  Caller frees (project_free). */
static struct project *project_start(const struct manifest *m, const char *name, struct cc_warnings *warnings,
				     struct cc_error **err)
{
	struct project *p;

	if (!manifest_profile(m, name)) {
		unknown_profile(m, name, err);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->manifest = m;
	p->profile = manifest_profile(m, name);
	p->warnings = warnings;
	return p;
}

int project_resolve(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		    struct cc_error **err)
{
	struct project *p;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!(p = project_start(m, name, warnings, err)))
		return -1;
	if (load_compose(p, err) < 0 || collect_images(p, err) < 0) {
		project_free(p);
		return -1;
	}
	for (i = 0; i < p->nimages; i++)
		if (finish_image(p, &p->images[i], err) < 0)
			rc = -1;
	if (rc == 0)
		rc = project_contexts_resolve(p, err);
	if (rc == 0)
		rc = check_services(p, err);
	if (rc == 0)
		select_services(p);
	if (rc < 0) {
		project_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int project_load_model(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		       struct cc_error **err)
{
	struct project *p;

	*out = NULL;
	if (!(p = project_start(m, name, warnings, err)))
		return -1;
	if (load_compose(p, err) < 0) {
		project_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

char *push_repository(const struct manifest *m, const struct image *img)
{
	return xasprintf("%s/%s", m->registry, img->spec.key);
}

int project_needs_git_dirty(const struct project *p)
{
	size_t i, j;

	if (p->profile && p->profile->push)
		return 1;
	for (i = 0; i < p->nimages; i++)
		for (j = 0; j < p->images[i].spec.tags.n; j++)
			if (strstr(p->images[i].spec.tags.v[j], "{git.describe}"))
				return 1;
	return 0;
}

void project_free(struct project *p)
{
	size_t i;

	if (!p)
		return;
	graph_release(&p->graph);
	for (i = 0; i < p->nimages; i++)
		image_release(&p->images[i]);
	free(p->images);
	free(p->scans);
	deploy_plan_free(p->deploy);
	compose_free(p->compose);
	free(p);
}
