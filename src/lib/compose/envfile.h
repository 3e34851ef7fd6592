/* envfile: KEY=VALUE files (a project's .env, a service's env_file) read
 * the way docker-compose 1.29 reads them through python-dotenv 0.21.
 *
 * Per statement: optional "export ", a key (unquoted up to '=', '#' or
 * space, or 'single quoted'), then optionally '=' and a value: 'single' or
 * "double" quoted (may span lines; backslash escapes decoded), or unquoted
 * up to the end of line with a " #comment" cut and trailing space trimmed.
 * A key without '=' has no value (NULL).  Values then expand ${NAME} and
 * ${NAME:-default} from earlier keys of the file, then the lookup.  A
 * statement that does not parse is skipped with a warning, as dotenv does;
 * a NUL byte is an error (it would cut a value silently). */
#ifndef CC_ENVFILE_H
#define CC_ENVFILE_H

#include <stddef.h>

struct cc_error;
struct cc_warnings;

struct envfile_var {
	char *key;
	char *val; /* NULL for a bare "KEY" line */
	int line;  /* 1-based line of the key */
};

struct envfile {
	struct envfile_var *v; /* in file order, keys unique (a later one replaces) */
	size_t n, cap;
};

/* Value of a variable outside the file (borrowed), or NULL. */
typedef const char *(*envfile_lookup_fn)(void *data, const char *name);

/* envfile_load's return when the file does not exist (err is set too). */
#define ENVFILE_MISSING (-2)

/* Parse buf (named path in messages) into *out, which must be zeroed or
 * already hold entries (later wins).  lookup may be NULL.  Warnings
 * ("PATH:LINE: could not parse statement") go to warnings (may be NULL).
 * A NUL byte is an error at its line ("PATH:LINE: NUL byte in env file"). */
int envfile_parse(const char *path, const char *buf, size_t len, envfile_lookup_fn lookup, void *data,
		  struct envfile *out, struct cc_warnings *warnings, struct cc_error **err);
/* compose v2's `format: raw`: KEY=VALUE lines taken as written (no quotes,
 * no expansion), "#" lines and blank lines skipped, a bare KEY has no value. */
int envfile_parse_raw(const char *path, const char *buf, size_t len, struct envfile *out, struct cc_error **err);
/* Read and parse the file at path (a UTF-8 BOM is skipped); ENVFILE_MISSING
 * when it does not exist, -1 on another error. */
int envfile_load(const char *path, envfile_lookup_fn lookup, void *data, struct envfile *out,
		 struct cc_warnings *warnings, struct cc_error **err);
/* Read path in the raw format (envfile_parse_raw); returns as envfile_load. */
int envfile_load_raw(const char *path, struct envfile *out, struct cc_error **err);
/* Set key to a copy of val (NULL: no value), replacing an entry in place. */
void envfile_set(struct envfile *ef, const char *key, const char *val);
/* Entry for key, or NULL (borrowed). */
const struct envfile_var *envfile_get(const struct envfile *ef, const char *key);
/* Free the entries; ef is left empty. */
void envfile_release(struct envfile *ef);

#endif
