/* privbase: external base images in registries that need credentials.
 * dockerd's BuildKit, given an uploaded context and no client session,
 * resolves a FROM image in the engine's image store first and otherwise
 * asks the registry anonymously; so a base in a private registry must be
 * in the image store before the build.  These calls put it there with the
 * docker config's credentials, without moving any tag another build may
 * be reading: a platform's image is pulled by its own manifest digest and
 * kept under a local per-platform tag.
 * With a BuildKit session BuildKit pulls a base itself, asking the
 * session's auth service (buildkit-auth.h) for the credentials, so this is
 * needed only for the tar upload and for bases looked up per platform
 * (step-base.c). */
#ifndef CC_PRIVBASE_H
#define CC_PRIVBASE_H

#include <jansson.h>

#include "cancel.h"
#include "lists.h"

struct cc_error;
struct engine;

/* X-Registry-Auth for the registry ref names into *auth, when ref names a
 * registry host ("HOST[:PORT]/PATH[:TAG]") that the docker config has
 * credentials for; NULL otherwise (Docker Hub short names included).
 * Caller frees.  -1 with err for unusable credentials (registry.h). */
int privbase_auth(const char *ref, char **auth, struct cc_error **err);

/* Make private base ref local for a build: under its own name for the
 * engine's platform `native` (pulled by tag when the engine lacks it;
 * when platforms are given and native is not among them, a failure to do
 * so is not an error), and for each of platforms (may be NULL) its image
 * in the index `index` ("sha256:...", the digest the input hash names;
 * NULL: the registry's current one for ref) under locals->v[k]: REF's own
 * image when that is the native platform's and was pulled by that index,
 * else pulled by its manifest digest.  Nothing is pulled that is already
 * there.  0, or -1 with err naming ref. */
int privbase_make_local(struct engine *e, const char *ref, const char *native, const struct strlist *platforms,
			const struct strlist *locals, const char *index, const char *auth, const atomic_int *cancel,
			struct cc_error **err);

/* The "sha256:..." that an engine image (inspect JSON) was pulled by from
 * the repository ref names ("HOST[:PORT]/PATH[:TAG]"), the least when there
 * are several; NULL when none (or ref names no registry host).  Borrowed
 * from info. */
const char *privbase_pulled_digest(const json_t *info, const char *ref);

#endif
