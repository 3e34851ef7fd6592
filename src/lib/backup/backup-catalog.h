/* backup-catalog: what the path destinations of one backup hold: every
 * snapshot, which destinations have it, and the newest one that verifies
 * (`ccbuild backups`, `ccbuild restore --latest-good`). */
#ifndef CC_BACKUP_CATALOG_H
#define CC_BACKUP_CATALOG_H

#include "backup-repo.h"
#include "backup-snapshot.h"
#include "lists.h"

#include <stddef.h>

struct backup_spec;
struct cc_error;

struct bk_catalog_entry {
	struct bk_snapshot snap; /* owned */
	char *held;		 /* held[i]: destination i has it; owned */
};

struct bk_catalog {
	const char **dirs;     /* the path destinations, borrowed from the spec */
	struct bk_repo *repos; /* each opened for reading (no lock) */
	char **why;	       /* why[i]: why destination i does not read, or NULL; owned */
	size_t ndirs;
	struct bk_catalog_entry *v; /* every snapshot of the backup, oldest first */
	size_t n;
};

/* Open every path destination of b for reading and list the snapshots
 * of b they hold into c (release with bk_catalog_release either way).
 * A destination that does not read is skipped (c->why says why); -1
 * with err only when none reads. */
int bk_catalog_load(const struct backup_spec *b, struct bk_catalog *c, struct cc_error **err);
void bk_catalog_release(struct bk_catalog *c);
/* The newest snapshot of c that verifies fully (every tree and chunk read
 * and re-hashed) in some destination that holds it: its index, and in
 * *dest the destination it verified in.  Each failed verification adds
 * "snapshot ID (TIME) in DEST: PROBLEM" to skipped and, like each success,
 * is recorded in state_dir (may be NULL).  -1 with err when none does. */
long bk_catalog_find_good(struct bk_catalog *c, const char *name, const char *state_dir, size_t *dest,
			  struct strlist *skipped, struct cc_error **err);

#endif
