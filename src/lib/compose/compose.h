/* compose: compose files as the Compose Specification defines them and
 * Docker Compose v2 (2.26) reads them: environment layers, ${VAR}
 * interpolation, the schema (every field's type) with FILE:LINE:COL errors,
 * override files merged onto the base (1.29's merge rules where v2 agrees,
 * v2's where not: !reset/!override, appended security_opt and hooks),
 * `extends:`, top-level `include:`, service profiles, and the model
 * `docker compose config` prints (compose_config_emit).  Not supported
 * yet, each a positioned error: remote build contexts and the build fields
 * a build cannot honour (compose_service_build_check). */
#ifndef CC_COMPOSE_H
#define CC_COMPOSE_H

#include "lists.h"

#include <stddef.h>
#include <stdio.h>

struct cc_error;
struct cc_warnings;
struct ynode;
struct compose_project;

struct compose_load_opts {
	const char *project_dir;  /* relative paths resolve here; NULL: the first file's directory */
	const char *project_name; /* NULL: basename of project_dir */
	const char **files;	  /* base first, then overrides in order */
	size_t nfiles;
	const char **env_files; /* extra env files, in order, later wins over .env */
	size_t nenv_files;
	const struct kvlist *env; /* profile env (map or KEY=VAL list, parsed), wins over env files; may be NULL */
	int use_process_env;	  /* the process environment wins over everything */
	int no_dot_env;		  /* do not read PROJECT_DIR/.env */
	const char **profiles;	  /* compose profiles to activate (COMPOSE_PROFILES adds to them) */
	size_t nprofiles;
	struct cc_warnings *warnings; /* where warnings go (unset variables,
				       * env file lines skipped); NULL: dropped */
	int compose_env_vars;	      /* compose's own variables act as in compose
				       * (with use_process_env): COMPOSE_ENV_FILES
				       * names the env files read in place of .env
				       * when nenv_files is 0; COMPOSE_FILE (split on
				       * COMPOSE_PATH_SEPARATOR, default ':') the
				       * files when nfiles is 0 (neither: no project,
				       * *out NULL); COMPOSE_PROJECT_NAME the name when
				       * project_name is NULL.  Given ones win, with a
				       * warning when the variable says otherwise. */
};

/* Build a service's image from this (strings owned by the project; borrowed). */
struct compose_build {
	const char *context;	   /* absolute path (or URL) */
	const char *dockerfile;	   /* as written, NULL when unset */
	const char *target;	   /* NULL when unset */
	const char *image;	   /* the service's image:, NULL when unset */
	struct kvlist args;	   /* owned by out: compose_build_release() */
	struct kvlist labels;	   /* owned by out */
	struct strlist cache_from; /* owned by out */
};

/* Load and merge; *out is caller-owned (compose_free); NULL only when no
 * file is given or named (compose_env_vars).  Errors may chain. */
int compose_load(const struct compose_load_opts *opts, struct compose_project **out, struct cc_error **err);
/* Number of services (sorted by name). */
size_t compose_service_count(const struct compose_project *p);
/* Name of service i (borrowed). */
const char *compose_service_name(const struct compose_project *p, size_t i);
/* Index of a service by name, or -1. */
long compose_service_find(const struct compose_project *p, const char *name);
/* The project's name (lower-cased, [-_a-z0-9]) and directory (absolute);
 * borrowed. */
const char *compose_project_name(const struct compose_project *p);
const char *compose_project_dir(const struct compose_project *p);
/* The compose files, absolute, comma-joined (compose's
 * project.config_files label); caller frees. */
char *compose_config_files(const struct compose_project *p);
/* Every file the load read or looked for, absolute, appended to out:
 * the compose files, those include: and extends: loaded, and the env
 * files (.env, env_file:s; also when absent): what a watch reloads on. */
void compose_files_read(const struct compose_project *p, struct strlist *out);
/* Merged, normalised tree of service i as `config` prints it (borrowed). */
const struct ynode *compose_service(const struct compose_project *p, size_t i);
/* Where service i's field key is written: the key in the last compose
 * file that sets it (positioned), or NULL (set only through extends:;
 * borrowed). */
const struct ynode *compose_service_key(const struct compose_project *p, size_t i, const char *key);
/* 0 and *out filled, or 1 when service i has no build section. */
int compose_service_build(const struct compose_project *p, size_t i, struct compose_build *out);
/* What `config` lets pass but a build cannot use: a remote (git or URL)
 * context (not supported yet) and an empty dockerfile:; errors at their
 * position, 0 when service i can be built from its directory. */
int compose_service_build_check(const struct compose_project *p, size_t i, struct cc_error **err);
/* Free the lists compose_service_build() filled. */
void compose_build_release(struct compose_build *b);

/* One entry of a service's build.secrets, as Compose v2 serves it to
 * BuildKit: the id is the entry's target, else its source; the value comes
 * from the top-level secret's file (absolute) or environment variable.
 * Strings borrowed from the project. */
struct compose_build_secret {
	const char *id;
	const char *file; /* or NULL */
	const char *env;  /* or NULL */
};
/* The build secrets of service i into *out (caller frees the array) and
 * *n; none: NULL and 0.  -1 with a positioned error for an entry naming
 * no top-level secret, or one with neither file nor environment
 * (external secrets cannot reach a build). */
int compose_service_build_secrets(const struct compose_project *p, size_t i, struct compose_build_secret **out,
				  size_t *n, struct cc_error **err);
/* The build.additional_contexts of service i into out (NAME -> VALUE):
 * a directory (made absolute against the project's directory, as compose
 * 2.26 does), "docker-image://REF" or "service:NAME" as written (a
 * service without build: as docker-image:// of its image:).  -1 with
 * an error at each bad entry (naming the service and the context): a URL
 * or git value, "target:", a name given twice or not [a-z0-9._-], a
 * service: naming no service with an image or a build, a path that is
 * not a directory. */
int compose_service_build_contexts(const struct compose_project *p, size_t i, struct kvlist *out,
				   struct cc_error **err);
/* The build.ssh entries of service i appended to *out as "ID" or
 * "ID=PATH" (PATH absolute; the list form or the ID: PATH map form). */
void compose_service_build_ssh(const struct compose_project *p, size_t i, struct strlist *out);
/* The normalised tree (1.29's form, which the rest of ccbuild reads;
 * borrowed); compose_config_emit prints v2's form of it. */
const struct ynode *compose_config_tree(const struct compose_project *p);
/* The model in v2's form, the tree compose_config_emit prints (long ports
 * and volumes, Go durations, bytes as integers, implied depends_on);
 * caller frees (ynode_free). */
struct ynode *compose_config_tree_v2(const struct compose_project *p);
/* Write the model to f as `docker compose config` (v2) does. */
int compose_config_emit(const struct compose_project *p, FILE *f, struct cc_error **err);
/* Value of a variable in the project's interpolation environment (borrowed or NULL). */
const char *compose_getenv(const struct compose_project *p, const char *name);
/* Free p; NULL is fine. */
void compose_free(struct compose_project *p);

#endif
