/* ynode-parse (ynode.h): libyaml's event stream into a positioned ynode tree.
 *
 * Built from events, not with libyaml's document loader, so that limits
 * hold while the text is parsed: a document nested deeper than
 * YNODE_MAX_DEPTH stops at that level (libyaml's scanner is quadratic in
 * the depth of flow collections: 100,000 '[' took 67 s to load before a
 * check on the finished tree).  An alias becomes a deep copy of its
 * anchor's node as that node was when it ended (aliases of a node still
 * open are errors), and the nodes so copied count against
 * YNODE_MAX_ALIAS_NODES, so an alias bomb ("billion laughs") is an error,
 * not an out-of-memory (the nodes written out are bounded by the size of
 * the text, which read_file caps).  Merge keys are applied when their mapping ends. */
#include "ynode.h"
#include "ynode-internal.h"
#include "error.h"
#include "util.h"

#include <string.h>
#include <yaml.h>

#define YNODE_MAX_DEPTH 256
/* a 53 MB compose file loads in 13 s and 2.1 GB: the tree and its copies
 * through merging take about 40 bytes a byte of text */
#define YNODE_MAX_FILE ((size_t)64 << 20)
#define YNODE_MAX_ALIAS_NODES 1000000

/* an open sequence or mapping */
struct frame {
	struct ynode *node;
	struct ynode *key;    /* a mapping's key waiting for its value */
	struct ynode *merges; /* the value of its last '<<' */
	char *anchor;	      /* its anchor, or NULL */
};

struct builder {
	const char *file;
	struct frame *stack;
	size_t depth, cap;
	/* anchor name -> copy of its node; the value is NULL while the node
	 * is open; keys carry the anchor's position */
	struct ynode *anchors;
	size_t budget; /* nodes aliases may still copy */
	struct ynode *root;
	struct cc_error **err;
};

static void builder_release(struct builder *b)
{
	size_t i;

	for (i = 0; i < b->depth; i++) {
		ynode_free(b->stack[i].node);
		ynode_free(b->stack[i].key);
		ynode_free(b->stack[i].merges);
		free(b->stack[i].anchor);
	}
	free(b->stack);
	ynode_free(b->anchors);
	ynode_free(b->root);
}

static void mark_pos(const struct builder *b, const yaml_mark_t *mark, struct ypos *pos)
{
	pos->file = b->file;
	pos->line = (int)mark->line + 1;
	pos->col = (int)mark->column + 1;
}

static int is_default_tag(const char *tag)
{
	return !tag || !strcmp(tag, "!") || !strcmp(tag, YAML_STR_TAG) || !strcmp(tag, YAML_MAP_TAG) ||
	       !strcmp(tag, YAML_SEQ_TAG);
}

/* May a node start at pos, at nesting depth b->depth, with `copies` nodes
 * copied for an alias? */
static int budget_take(struct builder *b, size_t copies, const struct ypos *pos)
{
	if (b->depth > YNODE_MAX_DEPTH)
		return cc_error_set(b->err, "%s:%d:%d: document nested deeper than %d levels", b->file, pos->line,
				    pos->col, YNODE_MAX_DEPTH);
	if (copies > b->budget)
		return cc_error_set(b->err, "%s:%d:%d: aliases expand to more than %d nodes (an alias bomb?)", b->file,
				    pos->line, pos->col, YNODE_MAX_ALIAS_NODES);
	b->budget -= copies;
	return 0;
}

static size_t node_count(const struct ynode *n)
{
	size_t i, c = 1;

	for (i = 0; i < n->len; i++)
		c += n->kind == YNODE_MAP ? node_count(n->keys[i]) + node_count(n->vals[i]) : node_count(n->items[i]);
	return c;
}

/* Declare anchor (may be NULL) at pos, its node still open. */
static int anchor_open(struct builder *b, const yaml_char_t *anchor, const struct ypos *pos)
{
	long i;

	if (!anchor)
		return 0;
	i = ynode_map_index(b->anchors, (const char *)anchor);
	if (i >= 0)
		return cc_error_set(b->err,
				    "%s:%d:%d: found duplicate anchor '%s'; first occurrence at line %d, column %d",
				    b->file, pos->line, pos->col, (const char *)anchor, b->anchors->keys[i]->pos.line,
				    b->anchors->keys[i]->pos.col);
	ynode_map_append_node(b->anchors, ynode_new_scalar((const char *)anchor, 0, pos), NULL);
	return 0;
}

static void anchor_close(struct builder *b, const char *anchor, const struct ynode *n)
{
	long i = anchor ? ynode_map_index(b->anchors, anchor) : -1;

	if (i >= 0)
		b->anchors->vals[i] = ynode_clone(n);
}

/* Add the keys of src (a mapping) that map does not have yet. */
static int merge_from(struct builder *b, struct ynode *map, const struct ynode *src)
{
	size_t i;

	if (src->kind != YNODE_MAP)
		return ynode_error(b->err, src, "merge key '<<' needs a mapping or a list of mappings, got a %s",
				   ynode_kind_name(src));
	for (i = 0; i < src->len; i++)
		if (ynode_map_index(map, src->keys[i]->str) < 0)
			ynode_map_append_node(map, ynode_clone(src->keys[i]), ynode_clone(src->vals[i]));
	return 0;
}

/* Keys written in the mapping win, then earlier merge sources. */
static int apply_merges(struct builder *b, struct ynode *map, const struct ynode *merges)
{
	size_t i;

	if (!merges)
		return 0;
	if (merges->kind != YNODE_SEQ)
		return merge_from(b, map, merges);
	for (i = 0; i < merges->len; i++)
		if (merge_from(b, map, merges->items[i]) < 0)
			return -1;
	return 0;
}

