/* why: what changed between the inputs recorded at a step's last success
 * and its current ones, as lines a person reads:
 *   "changed: src/app.py"   "added: src/new.py"   "removed: old.txt"
 *   "arg VERSION: \"1\" -> \"2\""   "target: dev -> prod"
 *   "base build:base: sha256:ab12... -> sha256:cd34..."
 *   "Dockerfile line 3: + RUN make"   "Dockerfile line 3: - RUN cc"
 * Inputs are the step kind's JSON objects (step_record.inputs): scalar
 * fields compare as values, object fields key by key ("args" reads "arg",
 * "labels" "label", "bases" "base"), and "dockerfile" line by line. */
#ifndef CC_WHY_H
#define CC_WHY_H

#include <jansson.h>
#include <stddef.h>

struct hash_manifest;
struct strlist;

/* Append the differences to out; either side of each pair may be NULL
 * (unknown: not compared).  At most max_files file lines are listed, then
 * "... and N more files".  Returns the number of differences found. */
size_t why_diff(const json_t *old_inputs, const struct hash_manifest *old_files, const json_t *new_inputs,
		const struct hash_manifest *new_files, size_t max_files, struct strlist *out);
/* One short reason from why_diff's lines: "src/app.py changed",
 * "3 files changed (a, b, ...)", "Dockerfile changed", "arg X changed";
 * caller frees. */
char *why_summary(const struct strlist *lines);

#endif
