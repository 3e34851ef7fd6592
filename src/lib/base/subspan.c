/* subspan: a step's list of timed engine calls. */
#include "subspan.h"
#include "util.h"

#include <stdlib.h>
#include <time.h>

int64_t subspan_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void subspan_add(struct subspans *l, const char *name, int64_t start_ns, int64_t end_ns, int failed,
		 const char *message, json_t *attrs)
{
	struct subspan *s;

	if (!l || l->n >= SUBSPAN_MAX) {
		if (l)
			l->dropped++;
		json_decref(attrs);
		return;
	}
	if (!l->v)
		l->v = xcalloc(SUBSPAN_MAX, sizeof(*l->v));
	s = &l->v[l->n++];
	s->name = xstrdup(name);
	s->start_ns = start_ns;
	s->end_ns = end_ns ? end_ns : subspan_now();
	s->failed = failed;
	s->message = message ? xstrdup(message) : NULL;
	s->attrs = attrs ? attrs : json_object();
}

void subspans_release(struct subspans *l)
{
	size_t k;

	for (k = 0; k < l->n; k++) {
		free(l->v[k].name);
		free(l->v[k].message);
		json_decref(l->v[k].attrs);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->dropped = 0;
}
