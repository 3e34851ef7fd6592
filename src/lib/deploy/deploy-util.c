/* deploy-util (deploy-internal.h): the small readers of the v2 model the
 * other deploy-*.c share (scalars, integers, Go durations, string lists
 * and maps as JSON, container names); below all of them. */
#include "deploy-internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *deploy_str(const struct ynode *n)
{
	if (!n || n->kind != YNODE_SCALAR || (!n->quoted && ynode_is_null(n)))
		return NULL;
	return n->str;
}

const char *deploy_get(const struct ynode *m, const char *key)
{
	return deploy_str(ynode_map_get(m, key));
}

int deploy_get_bool(const struct ynode *m, const char *key)
{
	const char *s = deploy_get(m, key);

	return s && !strcmp(s, "true");
}

int deploy_get_ll(const struct ynode *m, const char *key, long long *v)
{
	const char *s = deploy_get(m, key);
	char *end;

	if (!s || !*s)
		return -1;
	*v = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}

/* Go's time.ParseDuration: [-]{number unit}+, units ns us µs ms s m h. */
int deploy_parse_duration(const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	int neg = *s == '-';

	s += neg || *s == '+';
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t i, n = sizeof(units) / sizeof(units[0]);

		if (end == s || *s == '-' || *s == '+')
			return -1;
		for (i = 0; i < n && !str_has_prefix(end, units[i].unit); i++)
			;
		/* "ms" before "m", "ns"/"us" before "s": the table's order. */
		if (i == n)
			return -1;
		total += v * units[i].scale;
		s = end + strlen(units[i].unit);
	}
	*ns = (long long)(neg ? -total : total);
	return 0;
}

json_t *deploy_str_array(const struct ynode *seq)
{
	json_t *a;

	if (deploy_str(seq)) /* a lone scalar (command: 42) is a list of one */
		return json_pack("[s]", seq->str);
	if (!seq || seq->kind != YNODE_SEQ)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < seq->len; i++)
		if (deploy_str(seq->items[i]))
			json_array_append_new(a, json_string(seq->items[i]->str));
	return a;
}

json_t *deploy_str_object(const struct ynode *m)
{
	json_t *o = json_object();

	for (size_t i = 0; m && m->kind == YNODE_MAP && i < m->len; i++)
		if (deploy_str(m->vals[i]))
			json_object_set_new(o, m->keys[i]->str, json_string(m->vals[i]->str));
	return o;
}

char *deploy_container_name(const struct ynode *model, const char *project, const char *svc)
{
	const struct ynode *s = ynode_map_get(ynode_map_get(model, "services"), svc);
	const char *name = deploy_get(s, "container_name");

	return name ? xstrdup(name) : xasprintf("%s-%s-1", project, svc);
}

/* "$$" back to "$" in place (a string of n bytes). */
static void undouble(char *s)
{
	char *w = s;

	for (; *s; s++) {
		*w++ = *s;
		if (s[0] == '$' && s[1] == '$')
			s++;
	}
	*w = '\0';
}

void deploy_model_unescape(struct ynode *n)
{
	if (n->kind == YNODE_SCALAR) {
		if (n->quoted && strchr(n->str, '$'))
			undouble(n->str);
		return;
	}
	for (size_t i = 0; i < n->len; i++) {
		if (n->kind == YNODE_MAP)
			undouble(n->keys[i]->str);
		deploy_model_unescape(n->kind == YNODE_MAP ? n->vals[i] : n->items[i]);
	}
	if (n->kind == YNODE_MAP)
		ynode_map_rekeyed(n);
}
