/* project: the resolved model of one profile — the manifest, the merged
 * compose files, and every image with its final build settings (compose
 * build: section, then the manifest's images: entry, then the profile's
 * images: entry).  The step graph in p->graph is built above the model,
 * by step-graph.h (project_load). */
#ifndef CC_PROJECT_H
#define CC_PROJECT_H

#include "graph.h"
#include "lists.h"
#include "manifest.h"
#include "ynode.h"

struct cc_error;
struct cc_warnings;
struct compose_project;
struct deploy_plan;
struct manifest;
struct profile_spec;
struct scan_spec;

/* A build secret (compose build.secrets): served by id through the build's
 * BuildKit session, from a file or an environment variable. */
struct image_secret {
	char *id, *source; /* owned */
	int from_env;	   /* source names an environment variable, else a file */
};

struct image {
	/* Its settings, merged (compose build:, then the manifest's images:
	 * entry, then the profile's), owned: key (= the compose service name
	 * when from compose), ref (the reference it is tagged as, never NULL
	 * once resolved), context and dockerfile (paths relative to the cwd or
	 * absolute), target (or NULL), args, labels, platforms, tags,
	 * cache_from, depends_on, pos (where it is defined, manifest or
	 * compose).  set and retention are not used here. */
	struct image_spec spec;
	char *ref_full;		       /* spec.ref normalised (imageref.h), or NULL
				 * when it is not a valid reference */
	struct strlist bases;	       /* external references the build needs (FROM, COPY --from) */
	struct strlist platform_bases; /* those looked up per platform being built
					* (not FROM --platform=$BUILDPLATFORM) */
	int from_compose;	       /* 1 when a compose service defines it */
	char *dockerfile_inline;       /* compose's build.dockerfile_inline: the
				      * Dockerfile's text (spec.dockerfile then
				      * names it in the context), or NULL */
	struct image_secret *secrets;  /* owned, nsecrets of them */
	size_t nsecrets;
	struct strlist ssh;	    /* build.ssh: "ID" (the agent of $SSH_AUTH_SOCK) or "ID=SOCKET" */
	struct kvlist context_dirs; /* build.additional_contexts: NAME -> absolute directory */
	struct kvlist context_refs; /* NAME -> image reference (project-contexts.h) */
};

/* What a scan:IMAGE:SCAN step judges. */
struct scan_target {
	const struct image *image;    /* borrowed from the project */
	const struct scan_spec *spec; /* borrowed from the manifest */
};

struct project {
	const struct manifest *manifest;    /* borrowed */
	const struct profile_spec *profile; /* borrowed from manifest */
	struct compose_project *compose;    /* owned; NULL when no compose files */
	struct image *images;
	size_t nimages;
	struct scan_target *scans; /* owned; steps point into it */
	size_t nscans, nscans_cap;
	struct graph graph;
	struct deploy_plan *deploy;   /* owned: the up:SERVICE steps' services; NULL when none */
	struct cc_warnings *warnings; /* borrowed: where loading warns; may be NULL */
};

/* Resolve profile `name` of manifest m: load compose files, resolve images,
 * read their Dockerfiles; p->graph is left empty (step-graph.h fills it).
 * Every problem found is reported; warnings (compose's too) go to
 * `warnings` (borrowed for p's life, may be NULL). */
int project_resolve(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		    struct cc_error **err);
/* Only the profile's compose model (p->compose; no images, no graph):
 * what `config` prints, which build-time problems do not stop. */
int project_load_model(const struct manifest *m, const char *name, struct project **out, struct cc_warnings *warnings,
		       struct cc_error **err);
/* Index of the image of the manifest that a reference in img's Dockerfile
 * (FROM, COPY --from) names: the one whose reference is the same once
 * normalised (imageref.h: "nginx" is docker.io/library/nginx:latest, not
 * the image whose key is nginx), never img itself; -1: an external image. */
long project_base_image(const struct project *p, const struct image *img, const char *ref);
/* 1 when ref, named in img's Dockerfile, is img's own reference: the
 * external image of that name, not img (project_base_image). */
int project_base_is_self(const struct image *img, const char *ref);
/* The context-relative name a dockerfile_inline is sent under. */
#define PROJECT_INLINE_DOCKERFILE ".ccbuild-dockerfile-inline"
/* img's Dockerfile text: its dockerfile_inline, else the file
 * spec.dockerfile; *text caller frees. */
int project_image_dockerfile(const struct image *img, char **text, size_t *len, struct cc_error **err);
/* Image by key, or NULL. */
const struct image *project_image(const struct project *p, const char *key);
void project_free(struct project *p);
/* 1 when the profile pushes (the version label of what it ships says
 * -dirty) or some image's tags use {git.describe}: both need a full work
 * tree status (gitinfo.h), which a local dev run does without. */
int project_needs_git_dirty(const struct project *p);
/* Where push:IMAGE pushes, and where the registry cache of build:IMAGE
 * lives: REGISTRY/KEY; caller frees. */
char *push_repository(const struct manifest *m, const struct image *img);

#endif
