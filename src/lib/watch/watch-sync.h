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
struct strlist;
struct subspans;
struct watch_rule;

/* One path to bring over; both borrowed. */
struct watch_copy {
	const char *host; /* absolute */
	const char *dest; /* absolute, in the container */
};

/* What a round's sync entries copy into one service's containers. */
struct watch_copies {
	struct watch_copy *v; /* hosts borrowed (the batch's, or watch_copies_whole's keep) */
	char **dests;	      /* owned, parallel to v */
	size_t n, cap, dcap;
	int restart; /* some entry is sync+restart */
};

/* Add host (borrowed for c's life) as rule r (a sync entry) copies it. */
void watch_copies_add(struct watch_copies *c, const struct watch_rule *r, const char *host);
/* Add every file below r's path (after lost events: copy it all), their
 * host paths kept in keep (caller releases it after c). */
void watch_copies_whole(struct watch_copies *c, const struct watch_rule *r, struct strlist *keep);
void watch_copies_release(struct watch_copies *c);

/* Copy v[0..n) into container id (a directory as itself, not its
 * contents: its files come as their own entries); *copied and *removed
 * (may be NULL) get the counts; the engine calls (engine.archive.put,
 * engine.exec for the removal) are added to spans (may be NULL).  0, or
 * -1 with err. */
int watch_sync_copy(struct engine *e, const char *id, const struct watch_copy *v, size_t n, const atomic_int *cancel,
		    size_t *copied, size_t *removed, struct subspans *spans, struct cc_error **err);

#endif
