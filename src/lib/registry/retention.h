/* retention: which images a registry repository keeps (`ccbuild prune`).
 * Pure: the caller lists the repository; this decides.
 *
 * Tags pointing at one manifest digest live or die together.  A digest is
 * kept when any of its tags matches keep_tags (an exact tag, or /REGEXP/
 * in Go syntax), when it is among the `keep` newest digests, or when it is
 * younger than max_age; everything else is deleted.  An image whose age
 * is unknown (created < 0) is kept.  A policy without
 * keep and max_age keeps everything. */
#ifndef CC_RETENTION_H
#define CC_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "lists.h"

struct cc_error;

struct retention {
	long keep;		  /* newest digests kept; -1 = not set */
	int64_t max_age;	  /* seconds; -1 = not set */
	struct strlist keep_tags; /* tags or /regexps/ always kept */
};

struct retention_item {
	const char *tag;    /* borrowed */
	const char *digest; /* borrowed */
	int64_t created;    /* unix seconds of the image config's created */
	int keep;	    /* out: 1 keep, 0 delete */
	char *why;	    /* out: the reason, owned */
};

/* "30d", "12h", "2w", "90m", "45s" or seconds; -1 when not a duration,
 * -2 when more seconds than an int64_t holds. */
int64_t retention_duration(const char *s);
/* Decide items[0..n) at time now; -1 with err for a bad /regexp/. */
int retention_decide(const struct retention *p, struct retention_item *items, size_t n, int64_t now,
		     struct cc_error **err);
void retention_items_release(struct retention_item *items, size_t n);

#endif
