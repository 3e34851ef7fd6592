/* deploy-replica (deploy-spec.h): the further containers of a service with
 * deploy.replicas or scale above 1, as compose numbers them: the same
 * create body but for the name PROJECT-SERVICE-N, the container-number
 * label N and that name as each endpoint's first alias. */
#include "deploy-spec.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void copy_networks(struct deploy_service *d, const struct deploy_service *s, const char *name)
{
	d->networks = xcalloc(s->nnetworks + 1, sizeof(*d->networks));
	d->nnetworks = 0;
	for (size_t i = 0; i < s->nnetworks; i++) {
		struct deploy_network *n = &d->networks[d->nnetworks++];
		json_t *aliases;

		n->name = xstrdup(s->networks[i].name);
		n->key = xstrdup(s->networks[i].key);
		strlist_copy(&n->aliases, &s->networks[i].aliases);
		if (n->aliases.n) {
			free(n->aliases.v[0]);
			n->aliases.v[0] = xstrdup(name);
		}
		n->endpoint = json_deep_copy(s->networks[i].endpoint);
		if ((aliases = json_object_get(n->endpoint, "Aliases")) && json_array_size(aliases))
			json_array_set_new(aliases, 0, json_string(name));
	}
}

static void copy_deps(struct deploy_service *d, const struct deploy_service *s)
{
	d->deps = xcalloc(s->ndeps + 1, sizeof(*d->deps));
	for (size_t i = 0; i < s->ndeps; i++) {
		d->deps[i] = s->deps[i];
		d->deps[i].service = xstrdup(s->deps[i].service);
	}
	d->ndeps = s->ndeps;
}

struct deploy_service *deploy_service_replica(const struct deploy_service *s, const struct deploy_project *proj, int n)
{
	struct deploy_service *d = xcalloc(1, sizeof(*d));
	cleanup_free char *number = xasprintf("%d", n);
	json_t *eps;

	*d = *s;
	d->service = xstrdup(s->service);
	d->container_name = xasprintf("%s-%s-%d", proj->name, s->service, n);
	d->image = xstrdup(s->image);
	d->create = json_deep_copy(s->create);
	d->config = json_deep_copy(s->config);
	memset(&d->files, 0, sizeof(d->files));
	kvlist_copy(&d->files, &s->files);
	memset(&d->shares, 0, sizeof(d->shares));
	strlist_copy(&d->shares, &s->shares);
	d->stop_signal = s->stop_signal ? xstrdup(s->stop_signal) : NULL;
	copy_deps(d, s);
	copy_networks(d, s, d->container_name);
	json_object_set_new(json_object_get(d->create, "Labels"), DEPLOY_LABEL_PREFIX "container-number",
			    json_string(number));
	eps = json_object_get(json_object_get(d->create, "NetworkingConfig"), "EndpointsConfig");
	if (eps && d->nnetworks)
		json_object_set(eps, d->networks[0].name, d->networks[0].endpoint);
	return d;
}
