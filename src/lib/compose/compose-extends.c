/* compose-extends (compose-internal.h): a service's `extends:` resolved the way docker-compose
 * 1.29's ServiceExtendsResolver does it, after the files' services are
 * merged and before each is normalised.
 *
 *   extends: NAME                      the service NAME of the first file
 *   extends: {service: NAME, file: F}  the service NAME of file F (relative
 *                                      to the file that says it)
 *
 * The extended service is looked up as written in its file (a service of
 * the first file without its overrides), resolved recursively, normalised
 * with paths relative to its own file's directory, checked (no links,
 * volumes_from, depends_on, network_mode: service:), and then the
 * extending service is merged onto it by the override rules. */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <string.h>

/* The (file, service) pairs being resolved, outermost first. */
struct trail {
	const char *file[32];
	const char *service[32];
	size_t n;
};

static int trail_error(const struct trail *t, const char *file, const char *service, const struct ynode *at,
		       struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < t->n; i++)
		strbuf_addf(&sb, "%s%s in %s", i ? "\n  extends " : "", t->service[i], t->file[i]);
	strbuf_addf(&sb, "\n  extends %s in %s", service, file);
	rc = ynode_error(err, at, "Circular reference:\n  %s", sb.buf);
	strbuf_release(&sb);
	return rc;
}

/* extends: as (service, file or NULL); -1 with err when malformed. */
static int extends_parse(const char *name, const struct ynode *ext, const char **service, const char **file,
			 struct cc_error **err)
{
	size_t i;

	*service = *file = NULL;
	if (cnode_is_str(ext)) {
		*service = ext->str;
		return 0;
	}
	if (ext->kind != YNODE_MAP)
		return ynode_error(err, ext,
				   "service '%s': extends must be a service name or a mapping with "
				   "service (and file), not a %s",
				   name, ynode_kind_name(ext));
	for (i = 0; i < ext->len; i++) {
		const char *k = ext->keys[i]->str;

		if (strcmp(k, "service") && strcmp(k, "file"))
			return ynode_error(err, ext->keys[i],
					   "service '%s': extends contains an unsupported option: "
					   "'%s' (only service and file)",
					   name, k);
		if (!cnode_is_str(ext->vals[i]))
			return ynode_error(err, ext->vals[i], "service '%s': extends.%s must be a string", name, k);
		if (!strcmp(k, "service"))
			*service = ext->vals[i]->str;
		else
			*file = ext->vals[i]->str;
	}
	if (!*service)
		return ynode_error(err, ext, "service '%s': extends needs 'service'", name);
	return 0;
}

/* validate_extended_service_dict. */
static int extended_check(const struct ynode *svc, const char *file, const char *service, const struct ynode *at,
			  struct cc_error **err)
{
	static const char *const banned[] = { "links", "volumes_from" };
	const struct ynode *nm = ynode_map_get(svc, "network_mode"), *net = ynode_map_get(svc, "net");
	size_t i;

	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (ynode_map_get(svc, banned[i]))
			return ynode_error(err, at,
					   "Cannot extend service '%s' in %s: services with '%s' cannot be "
					   "extended",
					   service, file, banned[i]);
	if (net && cnode_is_str(net) && str_has_prefix(net->str, "container:"))
		return ynode_error(err, at,
				   "Cannot extend service '%s' in %s: services with 'net: container' "
				   "cannot be extended",
				   service, file);
	if (nm && cnode_is_str(nm) && str_has_prefix(nm->str, "service:"))
		return ynode_error(err, at,
				   "Cannot extend service '%s' in %s: services with 'network_mode: "
				   "service' cannot be extended",
				   service, file);
	if (ynode_map_get(svc, "depends_on"))
		return ynode_error(err, at,
				   "Cannot extend service '%s' in %s: services with 'depends_on' cannot be "
				   "extended",
				   service, file);
	return 0;
}

/* Resolve *svc, the service `name` of `file` whose relative paths are
 * relative to `dir`; *svc is replaced by the merged service. */
static int resolve(struct compose_project *p, const char *file, const char *dir, const char *name, struct ynode **svc,
		   struct trail *t, struct cc_error **err)
{
	const struct ynode *ext = ynode_map_get(*svc, "extends"), *root, *services, *found;
	const char *service, *other, *efile;
	cleanup_free char *path = NULL, *pdir = NULL;
	struct ynode *base, *merged;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->file[i], file) && !strcmp(t->service[i], name))
			return trail_error(t, file, name, ext ? ext : *svc, err);
	if (!ext)
		return 0;
	if (t->n == sizeof(t->file) / sizeof(t->file[0]))
		return ynode_error(err, ext, "service '%s': extends nested more than %zu deep", name, t->n);
	if (extends_parse(name, ext, &service, &other, err) < 0)
		return -1;
	path = other ? compose_expand_path(dir, other) : xstrdup(file);
	if (compose_file_get(p, path, ext, &root, &efile, err) < 0)
		return -1;
	services = ynode_map_get(root, "services");
	if (!services || !(found = ynode_map_get(services, service)))
		return ynode_error(err, ext, "Cannot extend service '%s' in %s: Service not found", service, path);
	pdir = path_dirname(efile);
	base = ynode_clone(found);
	t->file[t->n] = file;
	t->service[t->n++] = name;
	if (resolve(p, efile, pdir, service, &base, t, err) < 0 || compose_process_service(pdir, base, err) < 0 ||
	    extended_check(base, path, service, ext, err) < 0) {
		t->n--;
		ynode_free(base);
		return -1;
	}
	t->n--;
	ynode_map_remove(*svc, "extends");
	merged = compose_merge_tagged(base, *svc, err);
	ynode_free(base);
	if (!merged)
		return -1;
	merged->pos = (*svc)->pos;
	ynode_free(*svc);
	*svc = merged;
	return 0;
}

int compose_resolve_extends(struct compose_project *p, const char *name, struct ynode **svc, struct cc_error **err)
{
	return compose_resolve_extends_in(p, p->file_names[0], p->project_dir, name, svc, err);
}

int compose_resolve_extends_in(struct compose_project *p, const char *file, const char *dir, const char *name,
			       struct ynode **svc, struct cc_error **err)
{
	struct trail t = { .n = 0 };

	return resolve(p, file, dir, name, svc, &t, err);
}
