/* watch-sync: what a develop.watch `sync` does to a running container:
 * the changed host paths copied to their container paths in one tar
 * stream (PUT /containers/ID/archive at "/", so missing parent
 * directories are made), and those gone from the host removed there
 * (an exec of rm -rf, as compose does). */
#ifndef CC_WATCH_SYNC_H
#define CC_WATCH_SYNC_H

#include "cancel.h"

#include <stddef.h>

struct cc_error;
struct engine;
struct subspans;

/* One path to bring over; both borrowed. */
struct watch_copy {
	const char *host; /* absolute */
	const char *dest; /* absolute, in the container */
};

/* Copy v[0..n) into container id (a directory as itself, not its
 * contents: its files come as their own entries); *copied and *removed
 * (may be NULL) get the counts; the engine calls (engine.archive.put,
 * engine.exec for the removal) are added to spans (may be NULL).  0, or
 * -1 with err. */
int watch_sync_copy(struct engine *e, const char *id, const struct watch_copy *v, size_t n, const atomic_int *cancel,
		    size_t *copied, size_t *removed, struct subspans *spans, struct cc_error **err);

#endif
