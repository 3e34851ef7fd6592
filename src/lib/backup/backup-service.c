/* backup-service: services and volumes for backups (backup-service.h). */
#include "backup-service.h"
#include "backup-tree.h"
#include "backup-volume.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine.h"
#include "error.h"
#include "util.h"
#include "ynode.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *scalar(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && !ynode_is_null(n) ? n->str : NULL;
}

int bk_service_volumes(const struct compose_project *p, const char *service, struct strlist *out, struct cc_error **err)
{
	struct ynode *model = compose_config_tree_v2(p);
	const struct ynode *svc = ynode_map_get(ynode_map_get(model, "services"), service);
	const struct ynode *vols = ynode_map_get(svc, "volumes"), *decls = ynode_map_get(model, "volumes");
	size_t i, before = out->n;

	for (i = 0; vols && vols->kind == YNODE_SEQ && i < vols->len; i++) {
		const struct ynode *v = vols->items[i];
		const char *type = scalar(ynode_map_get(v, "type")), *src = scalar(ynode_map_get(v, "source"));
		const char *name = src ? scalar(ynode_map_get(ynode_map_get(decls, src), "name")) : NULL;

		if (type && !strcmp(type, "volume") && src && !strlist_has(out, name ? name : src))
			strlist_push(out, name ? name : src);
	}
	ynode_free(model);
	if (!svc)
		return cc_error_set(err, "no service '%s' in the profile's compose model", service);
	if (out->n == before)
		return cc_error_set(err, "service %s mounts no named volume", service);
	return 0;
}

int bk_service_containers(struct engine *e, const char *project, const char *service, int running, struct strlist *ids,
			  struct cc_error **err)
{
	struct deploy_found_list l = { 0 };
	size_t i;

	if (deploy_find_containers(e, project, &l, err) < 0)
		return -1;
	for (i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].service, service) && !l.v[i].oneoff &&
		    (!running || !strcmp(l.v[i].state, "running")))
			strlist_push(ids, l.v[i].id);
	deploy_found_release(&l);
	return 0;
}

int bk_volume_users(struct engine *e, const char *volume, int all, struct strlist *ids, struct strlist *names,
		    struct strlist *images, struct cc_error **err)
{
	json_t *filters = json_pack("{s:[s]}", "volume", volume), *body = NULL, *c;
	cleanup_free char *text = json_dumps(filters, JSON_COMPACT), *q = engine_escape(text);
	cleanup_free char *path = xasprintf("/containers/json?all=%d&filters=%s", all, q);
	int status = engine_request(e, "GET", path, NULL, &body, err);
	size_t i;

	json_decref(filters);
	if (status != 200) {
		if (status >= 0)
			engine_status_error(status, body, err);
		json_decref(body);
		return cc_error_wrap(err, "listing the containers of volume %s", volume);
	}
	json_array_foreach(body, i, c)
	{
		const char *id = json_string_value(json_object_get(c, "Id"));
		const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
		const char *image = json_string_value(json_object_get(c, "Image"));

		if (!id || json_object_get(json_object_get(c, "Labels"), "ccbuild.backup.helper"))
			continue; /* a helper a killed run left: not a user */
		if (ids)
			strlist_push(ids, id);
		if (images)
			strlist_push(images, image ? image : "");
		if (names)
			strlist_push(names, name ? name + (*name == '/') : id);
	}
	json_decref(body);
	return 0;
}

int bk_service_read(struct engine *e, const struct strlist *volumes, struct bk_store *st, struct bk_entries *out,
		    uint64_t *bytes, struct cc_error **err)
{
	size_t i, k;

	for (i = 0; i < volumes->n; i++) {
		struct bk_entries one = { 0 };
		struct bk_entry *d;

		if (bk_volume_read(e, volumes->v[i], st, &one, bytes, err) < 0) {
			bk_entries_release(&one);
			return -1;
		}
		d = bk_entries_add(out, volumes->v[i], BK_DIR);
		d->mode = 0755;
		for (k = 0; k < one.n; k++) {
			struct bk_entry *x = &one.v[k];
			cleanup_free char *path = xasprintf("%s/%s", volumes->v[i], x->path);
			struct bk_entry *y = bk_entries_add(out, path, x->type);
			char *owned = y->path;

			*y = *x; /* steal its link and chunks */
			y->path = owned;
			x->link = NULL;
			x->chunks = NULL;
			x->nchunks = 0;
		}
		bk_entries_release(&one);
	}
	bk_entries_sort(out);
	return 0;
}

void bk_entries_under(const struct bk_entries *all, const char *dir, struct bk_entries *out)
{
	size_t i, n = strlen(dir);

	for (i = 0; i < all->n; i++) {
		const struct bk_entry *x = &all->v[i];
		struct bk_entry *y;
		char *owned;

		if (strncmp(x->path, dir, n) || x->path[n] != '/' || !x->path[n + 1])
			continue;
		y = bk_entries_add(out, x->path + n + 1, x->type);
		owned = y->path;
		*y = *x;
		y->path = owned;
		y->link = x->link ? xstrdup(x->link) : NULL;
		y->chunks = NULL;
		if (x->nchunks) {
			y->chunks = xcalloc(x->nchunks, sizeof(*x->chunks));
			memcpy(y->chunks, x->chunks, x->nchunks * sizeof(*x->chunks));
		}
	}
}
