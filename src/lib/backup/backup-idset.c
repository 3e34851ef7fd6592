/* backup-idset: open addressing, linear probing, grown at half full. */
#include "backup-idset.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static size_t slot(const unsigned char id[32], size_t cap)
{
	size_t h;

	memcpy(&h, id, sizeof(h));
	return h & (cap - 1);
}

static void grow(struct bk_idset *s)
{
	struct bk_idset big = { 0 };
	size_t i;

	big.cap = s->cap ? s->cap * 2 : 1024;
	big.keys = xcalloc(big.cap, 32);
	big.vals = xcalloc(big.cap, sizeof(size_t));
	big.used = xcalloc(big.cap, 1);
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			bk_idset_add(&big, s->keys[i], s->vals[i]);
	bk_idset_release(s);
	*s = big;
}

int bk_idset_add(struct bk_idset *s, const unsigned char id[32], size_t val)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	for (i = slot(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (!memcmp(s->keys[i], id, 32))
			return 0;
	s->used[i] = 1;
	memcpy(s->keys[i], id, 32);
	s->vals[i] = val;
	s->n++;
	return 1;
}

int bk_idset_get(const struct bk_idset *s, const unsigned char id[32], size_t *val)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = slot(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (!memcmp(s->keys[i], id, 32)) {
			if (val)
				*val = s->vals[i];
			return 1;
		}
	return 0;
}

void bk_idset_release(struct bk_idset *s)
{
	free(s->keys);
	free(s->vals);
	free(s->used);
	memset(s, 0, sizeof(*s));
}
