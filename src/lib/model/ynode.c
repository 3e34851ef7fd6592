/* ynode: the positioned tree, its key index, YAML 1.1 scalar resolution
 * and the emitter.  Parsing is in ynode-parse.c. */
#include "ynode.h"
#include "ynode-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct ynode *ynode_alloc(enum ynode_kind kind, const struct ypos *pos)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	if (pos)
		n->pos = *pos;
	return n;
}

struct ynode *ynode_new_scalar(const char *str, int quoted, const struct ypos *pos)
{
	struct ynode *n = ynode_alloc(YNODE_SCALAR, pos);

	n->str = xstrdup(str);
	n->quoted = quoted;
	return n;
}

struct ynode *ynode_new_map(const struct ypos *pos)
{
	return ynode_alloc(YNODE_MAP, pos);
}

struct ynode *ynode_new_seq(const struct ypos *pos)
{
	return ynode_alloc(YNODE_SEQ, pos);
}

void ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->len; i++) {
		if (n->kind == YNODE_MAP) {
			ynode_free(n->keys[i]);
			ynode_free(n->vals[i]);
		} else if (n->kind == YNODE_SEQ) {
			ynode_free(n->items[i]);
		}
	}
	free(n->keys);
	free(n->vals);
	free(n->index);
	free(n->items);
	free(n->str);
	free(n->tag);
	free(n);
}

struct ynode *ynode_clone(const struct ynode *n)
{
	struct ynode *c;
	size_t i;

	if (!n)
		return NULL;
	c = ynode_alloc(n->kind, &n->pos);
	c->quoted = n->quoted;
	if (n->str)
		c->str = xstrdup(n->str);
	if (n->tag)
		c->tag = xstrdup(n->tag);
	if (!n->len)
		return c;
	c->cap = n->len;
	if (n->kind == YNODE_MAP) {
		c->keys = xcalloc(n->len, sizeof(*c->keys));
		c->vals = xcalloc(n->len, sizeof(*c->vals));
		for (i = 0; i < n->len; i++) {
			c->keys[i] = ynode_clone(n->keys[i]);
			c->vals[i] = ynode_clone(n->vals[i]);
		}
	} else {
		c->items = xcalloc(n->len, sizeof(*c->items));
		for (i = 0; i < n->len; i++)
			c->items[i] = ynode_clone(n->items[i]);
	}
	c->len = n->len;
	if (c->kind == YNODE_MAP)
		ynode_map_rekeyed(c);
	return c;
}

/* --- the key index: open addressing, linear probing, at most half full;
 * maps below INDEX_MIN keys are scanned --- */

#define INDEX_MIN 16

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static const char *key_str(const struct ynode *map, size_t i)
{
	return map->keys[i]->str ? map->keys[i]->str : "";
}

static void index_insert(struct ynode *map, size_t pos)
{
	size_t mask = map->index_cap - 1, h = key_hash(key_str(map, pos)) & mask;

	while (map->index[h])
		h = (h + 1) & mask;
	map->index[h] = pos + 1;
}

void ynode_map_rekeyed(struct ynode *map)
{
	size_t i, cap = 2 * INDEX_MIN;

	free(map->index);
	map->index = NULL;
	map->index_cap = 0;
	if (map->kind != YNODE_MAP || map->len < INDEX_MIN)
		return;
	while (cap < 2 * map->len)
		cap *= 2;
	map->index = xcalloc(cap, sizeof(*map->index));
	map->index_cap = cap;
	for (i = 0; i < map->len; i++)
		index_insert(map, i);
}

long ynode_map_index(const struct ynode *map, const char *key)
{
	size_t i, mask, h;

	if (!map || map->kind != YNODE_MAP)
		return -1;
	if (!map->index) {
		for (i = 0; i < map->len; i++)
			if (map->keys[i]->str && !strcmp(map->keys[i]->str, key))
				return (long)i;
		return -1;
	}
	mask = map->index_cap - 1;
	for (h = key_hash(key) & mask; map->index[h]; h = (h + 1) & mask) {
		i = map->index[h] - 1;
		if (map->keys[i]->str && !strcmp(map->keys[i]->str, key))
			return (long)i;
	}
	return -1;
}

struct ynode *ynode_map_get(const struct ynode *map, const char *key)
{
	long i = ynode_map_index(map, key);

	return i < 0 ? NULL : map->vals[i];
}

