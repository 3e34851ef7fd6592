/* bktrace: a minimal protobuf reader for BuildKit's StatusResponse.
 *
 * Field numbers (moby/buildkit api/services/control/control.proto):
 *   StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus
 *                    statuses = 2; repeated VertexLog logs = 3; ... }
 *   Vertex       { digest 1; inputs 2; name 3; cached 4; started 5;
 *                  completed 6; error 7 }
 *   VertexStatus { ID 1; vertex 2; name 3; current 4; total 5; ... }
 *   VertexLog    { vertex 1; timestamp 2; stream 3; msg 4 }
 *   Timestamp    { seconds 1; nanos 2 }
 * The wire format is read with pbwire (no protobuf library).
 * The daemon's bytes are input like any other: a known field of the wrong
 * wire type is skipped as an unknown one (as protobuf-go does), a varint
 * longer than 64 bits is malformed, and times saturate rather than wrap. */
#include "bktrace.h"
#include "error.h"
#include "pbwire.h"
#include "util.h"

#include <limits.h>
#include <openssl/evp.h>
#include <string.h>

/* A string field; one of another wire type is skipped. */
static void pb_set_string(char **dst, const struct pbfield *f)
{
	if (f->wire != PB_LEN)
		return;
	free(*dst);
	*dst = xstrndup((const char *)f->data, f->len);
}

/* A varint field into *dst; one of another wire type is skipped. */
static void pb_set_int(int64_t *dst, const struct pbfield *f)
{
	if (f->wire == PB_VARINT)
		*dst = f->varint > INT64_MAX ? INT64_MAX : (int64_t)f->varint;
}

/* sec * 1e9 + nsec, saturated to the int64 range (year 1678 to 2262). */
static int64_t ns_of(int64_t sec, int64_t nsec)
{
	int64_t ns;

	if (__builtin_mul_overflow(sec, (int64_t)1000000000, &ns) || __builtin_add_overflow(ns, nsec, &ns))
		return sec < 0 ? INT64_MIN : INT64_MAX;
	return ns;
}

static int pb_timestamp(const struct pbfield *f, int64_t *out)
{
	struct pbreader r;
	struct pbfield g;
	int64_t sec = 0, nsec = 0;
	int rc;

	if (f->wire != PB_LEN) /* then data is NULL: no reader from it */
		return 0;
	r = (struct pbreader){ f->data, f->data + f->len };
	while ((rc = pb_next(&r, &g)) > 0) {
		if (g.wire == PB_VARINT && g.num == 1)
			sec = (int64_t)g.varint; /* int64: negative is two's complement */
		else if (g.wire == PB_VARINT && g.num == 2)
			nsec = (int32_t)(uint32_t)g.varint; /* int32 */
	}
	/* A present timestamp of exactly the epoch still means "set". */
	*out = ns_of(sec, nsec);
	if (*out == 0)
		*out = 1;
	return rc;
}

static int decode_vertex(const struct pbfield *f, struct bk_vertex *v)
{
	struct pbreader r = { f->data, f->data + f->len };
	struct pbfield g;
	int rc;

	while ((rc = pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case 1: pb_set_string(&v->digest, &g); break;
		case 3: pb_set_string(&v->name, &g); break;
		case 4: v->cached = g.wire == PB_VARINT && g.varint; break;
		case 5: rc = pb_timestamp(&g, &v->started); break;
		case 6: rc = pb_timestamp(&g, &v->completed); break;
		case 7: pb_set_string(&v->error, &g); break;
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

static int decode_status(const struct pbfield *f, struct bk_status *s)
{
	struct pbreader r = { f->data, f->data + f->len };
	struct pbfield g;
	int rc;

	while ((rc = pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case 1: pb_set_string(&s->id, &g); break;
		case 2: pb_set_string(&s->vertex, &g); break;
		case 3: pb_set_string(&s->name, &g); break;
		case 4: pb_set_int(&s->current, &g); break;
		case 5: pb_set_int(&s->total, &g); break;
		}
	}
	return rc;
}

static int decode_log(const struct pbfield *f, struct bk_log *l)
{
	struct pbreader r = { f->data, f->data + f->len };
	struct pbfield g;
	int rc;

	int64_t stream = 0;

	while ((rc = pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case 1: pb_set_string(&l->vertex, &g); break;
		case 3:
			pb_set_int(&stream, &g);
			l->stream = stream == 2 ? 2 : 1;
			break;
		case 4:
			if (g.wire != PB_LEN)
				break;
			free(l->msg);
			l->msg = xmalloc(g.len + 1); /* output bytes may hold NULs */
			memcpy(l->msg, g.data, g.len);
			l->msg[g.len] = '\0';
			l->msg_len = g.len;
			break;
		}
	}
	if (!l->msg) /* a log without data: empty, never NULL */
		l->msg = xstrdup("");
	return rc;
}

static int decode_field(const struct pbfield *f, struct bk_trace *t)
{
	struct bk_vertex v = { 0 };
	struct bk_status s = { 0 };
	struct bk_log l = { 0 };

	if (f->wire != PB_LEN)
		return 0;
	switch (f->num) {
	case 1:
		VEC_PUSH(t->vertexes, t->nvertexes, t->capvertexes, v);
		return decode_vertex(f, &t->vertexes[t->nvertexes - 1]);
	case 2:
		VEC_PUSH(t->statuses, t->nstatuses, t->capstatuses, s);
		return decode_status(f, &t->statuses[t->nstatuses - 1]);
	case 3: VEC_PUSH(t->logs, t->nlogs, t->caplogs, l); return decode_log(f, &t->logs[t->nlogs - 1]);
	}
	return 0;
}

int bktrace_decode(const uint8_t *buf, size_t len, struct bk_trace *out, struct cc_error **err)
{
	struct pbreader r = { buf, buf ? buf + len : buf };
	struct pbfield f;
	int rc;

	while ((rc = pb_next(&r, &f)) > 0)
		if (decode_field(&f, out) < 0)
			break;
	if (rc != 0) {
		bktrace_release(out);
		return cc_error_set(err, "buildkit trace: malformed protobuf message");
	}
	return 0;
}

int bktrace_decode_base64(const char *b64, struct bk_trace *out, struct cc_error **err)
{
	size_t len = strlen(b64), pad = 0;
	cleanup_free uint8_t *buf = NULL;
	int n;

	if (len % 4 || len > (size_t)INT32_MAX)
		return cc_error_set(err, "buildkit trace: bad base64 length %zu", len);
	buf = xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return cc_error_set(err, "buildkit trace: bad base64");
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	while (pad < 2 && len > pad && b64[len - 1 - pad] == '=')
		pad++;
	return bktrace_decode(buf, (size_t)n - pad, out, err);
}

void bktrace_release(struct bk_trace *t)
{
	size_t i;

	for (i = 0; i < t->nvertexes; i++) {
		free(t->vertexes[i].digest);
		free(t->vertexes[i].name);
		free(t->vertexes[i].error);
	}
	for (i = 0; i < t->nstatuses; i++) {
		free(t->statuses[i].id);
		free(t->statuses[i].vertex);
		free(t->statuses[i].name);
	}
	for (i = 0; i < t->nlogs; i++) {
		free(t->logs[i].vertex);
		free(t->logs[i].msg);
	}
	free(t->vertexes);
	free(t->statuses);
	free(t->logs);
	memset(t, 0, sizeof(*t));
}
