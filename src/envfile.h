/* envfile: KEY=VALUE files (a project's .env, a service's env_file) read
 * the way docker-compose 1.29 reads them through python-dotenv 0.21.
 *
 * Per statement: optional "export ", a key (unquoted up to '=', '#' or
 * space, or 'single quoted'), then optionally '=' and a value: 'single' or
 * "double" quoted (may span lines; backslash escapes decoded), or unquoted
 * up to the end of line with a " #comment" cut and trailing space trimmed.
 * A key without '=' has no value (NULL).  Values then expand ${NAME} and
 * ${NAME:-default} from earlier keys of the file, then the lookup.  A
 * statement that does not parse is skipped with a warning, as dotenv does. */
#ifndef CC_ENVFILE_H
#define CC_ENVFILE_H

#include <stddef.h>

struct cc_error;
struct strlist;

struct envfile_var {
	char *key;
	char *val;  /* NULL for a bare "KEY" line */
	int line;   /* 1-based line of the key */
};

struct envfile {
	struct envfile_var *v;  /* in file order, keys unique (a later one replaces) */
	size_t n, cap;
};

/* Value of a variable outside the file (borrowed), or NULL. */
typedef const char *(*envfile_lookup_fn)(void *data, const char *name);

/* Parse buf (named path in warnings) into *out, which must be zeroed or
 * already hold entries (later wins).  lookup may be NULL.  Warnings
 * ("PATH:LINE: could not parse statement") go to warnings (may be NULL). */
void envfile_parse(const char *path, const char *buf, size_t len, envfile_lookup_fn lookup,
		   void *data, struct envfile *out, struct strlist *warnings);
/* Read and parse the file at path (a UTF-8 BOM is skipped). */
int envfile_load(const char *path, envfile_lookup_fn lookup, void *data, struct envfile *out,
		 struct strlist *warnings, struct cc_error **err);
/* Entry for key, or NULL (borrowed). */
const struct envfile_var *envfile_get(const struct envfile *ef, const char *key);
/* Free the entries; ef is left empty. */
void envfile_release(struct envfile *ef);

#endif
