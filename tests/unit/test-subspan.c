/* test-subspan: a step's timed engine calls (subspan.h): what is kept,
 * the cap, a NULL list, the end time. */
#include "subspan.h"
#include "tap.h"

#include <string.h>

int main(void)
{
	struct subspans l = { 0 };
	int64_t t0 = subspan_now();
	size_t k;

	subspan_add(NULL, "engine.build", t0, 0, 0, NULL, json_object()); /* nothing kept, attrs freed */
	subspan_add(&l, "engine.build", t0, 0, 1, "engine: build failed", json_pack("{s:i}", "n", 1));
	ok(l.n == 1 && !strcmp(l.v[0].name, "engine.build"), "one call kept, named");
	ok(l.v[0].failed && !strcmp(l.v[0].message, "engine: build failed"), "its failure and message");
	ok(l.v[0].start_ns == t0 && l.v[0].end_ns >= t0, "end 0 is now, after the start");
	ok(json_integer_value(json_object_get(l.v[0].attrs, "n")) == 1, "its attributes");
	subspan_add(&l, "engine.push", 5, 9, 0, NULL, NULL);
	ok(l.v[1].end_ns == 9 && json_object_size(l.v[1].attrs) == 0, "an explicit end; no attributes is {}");
	for (k = 0; k < SUBSPAN_MAX + 6; k++)
		subspan_add(&l, "engine.archive.get", t0, 0, 0, NULL, json_object());
	ok(l.n == SUBSPAN_MAX && l.dropped == 8, "at most SUBSPAN_MAX kept, the rest counted (%zu, %zu)", l.n,
	   l.dropped);
	subspans_release(&l);
	ok(l.n == 0 && !l.v && !l.dropped, "released: empty");
	subspans_release(&l);
	ok(1, "released twice: fine");
	return done_testing();
}
