/* compose-emit (compose-internal.h): a tree written as Docker Compose v2's `config` writes it
 * (Go's yaml.v3 encoder, indent 2): block style, sequences indented under
 * their key, empty collections as {} and [], multi-line strings as literal
 * blocks.  A string that would read back as another type (a number, a
 * boolean, YAML 1.1's y/n/on/off, null, "") is double-quoted, one that is
 * not safe plain (": ", a leading indicator) single-quoted, as libyaml's
 * analysis decides (yaml.v3 is its port); quoted == 0 scalars are plain. */
#include "compose-internal.h"
#include "error.h"
#include "util.h"

#include <string.h>

/* yaml.v3's isOldBool: YAML 1.1 booleans it quotes to stay readable there. */
static int old_bool(const char *s)
{
	static const char *const words[] = { "y",  "Y",	 "yes", "Yes", "YES", "n",   "N",   "no",
					     "No", "NO", "on",	"On",  "ON",  "off", "Off", "OFF" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

/* The scalar's text on one line, quoted as above; caller frees. */
static char *scalar_text(const struct ynode *n)
{
	struct ynode tmp = *n;
	char *s, *end;

	if (!n->quoted)
		return xstrdup(n->str);
	tmp.quoted = !n->str[0] || old_bool(n->str) || yaml_plain_is_ambiguous(n->str) ? 2 : 1;
	tmp.tag = NULL;
	if (!(s = ynode_emit_string_width(&tmp, -1))) /* yaml.v3 folds no line */
		return xstrdup("\"\"");
	/* libyaml ends a lone scalar document with "\n" or "\n...\n". */
	if ((end = strstr(s, "\n...\n")) || (end = strrchr(s, '\n')))
		*end = '\0';
	return s;
}

static void emit_indent(struct strbuf *sb, int indent)
{
	for (int i = 0; i < indent; i++)
		strbuf_addch(sb, ' ');
}

/* A string with a newline: "|", "|-" or "|+", then its lines at indent. */
static void emit_literal(struct strbuf *sb, const char *s, int indent)
{
	size_t n = strlen(s), trail = 0;
	const char *line, *nl;

	while (trail < n && s[n - 1 - trail] == '\n')
		trail++;
	strbuf_addstr(sb, trail == 0 ? "|-" : trail == 1 ? "|" : "|+");
	if (s[0] == ' ')
		strbuf_addch(sb, '2');
	strbuf_addch(sb, '\n');
	for (line = s; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl != line)
			emit_indent(sb, indent);
		strbuf_add(sb, line, nl ? (size_t)(nl - line) : strlen(line));
		strbuf_addch(sb, '\n');
		if (!nl)
			break;
	}
}

static int is_literal(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->quoted && strchr(n->str, '\n');
}

static void emit_node(struct strbuf *sb, const struct ynode *n, int indent);

/* What follows "key:" or "- ": the value inline or on the next lines. */
static void emit_value(struct strbuf *sb, const struct ynode *v, int indent, int in_seq)
{
	cleanup_free char *text = NULL;

	if (v->kind == YNODE_SCALAR) {
		if (is_literal(v)) {
			strbuf_addch(sb, ' ');
			emit_literal(sb, v->str, indent + 2);
			return;
		}
		text = scalar_text(v);
		strbuf_addf(sb, " %s\n", text);
	} else if (!v->len) {
		strbuf_addstr(sb, v->kind == YNODE_MAP ? " {}\n" : " []\n");
	} else if (in_seq && v->kind == YNODE_MAP) {
		strbuf_addch(sb, ' ');
		emit_node(sb, v, -(indent + 2));
	} else {
		strbuf_addch(sb, '\n');
		emit_node(sb, v, indent + 2);
	}
}

/* A collection at indent; a negative indent: the first line continues the
 * current one (a mapping that is a sequence item). */
static void emit_node(struct strbuf *sb, const struct ynode *n, int indent)
{
	int first_inline = indent < 0;
	size_t i;

	if (first_inline)
		indent = -indent;
	for (i = 0; i < n->len; i++) {
		if (!(i == 0 && first_inline))
			emit_indent(sb, indent);
		if (n->kind == YNODE_SEQ) {
			strbuf_addch(sb, '-');
			emit_value(sb, n->items[i], indent, 1);
		} else {
			cleanup_free char *key = scalar_text(n->keys[i]);

			strbuf_addf(sb, "%s:", key);
			emit_value(sb, n->vals[i], indent, 0);
		}
	}
}

int compose_v2_emit(const struct ynode *tree, FILE *f, struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	if (tree->kind == YNODE_SCALAR || !tree->len)
		emit_value(&sb, tree, -2, 0);
	else
		emit_node(&sb, tree, 0);
	if (sb.len && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		rc = cc_error_set(err, "write error");
	strbuf_release(&sb);
	return rc;
}