void ynode_map_append_node(struct ynode *map, struct ynode *key, struct ynode *val)
{
	size_t cap = map->cap;

	xgrow(&map->keys, &map->cap, map->len + 1, sizeof(*map->keys));
	if (map->cap != cap || !map->vals)
		map->vals = xrealloc(map->vals, map->cap * sizeof(*map->vals));
	map->keys[map->len] = key;
	map->vals[map->len] = val;
	map->len++;
	if (2 * map->len > map->index_cap)
		ynode_map_rekeyed(map);
	else
		index_insert(map, map->len - 1);
}

void ynode_map_put_node(struct ynode *map, struct ynode *key, struct ynode *val)
{
	long i = ynode_map_index(map, key->str ? key->str : "");

	if (i >= 0) {
		ynode_free(map->vals[i]);
		map->vals[i] = val;
		ynode_free(key);
		return;
	}
	ynode_map_append_node(map, key, val);
}

void ynode_map_set(struct ynode *map, const char *key, struct ynode *val)
{
	ynode_map_put_node(map, ynode_new_scalar(key, 0, val ? &val->pos : NULL), val);
}

int ynode_map_remove(struct ynode *map, const char *key)
{
	long i = ynode_map_index(map, key);

	if (i < 0)
		return 0;
	ynode_free(map->keys[i]);
	ynode_free(map->vals[i]);
	memmove(map->keys + i, map->keys + i + 1, (map->len - (size_t)i - 1) * sizeof(*map->keys));
	memmove(map->vals + i, map->vals + i + 1, (map->len - (size_t)i - 1) * sizeof(*map->vals));
	map->len--;
	ynode_map_rekeyed(map);
	return 1;
}

void ynode_seq_push(struct ynode *seq, struct ynode *item)
{
	VEC_PUSH(seq->items, seq->len, seq->cap, item);
}

struct sort_entry {
	struct ynode *key, *val;
	size_t pos;
};

static int sort_cmp(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;
	int c = strcmp(x->key->str, y->key->str);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

void ynode_map_sort(struct ynode *map, int deep)
{
	struct sort_entry *v;
	size_t i;

	if (!map)
		return;
	if (deep)
		for (i = 0; i < map->len; i++) {
			if (map->kind == YNODE_MAP)
				ynode_map_sort(map->vals[i], deep);
			else if (map->kind == YNODE_SEQ)
				ynode_map_sort(map->items[i], deep);
		}
	if (map->kind != YNODE_MAP || map->len < 2)
		return;
	v = xcalloc(map->len, sizeof(*v));
	for (i = 0; i < map->len; i++)
		v[i] = (struct sort_entry){ map->keys[i], map->vals[i], i };
	qsort(v, map->len, sizeof(*v), sort_cmp);
	for (i = 0; i < map->len; i++) {
		map->keys[i] = v[i].key;
		map->vals[i] = v[i].val;
	}
	free(v);
	ynode_map_rekeyed(map);
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case YNODE_MAP: return "mapping";
	case YNODE_SEQ: return "sequence";
	default: return ynode_is_null(n) ? "null" : "scalar";
	}
}

void ypos_format(const struct ypos *pos, char *buf, size_t size)
{
	if (pos && pos->line)
		snprintf(buf, size, "%s:%d:%d", pos->file ? pos->file : "-", pos->line, pos->col);
	else
		snprintf(buf, size, "%s", pos && pos->file ? pos->file : "-");
}

int ynode_error(struct cc_error **err, const struct ynode *n, const char *fmt, ...)
{
	char where[4096];
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ypos_format(n ? &n->pos : NULL, where, sizeof(where));
	return cc_error_set(err, "%s: %s", where, msg);
}

/* --- scalar resolution (YAML 1.1, as PyYAML's resolver) --- */

