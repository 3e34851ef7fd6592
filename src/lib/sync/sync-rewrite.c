/* sync-rewrite: string replacement in synced text files (sync-rewrite.h).
 * A files: pattern is .dockerignore syntax; one without '/' matches at
 * any depth (a "**" directory is put before it), as users of a config
 * tree mean it. */
#include "sync-rewrite.h"
#include "hash.h"
#include "ignore.h"
#include "manifest-sync.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct sync_rewriter {
	const struct sync_rewrite *rules;
	size_t n;
	struct ignore **match;	    /* one per rule */
	struct sync_rewrite *owned; /* the reversed rules (sync_rewriter_reverse), or NULL */
	char hash[65];
};

struct sync_rewriter *sync_rewriter_new(const struct sync_rewrite *rules, size_t n)
{
	struct sync_rewriter *rw = xcalloc(1, sizeof(*rw));
	struct strbuf key = STRBUF_INIT;

	rw->rules = rules;
	rw->n = n;
	rw->match = xcalloc(n ? n : 1, sizeof(*rw->match));
	for (size_t i = 0; i < n; i++) {
		rw->match[i] = ignore_new();
		for (size_t j = 0; j < rules[i].files.n; j++) {
			const char *p = rules[i].files.v[j];
			cleanup_free char *pat = strchr(p, '/') ? xstrdup(p) : xasprintf("**/%s", p);

			ignore_add(rw->match[i], pat, "rewrite", (int)j + 1, NULL);
			strbuf_addf(&key, "files\n%s\n", p);
		}
		for (size_t j = 0; j < rules[i].replace.n; j++) {
			strbuf_addf(&key, "from\n%zu:%s\n", strlen(rules[i].replace.keys[j]), rules[i].replace.keys[j]);
			strbuf_addf(&key, "to\n%zu:%s\n", strlen(rules[i].replace.vals[j]), rules[i].replace.vals[j]);
		}
	}
	if (n)
		hash_sha256_hex(key.buf, key.len, rw->hash);
	strbuf_release(&key);
	return rw;
}

const char *sync_rewriter_hash(const struct sync_rewriter *rw)
{
	return rw->hash;
}

int sync_rewriter_matches(const struct sync_rewriter *rw, const char *path)
{
	for (size_t i = 0; i < rw->n; i++)
		if (ignore_match(rw->match[i], path))
			return 1;
	return 0;
}

/* Every occurrence of from in the buffer replaced by to, into *buf. */
static int replace_all(struct strbuf *buf, const char *from, const char *to)
{
	size_t flen = strlen(from);
	struct strbuf out = STRBUF_INIT;
	const char *p = buf->buf, *end = buf->buf + buf->len, *hit;
	int n = 0;

	while ((hit = memmem(p, (size_t)(end - p), from, flen))) {
		strbuf_add(&out, p, (size_t)(hit - p));
		strbuf_addstr(&out, to);
		p = hit + flen;
		n++;
	}
	if (!n) {
		strbuf_release(&out);
		return 0;
	}
	strbuf_add(&out, p, (size_t)(end - p));
	strbuf_release(buf);
	*buf = out;
	return 1;
}

int sync_rewriter_apply(const struct sync_rewriter *rw, const char *path, const char *in, size_t len, char **out,
			size_t *outlen)
{
	struct strbuf buf = STRBUF_INIT;
	int changed = 0;

	if (!sync_rewriter_matches(rw, path) || memchr(in, '\0', len))
		return 0;
	strbuf_add(&buf, in, len);
	for (size_t i = 0; i < rw->n; i++)
		if (ignore_match(rw->match[i], path))
			for (size_t j = 0; j < rw->rules[i].replace.n; j++)
				changed |=
					replace_all(&buf, rw->rules[i].replace.keys[j], rw->rules[i].replace.vals[j]);
	if (!changed) {
		strbuf_release(&buf);
		return 0;
	}
	*outlen = buf.len;
	*out = strbuf_detach(&buf);
	return 1;
}

struct sync_rewriter *sync_rewriter_reverse(const struct sync_rewrite *rules, size_t n)
{
	struct sync_rewrite *rev = xcalloc(n ? n : 1, sizeof(*rev));
	struct sync_rewriter *rw;

	for (size_t i = 0; i < n; i++) {
		const struct sync_rewrite *r = &rules[n - 1 - i];

		strlist_copy(&rev[i].files, &r->files);
		for (size_t j = r->replace.n; j-- > 0;)
			kvlist_set(&rev[i].replace, r->replace.vals[j], r->replace.keys[j]);
	}
	rw = sync_rewriter_new(rev, n);
	rw->owned = rev;
	return rw;
}

void sync_rewriter_free(struct sync_rewriter *rw)
{
	if (!rw)
		return;
	for (size_t i = 0; rw->owned && i < rw->n; i++) {
		strlist_release(&rw->owned[i].files);
		kvlist_release(&rw->owned[i].replace);
	}
	free(rw->owned);
	for (size_t i = 0; i < rw->n; i++)
		ignore_free(rw->match[i]);
	free(rw->match);
	free(rw);
}
