/* manifest-sync: the syncs: section (manifest-sync.h).  Like manifest.c it
 * reports every problem, each at the node it is about. */
#include "manifest-sync.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sync_keys[] = { "from",   "to",   "exclude",	"delete",	"rewrite",
					 "backup", "lock", "direction", "lock_timeout", "helper_image" };

/* A positioned error; always -1 (the caller keeps going). */
#define bad(err, n, ...) ynode_error(err, n, __VA_ARGS__)

static int check_keys(const struct ynode *map, const char *what, struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; i < map->len; i++) {
		const char *k = map->keys[i]->str, *near;
		size_t j;

		for (j = 0; j < N(sync_keys) && strcmp(k, sync_keys[j]); j++)
			;
		if (j < N(sync_keys) || str_has_prefix(k, "x-"))
			continue;
		near = str_nearest(k, sync_keys, N(sync_keys));
		rc = bad(err, map->keys[i], "unknown key '%s' in %s%s%s%s", k, what, near ? " (did you mean '" : "",
			 near ? near : "", near ? "'?)" : "");
	}
	return rc;
}

static int get_string(const struct ynode *n, const char *what, char **out, struct cc_error **err)
{
	if (n->kind != YNODE_SCALAR || ynode_is_null(n))
		return bad(err, n, "%s must be a string, not %s", what,
			   ynode_is_null(n) ? "empty" : ynode_kind_name(n));
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

/* A string or a list of strings. */
static int get_strlist(const struct ynode *n, const char *what, struct strlist *out, struct cc_error **err)
{
	int rc = 0;

	if (n->kind == YNODE_SCALAR && !ynode_is_null(n)) {
		strlist_push(out, n->str);
		return 0;
	}
	if (n->kind != YNODE_SEQ)
		return bad(err, n, "%s must be a string or a list of strings", what);
	for (size_t i = 0; i < n->len; i++)
		if (n->items[i]->kind != YNODE_SCALAR || ynode_is_null(n->items[i]))
			rc = bad(err, n->items[i], "%s: each item must be a string", what);
		else
			strlist_push(out, n->items[i]->str);
	return rc;
}

/* Each pattern must compile as a .dockerignore line. */
static int check_patterns(const struct ynode *n, const struct strlist *pats, const char *what, struct cc_error **err)
{
	struct ignore *ig = ignore_new();
	int rc = 0;

	for (size_t i = 0; i < pats->n; i++) {
		struct cc_error *perr = NULL;

		if (ignore_add(ig, pats->v[i], what, (int)i + 1, &perr) < 0) {
			const struct ynode *at = n->kind == YNODE_SEQ && i < n->len ? n->items[i] : n;

			rc = bad(err, at, "%s: '%s' is not a valid pattern: %s", what, pats->v[i],
				 perr ? perr->msg : "bad pattern");
			cc_error_free(perr);
		}
	}
	ignore_free(ig);
	return rc;
}

static int parse_rewrite_one(const struct ynode *n, const char *what, struct sync_rewrite *rw, struct cc_error **err)
{
	const struct ynode *files = ynode_map_get(n, "files"), *rep = ynode_map_get(n, "replace");
	int rc = 0;

	if (n->kind != YNODE_MAP)
		return bad(err, n, "%s must be a mapping with files: and replace:", what);
	for (size_t i = 0; i < n->len; i++)
		if (strcmp(n->keys[i]->str, "files") && strcmp(n->keys[i]->str, "replace"))
			rc = bad(err, n->keys[i], "unknown key '%s' in %s (files:, replace:)", n->keys[i]->str, what);
	if (!files || !rep)
		return bad(err, n, "%s needs both files: and replace:", what);
	if (get_strlist(files, what, &rw->files, err) == 0)
		rc |= check_patterns(files, &rw->files, what, err);
	if (rep->kind != YNODE_MAP || !rep->len)
		return bad(err, rep, "%s.replace must be a mapping of FROM: TO strings", what);
	for (size_t i = 0; i < rep->len; i++) {
		if (!*rep->keys[i]->str)
			rc = bad(err, rep->keys[i], "%s.replace: the string to replace is empty", what);
		else if (rep->vals[i]->kind != YNODE_SCALAR)
			rc = bad(err, rep->vals[i], "%s.replace.%s must be a string", what, rep->keys[i]->str);
		else
			kvlist_set(&rw->replace, rep->keys[i]->str,
				   ynode_is_null(rep->vals[i]) ? "" : rep->vals[i]->str);
	}
	return rc;
}

static int parse_rewrites(const struct ynode *n, const char *what, struct sync_spec *s, struct cc_error **err)
{
	int rc = 0;

	if (n->kind != YNODE_SEQ)
		return bad(err, n, "%s must be a list of {files:, replace:}", what);
	s->rewrites = xcalloc(n->len ? n->len : 1, sizeof(*s->rewrites));
	for (size_t i = 0; i < n->len; i++) {
		cleanup_free char *w = xasprintf("%s[%zu]", what, i);

		if (parse_rewrite_one(n->items[i], w, &s->rewrites[s->nrewrites++], err) < 0)
			rc = -1;
	}
	return rc;
}

/* to: service:NAME:/PATH, a directory in the service's running container. */
static int parse_to_service(const struct ynode *n, const char *what, struct sync_spec *s, struct cc_error **err)
{
	const char *v = s->to + 8, *colon = strchr(v, ':');

	s->target = SYNC_TO_SERVICE;
	s->service = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	if (!colon || colon[1] != '/')
		return bad(err, n,
			   "%s: a service destination is service:NAME:/PATH (an absolute path in its container)", what);
	s->path = path_clean(colon + 1);
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", s->service))
		return bad(err, n, "%s: '%s' is not a service name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", what, s->service);
	if (!strcmp(s->path, "/"))
		return bad(err, n, "%s: the destination is the container's root directory; name a directory in it",
			   what);
	return 0;
}

/* to: a host path, volume:NAME[/SUBDIR] or service:NAME:/PATH. */
static int parse_to(const struct ynode *n, const char *what, struct sync_spec *s, struct cc_error **err)
{
	const char *v = s->to, *slash;

	if (str_has_prefix(v, "service:"))
		return parse_to_service(n, what, s, err);
	if (!str_has_prefix(v, "volume:"))
		return 0;
	v += 7;
	slash = strchr(v, '/');
	s->volume = slash ? xstrndup(v, (size_t)(slash - v)) : xstrdup(v);
	s->subdir = path_clean(slash ? slash + 1 : ".");
	if (!strcmp(s->subdir, ".")) {
		free(s->subdir);
		s->subdir = xstrdup("");
	}
	s->target = SYNC_TO_VOLUME;
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", s->volume))
		return bad(err, n, "%s: '%s' is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", what, s->volume);
	if (str_has_prefix(s->subdir, "../") || !strcmp(s->subdir, "..") || s->subdir[0] == '/')
		return bad(err, n, "%s: the subdirectory '%s' leaves the volume", what, s->subdir);
	return 0;
}

static int parse_scalars(const struct ynode *n, const char *what, struct sync_spec *s, struct cc_error **err)
{
	const struct ynode *v;
	long long secs;
	int b = 0, rc = 0;

	if ((v = ynode_map_get(n, "delete")) && !ynode_is_bool(v, &b))
		rc = bad(err, v, "%s.delete must be true or false", what);
	s->delete = b;
	if ((v = ynode_map_get(n, "lock")) && get_string(v, "lock:", &s->lock, err) < 0)
		rc = -1;
	s->lock_timeout = 60;
	if ((v = ynode_map_get(n, "lock_timeout"))) {
		if (!ynode_is_int(v, &secs) || secs < 0 || secs > 86400)
			rc = bad(err, v, "%s.lock_timeout must be a number of seconds (0 to 86400)", what);
		else
			s->lock_timeout = (long)secs;
	}
	if ((v = ynode_map_get(n, "helper_image")) && get_string(v, "helper_image:", &s->helper_image, err) < 0)
		rc = -1;
	if ((v = ynode_map_get(n, "direction"))) {
		const char *d = v->kind == YNODE_SCALAR ? v->str : "";

		if (!strcmp(d, "in"))
			s->direction = SYNC_IN;
		else if (!strcmp(d, "out"))
			s->direction = SYNC_OUT;
		else if (!strcmp(d, "both"))
			s->direction = SYNC_BOTH;
		else
			rc = bad(err, v, "%s.direction must be in, out or both", what);
	}
	/* manifest.c checks that backups: has it (check_refs). */
	if ((v = ynode_map_get(n, "backup")) && get_string(v, "backup:", &s->backup, err) == 0)
		s->backup_pos = v->pos;
	else if (v)
		rc = -1;
	return rc;
}

/* 1 when some TO of the rules other than rules[i].vals[j] contains it:
 * undone in reverse order, the shorter would eat into the longer. */
static int to_inside_another(const struct sync_spec *s, size_t i, size_t j)
{
	const char *to = s->rewrites[i].replace.vals[j];

	for (size_t a = 0; a < s->nrewrites; a++)
		for (size_t b = 0; b < s->rewrites[a].replace.n; b++)
			if ((a != i || b != j) && strcmp(s->rewrites[a].replace.vals[b], to) &&
			    strstr(s->rewrites[a].replace.vals[b], to))
				return 1;
	return 0;
}

/* direction: both undoes the rewrite on the way back: each rule's
 * replacements must be reversible (a non-empty TO, no two alike, none
 * inside another). */
static int check_reversible(const struct ynode *n, const char *what, const struct sync_spec *s, struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; i < s->nrewrites; i++) {
		const struct kvlist *kv = &s->rewrites[i].replace;

		for (size_t j = 0; j < kv->n; j++) {
			size_t k;

			for (k = 0; k < j && strcmp(kv->vals[k], kv->vals[j]); k++)
				;
			if (!*kv->vals[j])
				rc = bad(err, n,
					 "%s.rewrite[%zu]: rewrite with direction both: '%s' is replaced by an"
					 " empty string, which cannot be undone on the way back",
					 what, i, kv->keys[j]);
			else if (k < j)
				rc = bad(err, n,
					 "%s.rewrite[%zu]: rewrite with direction both: '%s' and '%s' both"
					 " become '%s', which cannot be undone on the way back",
					 what, i, kv->keys[k], kv->keys[j], kv->vals[j]);
			else if (to_inside_another(s, i, j))
				rc = bad(err, n,
					 "%s.rewrite[%zu]: rewrite with direction both: '%s' lies inside another"
					 " replacement, so the way back could not tell them apart",
					 what, i, kv->vals[j]);
		}
	}
	return rc;
}