static const char *const null_words[] = { "~", "null", "Null", "NULL", "" };
static const char *const true_words[] = { "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
static const char *const false_words[] = { "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };

static int in_words(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

int ynode_is_null(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && !n->quoted && in_words(n->str, null_words, NWORDS(null_words));
}

int ynode_is_bool(const struct ynode *n, int *value)
{
	if (!n || n->kind != YNODE_SCALAR || n->quoted)
		return 0;
	if (in_words(n->str, true_words, NWORDS(true_words))) {
		if (value)
			*value = 1;
		return 1;
	}
	if (in_words(n->str, false_words, NWORDS(false_words))) {
		if (value)
			*value = 0;
		return 1;
	}
	return 0;
}

/* The scanners below accept exactly the languages of PyYAML's implicit
 * resolvers (resolver.py), written as ERE in the comments; no regexp is
 * compiled: they run for every scalar loaded and emitted. */

static const char *skip_sign(const char *s)
{
	return *s == '-' || *s == '+' ? s + 1 : s;
}

/* s after a run of at least one character of set, or NULL */
static const char *span1(const char *s, const char *set)
{
	size_t n = strspn(s, set);

	return n ? s + n : NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* (:[0-5]?[0-9])+ : s after the groups, or NULL when there is none */
static const char *sexagesimal_groups(const char *s)
{
	size_t n;

	if (*s != ':')
		return NULL;
	while (*s == ':') {
		n = strspn(s + 1, "0123456789");
		if (n != 1 && !(n == 2 && s[1] <= '5'))
			return NULL;
		s += 1 + n;
	}
	return s;
}

/* [eE][-+][0-9]+ or nothing, then the end */
static int exponent_end(const char *s)
{
	if (!*s)
		return 1;
	if ((*s != 'e' && *s != 'E') || (s[1] != '-' && s[1] != '+'))
		return 0;
	s = span1(s + 2, "0123456789");
	return s && !*s;
}

/* ^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+ then the returned rest, or NULL */
static const char *sexagesimal_prefix(const char *s, int first_nonzero)
{
	s = skip_sign(s);
	if (!is_digit(*s) || (first_nonzero && *s == '0'))
		return NULL;
	s += 1 + strspn(s + 1, "0123456789_");
	return sexagesimal_groups(s);
}

/* [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
 * | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+ */
int yaml_plain_is_int(const char *s)
{
	const char *p = skip_sign(s), *e;

	if (p[0] == '0' && p[1] == 'b')
		return (e = span1(p + 2, "01_")) && !*e;
	if (p[0] == '0' && p[1] == 'x')
		return (e = span1(p + 2, "0123456789abcdefABCDEF_")) && !*e;
	if (p[0] == '0')
		return !p[1] || ((e = span1(p + 1, "01234567_")) && !*e);
	if (!is_digit(*p))
		return 0;
	e = p + 1 + strspn(p + 1, "0123456789_");
	return !*e || ((e = sexagesimal_prefix(s, 1)) && !*e);
}

static int is_inf_nan(const char *s)
{
	static const char *const words[] = { ".inf", ".Inf", ".INF" };
	static const char *const nan[] = { ".nan", ".NaN", ".NAN" };

	return in_words(skip_sign(s), words, NWORDS(words)) || in_words(s, nan, NWORDS(nan));
}

/* [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* */
static int is_sexagesimal_float(const char *s)
{
	const char *e = sexagesimal_prefix(s, 0);

	return e && *e == '.' && !e[1 + strspn(e + 1, "0123456789_")];
}

/* [-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
 * | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) */
int yaml_plain_is_float(const char *s)
{
	const char *p = skip_sign(s), *e;

	if (is_inf_nan(s) || is_sexagesimal_float(s))
		return 1;
	if (*s == '.')
		return (e = span1(s + 1, "0123456789_")) && exponent_end(e);
	if (!is_digit(*p))
		return 0;
	e = p + strspn(p, "0123456789_");
	return *e == '.' && exponent_end(e + 1 + strspn(e + 1, "0123456789_"));
}

/* The float the emitter must also quote: [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)? */
static int is_loose_float(const char *s)
{
	const char *p = skip_sign(s);

	if (is_digit(*p))
		p += strspn(p, "0123456789_");
	return *p == '.' && exponent_end(p + 1 + strspn(p + 1, "0123456789_"));
}

/* n digits exactly at s (the next character is not one), or fewer when
 * min < n: s after them, or NULL */
static const char *digits(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n >= min && n <= max ? s + n : NULL;
}

/* the time zone: [ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?) then the end */
static int timezone_end(const char *s)
{
	s += strspn(s, " \t");
	if (*s == 'Z')
		return !s[1];
	if (*s != '-' && *s != '+')
		return 0;
	if (!(s = digits(s + 1, 1, 2)))
		return 0;
	if (*s == ':')
		s = digits(s + 1, 2, 2);
	return s && !*s;
}

/* [0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
 * (\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)? */
static int is_timestamp(const char *s)
{
	if (!(s = digits(s, 4, 4)) || *s != '-' || !(s = digits(s + 1, 1, 2)) || *s != '-' ||
	    !(s = digits(s + 1, 1, 2)))
		return 0;
	if (!*s)
		return 1;
	if (*s == 'T' || *s == 't')
		s++;
	else if (!(s = span1(s, " \t")))
		return 0;
	if (!(s = digits(s, 1, 2)) || *s != ':' || !(s = digits(s + 1, 2, 2)) || *s != ':' ||
	    !(s = digits(s + 1, 2, 2)))
		return 0;
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789");
	return !*s || timezone_end(s);
}

int ynode_is_int(const struct ynode *n, long long *value)
{
	const char *p;
	long long v;

	if (!n || n->kind != YNODE_SCALAR || n->quoted)
		return 0;
	p = skip_sign(n->str);
	if (!(p[0] == '0' && !p[1]) && (p[0] < '1' || p[0] > '9' || p[strspn(p, "0123456789")]))
		return 0;
	errno = 0;
	v = strtoll(n->str, NULL, 10);
	if (errno == ERANGE) /* not an int64: no clamped value */
		return 0;
	if (value)
		*value = v;
	return 1;
}

int yaml_plain_is_ambiguous(const char *s)
{
	if (in_words(s, null_words, NWORDS(null_words)) || in_words(s, true_words, NWORDS(true_words)) ||
	    in_words(s, false_words, NWORDS(false_words)))
		return 1;
	if (!strcmp(s, ".") || !strcmp(s, "+") || !strcmp(s, "-"))
		return 0;
	return yaml_plain_is_int(s) || is_loose_float(s) || is_sexagesimal_float(s) || is_inf_nan(s) ||
	       is_timestamp(s) || !strcmp(s, "<<") || !strcmp(s, "=");
}

/* --- emitting --- */

static int emit_event(yaml_emitter_t *em, yaml_event_t *ev, struct cc_error **err)
{
	if (!yaml_emitter_emit(em, ev))
		return cc_error_set(err, "YAML emitter: %s", em->problem ? em->problem : "error");
	return 0;
}

static int emit_node(yaml_emitter_t *em, const struct ynode *n, struct cc_error **err)
{
	yaml_event_t ev;
	size_t i;
	int plain_ok;

	switch (n->kind) {
	case YNODE_SCALAR:
		/* A string that would read back as another type is quoted,
		 * like PyYAML's representer does; quoted == 2 forces double
		 * quotes. */
		plain_ok = !n->quoted || (n->quoted == 1 && !yaml_plain_is_ambiguous(n->str));
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->str, (int)strlen(n->str), plain_ok, 1,
					     n->quoted == 2 ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
		return emit_event(em, &ev, err);
	case YNODE_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (emit_event(em, &ev, err))
			return -1;
		for (i = 0; i < n->len; i++)
			if (emit_node(em, n->items[i], err))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit_event(em, &ev, err);
	case YNODE_MAP:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (emit_event(em, &ev, err))
			return -1;
		for (i = 0; i < n->len; i++)
			if (emit_node(em, n->keys[i], err) || emit_node(em, n->vals[i], err))
				return -1;
		yaml_mapping_end_event_initialize(&ev);
		return emit_event(em, &ev, err);
	}
	return 0;
}

static int write_strbuf(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

static int emit_to(const struct ynode *n, struct strbuf *sb, int width, struct cc_error **err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&em))
		return cc_error_set(err, "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&em, write_strbuf, sb);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, width);
	yaml_emitter_set_indent(&em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit_event(&em, &ev, err))
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (emit_event(&em, &ev, err) || emit_node(&em, n, err))
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit_event(&em, &ev, err))
		goto out;
	yaml_stream_end_event_initialize(&ev);
	rc = emit_event(&em, &ev, err);
out:
	yaml_emitter_delete(&em);
	return rc;
}

char *ynode_emit_string(const struct ynode *n)
{
	return ynode_emit_string_width(n, 80);
}

char *ynode_emit_string_width(const struct ynode *n, int width)
{
	struct strbuf sb = STRBUF_INIT;

	if (emit_to(n, &sb, width, NULL) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

int ynode_emit(const struct ynode *n, FILE *f, struct cc_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = emit_to(n, &sb, 80, err);

	if (rc == 0 && sb.len && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		rc = cc_error_set(err, "write error");
	strbuf_release(&sb);
	return rc;
}
