/* deploy-find: a compose project's containers on the engine, by label
 * (deploy-find.h). */
#include "deploy-find.h"
#include "deploy-spec.h"
#include "engine-container.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

char *deploy_project_name(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *name; name++) {
		int c = tolower((unsigned char)*name);

		if (c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			strbuf_addch(&sb, c);
	}
	return strbuf_detach(&sb);
}

static const char *label(const json_t *summary, const char *key)
{
	return json_string_value(json_object_get(json_object_get(summary, "Labels"), key));
}

/* Health as the summary says it: a Health object (newer engines), else the
 * suffix of Status ("Up 5 seconds (healthy)", "(health: starting)"). */
static const char *health_of(const json_t *c)
{
	const char *h = json_string_value(json_object_get(json_object_get(c, "Health"), "Status"));
	const char *status = json_string_value(json_object_get(c, "Status"));

	if (h && *h && strcmp(h, "none"))
		return h;
	if (!status)
		return "";
	if (strstr(status, "(unhealthy)"))
		return "unhealthy";
	if (strstr(status, "(healthy)"))
		return "healthy";
	if (strstr(status, "(health: starting)"))
		return "starting";
	return "";
}

/* One port entry as docker ps prints it: "IP:PUBLIC->PRIVATE/TYPE" or
 * "PRIVATE/TYPE" (an IPv6 address in brackets). */
static char *port_string(const json_t *p)
{
	const char *ip = json_string_value(json_object_get(p, "IP"));
	const char *type = json_string_value(json_object_get(p, "Type"));
	json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
	json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));

	if (!type)
		type = "tcp";
	if (!pub)
		return xasprintf("%lld/%s", (long long)priv, type);
	return xasprintf(ip && strchr(ip, ':') ? "[%s]:%lld->%lld/%s" : "%s:%lld->%lld/%s", ip ? ip : "",
			 (long long)pub, (long long)priv, type);
}

static char *ports_of(const json_t *c)
{
	struct strlist seen = { 0 };
	const json_t *p;
	size_t i;
	char *out;

	json_array_foreach(json_object_get(c, "Ports"), i, p)
	{
		cleanup_free char *s = port_string(p);

		if (!strlist_has(&seen, s))
			strlist_push(&seen, s);
	}
	out = strlist_join(&seen, ", ");
	strlist_release(&seen);
	return out;
}

/* "db:service_healthy:false,redis:service_started:true" -> db, redis. */
static void depends_of(const char *v, struct strlist *out)
{
	while (v && *v) {
		size_t n = strcspn(v, ",");
		size_t name = strcspn(v, ":,");
		cleanup_free char *s = xstrndup(v, name);

		if (*s && !strlist_has(out, s))
			strlist_push(out, s);
		v += n + (v[n] == ',');
	}
}

static void found_fill(struct deploy_found *f, const json_t *c)
{
	const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	const char *service = label(c, DEPLOY_LABEL_PREFIX "service");
	const char *number = label(c, DEPLOY_LABEL_PREFIX "container-number");
	const char *oneoff = label(c, DEPLOY_LABEL_PREFIX "oneoff");
	const char *hash = label(c, DEPLOY_LABEL_HASH);
	const char *state = json_string_value(json_object_get(c, "State"));

	f->id = xstrdup(json_string_value(json_object_get(c, "Id")) ? json_string_value(json_object_get(c, "Id")) : "");
	f->name = xstrdup(name ? name + (*name == '/') : f->id);
	f->service = xstrdup(service ? service : "");
	f->number = number ? strtol(number, NULL, 10) : 0;
	f->oneoff = oneoff && !strcasecmp(oneoff, "true");
	f->state = xstrdup(state ? state : "");
	f->health = xstrdup(health_of(c));
	f->hash = hash ? xstrdup(hash) : NULL;
	f->created = (int64_t)json_integer_value(json_object_get(c, "Created"));
	f->ports = ports_of(c);
	depends_of(label(c, DEPLOY_LABEL_PREFIX "depends_on"), &f->depends_on);
}

static int found_cmp(const void *pa, const void *pb)
{
	const struct deploy_found *a = pa, *b = pb;
	int c = strcmp(a->service, b->service);

	if (c)
		return c;
	if (a->oneoff != b->oneoff)
		return a->oneoff - b->oneoff;
	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return strcmp(a->name, b->name);
}

int deploy_find_containers(struct engine *e, const char *project, struct deploy_found_list *out, struct cc_error **err)
{
	struct strlist labels = { 0 };
	cleanup_free char *filter = xasprintf(DEPLOY_LABEL_PROJECT "=%s", project);
	json_t *list = NULL, *c;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	strlist_push(&labels, filter);
	rc = engine_container_list(e, &labels, &list, err);
	strlist_release(&labels);
	if (rc < 0)
		return rc;
	out->v = xcalloc(json_array_size(list) + 1, sizeof(*out->v));
	json_array_foreach(list, i, c) found_fill(&out->v[out->n++], c);
	json_decref(list);
	qsort(out->v, out->n, sizeof(*out->v), found_cmp);
	return 0;
}

long deploy_found_service(const struct deploy_found_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].service, s))
			return (long)i;
	return -1;
}

const char *deploy_short_name(const struct deploy_found *f, const char *project)
{
	cleanup_free char *standard = xasprintf("%s-%s-%ld", project, f->service, f->number);

	return strcmp(f->name, standard) ? f->name : f->name + strlen(project) + 1;
}

void deploy_found_release(struct deploy_found_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct deploy_found *f = &l->v[i];

		free(f->id);
		free(f->name);
		free(f->service);
		free(f->state);
		free(f->health);
		free(f->hash);
		free(f->ports);
		strlist_release(&f->depends_on);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
