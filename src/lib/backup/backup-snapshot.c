/* backup-snapshot: snapshot manifests to and from JSON (format: the top of
 * backup-repo.c), times in UTC, ids in hex. */
#include "backup-snapshot.h"
#include "error.h"
#include "hash.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void bk_id_hex(const unsigned char id[32], char out[65])
{
	hash_hex(id, out);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int bk_id_parse(const char *hex, unsigned char id[32])
{
	size_t i;
	int hi, lo;

	if (!hex)
		return -1;
	for (i = 0; i < 32; i++) {
		if ((hi = hex_digit(hex[2 * i])) < 0 || (lo = hex_digit(hex[2 * i + 1])) < 0)
			return -1;
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[64] ? -1 : 0;
}

void bk_time_format(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int bk_time_parse(const char *s, int64_t *t, long *nsec)
{
	struct tm tm;
	const char *end;
	long frac = 0, scale = 100000000;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += scale * (*end - '0');
	if (strcmp(end, "Z"))
		return -1;
	*t = (int64_t)timegm(&tm);
	if (nsec)
		*nsec = frac;
	return 0;
}

/* The manifest's time: always with nanoseconds. */
static void time_full(const struct bk_snapshot *s, char *buf, size_t size)
{
	char secs[32];

	bk_time_format(s->time, secs, sizeof(secs));
	snprintf(buf, size, "%.19s.%09ldZ", secs, s->nsec);
}

void bk_snapshot_set_id(struct bk_snapshot *s)
{
	char tree[65], when[48], hex[65];
	cleanup_free char *text = NULL;

	bk_id_hex(s->tree, tree);
	time_full(s, when, sizeof(when));
	text = xasprintf("ccbuild-snapshot\n%s\n%s\n%s\n%s", s->name, s->source, when, tree);
	hash_sha256_hex(text, strlen(text), hex);
	memcpy(s->id, hex, 16);
	s->id[16] = 0;
}

char *bk_snapshot_to_json(const struct bk_snapshot *s)
{
	char tree[65], when[48];
	json_t *j;
	char *text;

	bk_id_hex(s->tree, tree);
	time_full(s, when, sizeof(when));
	j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "ccbuild_snapshot", 1, "id", s->id, "name",
		      s->name, "source", s->source, "time", when, "tree", tree, "files", (json_int_t)s->files, "bytes",
		      (json_int_t)s->bytes, "new_bytes", (json_int_t)s->new_bytes, "stored_bytes",
		      (json_int_t)s->stored_bytes);
	if (!j)
		BUG("json_pack of a snapshot");
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!text)
		BUG("out of memory");
	return text;
}

int bk_snapshot_parse(const char *text, size_t len, const char *what, struct bk_snapshot *s, struct cc_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	const char *id = NULL, *name = NULL, *source = NULL, *when = NULL, *tree = NULL;
	json_int_t version = 0, files = 0, bytes = 0, new_bytes = 0, stored = 0;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!j)
		return cc_error_set(err, "%s: not a snapshot manifest: %s", what, je.text);
	if (json_unpack(j, "{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s?I}", "ccbuild_snapshot", &version, "id",
			&id, "name", &name, "source", &source, "time", &when, "tree", &tree, "files", &files, "bytes",
			&bytes, "new_bytes", &new_bytes, "stored_bytes", &stored) < 0)
		cc_error_set(err, "%s: not a snapshot manifest (a field is missing or of the wrong type)", what);
	else if (version != 1)
		cc_error_set(err, "%s: snapshot format %lld; this ccbuild reads format 1", what, (long long)version);
	else if (strlen(id) != 16 || bk_time_parse(when, &s->time, &s->nsec) < 0 || bk_id_parse(tree, s->tree) < 0)
		cc_error_set(err, "%s: malformed id, time or tree", what);
	else {
		memcpy(s->id, id, 17);
		s->name = xstrdup(name);
		s->source = xstrdup(source);
		s->files = (uint64_t)files;
		s->bytes = (uint64_t)bytes;
		s->new_bytes = (uint64_t)new_bytes;
		s->stored_bytes = (uint64_t)stored;
		rc = 0;
	}
	json_decref(j);
	return rc;
}

void bk_snapshot_copy(struct bk_snapshot *dst, const struct bk_snapshot *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->source = xstrdup(src->source);
}

void bk_snapshot_release(struct bk_snapshot *s)
{
	free(s->name);
	free(s->source);
	memset(s, 0, sizeof(*s));
}

void bk_snapshots_free(struct bk_snapshot *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		bk_snapshot_release(&v[i]);
	free(v);
}
