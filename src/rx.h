/* rx: the part of Go's regexp syntax (RE2, Perl flags) that
 * moby/patternmatcher generates from .dockerignore patterns, so that ignore
 * can match exactly as Docker does, quirks included.  Matching is on UTF-8
 * runes (an invalid byte is U+FFFD), '.' excludes '\n', negated classes
 * include it, '^' and '$' are text anchors. */
#ifndef CC_RX_H
#define CC_RX_H

#include <stddef.h>

struct rx;

/* Compile `re`; NULL on a syntax error or an unsupported construct, with a
 * static reason in *why. */
struct rx *rx_compile(const char *re, const char **why);
/* Does rx match somewhere in s[0..len)?  (Go's MatchString.) */
int rx_match(const struct rx *rx, const char *s, size_t len);
void rx_free(struct rx *rx);

#endif
