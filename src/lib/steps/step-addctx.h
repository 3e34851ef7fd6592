/* step-addctx: the context images of a build's named directory contexts
 * (compose's build.additional_contexts; docs/technical/named-contexts.md).
 *
 * Each directory is walked with its own .dockerignore and hashed like a
 * build context; its image is FROM scratch + COPY . / of it, tagged
 * ccbuild-ctx/PROJECT-SERVICE-NAME:<16 hex of that hash>, built (through
 * a session, or as a tar) only when the engine lacks that tag.  The
 * service's Dockerfile is then sent with NAME replaced by the tag
 * (project-contexts.h).  The tags are never removed by ccbuild. */
#ifndef CC_STEP_ADDCTX_H
#define CC_STEP_ADDCTX_H

#include "hash.h"

#include <jansson.h>

struct cc_error;
struct engine_build_req;
struct image;
struct kvlist;
struct runner;
struct strlist;

struct addctx {
	char *name, *tag;
	const char *dir;       /* borrowed from the image */
	struct hash_result hr; /* its walk and hash */
};

struct addctx_set {
	struct addctx *v;
	size_t n;
};

/* Walk and hash each directory context of step i's image into set (zero
 * it first; addctx_release also after a failure); each one's identity
 * "context:NAME=HASH" is appended to ids (the step's input hash) and set
 * in bases under "context:NAME" (what `why` compares).  dry: a plan. */
int addctx_hash(struct runner *r, size_t i, int dry, struct addctx_set *set, struct strlist *ids, json_t *bases,
		struct cc_error **err);
/* Build each context image of set that the engine does not have yet. */
int addctx_build(struct runner *r, const struct addctx_set *set, struct cc_error **err);
/* req's Dockerfile with img's named contexts replaced (the text in *text,
 * which req then borrows; caller frees *text); req unchanged and *text
 * NULL when the Dockerfile names none. */
int addctx_dockerfile(const struct image *img, const struct addctx_set *set, struct engine_build_req *req, char **text,
		      struct cc_error **err);
void addctx_release(struct addctx_set *set);

#endif
