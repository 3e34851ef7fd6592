/* imageref: image references read as Docker reads them (the grammar and
 * normalisation of distribution/reference): "redis" is the reference
 * docker.io/library/redis:latest whatever a manifest calls its images, so
 * two references name the same image exactly when their normalised forms
 * are equal. */
#ifndef CC_IMAGEREF_H
#define CC_IMAGEREF_H

struct cc_error;

/* The normalised form of ref: DOMAIN/PATH[:TAG][@DIGEST] with docker.io
 * for no domain (index.docker.io too), library/ for a one-part Docker Hub
 * path, and :latest when there is neither tag nor digest; *out caller
 * frees.  -1 (*out NULL, err says why) when ref is not a reference Docker
 * accepts: bad characters, an upper-case repository path, an empty part,
 * a bad tag, digest or port, a name over 255 characters, 64 hex digits. */
int imageref_normalize(const char *ref, char **out, struct cc_error **err);
/* The normalised form, or NULL when ref is not a valid reference; caller
 * frees. */
char *imageref_normalized(const char *ref);
/* 1 when a and b are valid references to the same image. */
int imageref_same(const char *a, const char *b);

#endif
