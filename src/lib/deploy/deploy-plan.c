/* deploy-plan: the services of one deploy and the engine's view of the
 * project, asked once (deploy-plan.h). */
#include "deploy-plan.h"
#include "engine-container.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct deploy_plan *deploy_plan_new(struct deploy_project *project, size_t cap)
{
	struct deploy_plan *plan = xcalloc(1, sizeof(*plan));

	plan->project = project;
	plan->cap = cap;
	plan->units = xcalloc(cap ? cap : 1, sizeof(*plan->units));
	plan->wait_timeout_ms = 120 * 1000L;
	pthread_mutex_init(&plan->lock, NULL);
	return plan;
}

struct deploy_unit *deploy_plan_add(struct deploy_plan *plan, struct deploy_service *spec, int built)
{
	struct deploy_unit *u;
	int n;

	if (plan->nunits == plan->cap)
		BUG("deploy plan of %zu services is full", plan->cap);
	u = &plan->units[plan->nunits++];
	u->plan = plan;
	u->spec = spec;
	u->built = built;
	u->replicas = xcalloc(spec->replicas > 1 ? (size_t)spec->replicas : 1, sizeof(*u->replicas));
	u->replicas[0] = spec;
	for (n = 2; n <= spec->replicas; n++)
		u->replicas[n - 1] = deploy_service_replica(spec, plan->project, n);
	return u;
}

struct deploy_unit *deploy_plan_unit(const struct deploy_plan *plan, const char *service)
{
	size_t i;

	for (i = 0; i < plan->nunits; i++)
		if (!strcmp(plan->units[i].spec->service, service))
			return &plan->units[i];
	return NULL;
}

const char *deploy_summary_label(const json_t *c, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c, "Labels"), key));
}

const char *deploy_summary_name(const json_t *c)
{
	const char *n = json_string_value(json_array_get(json_object_get(c, "Names"), 0));

	return n ? n + (*n == '/') : "";
}

/* The list, without the one-off containers of `run` and test steps. */
static int list_containers(struct deploy_plan *plan, struct engine *e, struct cc_error **err)
{
	struct strlist labels = { 0 };
	cleanup_free char *label = xasprintf(DEPLOY_LABEL_PREFIX "project=%s", plan->project->name);
	json_t *all = NULL, *c;
	size_t i;
	int rc;

	strlist_push(&labels, label);
	plan->api_calls++;
	rc = engine_container_list(e, &labels, &all, err);
	strlist_release(&labels);
	if (rc < 0)
		return rc;
	plan->containers = json_array();
	json_array_foreach(all, i, c)
	{
		const char *oneoff = deploy_summary_label(c, DEPLOY_LABEL_PREFIX "oneoff");

		if (!oneoff || strcmp(oneoff, "True"))
			json_array_append(plan->containers, c);
	}
	json_decref(all);
	return 0;
}

int deploy_plan_containers(struct deploy_plan *plan, struct engine *e, const json_t **out, struct cc_error **err)
{
	int rc = 0;

	pthread_mutex_lock(&plan->lock);
	if (!plan->containers)
		rc = list_containers(plan, e, err);
	pthread_mutex_unlock(&plan->lock);
	*out = plan->containers;
	return rc;
}

/* One network or volume: an external one must exist, the others are
 * created when missing. */
static int ensure_resource(struct engine *e, const struct deploy_resource *res, int network, struct cc_error **err)
{
	json_t *info = NULL;
	int rc;

	if (res->external) {
		rc = network ? engine_network_inspect(e, res->name, &info, err)
			     : engine_volume_inspect(e, res->name, &info, err);
		json_decref(info);
		if (rc == 0)
			return cc_error_set(err, "%s %s is external but does not exist (create it first)",
					    network ? "network" : "volume", res->name);
		return rc < 0 ? rc : 0;
	}
	rc = network ? engine_network_create(e, res->create, err) : engine_volume_create(e, res->create, err);
	if (rc < 0)
		return cc_error_wrap(err, "creating %s %s", network ? "network" : "volume", res->name);
	return 0;
}

int deploy_plan_ensure_resources(struct deploy_plan *plan, struct engine *e, struct cc_error **err)
{
	const struct deploy_project *p = plan->project;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&plan->lock);
	for (i = 0; !plan->resources_ready && rc == 0 && i < p->nnetworks; i++)
		rc = ensure_resource(e, &p->networks[i], 1, err);
	for (i = 0; !plan->resources_ready && rc == 0 && i < p->nvolumes; i++)
		rc = ensure_resource(e, &p->volumes[i], 0, err);
	if (rc == 0)
		plan->resources_ready = 1;
	pthread_mutex_unlock(&plan->lock);
	return rc;
}

int deploy_plan_remove_orphans(struct deploy_plan *plan, struct engine *e, struct strlist *removed,
			       struct cc_error **err)
{
	const json_t *list, *c;
	size_t i;
	int rc = deploy_plan_containers(plan, e, &list, err);

	json_array_foreach((json_t *)list, i, c)
	{
		const char *service = deploy_summary_label(c, DEPLOY_LABEL_PREFIX "service");
		const char *id = json_string_value(json_object_get(c, "Id"));
		cleanup_free char *what = NULL;

		if (rc < 0 || !service || !id || strlist_has(&plan->model, service))
			continue;
		what = xasprintf("%s (%s)", service, deploy_summary_name(c));
		if ((rc = engine_container_stop(e, id, -1, NULL, err)) >= 0)
			rc = engine_container_remove(e, id, 1, 0, err);
		if (rc < 0)
			rc = cc_error_wrap(err, "removing orphan container %s", what);
		else
			strlist_push(removed, what);
	}
	return rc < 0 ? -1 : 0;
}

void deploy_plan_forget(struct deploy_plan *plan)
{
	json_decref(plan->containers);
	plan->containers = NULL;
	plan->resources_ready = 0;
}

void deploy_plan_free(struct deploy_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->nunits; i++) {
		struct deploy_unit *u = &plan->units[i];
		int n;

		for (n = 2; n <= u->spec->replicas; n++)
			deploy_service_free(u->replicas[n - 1]);
		free(u->replicas);
		deploy_service_free(u->spec);
	}
	free(plan->units);
	deploy_project_free(plan->project);
	strlist_release(&plan->model);
	json_decref(plan->containers);
	pthread_mutex_destroy(&plan->lock);
	free(plan);
}
