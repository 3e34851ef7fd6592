/* deploy-find: what a compose project has on the engine, found as Docker
 * Compose v2 finds it: by its labels (com.docker.compose.project=P,
 * .service, .container-number, .oneoff, .depends_on), so it sees what
 * `docker compose up` created as well as what ccbuild did.  Containers
 * come from one filtered list request; nothing here knows the compose
 * file.  Used by down, ps and logs. */
#ifndef CC_DEPLOY_FIND_H
#define CC_DEPLOY_FIND_H

#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct engine;

#define DEPLOY_LABEL_PROJECT "com.docker.compose.project"

/* One container of the project, from the engine's summary; all owned. */
struct deploy_found {
	char *id;
	char *name;		   /* without the leading '/' */
	char *service;		   /* com.docker.compose.service ("" when unlabelled) */
	long number;		   /* com.docker.compose.container-number, 0 when absent */
	int oneoff;		   /* com.docker.compose.oneoff=True: a run or test container */
	char *state;		   /* "running", "exited", "created", ... */
	char *health;		   /* "healthy", "unhealthy", "starting", or "" (no healthcheck) */
	char *hash;		   /* dev.ccbuild.deploy-hash, or NULL (compose made it) */
	int64_t created;	   /* Unix seconds */
	char *ports;		   /* "127.0.0.1:8080->80/tcp, 5432/tcp" as docker ps prints them */
	struct strlist depends_on; /* service names of com.docker.compose.depends_on */
};

struct deploy_found_list {
	struct deploy_found *v;
	size_t n;
};

/* Compose's project name from a given name: lower case, only [-_a-z0-9]
 * kept (compose-go's NormalizeProjectName); caller frees. */
char *deploy_project_name(const char *name);
/* Every container of project (running or not, one-off ones included),
 * sorted by service, then one-off last, then number, then name; *out is
 * emptied first and caller-owned (deploy_found_release).  0, or the
 * engine's negative result with *err. */
int deploy_find_containers(struct engine *e, const char *project, struct deploy_found_list *out, struct cc_error **err);
/* The container index of out whose service is s, or -1 (first match). */
long deploy_found_service(const struct deploy_found_list *l, const char *s);
/* The name compose shows in logs: "web-1" for the default name
 * PROJECT-SERVICE-NUMBER, else (container_name:) the whole name; borrowed
 * from f. */
const char *deploy_short_name(const struct deploy_found *f, const char *project);
void deploy_found_release(struct deploy_found_list *l);

#endif
