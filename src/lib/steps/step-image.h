/* step-image: where the images of a build:IMAGE step live, for the build,
 * scan and push kinds alike. */
#ifndef CC_STEP_IMAGE_H
#define CC_STEP_IMAGE_H

#include <stddef.h>

struct cc_error;
struct image;
struct runner;

/* Where one platform's image of a multi-platform build is tagged locally:
 * "name:tag" -> "name:tag-linux-arm64".  Caller frees. */
char *build_platform_ref(const char *ref, const char *platform);
/* The registry tag one platform's image of a multi-platform build is
 * pushed under: "ccb-" 32 hex digits of hash "-os-arch[-variant]".
 * Caller frees. */
char *build_platform_cache_tag(const char *hash, const char *platform);
/* 1 when img's build for platform needs base's image of that platform
 * (REF-PLATFORM): base is multi-platform, img is built for that platform
 * (one of its several, or its only one), and so is base. */
int build_shares_platform(const struct image *base, const struct image *img, const char *platform);
/* The platform this engine runs natively, as in "linux/amd64" (static). */
const char *build_native_platform(void);
/* Make build step b's image local when the registry cache satisfied it
 * (pull REGISTRY/KEY:ccb-HASH, tag it REF; when for_img (may be NULL) is
 * built or judged per platform, also each platform of b's image it
 * shares, tagged REF-os-arch); progress shown on step for_step.  0 when
 * it already is. */
int build_make_local(struct runner *r, size_t b, size_t for_step, const struct image *for_img, struct cc_error **err);

#endif
