/* watch-rules: develop.watch entries (watch-rules.h). */
#include "watch-rules.h"
#include "compose.h"
#include "error.h"
#include "ignore.h"
#include "util.h"
#include "watch.h"
#include "ynode.h"

#include <stdlib.h>
#include <string.h>

static const char *scalar(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR ? n->str : NULL;
}

static int rule_action(const char *s, enum watch_action *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "rebuild"))
		*out = WATCH_REBUILD;
	else if (!strcmp(s, "sync"))
		*out = WATCH_SYNC;
	else if (!strcmp(s, "sync+restart"))
		*out = WATCH_SYNC_RESTART;
	else
		return -1;
	return 0;
}

/* One develop.watch item of service svc into out. */
static int rule_add(const char *svc, const struct ynode *item, struct watch_rules *out, struct cc_error **err)
{
	const char *path = scalar(ynode_map_get(item, "path")), *target = scalar(ynode_map_get(item, "target"));
	const struct ynode *ign = ynode_map_get(item, "ignore");
	struct watch_rule r = { 0 };

	if (!path || rule_action(scalar(ynode_map_get(item, "action")), &r.action) < 0)
		return ynode_error(err, item, "service %s: develop.watch: an entry needs path and action", svc);
	if (r.action != WATCH_REBUILD && (!target || target[0] != '/'))
		return ynode_error(err, item, "service %s: develop.watch: a %s entry needs an absolute target", svc,
				   watch_action_name(r.action));
	r.ig = ignore_new();
	for (size_t i = 0; ign && ign->kind == YNODE_SEQ && i < ign->len; i++)
		if (scalar(ign->items[i]) && ignore_add(r.ig, ign->items[i]->str, path, (int)i + 1, err) < 0) {
			ignore_free(r.ig);
			return cc_error_wrap(err, "service %s: develop.watch ignore", svc);
		}
	r.service = xstrdup(svc);
	r.path = path_clean(path);
	r.target = target ? path_clean(target) : NULL;
	VEC_PUSH(out->v, out->n, out->cap, r);
	return 0;
}

int watch_rules_load(const struct compose_project *p, struct watch_rules *out, struct cc_error **err)
{
	int rc = 0;

	for (size_t i = 0; p && i < compose_service_count(p); i++) {
		const struct ynode *w = ynode_map_get(ynode_map_get(compose_service(p, i), "develop"), "watch");

		for (size_t j = 0; w && w->kind == YNODE_SEQ && j < w->len; j++)
			if (rule_add(compose_service_name(p, i), w->items[j], out, err) < 0)
				rc = -1;
	}
	return rc;
}

int watch_rule_match(const struct watch_rule *r, const char *path)
{
	const char *rel = watch_path_below(r->path, path);

	if (!rel)
		return -1;
	return *rel && ignore_match(r->ig, rel) ? 0 : 1;
}

char *watch_rule_target(const struct watch_rule *r, const char *path)
{
	const char *rel = watch_path_below(r->path, path);

	return rel && *rel ? path_join(r->target, rel) : xstrdup(r->target);
}

const char *watch_action_name(enum watch_action a)
{
	return a == WATCH_REBUILD ? "rebuild" : a == WATCH_SYNC ? "sync" : "sync+restart";
}

void watch_rules_release(struct watch_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		free(rules->v[i].service);
		free(rules->v[i].path);
		free(rules->v[i].target);
		ignore_free(rules->v[i].ig);
	}
	free(rules->v);
	memset(rules, 0, sizeof(*rules));
}
