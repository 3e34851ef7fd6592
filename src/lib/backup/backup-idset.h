/* backup-idset: a set of 32-byte object ids (SHA-256s, so their first
 * bytes are already a good hash), each with a size_t value. */
#ifndef CC_BACKUP_IDSET_H
#define CC_BACKUP_IDSET_H

#include <stddef.h>

struct bk_idset {
	unsigned char (*keys)[32];
	size_t *vals;
	char *used;
	size_t n, cap;
};

/* Add id with value val; 1 when added, 0 when it was there (value kept). */
int bk_idset_add(struct bk_idset *s, const unsigned char id[32], size_t val);
/* 1 with *val (may be NULL) when id is in s, else 0. */
int bk_idset_get(const struct bk_idset *s, const unsigned char id[32], size_t *val);
void bk_idset_release(struct bk_idset *s);

#endif
