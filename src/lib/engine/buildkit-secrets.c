/* buildkit-secrets: GetSecret from files and environment variables. */
#include "buildkit-secrets.h"

#include "buildkit-stream.h"
#include "error.h"
#include "pbwire.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ST_INVALID = 3, ST_NOT_FOUND = 5, ST_INTERNAL = 13 };

struct secret {
	char *id, *source;
	enum bk_secret_kind kind;
};

struct bk_secrets {
	struct secret *v;
	size_t n, cap;
};

struct bk_secrets *bk_secrets_new(void)
{
	return xcalloc(1, sizeof(struct bk_secrets));
}

static const struct secret *secret_find(const struct bk_secrets *sc, const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (strlen(sc->v[i].id) == len && !memcmp(sc->v[i].id, id, len))
			return &sc->v[i];
	return NULL;
}

static const char *kind_name(enum bk_secret_kind k)
{
	return k == BK_SECRET_ENV ? "env" : "file";
}

int bk_secrets_add(struct bk_secrets *sc, const char *id, enum bk_secret_kind kind, const char *source,
		   struct cc_error **err)
{
	const struct secret *old;

	if (!id || !*id)
		return cc_error_set(err, "a build secret needs an id");
	if (!source || !*source)
		return cc_error_set(err, "build secret '%s': no %s given", id,
				    kind == BK_SECRET_ENV ? "variable" : "file");
	if (strchr(id, '\t') || strchr(id, '\n') || strchr(source, '\n'))
		return cc_error_set(err, "build secret '%s': a tab or newline in its id or source", id);
	old = secret_find(sc, id, strlen(id));
	if (old && (old->kind != kind || strcmp(old->source, source)))
		return cc_error_set(err, "build secret '%s' given twice: %s %s and %s %s", id, kind_name(old->kind),
				    old->source, kind_name(kind), source);
	if (!old) {
		xgrow(&sc->v, &sc->cap, sc->n + 1, sizeof(*sc->v));
		sc->v[sc->n++] = (struct secret){ xstrdup(id), xstrdup(source), kind };
	}
	return 0;
}

int bk_secrets_check(const struct bk_secrets *sc, struct cc_error **err)
{
	struct stat st;
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const struct secret *s = &sc->v[i];

		if (s->kind != BK_SECRET_FILE)
			continue;
		if (stat(s->source, &st) < 0 || access(s->source, R_OK) < 0)
			return cc_error_set(err, "build secret '%s': %s: %s", s->id, s->source, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return cc_error_set(err, "build secret '%s': %s: not a regular file", s->id, s->source);
		if (st.st_size > BK_SECRET_MAX)
			return cc_error_set(err, "build secret '%s': %s: over %d bytes, BuildKit's limit", s->id,
					    s->source, BK_SECRET_MAX);
	}
	return 0;
}

size_t bk_secrets_count(const struct bk_secrets *sc)
{
	return sc->n;
}

static int by_id(const void *a, const void *b)
{
	return strcmp((*(const struct secret *const *)a)->id, (*(const struct secret *const *)b)->id);
}

char *bk_secrets_identity(const struct bk_secrets *sc)
{
	const struct secret **order = xcalloc(sc->n ? sc->n : 1, sizeof(*order));
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < sc->n; i++)
		order[i] = &sc->v[i];
	qsort(order, sc->n, sizeof(*order), by_id);
	for (i = 0; i < sc->n; i++)
		strbuf_addf(&sb, "%s\t%s\t%s\n", order[i]->id, kind_name(order[i]->kind), order[i]->source);
	free(order);
	return strbuf_detach(&sb);
}

void bk_secrets_free(struct bk_secrets *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->n; i++) {
		free(sc->v[i].id);
		free(sc->v[i].source);
	}
	free(sc->v);
	free(sc);
}

/* The ID of a GetSecretRequest into *id and *idlen (pointing into msg); -1 when
 * malformed. */
static int decode_request(const uint8_t *msg, size_t len, const char **id, size_t *idlen)
{
	struct pbreader r = pbreader_of(msg, len);
	struct pbfield f;
	int rc;

	*id = "";
	*idlen = 0;
	while ((rc = pb_next(&r, &f)) > 0) {
		if ((f.num == 1 || f.num == 2) && f.wire != PB_LEN)
			return -1;
		if (f.num == 1) {
			*id = (const char *)f.data;
			*idlen = f.len;
		}
	}
	return rc;
}

/* The value of s into *out and *len (caller wipes and frees): 0, or a status. */
static int secret_value(const struct secret *s, char **out, size_t *len, struct cc_error **err)
{
	struct stat st;

	if (s->kind == BK_SECRET_ENV) {
		const char *v = getenv(s->source);

		if (!v)
			return cc_error_set(err, "secret '%s': environment variable %s is not set", s->id, s->source),
			       ST_NOT_FOUND;
		*len = strlen(v);
		if (*len > BK_SECRET_MAX)
			return cc_error_set(err, "secret '%s': %s is over %d bytes", s->id, s->source, BK_SECRET_MAX),
			       ST_INTERNAL;
		*out = xstrdup(v);
		return 0;
	}
	if (stat(s->source, &st) < 0 && errno == ENOENT)
		return cc_error_set(err, "secret '%s': %s: no such file", s->id, s->source), ST_NOT_FOUND;
	if (read_file_max(s->source, BK_SECRET_MAX, out, len, err) < 0)
		return cc_error_wrap(err, "secret '%s'", s->id), ST_INTERNAL;
	return 0;
}

static int answer(const struct bk_secrets *sc, struct bk_stream *s, const uint8_t *msg, size_t len,
		  struct cc_error **err)
{
	const struct secret *sec;
	struct pbbuf out = { 0 };
	const char *id;
	size_t idlen, vlen = 0;
	char *value = NULL;
	int rc;

	if (decode_request(msg, len, &id, &idlen) < 0)
		return cc_error_set(err, "malformed GetSecret request"), ST_INVALID;
	if (!(sec = secret_find(sc, id, idlen)))
		return cc_error_set(err, "secret %.*s not found", (int)(idlen > 256 ? 256 : idlen), id), ST_NOT_FOUND;
	if ((rc = secret_value(sec, &value, &vlen, err)) != 0)
		return rc;
	pbw_bytes(&out, 1, value, vlen);
	explicit_bzero(value, vlen);
	free(value);
	rc = bk_stream_send_wiped(s, out.data, out.len, err);
	pbbuf_release(&out);
	return rc;
}

int bk_secrets_get(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	uint8_t *msg;
	size_t len;
	int rc = bk_stream_recv_one(s, "GetSecret", &msg, &len, err);

	if (rc)
		return rc;
	rc = answer(ctx, s, msg, len, err);
	free(msg);
	return rc;
}
