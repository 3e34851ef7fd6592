/* compose-yamlv3 (compose-internal.h): what Go's encoding gives the text
 * of compose v2's `config`: the order yaml.v3 writes a map's keys in
 * (its keyList.Less), struct field order, and omitempty (empty maps,
 * slices, strings and false booleans not written). */
#include "compose-internal.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The order yaml.v3 writes a Go map's string keys in: letters by code,
 * a run of digits by its value ("svc2" before "svc10"), a letter after a
 * digit run's end but before other characters (its keyList.Less). */
static int v2_key_less(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	int digits = 0;
	size_t i;

	for (i = 0; x[i] && y[i]; i++) {
		unsigned long long xn = 0, yn = 0;
		size_t xi, yi;
		int xl = is_letter(x[i]), yl = is_letter(y[i]);

		if (x[i] == y[i]) {
			digits = is_digit(x[i]);
			continue;
		}
		if (xl && yl)
			return x[i] < y[i];
		if (xl || yl)
			return digits ? xl : yl;
		for (size_t j = i; (x[i] == '0' || y[i] == '0') && j-- > 0 && is_digit(x[j]);)
			if (x[j] != '0') {
				xn = yn = 1;
				break;
			}
		for (xi = i; is_digit(x[xi]); xi++)
			xn = xn * 10 + (x[xi] - '0');
		for (yi = i; is_digit(y[yi]); yi++)
			yn = yn * 10 + (y[yi] - '0');
		if (xn != yn)
			return xn < yn;
		if (xi != yi)
			return xi < yi;
		return x[i] < y[i];
	}
	return !x[i] && y[i];
}

struct v2_entry {
	struct ynode *key, *val;
};

static int v2_entry_cmp(const void *a, const void *b)
{
	const char *x = ((const struct v2_entry *)a)->key->str, *y = ((const struct v2_entry *)b)->key->str;

	return v2_key_less(x, y) ? -1 : v2_key_less(y, x) ? 1 : 0;
}

/* Sort a map's keys as yaml.v3 writes a Go map (recursively when deep). */
void compose_v3_sort(struct ynode *m, int deep)
{
	struct v2_entry *e;

	if (!m || m->kind == YNODE_SCALAR)
		return;
	for (size_t i = 0; deep && i < m->len; i++)
		compose_v3_sort(m->kind == YNODE_MAP ? m->vals[i] : m->items[i], 1);
	if (m->kind != YNODE_MAP || m->len < 2)
		return;
	e = xcalloc(m->len, sizeof(*e));
	for (size_t i = 0; i < m->len; i++)
		e[i] = (struct v2_entry){ m->keys[i], m->vals[i] };
	qsort(e, m->len, sizeof(*e), v2_entry_cmp);
	for (size_t i = 0; i < m->len; i++) {
		m->keys[i] = e[i].key;
		m->vals[i] = e[i].val;
	}
	free(e);
	ynode_map_rekeyed(m);
}

/* A map with the keys of `order` first, in that order, then the rest
 * sorted (compose-go's struct order); m is consumed. */
struct ynode *compose_v3_reorder(struct ynode *m, const char *const *order)
{
	struct ynode *out = ynode_new_map(&m->pos);

	for (; *order; order++) {
		long i = ynode_map_index(m, *order);

		if (i >= 0)
			ynode_map_set(out, *order, ynode_clone(m->vals[i]));
	}
	compose_v3_sort(m, 0);
	for (size_t i = 0; i < m->len; i++)
		if (!ynode_map_get(out, m->keys[i]->str))
			ynode_map_set(out, m->keys[i]->str, ynode_clone(m->vals[i]));
	ynode_free(m);
	return out;
}

/* Go's omitempty on bools: false is not printed, in m (and the maps in
 * it when deep), but for the *bool field enable_ipv6. */
void compose_v3_drop_false(struct ynode *m, int deep)
{
	for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->len; i++) {
		const struct ynode *v = m->vals[i];
		const char *k = m->keys[i]->str;

		if (deep && v->kind == YNODE_MAP)
			compose_v3_drop_false(m->vals[i], 0);
		else if (ctype_of(v) == CT_BOOL && !strcmp(v->str, "false") && strcmp(k, "enable_ipv6"))
			ynode_map_remove(m, m->keys[i--]->str);
	}
}

/* Go's omitempty on maps, slices and bools: an empty one or false is not
 * printed, but for the command-like fields (a nil one differs from an
 * empty one), the structs behind pointers (deploy: {}, logging: {}) and
 * init, in m and in the maps below it named in keep. */
void compose_v3_drop_empty(struct ynode *m, int deeper)
{
	static const char *const keep[] = { "command", "entrypoint", "deploy", "logging", "healthcheck", "build" };

	for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->len; i++) {
		struct ynode *v = m->vals[i];
		size_t k = 0;

		while (deeper && k < sizeof(keep) / sizeof(keep[0]) && strcmp(keep[k], m->keys[i]->str))
			k++;
		if (deeper && k >= 2 && k < sizeof(keep) / sizeof(keep[0]))
			compose_v3_drop_empty(v, 0);
		if (v->kind != YNODE_SCALAR && !v->len && (!deeper || k == sizeof(keep) / sizeof(keep[0])))
			ynode_map_remove(m, m->keys[i--]->str);
		else if (deeper && k >= 2 && cnode_is_str(v) && !v->str[0]) /* image: "" */
			ynode_map_remove(m, m->keys[i--]->str);
		else if (ctype_of(v) == CT_BOOL && !strcmp(v->str, "false") && strcmp(m->keys[i]->str, "init"))
			ynode_map_remove(m, m->keys[i--]->str); /* init is a *bool: false is printed */
	}
}