/* Hand the finished node n (owned) to the open collection, or make it the root. */
static int attach(struct builder *b, struct ynode *n)
{
	struct frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;
	struct ynode *key;

	if (!f) {
		b->root = n;
		return 0;
	}
	if (f->node->kind == YNODE_SEQ) {
		ynode_seq_push(f->node, n);
		return 0;
	}
	if (!f->key) {
		if (n->kind != YNODE_SCALAR) {
			ynode_error(b->err, n, "mapping keys must be scalars, got a %s", ynode_kind_name(n));
			ynode_free(n);
			return -1;
		}
		f->key = n;
		return 0;
	}
	key = f->key;
	f->key = NULL;
	if (!key->quoted && !strcmp(key->str, "<<")) {
		ynode_free(f->merges);
		f->merges = n;
		ynode_free(key);
		return 0;
	}
	ynode_map_put_node(f->node, key, n);
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ypos pos;
	struct ynode *n;
	const char *tag = (const char *)ev->data.scalar.tag;

	mark_pos(b, &ev->start_mark, &pos);
	if (budget_take(b, 0, &pos) < 0 || anchor_open(b, ev->data.scalar.anchor, &pos) < 0)
		return -1;
	n = ynode_new_scalar((const char *)ev->data.scalar.value, ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
			     &pos);
	if (!is_default_tag(tag))
		n->tag = xstrdup(tag);
	anchor_close(b, (const char *)ev->data.scalar.anchor, n);
	return attach(b, n);
}

static int on_start(struct builder *b, const yaml_event_t *ev)
{
	int map = ev->type == YAML_MAPPING_START_EVENT;
	const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
	struct ypos pos;
	struct frame f = { 0 };

	mark_pos(b, &ev->start_mark, &pos);
	if (budget_take(b, 0, &pos) < 0 || anchor_open(b, anchor, &pos) < 0)
		return -1;
	f.node = map ? ynode_new_map(&pos) : ynode_new_seq(&pos);
	if (!is_default_tag(tag))
		f.node->tag = xstrdup(tag);
	f.anchor = anchor ? xstrdup((const char *)anchor) : NULL;
	VEC_PUSH(b->stack, b->depth, b->cap, f);
	return 0;
}

static int on_end(struct builder *b)
{
	struct frame f = b->stack[--b->depth];
	int rc = f.node->kind == YNODE_MAP ? apply_merges(b, f.node, f.merges) : 0;

	ynode_free(f.merges);
	ynode_free(f.key);
	if (rc == 0)
		anchor_close(b, f.anchor, f.node);
	free(f.anchor);
	if (rc < 0) {
		ynode_free(f.node);
		return -1;
	}
	return attach(b, f.node);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	long i = ynode_map_index(b->anchors, name);
	struct ypos pos;

	mark_pos(b, &ev->start_mark, &pos);
	if (i < 0)
		return cc_error_set(b->err, "%s:%d:%d: found undefined alias '%s'", b->file, pos.line, pos.col, name);
	if (!b->anchors->vals[i])
		return cc_error_set(b->err, "%s:%d:%d: alias '%s' inside the node it names (a recursive alias)",
				    b->file, pos.line, pos.col, name);
	if (budget_take(b, node_count(b->anchors->vals[i]), &pos) < 0)
		return -1;
	return attach(b, ynode_clone(b->anchors->vals[i]));
}

static int parser_error(yaml_parser_t *parser, const char *file, struct cc_error **err)
{
	const char *problem = parser->problem ? parser->problem : "invalid YAML";

	if (parser->context)
		return cc_error_set(err, "%s:%zu:%zu: %s %s at line %zu, column %zu", file,
				    parser->problem_mark.line + 1, parser->problem_mark.column + 1, problem,
				    parser->context, parser->context_mark.line + 1, parser->context_mark.column + 1);
	return cc_error_set(err, "%s:%zu:%zu: %s", file, parser->problem_mark.line + 1, parser->problem_mark.column + 1,
			    problem);
}

/* Events of the first document until its end. */
static int build(struct builder *b, yaml_parser_t *parser)
{
	yaml_event_t ev;
	int rc = 0, done = 0;

	while (!done && rc == 0) {
		if (!yaml_parser_parse(parser, &ev))
			return parser_error(parser, b->file, b->err);
		switch (ev.type) {
		case YAML_SCALAR_EVENT: rc = on_scalar(b, &ev); break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: rc = on_start(b, &ev); break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: rc = on_end(b); break;
		case YAML_ALIAS_EVENT: rc = on_alias(b, &ev); break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT: done = 1; break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	return rc;
}

int ynode_parse_buffer(const char *file, const char *buf, size_t len, struct ynode **out, struct cc_error **err)
{
	struct builder b = { .file = file, .budget = YNODE_MAX_ALIAS_NODES, .err = err };
	yaml_parser_t parser;
	int rc;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return cc_error_set(err, "%s: cannot initialise the YAML parser", file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	b.anchors = ynode_new_map(NULL);
	rc = build(&b, &parser);
	yaml_parser_delete(&parser);
	if (rc == 0) {
		*out = b.root ? b.root : ynode_new_map(&(struct ypos){ file, 1, 1 });
		b.root = NULL;
	}
	builder_release(&b);
	return rc < 0 ? -1 : 0;
}

int ynode_parse_file(const char *file, struct ynode **out, struct cc_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	*out = NULL;
	if (read_file_max(file, YNODE_MAX_FILE, &buf, &len, err) < 0)
		return -1;
	return ynode_parse_buffer(file, buf, len, out, err);
}
