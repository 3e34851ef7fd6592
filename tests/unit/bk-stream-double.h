/* bk-stream-double: a bk_stream for unit tests of the session's unary
 * services: the request messages it plays, the responses it records.
 * Include once per test program. */
#ifndef CC_BK_STREAM_DOUBLE_H
#define CC_BK_STREAM_DOUBLE_H

#include "buildkit-stream.h"
#include "error.h"
#include "pbwire.h"
#include "util.h"

#include <string.h>

struct bk_stream {
	struct pbbuf in[4];
	size_t nin, next;
	int reset; /* past the requests: -1 (reset) instead of 0 (half-close) */
	struct pbbuf out[4];
	size_t nout;
	const char *meta_name, *meta_value; /* one metadata value, or NULL */
};

const char *bk_stream_meta(struct bk_stream *s, const char *name, size_t i)
{
	return s->meta_name && !i && !strcmp(name, s->meta_name) ? s->meta_value : NULL;
}

int bk_stream_recv(struct bk_stream *s, uint8_t **msg, size_t *len, struct cc_error **err)
{
	if (s->next >= s->nin)
		return s->reset ? cc_error_set(err, "call reset") : 0;
	*len = s->in[s->next].len;
	*msg = xmalloc(*len ? *len : 1);
	if (*len)
		memcpy(*msg, s->in[s->next].data, *len);
	s->next++;
	return 1;
}

int bk_stream_send(struct bk_stream *s, const void *msg, size_t len, struct cc_error **err)
{
	struct pbbuf *b;

	if (s->nout >= 4)
		return cc_error_set(err, "too many responses");
	b = &s->out[s->nout++];
	pbw_varint_raw(b, 0);
	b->len = 0;
	xgrow(&b->data, &b->cap, len + 1, 1);
	memcpy(b->data, msg, len);
	b->len = len;
	return 0;
}

/* The next request: a message whose field `num` is the string s. */
static __attribute__((unused)) void double_request(struct bk_stream *s, uint32_t num, const char *str)
{
	pbw_string(&s->in[s->nin++], num, str);
}

/* The first response's field `num` as a string (caller frees), or NULL. */
static __attribute__((unused)) char *double_response_field(const struct bk_stream *s, uint32_t num)
{
	struct pbreader r;
	struct pbfield f;

	if (!s->nout)
		return NULL;
	r = pbreader_of(s->out[0].data, s->out[0].len);
	while (pb_next(&r, &f) > 0)
		if (f.num == num && f.wire == PB_LEN)
			return xstrndup((const char *)f.data, f.len);
	return NULL;
}

static __attribute__((unused)) void double_release(struct bk_stream *s)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		pbbuf_release(&s->in[i]);
		pbbuf_release(&s->out[i]);
	}
	memset(s, 0, sizeof(*s));
}

#endif
