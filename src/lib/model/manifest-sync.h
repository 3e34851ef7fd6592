/* manifest-sync: the syncs: section of ccbuild.yaml (grammar/README.md,
 * "syncs"): what each sync:NAME step copies, from where to where, and how.
 * Paths are kept as written; sync_spec_path resolves them. */
#ifndef CC_MANIFEST_SYNC_H
#define CC_MANIFEST_SYNC_H

#include "lists.h"
#include "ynode.h"

#include <stddef.h>

struct cc_error;

enum sync_direction { SYNC_IN, SYNC_OUT, SYNC_BOTH };
enum sync_target { SYNC_TO_HOST, SYNC_TO_VOLUME, SYNC_TO_SERVICE };

/* rewrite: entry: in destination files matching `files` (.dockerignore
 * syntax; a pattern without '/' matches at any depth), each key of
 * `replace` becomes its value, in written order. */
struct sync_rewrite {
	struct strlist files;
	struct kvlist replace;
};

struct sync_spec {
	char *name;
	struct ypos pos;
	char *from, *to;	 /* as written (~ and relative paths: sync_spec_path) */
	enum sync_target target; /* what `to` names */
	char *volume, *subdir;	 /* to: volume:NAME[/SUBDIR] (subdir "" when none) */
	char *service, *path;	 /* to: service:NAME:/PATH (path absolute, cleaned) */
	char *helper_image;	 /* image of the helper container (volumes), or NULL */
	struct strlist exclude;	 /* .dockerignore patterns, relative to from */
	int delete;		 /* mirror: remove what left the source */
	struct sync_rewrite *rewrites;
	size_t nrewrites;
	char *lock;		       /* flock file, or NULL */
	long lock_timeout;	       /* seconds to wait for the lock (default 60) */
	enum sync_direction direction; /* in: from -> to; out: to -> from; both: two-way */
	char *backup;		       /* backups: entry run before a changing sync, or NULL */
	struct ypos backup_pos;	       /* where backup: was written */
};

/* Parse the syncs: mapping n (NULL or null: none) into *out (caller frees
 * with sync_specs_free); every problem is added to *err positioned at its
 * node.  Returns -1 when there was one. */
int manifest_sync_parse(const struct ynode *n, struct sync_spec **out, size_t *nout, struct cc_error **err);
/* The sync named name, or NULL. */
const struct sync_spec *sync_spec_find(const struct sync_spec *v, size_t n, const char *name);
/* A path of the spec made usable: "~/x" under $HOME, a relative path under
 * the manifest's directory `base`; caller frees. */
char *sync_spec_path(const char *path, const char *base);
void sync_specs_free(struct sync_spec *v, size_t n);

#endif
