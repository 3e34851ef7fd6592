/* backup-swap: a snapshot restored over volumes that exist and that
 * services may be using.  Docker has no volume rename, so the restored
 * data is moved in by a swap container; the current data stays in the
 * volume, set aside, until the new content is verified (design and
 * failure cases: docs/technical/backup.md, "Restoring over a volume"). */
#ifndef CC_BACKUP_SWAP_H
#define CC_BACKUP_SWAP_H

#include "cancel.h"
#include "lists.h"

#include <stddef.h>

struct bk_entries;
struct bk_repo;
struct cc_error;
struct engine;
struct subspans;

struct bk_swap_opts {
	struct engine *e;	  /* borrowed */
	const char *tag;	  /* names the new volumes: VOLUME-restore-TAG (a snapshot id's start) */
	const char *stopped_file; /* where the IDs of stopped containers are kept until they run again
				     (a killed restore's rerun starts them too); may be NULL */
	const atomic_int *cancel; /* may be NULL */
	long wait_timeout_ms;	  /* for each container brought back (<= 0: 120 s) */
	struct strlist *plan;	  /* non-NULL: a dry run; what would be done is appended, nothing is */
	struct subspans *spans;	  /* the engine calls that take time are timed into it (subspan.h), or NULL */
};

/* Restore lists[i] (chunks from r) over volume vols->v[i], for each i:
 * each is written into a new volume VOLUME-restore-TAG and verified;
 * only then are the running containers that mount any of vols stopped,
 * every volume's current content set aside inside it and the new content
 * copied in, each verified against its listing; then the old content is
 * dropped (every volume verified) or put back (any failed), the new
 * volumes removed, and the stopped containers started again in reverse
 * order and waited for until healthy.  A volume that does not exist is
 * written directly.  Any failure leaves every volume's content as it
 * was.  0 or -1. */
int bk_swap_restore(const struct bk_swap_opts *o, const struct bk_repo *r, const struct strlist *vols,
		    const struct bk_entries *lists, struct cc_error **err);

#endif
