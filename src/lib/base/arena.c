/* arena: chunks of 1 MiB (or one oversized chunk for a large request);
 * one chunk header per ~10,000 paths keeps the overhead per path at the
 * alignment padding only. */
#include "arena.h"
#include "util.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (1u << 20)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	alignas(max_align_t) char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t align = alignof(max_align_t), off;

	off = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || off + n > c->size) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		off = 0;
		/* An oversized chunk goes behind the head so the head's free
		 * space is not wasted. */
		if (a->head && size != CHUNK_SIZE) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used = off + n;
	return c->data + off;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	struct arena_chunk *c = a->head;
	char *p;

	/* Strings need no alignment: pack them. */
	if (c && c->used + n + 1 <= c->size) {
		p = c->data + c->used;
		c->used += n + 1;
	} else {
		p = arena_alloc(a, n + 1);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
