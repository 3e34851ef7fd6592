/* scanpolicy: the built-in scan rules, judged on what the Engine API says
 * of an image (GET /images/{name}/json and /history) and the base
 * references its Dockerfile builds FROM.  Pure: no I/O.
 *
 *   non_root     Config.User set, and not root / 0 (any group)
 *   healthcheck  Config.Healthcheck.Test present and not ["NONE"]
 *   secrets      ENV, labels and history lines holding secret-looking
 *                values: a secret-like NAME (password, secret, token,
 *                api key, private key, access key, credentials) with a
 *                non-empty value, a private key block, an AWS access key
 *                id, or a long high-entropy string.  Evidence never shows
 *                more than the first two characters of a value.
 *   max_size     Size above the limit (500MB, 1.5GiB, 800k, bytes)
 *   pinned_base  every external base has a digest or a version tag (not
 *                latest, not missing); a major-only tag (python:3) is
 *                reported as not exact
 *   labels       every required label is set (default: the OCI source,
 *                revision and created labels ccbuild sets from git) */
#ifndef CC_SCANPOLICY_H
#define CC_SCANPOLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lists.h"

struct cc_error;

struct scan_finding {
	char *rule;	/* "non_root" */
	char *level;	/* "error" or "warn" */
	char *evidence; /* what was found, values redacted */
};

struct scan_findings {
	struct scan_finding *v;
	size_t n, cap;
};

/* Judge the image against rules (rule -> error|warn|off, or a size for
 * max_size); findings are appended to out.  -1 with err only for a bad
 * rule value (an unparsable size). */
int scanpolicy_check(const struct kvlist *rules, const struct strlist *required_labels, const json_t *inspect,
		     const json_t *history, const struct strlist *bases, struct scan_findings *out,
		     struct cc_error **err);
/* Bytes of "500MB" (1000-based), "1.5GiB" (1024-based), "800k", "1234";
 * -1 when unparsable, -2 when more than an int64_t holds. */
int64_t scanpolicy_size(const char *s);
/* Number of error-level findings. */
size_t scan_findings_errors(const struct scan_findings *f);
/* As a JSON array of {rule, level, evidence}; caller decrefs. */
json_t *scan_findings_json(const struct scan_findings *f);
void scan_findings_release(struct scan_findings *f);

#endif
