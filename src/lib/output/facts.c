/* facts: a kind's figures kept in its report object (format in facts.h). */
#include "facts.h"
#include "error.h"
#include "util.h"

#include <string.h>

int facts_valid_name(const char *name, int metric)
{
	const char *p;

	if (!name || !*name || (*name >= '0' && *name <= '9'))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      (metric && *p == ':')))
			return 0;
	return 1;
}

static void check_def(const struct fact_def *def)
{
	size_t n = strlen(def->metric);
	int counter = !strcmp(def->type, "counter");
	int total = n > 6 && !strcmp(def->metric + n - 6, "_total");

	if (!facts_valid_name(def->metric, 1) || !str_has_prefix(def->metric, "ccbuild_"))
		BUG("fact %s: not a ccbuild_ metric name", def->metric);
	if (!counter && strcmp(def->type, "gauge"))
		BUG("fact %s: type %s is neither counter nor gauge", def->metric, def->type);
	if (counter != total)
		BUG("fact %s: counters, and only counters, end in _total", def->metric);
	if (def->label &&
	    (!facts_valid_name(def->label, 0) || !strcmp(def->label, "project") || !strcmp(def->label, "profile") ||
	     !strcmp(def->label, "step") || !strcmp(def->label, "kind") || !strcmp(def->label, "le")))
		BUG("fact %s: label '%s' is malformed or taken", def->metric, def->label);
}

const json_t *facts_of(const json_t *report)
{
	const json_t *f = json_object_get(report, "facts");

	return json_is_array(f) ? f : NULL;
}

static json_t *find_fact(json_t *facts, const struct fact_def *def, const char *label_value)
{
	size_t i;
	json_t *f;

	json_array_foreach(facts, i, f)
	{
		const char *v = def->label
					? json_string_value(json_object_get(json_object_get(f, "labels"), def->label))
					: NULL;

		if (!strcmp(json_string_value(json_object_get(f, "metric")), def->metric) &&
		    (def->label ? v && !strcmp(v, label_value) : 1))
			return f;
	}
	return NULL;
}

void facts_add(json_t **report, const struct fact_def *def, const char *label_value, double value)
{
	json_t *facts, *f;

	check_def(def);
	if (!def->label != !label_value)
		BUG("fact %s: a label value exactly when the fact has a label", def->metric);
	if (!*report)
		*report = json_object();
	if (!(facts = json_object_get(*report, "facts"))) {
		facts = json_array();
		json_object_set_new(*report, "facts", facts);
	}
	if ((f = find_fact(facts, def, label_value))) {
		if (!strcmp(def->type, "counter"))
			value += json_number_value(json_object_get(f, "value"));
		json_object_set_new(f, "value", json_real(value));
		return;
	}
	f = json_pack("{s:s, s:s, s:s}", "metric", def->metric, "type", def->type, "help", def->help);
	if (def->label)
		json_object_set_new(f, "labels", json_pack("{s:s}", def->label, label_value));
	json_object_set_new(f, "value", json_real(value));
	json_array_append_new(facts, f);
}
