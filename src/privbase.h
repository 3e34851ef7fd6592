/* privbase: external base images in registries that need credentials.
 * dockerd's BuildKit, given an uploaded context and no client session,
 * resolves a FROM image in the engine's image store first and otherwise
 * asks the registry anonymously; so a base in a private registry must be
 * in the image store before the build.  These calls put it there with the
 * docker config's credentials, without moving any tag another build may
 * be reading: a platform's image is pulled by its own manifest digest and
 * kept under a local per-platform tag. */
#ifndef CC_PRIVBASE_H
#define CC_PRIVBASE_H

#include <signal.h>

struct cc_error;
struct engine;

/* X-Registry-Auth for the registry ref names, when ref names a registry
 * host ("HOST[:PORT]/PATH[:TAG]") that the docker config has credentials
 * for; NULL otherwise (Docker Hub short names included).  Caller frees. */
char *privbase_auth(const char *ref);

/* Pull ref into the engine as it is named (platform NULL: the engine's
 * own platform; nothing done when the engine has it), or platform's image
 * of it tagged local (nothing done when local exists).  0, or -1 with err
 * naming ref (and platform). */
int privbase_pull(struct engine *e, const char *ref, const char *platform, const char *local, const char *auth,
		  volatile sig_atomic_t *cancel, struct cc_error **err);

#endif
