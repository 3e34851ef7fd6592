/* deploy-spec: what a compose service becomes on the engine.  From the
 * merged compose model (compose.h) of one service it makes Docker's
 * POST /containers/create body exactly as Docker Compose v2 (2.26) maps
 * each field, compose's labels, the networks and volumes the project
 * needs, and the resolved configuration the deploy hash covers (with the
 * files whose content it covers: secrets, configs).  A field ccbuild does
 * not deploy yet is an error naming it and the service at FILE:LINE:COL,
 * never dropped.  Pure: no engine, no I/O beyond reading nothing (file
 * contents are hashed by the caller).  docs/technical/deploy.md. */
#ifndef CC_DEPLOY_SPEC_H
#define CC_DEPLOY_SPEC_H

#include <jansson.h>
#include <stddef.h>

#include "lists.h"

struct cc_error;
struct compose_project;

#define DEPLOY_LABEL_PREFIX "com.docker.compose."
/* ccbuild's own deploy hash (compose's config-hash is Go-encoding bound). */
#define DEPLOY_LABEL_HASH "dev.ccbuild.deploy-hash"

enum deploy_condition {
	DEPLOY_STARTED = 0, /* service_started */
	DEPLOY_HEALTHY,	    /* service_healthy */
	DEPLOY_COMPLETED,   /* service_completed_successfully */
};

struct deploy_dep {
	char *service;
	enum deploy_condition condition;
	int restart;  /* depends_on.X.restart */
	int required; /* depends_on.X.required (default 1) */
};

struct deploy_network {		/* one network the container joins */
	char *name;		/* engine name: PROJECT_KEY, or the external/explicit name */
	char *key;		/* as the compose file names it ("default", "backend") */
	struct strlist aliases; /* service name, container name, declared aliases */
	json_t *endpoint;	/* EndpointSettings (Aliases, IPAMConfig, ...), owned */
};

/* A project-level resource (network or volume) to ensure exists. */
struct deploy_resource {
	char *name;	/* engine name */
	char *key;	/* compose key */
	int external;	/* must exist; never created or removed */
	json_t *create; /* POST /networks/create or /volumes/create body (labels included), owned; NULL when external */
};

struct deploy_service {
	char *service;	      /* compose service name */
	char *container_name; /* container_name:, or PROJECT-SERVICE-1 */
	char *image;	      /* the image reference it runs (service image:, or the built image's ref) */
	/* The create body: Config + HostConfig + NetworkingConfig with only
	 * the first network (older APIs take one); owned.  Its Labels hold
	 * compose's labels but not the hashes (deploy_service_labels). */
	json_t *create;
	struct deploy_network *networks; /* networks[0] is in create */
	size_t nnetworks;
	/* The resolved configuration the deploy hash covers, as a flat
	 * object of "field.path" -> value (so `why` can name the field that
	 * changed: environment.DEBUG); owned. */
	json_t *config;
	/* Files whose content the hash covers: "secret NAME" / "config NAME"
	 * -> absolute path (kvlist keys are the names `why` prints). */
	struct kvlist files;
	struct deploy_dep *deps;
	size_t ndeps;
	/* Services whose namespaces or volumes it shares (network_mode,
	 * ipc, pid: service:X; volumes_from): recreated with them. */
	struct strlist shares;
	int has_healthcheck; /* a healthcheck that is not disabled, its own or the image's unknown here: own only */
	int start_first;     /* deploy.update_config.order: start-first */
	int stop_timeout;    /* stop_grace_period in seconds, -1 unset */
	char *stop_signal;   /* or NULL */
	int oneoff;	     /* a test/run container: labels oneoff=True */
	int replicas;	     /* containers the service runs: deploy.replicas or scale (default 1); this is number 1 */
};

struct deploy_project {
	char *name;	    /* compose project name (lowercased, [a-z0-9_-]) */
	char *working_dir;  /* absolute */
	char *config_files; /* comma-joined absolute compose file paths */
	struct deploy_resource *networks, *volumes;
	size_t nnetworks, nvolumes;
};

/* The project's networks (PROJECT_default when a service uses it, and the
 * declared ones that a service uses) and named volumes; *out caller-owned
 * (deploy_project_free).  Errors are positioned. */
int deploy_project_spec(const struct compose_project *p, const char *name, const char *working_dir,
			const char *config_files, struct deploy_project **out, struct cc_error **err);
/* Service i of p as the engine should run it, with image the reference
 * to run (NULL: the service's image:); every field not deployed is an
 * error at its position.  *out caller-owned (deploy_service_free). */
int deploy_service_spec(const struct compose_project *p, const struct deploy_project *proj, size_t i, const char *image,
			struct deploy_service **out, struct cc_error **err);
/* Container n (2..s->replicas) of s: a copy named PROJECT-SERVICE-n
 * (container_name: refuses replicas above 1) whose create body, endpoints
 * and container-number label say n; caller-owned (deploy_service_free). */
struct deploy_service *deploy_service_replica(const struct deploy_service *s, const struct deploy_project *proj, int n);
/* Set the labels that depend on run-time facts into s->create's Labels:
 * compose's config-hash and ccbuild's DEPLOY_LABEL_HASH = hash (NULL:
 * left as they are), com.docker.compose.image = image_id (may be NULL),
 * and com.docker.compose.oneoff from s->oneoff ("True" for a test/run
 * container, which the caller sets after deploy_service_spec). */
void deploy_service_labels(struct deploy_service *s, const char *hash, const char *image_id);
void deploy_service_free(struct deploy_service *s);
void deploy_project_free(struct deploy_project *p);

#endif
