#include "lists.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void strlist_push(struct strlist *l, const char *s)
{
	VEC_PUSH(l->v, l->n, l->cap, xstrdup(s));
}

int strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void strlist_copy(struct strlist *dst, const struct strlist *src)
{
	size_t i;

	strlist_release(dst);
	for (i = 0; i < src->n; i++)
		strlist_push(dst, src->v[i]);
}

char *strlist_join(const struct strlist *l, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < l->n; i++)
		strbuf_addf(&sb, "%s%s", i ? sep : "", l->v[i]);
	return sb.buf ? sb.buf : xstrdup("");
}

void kvlist_set(struct kvlist *kv, const char *key, const char *val)
{
	size_t i, cap = kv->cap;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->keys[i], key)) {
			free(kv->vals[i]);
			kv->vals[i] = xstrdup(val);
			return;
		}
	xgrow(&kv->keys, &kv->cap, kv->n + 1, sizeof(*kv->keys));
	if (kv->cap != cap || !kv->vals)
		kv->vals = xrealloc(kv->vals, kv->cap * sizeof(*kv->vals));
	kv->keys[kv->n] = xstrdup(key);
	kv->vals[kv->n] = xstrdup(val);
	kv->n++;
}

const char *kvlist_get(const struct kvlist *kv, const char *key)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->keys[i], key))
			return kv->vals[i];
	return NULL;
}

void kvlist_release(struct kvlist *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		free(kv->vals[i]);
	}
	free(kv->keys);
	free(kv->vals);
	memset(kv, 0, sizeof(*kv));
}

void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
	size_t i;

	kvlist_release(dst);
	for (i = 0; i < src->n; i++)
		kvlist_set(dst, src->keys[i], src->vals[i]);
}
