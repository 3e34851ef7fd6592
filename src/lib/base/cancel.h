/* cancel: the flag that says "stop": main's SIGINT/SIGTERM handler stores
 * the signal's number in it, and long work polls it from any thread (the
 * scheduler, workers, engine transfers, the context walk, hashing).  A C11
 * atomic: written by a signal handler, read across threads without a data
 * race.  Work that notices it stops as it would on an error (returns -1
 * with err set); the caller tells the two apart with cancel_pending. */
#ifndef CC_CANCEL_H
#define CC_CANCEL_H

#include <stdatomic.h>

/* A signal handler may store into it only if it is lock-free. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free");

/* The signal number that asked to stop, or 0; a NULL flag never is. */
static inline int cancel_pending(const atomic_int *flag)
{
	return flag ? atomic_load_explicit(flag, memory_order_relaxed) : 0;
}

#endif
