/* sync-rewrite: the rewrite: rules of a sync, applied to the destination
 * copy of matching text files (the source is never modified). */
#ifndef CC_SYNC_REWRITE_H
#define CC_SYNC_REWRITE_H

#include <stddef.h>

struct sync_rewrite;
struct sync_rewriter;

/* Compile n rules (borrowed for the rewriter's life; patterns were checked
 * by the manifest).  Caller frees with sync_rewriter_free. */
struct sync_rewriter *sync_rewriter_new(const struct sync_rewrite *rules, size_t n);
/* Hex SHA-256 of the rules ("" when there are none); borrowed. */
const char *sync_rewriter_hash(const struct sync_rewriter *rw);
/* 1 when some rule's files: matches path. */
int sync_rewriter_matches(const struct sync_rewriter *rw, const char *path);
/* The bytes path gets: in with every matching rule's replacements, when
 * in is text (no NUL byte).  1 with *out (caller frees) when something
 * was replaced, else 0 (in is what is written). */
int sync_rewriter_apply(const struct sync_rewriter *rw, const char *path, const char *in, size_t len, char **out,
			size_t *outlen);
/* The rewriter that undoes rules (direction both, the way back): the
 * rules in reverse order, each replacement's TO becoming FROM, also in
 * reverse order.  Owns its reversed rules; caller frees. */
struct sync_rewriter *sync_rewriter_reverse(const struct sync_rewrite *rules, size_t n);
void sync_rewriter_free(struct sync_rewriter *rw);

#endif
