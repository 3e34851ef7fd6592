/* backup-lock: the lock of a backup repository (REPO/lock): an flock(2),
 * which the kernel drops when its holder dies, so it is never stale, and
 * a record in the file of who holds it (host, pid, since) to name in
 * messages.  Format: the top of backup-lock.c. */
#ifndef CC_BACKUP_LOCK_H
#define CC_BACKUP_LOCK_H

#include "cancel.h"

struct cc_error;

/* Take the lock of repository dir (dirfd: its directory), waiting up to
 * wait_ms (0: not at all) while another process holds it, polling with
 * backoff, and stopping when *cancel (may be NULL) is raised.  Returns
 * the locked fd (release with bk_lock_release), or -1 with err naming
 * the holder.  *note (caller frees; NULL when there is nothing to say):
 * how long it waited for whom, or that the record of a holder that died
 * (its pid gone on this host) was replaced. */
int bk_lock_take(int dirfd, const char *dir, long wait_ms, const atomic_int *cancel, char **note,
		 struct cc_error **err);
/* Clear the record and drop the lock (fd may be -1). */
void bk_lock_release(int fd);

#endif
