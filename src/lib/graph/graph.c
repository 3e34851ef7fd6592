/* graph: ordering by depth-first search, which also finds the cycle to
 * print when there is one. */
#include "graph.h"
#include "error.h"
#include "step.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *step_status_name(enum step_status s)
{
	static const char *const names[] = { "pending", "done", "up-to-date", "failed", "cancelled" };

	return names[s];
}

size_t graph_add(struct graph *g, const char *id, const struct step_kind *kind, void *data)
{
	struct step s = { 0 };

	s.id = xstrdup(id);
	s.kind = kind;
	s.data = data;
	VEC_PUSH(g->steps, g->nsteps, g->cap, s);
	return g->nsteps - 1;
}

long graph_find(const struct graph *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->nsteps; i++)
		if (!strcmp(g->steps[i].id, id))
			return (long)i;
	return -1;
}

void graph_add_edge(struct graph *g, size_t from, size_t to)
{
	struct step *s = &g->steps[from];
	size_t i;

	for (i = 0; i < s->ndeps; i++)
		if (s->deps[i] == to)
			return;
	VEC_PUSH(s->deps, s->ndeps, s->capdeps, to);
}

enum { WHITE, GREY, BLACK };

struct visit {
	struct graph *g;
	char *color;
	size_t *stack, depth, norder;
	struct cc_error **err;
};

static int cycle_error(struct visit *v, size_t back)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;
	int rc;

	while (v->stack[i] != back)
		i++;
	for (; i < v->depth; i++)
		strbuf_addf(&sb, "%s -> ", v->g->steps[v->stack[i]].id);
	strbuf_addstr(&sb, v->g->steps[back].id);
	rc = cc_error_set(v->err, "dependency cycle: %s", sb.buf);
	strbuf_release(&sb);
	return rc;
}

static int visit(struct visit *v, size_t n)
{
	struct step *s = &v->g->steps[n];
	size_t i;

	if (v->color[n] == BLACK)
		return 0;
	if (v->color[n] == GREY)
		return cycle_error(v, n);
	v->color[n] = GREY;
	v->stack[v->depth++] = n;
	for (i = 0; i < s->ndeps; i++)
		if (visit(v, s->deps[i]) < 0)
			return -1;
	v->depth--;
	v->color[n] = BLACK;
	v->g->order[v->norder++] = n;
	return 0;
}

/* Priority is the longest chain of work hanging on a step: recompute it
 * from dependants, in reverse topological order. */
static void compute_priorities(struct graph *g)
{
	size_t i, j, n;

	for (i = 0; i < g->nsteps; i++)
		g->steps[i].priority = 1;
	for (i = g->nsteps; i-- > 0;) {
		n = g->order[i];
		for (j = 0; j < g->steps[n].ndeps; j++) {
			struct step *d = &g->steps[g->steps[n].deps[j]];

			if (g->steps[n].priority + 1 > d->priority)
				d->priority = g->steps[n].priority + 1;
		}
	}
}

int graph_finish(struct graph *g, struct cc_error **err)
{
	struct visit v = { g, xcalloc(g->nsteps + 1, 1), xcalloc(g->nsteps + 1, sizeof(size_t)), 0, 0, err };
	size_t i;
	int rc = 0;

	free(g->order);
	g->order = xcalloc(g->nsteps + 1, sizeof(*g->order));
	for (i = 0; i < g->nsteps && rc == 0; i++)
		rc = visit(&v, i);
	free(v.color);
	free(v.stack);
	if (rc == 0)
		compute_priorities(g);
	return rc;
}

static void write_text(const struct graph *g, FILE *out)
{
	size_t i, j, n;

	for (i = 0; i < g->nsteps; i++) {
		n = g->order[i];
		fprintf(out, "%s", g->steps[n].id);
		for (j = 0; j < g->steps[n].ndeps; j++)
			fprintf(out, "%s%s", j ? ", " : "  <- ", g->steps[g->steps[n].deps[j]].id);
		fputc('\n', out);
	}
}

/* Graphviz IDs are quoted; ours contain ':' and '-'. */
static void write_dot(const struct graph *g, const char *name, FILE *out)
{
	size_t i, j;

	fprintf(out, "digraph \"%s\" {\n\trankdir=LR;\n\tnode [shape=box];\n", name);
	for (i = 0; i < g->nsteps; i++)
		fprintf(out, "\t\"%s\" [label=\"%s\"];\n", g->steps[i].id, g->steps[i].id);
	for (i = 0; i < g->nsteps; i++)
		for (j = 0; j < g->steps[i].ndeps; j++)
			fprintf(out, "\t\"%s\" -> \"%s\";\n", g->steps[g->steps[i].deps[j]].id, g->steps[i].id);
	fputs("}\n", out);
}

static void write_json(const struct graph *g, const char *name, FILE *out)
{
	json_t *root = json_object(), *nodes = json_array(), *edges = json_array();
	size_t i, j, n;

	for (i = 0; i < g->nsteps; i++) {
		const struct step *s = &g->steps[g->order[i]];

		json_array_append_new(nodes, json_pack("{s:s, s:s, s:I}", "id", s->id, "kind", s->kind->name,
						       "priority", (json_int_t)s->priority));
	}
	for (i = 0; i < g->nsteps; i++) {
		n = g->order[i];
		for (j = 0; j < g->steps[n].ndeps; j++)
			json_array_append_new(edges, json_pack("{s:s, s:s}", "from", g->steps[g->steps[n].deps[j]].id,
							       "to", g->steps[n].id));
	}
	json_object_set_new(root, "profile", json_string(name));
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "edges", edges);
	json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
}

int graph_write(const struct graph *g, enum graph_format fmt, const char *name, FILE *out, struct cc_error **err)
{
	switch (fmt) {
	case GRAPH_TEXT: write_text(g, out); break;
	case GRAPH_DOT: write_dot(g, name, out); break;
	case GRAPH_JSON: write_json(g, name, out); break;
	}
	if (fflush(out) != 0 || ferror(out))
		return cc_error_set(err, "writing the graph: %s", strerror(errno ? errno : EIO));
	return 0;
}

void graph_release(struct graph *g)
{
	size_t i;

	for (i = 0; i < g->nsteps; i++) {
		free(g->steps[i].id);
		free(g->steps[i].deps);
	}
	free(g->steps);
	free(g->order);
	memset(g, 0, sizeof(*g));
}
