/* deploy-plan: what one run deploys (a deploy_service per service of the
 * selection, from deploy-spec.h) and what the engine has of the project,
 * asked once per run and shared by every up:SERVICE step: one filtered
 * container list (deploy_plan_containers) and the project's networks and
 * volumes, ensured once (deploy_plan_ensure_resources).  Safe from any
 * thread: the lazy parts are taken under the plan's lock; the list, once
 * made, is never changed (each step reads only its own service's part).
 * docs/technical/deploy.md, "The up step". */
#ifndef CC_DEPLOY_PLAN_H
#define CC_DEPLOY_PLAN_H

#include "deploy-spec.h"
#include "lists.h"

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

struct cc_error;
struct engine;

struct deploy_plan;

/* One service to deploy: the data of its up:SERVICE step. */
struct deploy_unit {
	struct deploy_plan *plan;    /* the plan it belongs to (borrowed) */
	struct deploy_service *spec; /* owned: the service, its container number 1 */
	/* Its containers 1..spec->replicas: [0] is spec, the others
	 * deploy_service_replica's (owned). */
	struct deploy_service **replicas;
	int built;	    /* a build:SERVICE step makes its image */
	int wait_completed; /* a dependant waits for service_completed_successfully */
	int wait_healthy;   /* a dependant waits for service_healthy */
};

struct deploy_plan {
	struct deploy_project *project; /* owned */
	struct deploy_unit *units;	/* owned; steps point into it, so it never grows past cap */
	size_t nunits, cap;
	struct strlist model;	 /* every service of the compose model (orphans are the others) */
	long wait_timeout_ms;	 /* how long a step waits for health or completion (120 s) */
	pthread_mutex_t lock;	 /* guards containers and resources_ready */
	json_t *containers;	 /* the project's containers, listed once; NULL until then */
	int resources_ready;	 /* networks and volumes ensured */
	unsigned long api_calls; /* container list calls made (1 per run at most) */
};

/* A plan for project (taken) with room for cap services; caller frees. */
struct deploy_plan *deploy_plan_new(struct deploy_project *project, size_t cap);
/* Add the service spec (taken); its unit, valid for the plan's life. */
struct deploy_unit *deploy_plan_add(struct deploy_plan *plan, struct deploy_service *spec, int built);
/* The unit of a service by name, or NULL. */
struct deploy_unit *deploy_plan_unit(const struct deploy_plan *plan, const char *service);
/* The project's containers (label com.docker.compose.project=NAME, run
 * containers of `run`/tests, oneoff=True, left out): listed on the first
 * call, the same array after; *out borrowed for the plan's life. */
int deploy_plan_containers(struct deploy_plan *plan, struct engine *e, const json_t **out, struct cc_error **err);
/* The project's networks and volumes exist (created when missing; an
 * external one that does not exist is an error); done once. */
int deploy_plan_ensure_resources(struct deploy_plan *plan, struct engine *e, struct cc_error **err);
/* Stop and remove the project's containers whose service is not in the
 * model; their "SERVICE (CONTAINER)" into removed. */
int deploy_plan_remove_orphans(struct deploy_plan *plan, struct engine *e, struct strlist *removed,
			       struct cc_error **err);
/* Before another run of the same plan (watch): the container list and
 * the resources are asked again; not while steps run. */
void deploy_plan_forget(struct deploy_plan *plan);
void deploy_plan_free(struct deploy_plan *plan);

/* Small readers of a container summary of GET /containers/json. */
/* Its label key (borrowed) or NULL. */
const char *deploy_summary_label(const json_t *c, const char *key);
/* Its name without the leading '/' (borrowed) or "". */
const char *deploy_summary_name(const json_t *c);

#endif
