/* interp: compose v2's variable interpolation of one string.
 *
 * Forms (names are [_A-Za-z][_A-Za-z0-9]*): $$ -> $, $NAME, ${NAME},
 * ${NAME:-default} (unset or empty), ${NAME-default} (unset),
 * ${NAME:+alternative} (set and not empty), ${NAME+alternative} (set),
 * ${NAME:?message} (error when unset or empty), ${NAME?message} (error when
 * unset).  Defaults and alternatives nest: "${A:-${B:-x}}".  A '$' before
 * anything else is kept; "${" without its group is an error. */
#ifndef CC_INTERP_H
#define CC_INTERP_H

struct cc_error;
struct strlist;

/* Value of a variable (borrowed), or NULL when it is not set. */
typedef const char *(*interp_lookup_fn)(void *data, const char *name);

struct interp_env {
	interp_lookup_fn lookup;
	void *data;
	struct strlist *unset; /* collects names used without a default while unset; may be NULL */
};

enum { INTERP_INVALID = -1, INTERP_REQUIRED = -2 };

/* Interpolate s into *out (caller frees).  Returns 0, INTERP_INVALID (err:
 * "invalid interpolation format") or INTERP_REQUIRED (err: the ${NAME?message}
 * message, or NAME when the message is empty). */
int interp_string(const char *s, const struct interp_env *env, char **out, struct cc_error **err);
/* 1 when s contains a '$' (and so may change under interpolation). */
int interp_has_vars(const char *s);

#endif
