/* tagtmpl: expand an image's tag templates into concrete tags.
 *   {git.sha} {git.short} {git.branch} {git.describe}   from gitinfo
 *   {hash} {hash:N}                                     the step's input hash (first N hex digits)
 * A result that is a semantic version X.Y.Z (optionally with a leading v)
 * also yields X.Y and X (v kept), like docker/metadata-action's semver.
 * Results are made valid tags: characters outside [A-Za-z0-9_.-] become
 * '-', a leading '.' or '-' becomes '_', at most 128 characters. */
#ifndef CC_TAGTMPL_H
#define CC_TAGTMPL_H

#include "lists.h"

struct cc_error;
struct gitinfo;

/* Append the expansion of template t to out (deduplicated, in order).
 * git may be NULL (not a repository): a {git.*} placeholder is then an
 * error.  hash may be NULL until known: {hash} is then an error. */
int tagtmpl_expand(const char *t, const struct gitinfo *git, const char *hash, struct strlist *out,
		   struct cc_error **err);
/* 1 when s is a valid tag as it stands (the rules above), else 0. */
int tagtmpl_valid(const char *s);

#endif
