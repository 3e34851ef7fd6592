/* goregex: the Go regexps moby/patternmatcher generates from .dockerignore
 * patterns, translated to POSIX extended regexps and run by glibc's
 * regcomp/regexec under the C.UTF-8 locale, so matching is per UTF-8
 * character as in Go.  Constructs patternmatcher cannot produce from a
 * sane pattern (\b, \pN, \x41, ...) are rejected rather than guessed. */
#ifndef CC_GOREGEX_H
#define CC_GOREGEX_H

#include <stddef.h>

struct cc_error;
struct goregex;

/* Compile Go regexp `re`; NULL with *err on a syntax error (Go's own
 * message: nested repetition, repeat counts past 1000, ...), an
 * unsupported construct (flags), or one glibc could not compile or match
 * in bounded memory and time.  Caller frees with goregex_free. */
struct goregex *goregex_compile(const char *re, struct cc_error **err);
/* Does the regexp match somewhere in s[0..len)?  (Go's MatchString.) */
int goregex_match(const struct goregex *rx, const char *s, size_t len);
/* The POSIX regexp it became; borrowed (for error messages and tests). */
const char *goregex_posix(const struct goregex *rx);
void goregex_free(struct goregex *rx);

#endif
