/* error: the one error convention of ccbuild.
 *
 * A fallible function takes `struct cc_error **err` last and returns a
 * negative value (or NULL) on failure after filling *err.  Callers add
 * context on the way up with cc_error_wrap().  Only main() prints errors.
 * Errors chain (->next) so a validator can report every problem at once.
 * Passing err == NULL discards the message. */
#ifndef CC_ERROR_H
#define CC_ERROR_H

#include <stdarg.h>

struct cc_error {
	char *msg;	       /* owned; "FILE:LINE:COL: ..." when positioned */
	struct cc_error *next; /* further errors (validators), owned */
};

/* Set *err to a new error (appends when *err is already set); returns -1. */
int cc_error_set(struct cc_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like cc_error_set with a va_list. */
int cc_error_vset(struct cc_error **err, const char *fmt, va_list ap);
/* Prefix every message of *err with "CONTEXT: "; returns -1. */
int cc_error_wrap(struct cc_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Number of errors in the chain. */
int cc_error_count(const struct cc_error *err);
/* Free the whole chain; NULL is fine. */
void cc_error_free(struct cc_error *err);

/* A broken invariant: a bug in ccbuild, never bad input or a failing
 * system (those are errors).  Prints "ccbuild: BUG: FILE:LINE: WHAT" on
 * stderr and aborts; the one way, with out-of-memory (util.h), that
 * library code ends the process. */
#define BUG(...) cc_bug(__FILE__, __LINE__, __VA_ARGS__)
/* BUG()'s body: never returns. */
_Noreturn void cc_bug(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
