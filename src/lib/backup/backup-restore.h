/* backup-restore: a snapshot's listing written back to a host directory,
 * byte-exact, verified, and only then swapped in. */
#ifndef CC_BACKUP_RESTORE_H
#define CC_BACKUP_RESTORE_H

#include <stddef.h>
#include <stdint.h>

struct bk_entries;
struct bk_repo;
struct cc_error;

/* Write listing e (chunks read from r, each checked against its id) into
 * TARGET.ccbuild-restore beside target, with modes, owners (when root)
 * and mtimes; read every file back and check its SHA-256; then swap it
 * with target atomically (renameat2 RENAME_EXCHANGE; a plain rename when
 * target does not exist) and remove the old contents.  Any failure
 * before the swap leaves target as it was.  *bytes (may be NULL) gets the
 * bytes written.  0 or -1. */
int bk_restore_dir(const struct bk_repo *r, const struct bk_entries *e, const char *target, uint64_t *bytes,
		   struct cc_error **err);
/* Remove path and everything below it (symlinks not followed); 0 or -1. */
int bk_remove_tree(const char *path, struct cc_error **err);

#endif
