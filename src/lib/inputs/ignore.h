/* ignore: .dockerignore rules with the Docker CLI's semantics
 * (moby/patternmatcher + docker/cli build context), see docs/hashing.md.
 * Paths given to the matchers are relative, '/'-separated and clean. */
#ifndef CC_IGNORE_H
#define CC_IGNORE_H

#include <stddef.h>

struct cc_error;
struct ignore;

/* An empty rule set (excludes nothing); caller frees with ignore_free. */
struct ignore *ignore_new(void);
/* Parse ignore-file text (BOM, '#' comments, trimming, '!', Clean, leading
 * '/'); `name` prefixes errors as "NAME:LINE: ...".  Returns -1 on a bad
 * pattern (rules parsed so far stay). */
int ignore_parse(struct ignore *ig, const char *text, size_t len, const char *name, struct cc_error **err);
/* Add one already-read pattern line (like a line of the file). */
int ignore_add(struct ignore *ig, const char *pattern, const char *name, int line, struct cc_error **err);
/* Rules for building `dockerfile` (context-relative, or absolute when it
 * lies outside the context; NULL for none) in context dir `ctxdir`:
 * "<dockerfile>.dockerignore" beside the Dockerfile when it exists (also
 * outside the context, as BuildKit reads it), else ctxdir/.dockerignore,
 * plus the CLI's forced includes of the ignore file and the Dockerfile
 * when they are in the context.  *used gets the ignore file read
 * (context-relative, or absolute; caller frees) or NULL.  NULL on error. */
struct ignore *ignore_load(const char *ctxdir, const char *dockerfile, char **used, struct cc_error **err);
void ignore_free(struct ignore *ig);

/* Number of patterns (size of a match-state array for ignore_match_walk). */
size_t ignore_count(const struct ignore *ig);
/* Pattern i as matched (cleaned, without '!'); borrowed. */
const char *ignore_pattern(const struct ignore *ig, size_t i, int *exception);
/* Is `path` excluded?  patternmatcher's MatchesOrParentMatches. */
int ignore_match(const struct ignore *ig, const char *path);
/* The CLI's tar walk (MatchesUsingParentResults): `parent` is the state the
 * parent directory got (NULL at top level), `state` (ignore_count bytes) is
 * filled for this path.  Returns 1 when excluded. */
int ignore_match_walk(const struct ignore *ig, const char *path, const unsigned char *parent, unsigned char *state);
/* May the excluded directory `dir` be skipped whole?  False when some '!'
 * pattern starts with "dir/", as in the CLI. */
int ignore_dir_prunable(const struct ignore *ig, const char *dir);

#endif
