/* compose-deps (compose-internal.h): the dependencies between finalised
 * services, as compose v2 reads them (depends_on, and what links,
 * volumes_from, network_mode:, ipc: and pid: naming service:NAME imply),
 * and compose v2's check that they have no cycle. */
#include "compose-internal.h"

#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* How long a chain of dependencies may be (the check recurses). */
#define COMPOSE_DEPS_DEPTH 4096

/* The services svc depends on, each once (names borrowed or pushed). */
static void deps_of(const struct ynode *svc, struct strlist *out)
{
	const struct ynode *v = ynode_map_get(svc, "depends_on");
	static const char *const modes[] = { "network_mode", "ipc", "pid" };

	for (size_t i = 0; v && v->kind == YNODE_MAP && i < v->len; i++)
		strlist_push(out, v->keys[i]->str);
	v = ynode_map_get(svc, "links");
	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++)
		if (v->items[i]->kind == YNODE_SCALAR) {
			cleanup_free char *name = xstrndup(v->items[i]->str, strcspn(v->items[i]->str, ":"));

			strlist_push(out, name);
		}
	v = ynode_map_get(svc, "volumes_from");
	for (size_t i = 0; v && v->kind == YNODE_SEQ && i < v->len; i++) {
		const char *s = v->items[i]->kind == YNODE_SCALAR ? v->items[i]->str : "container:";
		cleanup_free char *name = NULL;

		if (str_has_prefix(s, "container:"))
			continue;
		s += str_has_prefix(s, "service:") ? 8 : 0;
		name = xstrndup(s, strcspn(s, ":"));
		strlist_push(out, name);
	}
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
		if ((v = ynode_map_get(svc, modes[k])) && cnode_is_str(v) && str_has_prefix(v->str, "service:"))
			strlist_push(out, v->str + 8);
}

/* Depth-first from service i; state: 0 new, 1 on the path, 2 done. */
static int visit(const struct ynode *services, size_t i, char *state, size_t *path, size_t depth, struct cc_error **err)
{
	struct strlist deps = { 0 };
	int rc = 0;

	if (depth >= COMPOSE_DEPS_DEPTH) /* the recursion stays bounded */
		return ynode_error(err, services->vals[i], "depends_on: a chain of more than %d services",
				   COMPOSE_DEPS_DEPTH);
	state[i] = 1;
	path[depth] = i;
	deps_of(services->vals[i], &deps);
	for (size_t d = 0; rc == 0 && d < deps.n; d++) {
		long j = ynode_map_index(services, deps.v[d]);
		struct strbuf sb = STRBUF_INIT;
		size_t k = 0;

		if (j < 0 || state[j] == 2)
			continue;
		if (state[j] == 0) {
			rc = visit(services, (size_t)j, state, path, depth + 1, err);
			continue;
		}
		while (path[k] != (size_t)j)
			k++;
		for (; k <= depth; k++)
			strbuf_addf(&sb, "%s -> ", services->keys[path[k]]->str);
		rc = ynode_error(err, services->vals[i], "dependency cycle detected: %s%s", sb.buf, deps.v[d]);
		strbuf_release(&sb);
	}
	strlist_release(&deps);
	state[i] = 2;
	return rc;
}

int compose_check_cycles(const struct ynode *services, struct cc_error **err)
{
	char *state = xcalloc(services->len + 1, 1);
	size_t *path = xcalloc(services->len + 1, sizeof(*path));
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < services->len; i++)
		if (!state[i])
			rc = visit(services, i, state, path, 0, err);
	free(state);
	free(path);
	return rc;
}
