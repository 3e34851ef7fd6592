/* hash: a build step's input hash.  What goes in and why is docs/hashing.md;
 * this file is its implementation, byte for byte.  Every variable-length
 * item is length-prefixed (u32 little-endian) so no two different inputs
 * serialise to the same bytes, and each kind of hash starts with its own
 * versioned domain string so a format change can never collide with an old
 * hash. */
#include "hash.h"
#include "ctxwalk.h"
#include "fsmonitor.h"
#include "error.h"
#include "ignore.h"
#include "lists.h"
#include "util.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct hasher {
	EVP_MD_CTX *md;
};

static void h_init(struct hasher *h, const char *domain)
{
	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
		die_oom();
	EVP_DigestUpdate(h->md, domain, strlen(domain) + 1);
}

static void h_bytes(struct hasher *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->md, p, n);
}

static void h_u32(struct hasher *h, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	h_bytes(h, b, 4);
}

static void h_str(struct hasher *h, const char *s)
{
	size_t n = strlen(s);

	h_u32(h, (uint32_t)n);
	h_bytes(h, s, n);
}

static void h_final(struct hasher *h, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(h->md, out, &n);
	EVP_MD_CTX_free(h->md);
}

void hash_hex(const unsigned char d[32], char out[65])
{
	static const char hexd[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hexd[d[i] >> 4];
		out[2 * i + 1] = hexd[d[i] & 15];
	}
	out[64] = '\0';
}

void hash_sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		abort(); /* only out of memory */
}

void hash_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[32];

	hash_sha256(p, n, d);
	hash_hex(d, out);
}

static char type_char(uint32_t mode)
{
	return S_ISREG(mode)	? 'f'
	       : S_ISDIR(mode)	? 'd'
	       : S_ISLNK(mode)	? 'l'
	       : S_ISFIFO(mode) ? 'p'
	       : S_ISCHR(mode)	? 'c'
	       : S_ISBLK(mode)	? 'b'
				: '?';
}

void hash_file_entry(const struct ctx_entry *e, const unsigned char content[32], unsigned char out[32])
{
	struct hasher h;
	char t = type_char(e->mode);
	unsigned char rdev[8];
	int i;

	h_init(&h, "ccbuild-file-v1");
	h_bytes(&h, &t, 1);
	h_u32(&h, e->mode & 07777);
	if (t == 'f')
		h_bytes(&h, content, 32);
	else if (t == 'l')
		h_str(&h, e->link ? e->link : "");
	else if (t == 'c' || t == 'b') {
		for (i = 0; i < 8; i++)
			rdev[i] = (unsigned char)(e->rdev >> (8 * i));
		h_bytes(&h, rdev, 8);
	}
	h_final(&h, out);
}

/* A tagged record: tag NUL, then the value length-prefixed. */
static void h_field(struct hasher *h, const char *tag, const void *val, size_t n)
{
	h_bytes(h, tag, strlen(tag) + 1);
	h_u32(h, (uint32_t)n);
	h_bytes(h, val, n);
}

static int kv_cmp(const void *a, const void *b, void *kv)
{
	char **keys = ((const struct kvlist *)kv)->keys;

	return strcmp(keys[*(const size_t *)a], keys[*(const size_t *)b]);
}

/* Records "TAG": key, then 0 for an unset value or 1 + value; sorted by key
 * because the order args are written in does not change the build. */
static void h_kvlist(struct hasher *h, const char *tag, const struct kvlist *kv)
{
	cleanup_free size_t *idx = NULL;
	size_t i;

	if (!kv || !kv->n)
		return;
	idx = xcalloc(kv->n, sizeof(*idx));
	for (i = 0; i < kv->n; i++)
		idx[i] = i;
	qsort_r(idx, kv->n, sizeof(*idx), kv_cmp, (void *)kv);
	for (i = 0; i < kv->n; i++) {
		const char *k = kv->keys[idx[i]], *v = kv->vals[idx[i]];

		h_bytes(h, tag, strlen(tag) + 1);
		h_str(h, k);
		h_bytes(h, v ? "\1" : "", 1);
		if (v)
			h_str(h, v);
	}
}

static void h_opt(struct hasher *h, const char *tag, const char *s)
{
	if (s && *s)
		h_field(h, tag, s, strlen(s));
}

/* Context-relative path of the Dockerfile, or NULL when outside. */
static char *dockerfile_in_context(const char *ctx, const char *df)
{
	cleanup_free char *rc = realpath(ctx, NULL), *dir = path_dirname(df), *rd = NULL;
	const char *base = strrchr(df, '/') ? strrchr(df, '/') + 1 : df;
	size_t n;

	rd = realpath(dir, NULL);
	if (!rc || !rd)
		return NULL;
	n = strlen(rc);
	if (!strcmp(rd, rc))
		return xstrdup(base);
	if (strncmp(rd, rc, n) || (rd[n] != '/' && strcmp(rc, "/")))
		return NULL;
	return xasprintf("%s/%s", rd + n + (rd[n] == '/'), base);
}

/* The absolute path of a Dockerfile outside the context (its directory
 * resolved, its name kept), where BuildKit looks for the Dockerfile's own
 * "<name>.dockerignore"; NULL when there is none. */
static char *dockerfile_outside(const char *df)
{
	cleanup_free char *dir = df ? path_dirname(df) : NULL, *rd = dir ? realpath(dir, NULL) : NULL;

	if (!rd)
		return NULL;
	return path_join(rd, strrchr(df, '/') ? strrchr(df, '/') + 1 : df);
}

