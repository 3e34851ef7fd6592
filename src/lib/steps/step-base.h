/* step-base: the bases of a build:IMAGE step (what its Dockerfile is
 * built FROM): their identities for the input hash, and making them local
 * before the build.  Used by step-build.c. */
#ifndef CC_STEP_BASE_H
#define CC_STEP_BASE_H

#include <jansson.h>
#include <stddef.h>

struct cc_error;
struct image;
struct runner;
struct strlist;

/* Base identities of build step i in a fixed order (manifest images as
 * "build:KEY" with their input hash first, then externals by normalised
 * reference with their image ID) into bases (KEY -> identity) and ids
 * (KEY, identity, ...); 0, or -1 with err. */
int build_collect_bases(struct runner *r, size_t i, struct strlist *ids, json_t *bases, struct cc_error **err);
/* Before build step i runs: each base found in the registry cache pulled
 * (build_make_local) and each external base in a registry that wants
 * credentials made local (per platform when built per platform). */
int build_bases_local(struct runner *r, size_t i, struct cc_error **err);
/* An external base ref of img in a registry the docker config has
 * credentials for: *auth set (caller frees; else NULL, also for manifest
 * images), and 1 when each platform's build of img looks it up per
 * platform; -1 with err for unusable credentials. */
int build_private_per_platform(const struct runner *r, const struct image *img, const char *ref, char **auth,
			       struct cc_error **err);
/* The local name of platform's image of private base ref: REF-os-arch, or
 * for a reference by digest (REPO@sha256:HEX) REPO:ccb-HEX16-os-arch.
 * Caller frees. */
char *build_private_local_ref(const char *ref, const char *platform);

#endif
