/* sync-record: the record of a sync's destination (sync-record.h).
 *
 * Format (JSON, one file per sync step under STATE/sync/):
 *   {"version": 1, "rules": HEX|"",
 *    "files": [[PATH, MODE, SIZE, MTIME_NS, CTIME_NS, INO, SHA_HEX,
 *               SRC_HEX, LINK|null], ...]}
 * files in walk order; SHA_HEX and SRC_HEX are "" for directories and
 * links.  Written through atomicfile, so a reader sees the old record or
 * the new one. */
#include "sync-record.h"
#include "atomicfile.h"
#include "ctxwalk.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 64 lower-case hex digits into 32 bytes; "" is all zeros. */
static int unhex(const char *s, unsigned char out[32])
{
	memset(out, 0, 32);
	if (!*s)
		return 0;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return s[64] == '\0' ? 0 : -1;
}

struct sync_file *sync_record_add(struct sync_record *r, const char *path, const char *link)
{
	struct sync_file f = { 0 };

	f.path = xstrdup(path);
	f.link = link ? xstrdup(link) : NULL;
	VEC_PUSH(r->v, r->n, r->cap, f);
	return &r->v[r->n - 1];
}

static int load_entry(struct sync_record *r, json_t *e)
{
	const char *path = json_string_value(json_array_get(e, 0));
	json_t *link = json_array_get(e, 8);
	const char *sha = json_string_value(json_array_get(e, 6)), *src = json_string_value(json_array_get(e, 7));
	struct sync_file *f;

	if (!path || !sha || !src || !json_is_integer(json_array_get(e, 1)) ||
	    (link && !json_is_null(link) && !json_is_string(link)))
		return -1;
	if (r->n && ctx_path_cmp(r->v[r->n - 1].path, path) >= 0)
		return -1; /* out of order: the binary search would miss */
	f = sync_record_add(r, path, json_string_value(link));
	f->mode = (uint32_t)json_integer_value(json_array_get(e, 1));
	f->size = (uint64_t)json_integer_value(json_array_get(e, 2));
	f->mtime_ns = (int64_t)json_integer_value(json_array_get(e, 3));
	f->ctime_ns = (int64_t)json_integer_value(json_array_get(e, 4));
	f->ino = (uint64_t)json_integer_value(json_array_get(e, 5));
	return unhex(sha, f->sha) < 0 || unhex(src, f->src) < 0 ? -1 : 0;
}

int sync_record_load(const char *file, struct sync_record *out, char **warning)
{
	json_error_t jerr;
	json_t *doc, *files;
	const char *rules;
	size_t i;

	cleanup_free char *text = NULL;
	struct cc_error *rerr = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	*warning = NULL;
	if (access(file, F_OK) < 0)
		return 0;
	/* Read whole: json_load_file reads a byte at a time. */
	if (read_file(file, &text, &len, &rerr) < 0) {
		*warning = xasprintf("%s; the destination is checked by content", rerr->msg);
		cc_error_free(rerr);
		return 0;
	}
	if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr))) {
		*warning = xasprintf("%s: unreadable sync record (%s); the destination is checked by content", file,
				     jerr.text);
		return 0;
	}
	files = json_object_get(doc, "files");
	rules = json_string_value(json_object_get(doc, "rules"));
	if (json_integer_value(json_object_get(doc, "version")) != 1 || !json_is_array(files) || !rules ||
	    strlen(rules) > 64)
		goto bad;
	snprintf(out->rules, sizeof(out->rules), "%s", rules);
	for (i = 0; i < json_array_size(files); i++)
		if (load_entry(out, json_array_get(files, i)) < 0)
			goto bad;
	json_decref(doc);
	return 1;
bad:
	json_decref(doc);
	sync_record_release(out);
	*warning = xasprintf("%s: malformed sync record; the destination is checked by content", file);
	return 0;
}

