/* backup-gc: garbage collection of a repository: the objects no snapshot
 * reaches (those of forgotten snapshots, and those a killed run committed
 * without its manifest) are removed. */
#ifndef CC_BACKUP_GC_H
#define CC_BACKUP_GC_H

#include <stddef.h>
#include <stdint.h>

struct bk_repo;
struct cc_error;

/* Remove every unreachable object of r (opened for writing, so locked);
 * *removed and *freed (bytes) may be NULL.  An unreadable snapshot or
 * tree stops it before anything is removed. */
int bk_gc(struct bk_repo *r, size_t *removed, uint64_t *freed, struct cc_error **err);

#endif
