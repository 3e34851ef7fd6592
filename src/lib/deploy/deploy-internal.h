/* deploy-internal: what the deploy-*.c files share; not part of the
 * contract (that is deploy-spec.h).  Each deploy-*.c implements its
 * section below.  Trees read here are compose's v2 form
 * (compose_config_tree_v2): long ports and volumes, Go durations, byte
 * sizes as integers, command lists, implied depends_on. */
#ifndef CC_DEPLOY_INTERNAL_H
#define CC_DEPLOY_INTERNAL_H

#include "deploy-spec.h"
#include "ynode.h"

#include <jansson.h>

struct compose_project;

/* The Docker Compose release whose mapping ccbuild follows; written as
 * com.docker.compose.version, as compose writes its own. */
#define DEPLOY_COMPOSE_VERSION "2.26.1"

/* One service being mapped (all borrowed but the json, which out owns). */
struct deploy_ctx {
	const struct compose_project *p;
	const struct deploy_project *proj;
	const struct ynode *model; /* v2 tree of the project */
	const struct ynode *svc;   /* v2 tree of the service */
	const char *name;	   /* service name */
	json_t *config, *host;	   /* Config and HostConfig of the create body */
	struct deploy_service *out;
};

/* --- deploy-util.c --- */
/* A scalar's text, NULL when n is not a scalar or is null. */
const char *deploy_str(const struct ynode *n);
/* The scalar at key of map m (deploy_str). */
const char *deploy_get(const struct ynode *m, const char *key);
/* 1 when the scalar at key is true. */
int deploy_get_bool(const struct ynode *m, const char *key);
/* Integer at key into *v; 0 when present and an integer, -1 otherwise. */
int deploy_get_ll(const struct ynode *m, const char *key, long long *v);
/* A Go duration ("1m30s", "500ms", "1.5h") in nanoseconds; -1 when invalid. */
int deploy_parse_duration(const char *s, long long *ns);
/* A JSON array of the scalar items of seq, of a lone scalar, or NULL. */
json_t *deploy_str_array(const struct ynode *seq);
/* A JSON object of the scalar values of map m (null values skipped). */
json_t *deploy_str_object(const struct ynode *m);
/* The model as `config` prints it has every '$' of a string doubled
 * (compose's serialisation): undo that in place, so values are what the
 * container gets. */
void deploy_model_unescape(struct ynode *n);
/* The engine name of service svc's container (container_name or
 * PROJECT-SERVICE-1); caller frees. */
char *deploy_container_name(const struct ynode *model, const char *project, const char *svc);

/* --- deploy-config.c --- */
/* Config: image, command, env, labels, exposed ports, healthcheck, user... */
int deploy_config_fill(struct deploy_ctx *c, struct cc_error **err);

/* --- deploy-host.c --- */
/* HostConfig's scalars: restart, resources, ulimits, logging, security... */
int deploy_host_fill(struct deploy_ctx *c, struct cc_error **err);

/* --- deploy-mounts.c --- */
/* HostConfig Binds, Mounts (volumes, secrets, configs), Tmpfs, VolumesFrom;
 * the secret and config files into c->out->files. */
int deploy_mounts_fill(struct deploy_ctx *c, struct cc_error **err);

/* --- deploy-net.c --- */
/* NetworkMode, the networks joined (first in NetworkingConfig), PortBindings,
 * IpcMode and PidMode. */
int deploy_net_fill(struct deploy_ctx *c, struct cc_error **err);
/* The project's networks and volumes into proj. */
int deploy_net_project(const struct ynode *model, struct deploy_project *proj, struct cc_error **err);

/* --- deploy-check.c --- */
/* Every field of service index of p that ccbuild does not deploy: one
 * error each, where the last file that sets it writes it; 0 when none. */
int deploy_check_service(const struct compose_project *p, size_t index, struct cc_error **err);

#endif
