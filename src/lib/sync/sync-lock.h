/* sync-lock: the lock: file of a sync, an flock(2) shared with the user's
 * own scripts (`flock FILE cmd`), held for the whole sync. */
#ifndef CC_SYNC_LOCK_H
#define CC_SYNC_LOCK_H

#include "cancel.h"

struct cc_error;

/* Take an exclusive flock on file (created when missing), waiting up to
 * timeout_s seconds; when it is held, waiting(pid, data) (may be NULL) is
 * called once first with the holder's pid from /proc/locks (0 unknown).
 * Returns the locked fd (caller passes it to sync_lock_release), or -1
 * with err naming the file and the holder; stops when *cancel is raised. */
int sync_lock_take(const char *file, long timeout_s, const atomic_int *cancel, void (*waiting)(long pid, void *data),
		   void *data, struct cc_error **err);
/* Release and close; -1 is fine. */
void sync_lock_release(int fd);

#endif
