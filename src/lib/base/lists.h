/* lists: the two small containers the model uses: a list of strings and a
 * string-to-string map that keeps written order.  Both own their strings;
 * zero-initialised values are empty and valid. */
#ifndef CC_LISTS_H
#define CC_LISTS_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n, cap;
};

struct kvlist {
	char **keys, **vals;
	size_t n, cap;
};

/* Append a copy of s. */
void strlist_push(struct strlist *l, const char *s);
/* 1 when s is in l. */
int strlist_has(const struct strlist *l, const char *s);
/* The items joined by sep; caller frees. */
char *strlist_join(const struct strlist *l, const char *sep);
/* Replace dst's contents with copies of src's. */
void strlist_copy(struct strlist *dst, const struct strlist *src);
void strlist_release(struct strlist *l);

/* Set key to a copy of val; a present key keeps its place. */
void kvlist_set(struct kvlist *kv, const char *key, const char *val);
/* Value of key (borrowed) or NULL. */
const char *kvlist_get(const struct kvlist *kv, const char *key);
/* Replace dst's contents with copies of src's. */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src);
void kvlist_release(struct kvlist *kv);

#endif
