/* arena: bump allocation for many small strings freed at once (context
 * paths, cache keys).  Init with ARENA_INIT. */
#ifndef CC_ARENA_H
#define CC_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};
#define ARENA_INIT                                                                                                     \
	{                                                                                                              \
		NULL                                                                                                   \
	}

/* n bytes aligned for any scalar; owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of s[0..n) plus a NUL; owned by the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Free every allocation; the arena is empty and reusable. */
void arena_release(struct arena *a);

#endif
