/* fuzz-retention: `prune` policy decisions.  Part 0: line 1 max_age
 * ("30d"), line 2 keep, further lines keep_tags (tags or /REGEXP/).
 * Part 1: one image per line, "TAG DIGEST CREATED". */
#include "error.h"
#include "harness.h"
#include "lists.h"
#include "retention.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

static void policy_parse(char *text, struct retention *p)
{
	char *save = NULL, *line;
	int i = 0;

	p->keep = -1;
	p->max_age = -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		if (i == 0)
			p->max_age = retention_duration(line);
		else if (i == 1)
			p->keep = strtol(line, NULL, 10);
		else
			strlist_push(&p->keep_tags, line);
	}
}

/* Items point into text (split in place). */
static size_t items_parse(char *text, struct retention_item *items)
{
	char *save = NULL, *line;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line && n < MAX_ITEMS; line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *tag = strtok_r(line, " ", &s2), *digest = strtok_r(NULL, " ", &s2);
		char *created = strtok_r(NULL, " ", &s2);

		if (!tag)
			continue; /* a line of spaces: no image */
		items[n].tag = tag;
		items[n].digest = digest ? digest : "sha256:0";
		items[n].created = created ? strtoll(created, NULL, 10) : -1;
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[2];
	size_t n = fuzz_split(data, size, parts, 2), nitems = 0;
	char *policy = fuzz_part_str(&parts[0]), *list = n > 1 ? fuzz_part_str(&parts[1]) : NULL;
	struct retention p = { 0 };
	struct retention_item items[MAX_ITEMS] = { { 0 } };
	struct cc_error *err = NULL;

	policy_parse(policy, &p);
	if (list)
		nitems = items_parse(list, items);
	if (retention_decide(&p, items, nitems, 1700000000, &err) < 0)
		cc_error_free(err);
	retention_items_release(items, nitems);
	strlist_release(&p.keep_tags);
	free(policy);
	free(list);
	return 0;
}
