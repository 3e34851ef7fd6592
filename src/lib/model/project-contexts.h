/* project-contexts: an image's named contexts (compose's
 * build.additional_contexts; docs/technical/named-contexts.md).  A
 * directory becomes an image of its own (step-addctx.h builds it); an
 * image (docker-image://REF, or service:NAME's image) is that reference.
 * Either way the Dockerfile is sent with the name replaced. */
#ifndef CC_PROJECT_CONTEXTS_H
#define CC_PROJECT_CONTEXTS_H

#include "lists.h"

struct cc_error;
struct compose_project;
struct image;
struct project;

/* Service i's additional_contexts into img->context_dirs and
 * img->context_refs ("service:NAME" kept until project_contexts_resolve);
 * positioned errors (compose.h), and one for a docker-image:// value that
 * is not a valid reference. */
int project_contexts_from_service(struct image *img, const struct compose_project *c, size_t i, struct cc_error **err);
/* Once every image is finished: each "service:NAME" becomes NAME's image
 * reference; the bases named by a context are left out of img->bases and
 * platform_bases (a directory) or replaced by the reference, so the graph
 * has the edge service:NAME needs and nothing pulls a context's name;
 * a directory context that no reference the build reaches names is
 * dropped (a stage of that name wins). */
int project_contexts_resolve(struct project *p, struct cc_error **err);
/* img's Dockerfile text (its file `file`) with every reference to a named
 * context replaced: a directory by tags' value of its name (the context
 * image), an image by its reference; *out NULL when nothing names one
 * (caller frees).  Line numbers stay as they are. */
int project_contexts_dockerfile(const struct image *img, const char *file, const char *text, const struct kvlist *tags,
				char **out, struct cc_error **err);

#endif