/* Content digests of the walk's regular files, through the stat cache when
 * one is named. */
static int hash_contents(const struct hash_input *in, const struct ctx_list *l, unsigned char (*digests)[32],
			 struct hash_result *out, struct cc_error **err)
{
	struct statcache *sc;
	int rc;

	sc = statcache_open(in->statcache, &out->warning);
	rc = statcache_hash_list(sc, in->context, l, in->cancel, digests, &out->stats, err);
	if (rc == 0 && statcache_save(sc, l, (const unsigned char(*)[32])digests, err) < 0)
		rc = -1;
	statcache_free(sc);
	return rc;
}

/* The context's entries: a walk, or what a running watcher vouches for. */
static int context_list(const struct hash_input *in, const struct ignore *ig, struct ctx_list *l, struct cc_error **err)
{
	cleanup_free char *snapshot = in->statcache && in->watch_socket ? xasprintf("%s.walk", in->statcache) : NULL;
	int reused;

	if (!snapshot)
		return ctxwalk(in->context, ig, in->cancel, l, err);
	return fsmonitor_walk(in->watch_socket, snapshot, in->context, ig, in->cancel, l, &reused, err);
}

/* Walk + per-file hashes into out->files, and out->context. */
static int hash_context(const struct hash_input *in, struct hash_result *out, struct cc_error **err)
{
	struct ctx_list l = CTX_LIST_INIT;
	char *rel = out->dockerfile_rel = dockerfile_in_context(in->context, in->dockerfile);
	cleanup_free char *outside = rel ? NULL : dockerfile_outside(in->dockerfile);
	cleanup_free unsigned char(*digests)[32] = NULL;
	struct ignore *ig = ignore_load(in->context, rel ? rel : outside, &out->ignore_file, err);
	struct hasher h;
	size_t i;
	int rc = -1;

	if (!ig || context_list(in, ig, &l, err) < 0)
		goto out;
	digests = xcalloc(l.n ? l.n : 1, 32);
	if (hash_contents(in, &l, digests, out, err) < 0)
		goto out;
	out->files.v = xcalloc(l.n ? l.n : 1, sizeof(*out->files.v));
	h_init(&h, "ccbuild-context-v1");
	for (i = 0; i < l.n; i++) {
		struct hash_file *f = &out->files.v[out->files.n++];

		f->path = l.v[i].path;
		hash_file_entry(&l.v[i], digests[i], f->digest);
		h_str(&h, f->path);
		h_bytes(&h, f->digest, 32);
	}
	h_final(&h, out->context);
	/* The manifest owns the walk's strings (paths and link targets); the
	 * walk borrows them, so it must not outlive the manifest. */
	out->files.arena = l.arena;
	memset(&l.arena, 0, sizeof(l.arena));
	out->walk = l;
	memset(&l, 0, sizeof(l));
	rc = 0;
out:
	ignore_free(ig);
	ctx_list_release(&l);
	return rc;
}

int hash_build_inputs(const struct hash_input *in, struct hash_result *out, struct cc_error **err)
{
	cleanup_free char *df = NULL;
	unsigned char dfsum[32];
	struct hasher h;
	size_t len, i;

	memset(out, 0, sizeof(*out));
	if (in->dockerfile_text) {
		df = xstrdup(in->dockerfile_text);
		len = strlen(df);
	} else if (read_file(in->dockerfile, &df, &len, err) < 0)
		return cc_error_wrap(err, "reading Dockerfile");
	if (hash_context(in, out, err) < 0)
		return cc_error_wrap(err, "build context %s", in->context);
	hash_sha256(df, len, dfsum);
	h_init(&h, "ccbuild-build-v1");
	h_field(&h, "context", out->context, 32);
	h_field(&h, "dockerfile", dfsum, 32);
	h_opt(&h, "target", in->target);
	h_opt(&h, "platform", in->platform);
	h_kvlist(&h, "arg", in->args);
	h_kvlist(&h, "label", in->labels);
	for (i = 0; i < in->nbases; i++)
		h_field(&h, "base", in->bases[i], strlen(in->bases[i]));
	h_opt(&h, "secrets", in->secrets);
	h_kvlist(&h, "ulimit", in->ulimits);
	h_final(&h, out->digest);
	hash_hex(out->digest, out->hex);
	return 0;
}

void hash_manifest_release(struct hash_manifest *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
	arena_release(&m->arena);
}

void hash_result_release(struct hash_result *r)
{
	hash_manifest_release(&r->files);
	ctx_list_release(&r->walk);
	free(r->ignore_file);
	free(r->warning);
	free(r->dockerfile_rel);
	r->ignore_file = r->warning = r->dockerfile_rel = NULL;
}

size_t hash_manifest_diff(const struct hash_manifest *a, const struct hash_manifest *b,
			  void (*fn)(enum hash_change, const char *path, void *data), void *data)
{
	size_t i = 0, j = 0, count = 0;
	int c;

	while (i < a->n || j < b->n) {
		c = i == a->n ? 1 : j == b->n ? -1 : ctx_path_cmp(a->v[i].path, b->v[j].path);
		if (c == 0 && !memcmp(a->v[i].digest, b->v[j].digest, 32)) {
			i++, j++;
			continue;
		}
		count++;
		if (c < 0)
			fn(HASH_REMOVED, a->v[i++].path, data);
		else if (c > 0)
			fn(HASH_ADDED, b->v[j++].path, data);
		else
			fn(HASH_CHANGED, b->v[j].path, data), i++, j++;
	}
	return count;
}
