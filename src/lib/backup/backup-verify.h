/* backup-verify: re-reading stored data and re-hashing it. */
#ifndef CC_BACKUP_VERIFY_H
#define CC_BACKUP_VERIFY_H

#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct bk_idset;
struct bk_repo;
struct bk_snapshot;
struct cc_error;

/* Re-hash every tree, chunk and file of snapshot s in r; each problem
 * goes to problems as "snapshot ID (TIME): /PATH: object HEX corrupt"
 * (or missing, or a file whose chunks do not make its SHA-256).  Returns
 * the number of problems; *bytes (may be NULL) gets the bytes read. */
size_t bk_verify_snapshot(const struct bk_repo *r, const struct bk_snapshot *s, struct strlist *problems,
			  uint64_t *bytes);
/* Re-read about share (0..1) of the bytes of the objects in written
 * (value: size), chosen at random, from r; problems as above (naming the
 * object).  Returns the number of problems; *bytes gets the bytes read. */
size_t bk_verify_sample(const struct bk_repo *r, const struct bk_idset *written, double share, struct strlist *problems,
			uint64_t *bytes);

#endif