void sync_fp_add(struct sync_fp *fp, const char *path, const char *link, uint32_t mode, uint64_t size, int64_t mtime_ns,
		 int64_t ctime_ns, uint64_t ino)
{
	char line[160];
	size_t plen = strlen(path) + 1, llen = link ? strlen(link) + 1 : 1, n;
	int reg = (mode & 0170000) == 0100000;

	n = (size_t)snprintf(line, sizeof(line), "%o %" PRIu64 " %" PRId64 " %" PRId64 " %" PRIu64 "\n",
			     reg ? mode : mode & 0177777, reg ? size : 0, reg ? mtime_ns : 0, reg ? ctime_ns : 0,
			     reg ? ino : 0);
	while (fp->cap - fp->len < plen + llen + n) {
		fp->cap = fp->cap ? fp->cap * 2 : 65536;
		fp->buf = xrealloc(fp->buf, fp->cap);
	}
	memcpy(fp->buf + fp->len, path, plen);
	fp->len += plen;
	memcpy(fp->buf + fp->len, link ? link : "", llen);
	fp->len += llen;
	memcpy(fp->buf + fp->len, line, n);
	fp->len += n;
	fp->n++;
}

void sync_fp_final(struct sync_fp *fp, char hex[65])
{
	hash_sha256_hex(fp->buf ? fp->buf : "", fp->len, hex);
	free(fp->buf);
	fp->buf = NULL;
	fp->len = fp->cap = 0;
}

int sync_fp_load(const char *record_file, char hex[65], size_t *n)
{
	cleanup_free char *file = xasprintf("%s.fp", record_file), *text = NULL;
	unsigned long long count;
	size_t len;

	if (read_file_max(file, 256, &text, &len, NULL) < 0 || sscanf(text, "v1 %64s %llu", hex, &count) != 2 ||
	    strlen(hex) != 64)
		return 0;
	*n = (size_t)count;
	return 1;
}

static int fp_save(const char *file, const struct sync_record *r, struct cc_error **err)
{
	struct sync_fp fp = { 0 };
	char hex[65];
	cleanup_free char *text = NULL;

	for (size_t i = 0; i < r->n; i++)
		sync_fp_add(&fp, r->v[i].path, r->v[i].link, r->v[i].mode, r->v[i].size, r->v[i].mtime_ns,
			    r->v[i].ctime_ns, r->v[i].ino);
	sync_fp_final(&fp, hex);
	text = xasprintf("v1 %s %zu\n", hex, r->n);
	return atomicfile_write(file, text, strlen(text), err);
}

int sync_record_save(const char *file, const struct sync_record *r, struct cc_error **err)
{
	cleanup_free char *fpfile = xasprintf("%s.fp", file);

	json_t *files = json_array(), *doc;
	char sha[65], src[65];
	char *text;
	int rc;

	for (size_t i = 0; i < r->n; i++) {
		const struct sync_file *f = &r->v[i];
		int reg = (f->mode & 0170000) == 0100000;

		hash_hex(f->sha, sha);
		hash_hex(f->src, src);
		json_array_append_new(files,
				      json_pack("[s, I, I, I, I, I, s, s, s?]", f->path, (json_int_t)f->mode,
						(json_int_t)f->size, (json_int_t)f->mtime_ns, (json_int_t)f->ctime_ns,
						(json_int_t)f->ino, reg ? sha : "", reg ? src : "", f->link));
	}
	doc = json_pack("{s:i, s:s, s:o}", "version", 1, "rules", r->rules, "files", files);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		die_oom();
	/* No fingerprint may outlive the record it was made from. */
	rc = unlink(fpfile) < 0 && errno != ENOENT ? cc_error_set(err, "%s: %s", fpfile, strerror(errno)) : 0;
	if (rc == 0)
		rc = atomicfile_write(file, text, strlen(text), err);
	free(text);
	if (rc == 0)
		rc = fp_save(fpfile, r, err);
	return rc < 0 ? cc_error_wrap(err, "saving the sync record") : 0;
}

const struct sync_file *sync_record_find(const struct sync_record *r, const char *path)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ctx_path_cmp(r->v[mid].path, path);

		if (c == 0)
			return &r->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void sync_record_release(struct sync_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].link);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
