/* subspan: the timed engine calls inside one step (a build, a push, a
 * health wait, an archive copy), kept in the step's result so that a
 * trace (obs.c) can show them as child spans of the step's span.  The
 * library records names, times, status and a few bounded attributes and
 * knows nothing of OTLP.  A step's list is written by the step's own
 * worker only (calls made on other threads are added after they join). */
#ifndef CC_SUBSPAN_H
#define CC_SUBSPAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many are kept per step; later ones are counted in dropped. */
#define SUBSPAN_MAX 64

struct subspan {
	char *name;		  /* "engine.build", "engine.push", ... (owned) */
	int64_t start_ns, end_ns; /* unix nanoseconds */
	int failed;		  /* 1: the call failed */
	char *message;		  /* why it failed (owned), or NULL */
	json_t *attrs;		  /* flat object of bounded values (owned), never NULL */
};

struct subspans {
	struct subspan *v;
	size_t n, dropped;
};

/* Now, in unix nanoseconds (the clock spans are on). */
int64_t subspan_now(void);
/* Append a call that ran from start_ns to end_ns (0: now): name copied,
 * failed and message (copied, may be NULL) its outcome; attrs stolen
 * (NULL: none).  l may be NULL (nothing is recorded; attrs freed). */
void subspan_add(struct subspans *l, const char *name, int64_t start_ns, int64_t end_ns, int failed,
		 const char *message, json_t *attrs);
/* Free everything l holds; l is empty after. */
void subspans_release(struct subspans *l);

#endif