static int parse_one(const char *name, const struct ynode *n, struct sync_spec *s, struct cc_error **err)
{
	cleanup_free char *what = xasprintf("syncs.%s", name);
	const struct ynode *v;
	int rc = 0;

	s->name = xstrdup(name);
	s->pos = n->pos;
	if (!str_matches("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", name))
		rc = bad(err, n, "sync name '%s' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (n->kind != YNODE_MAP)
		return bad(err, n, "%s must be a mapping (from:, to:, ...)", what);
	rc |= check_keys(n, what, err);
	if (!(v = ynode_map_get(n, "from")))
		rc = bad(err, n, "%s needs from: (a host file or directory)", what);
	else
		rc |= get_string(v, "from:", &s->from, err);
	if (!(v = ynode_map_get(n, "to")))
		rc = bad(err, n, "%s needs to: (a host path, volume:NAME[/SUBDIR] or service:NAME:/PATH)", what);
	else if (get_string(v, "to:", &s->to, err) < 0 || parse_to(v, what, s, err) < 0)
		rc = -1;
	if ((v = ynode_map_get(n, "exclude")) &&
	    (get_strlist(v, "exclude:", &s->exclude, err) < 0 || check_patterns(v, &s->exclude, "exclude:", err) < 0))
		rc = -1;
	if ((v = ynode_map_get(n, "rewrite"))) {
		cleanup_free char *field = xasprintf("%s.rewrite", what);

		if (parse_rewrites(v, field, s, err) < 0)
			rc = -1;
	}
	rc |= parse_scalars(n, what, s, err);
	if (s->direction == SYNC_BOTH)
		rc |= check_reversible(ynode_map_get(n, "rewrite"), what, s, err);
	if (s->direction == SYNC_BOTH && s->target != SYNC_TO_HOST)
		rc = bad(err, ynode_map_get(n, "direction"), "%s: direction: both needs a host path in to:", what);
	if (s->target != SYNC_TO_HOST && s->backup)
		rc = bad(err, ynode_map_get(n, "backup"), "%s: backup: before a sync into a %s is not supported yet",
			 what, s->target == SYNC_TO_VOLUME ? "volume" : "container");
	if (s->target != SYNC_TO_HOST && s->direction == SYNC_OUT)
		rc = bad(err, ynode_map_get(n, "direction"), "%s: direction: out from a %s is not supported yet", what,
			 s->target == SYNC_TO_VOLUME ? "volume" : "container");
	return rc;
}

int manifest_sync_parse(const struct ynode *n, struct sync_spec **out, size_t *nout, struct cc_error **err)
{
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_MAP)
		return bad(err, n, "syncs must be a mapping of NAME: {from:, to:, ...}");
	*out = xcalloc(n->len ? n->len : 1, sizeof(**out));
	for (size_t i = 0; i < n->len; i++)
		if (!str_has_prefix(n->keys[i]->str, "x-") &&
		    parse_one(n->keys[i]->str, n->vals[i], &(*out)[(*nout)++], err) < 0)
			rc = -1;
	return rc;
}

const struct sync_spec *sync_spec_find(const struct sync_spec *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

char *sync_spec_path(const char *path, const char *base)
{
	const char *home = getenv("HOME");
	cleanup_free char *joined = NULL;

	if ((!strcmp(path, "~") || str_has_prefix(path, "~/")) && home && *home)
		joined = xasprintf("%s%s", home, path + 1);
	else
		joined = path_join(base, path);
	return path_clean(joined);
}

void sync_specs_free(struct sync_spec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sync_spec *s = &v[i];

		free(s->name);
		free(s->from);
		free(s->to);
		free(s->volume);
		free(s->subdir);
		free(s->service);
		free(s->path);
		free(s->helper_image);
		free(s->lock);
		free(s->backup);
		strlist_release(&s->exclude);
		for (size_t j = 0; j < s->nrewrites; j++) {
			strlist_release(&s->rewrites[j].files);
			kvlist_release(&s->rewrites[j].replace);
		}
		free(s->rewrites);
	}
	free(v);
}
