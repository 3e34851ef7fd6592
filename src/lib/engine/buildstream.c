/* buildstream: the two response dialects of POST /build.
 *
 * BuildKit (version=2): {"id":"moby.buildkit.trace","aux":"<base64
 * StatusResponse>"} lines (see bktrace.c), then {"id":"moby.image.id",
 * "aux":{"ID":"sha256:..."}}.  Classic (version=1): {"stream":"Step 1/3 :
 * ..."} output and {"aux":{"ID":"sha256:..."}}.  Both end a failed build
 * with {"errorDetail":{"message":...},"error":...}. */
#include "bktrace.h"
#include "buildstream.h"
#include "error.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { SEEN_STARTED = 1, SEEN_CACHED = 2, SEEN_DONE = 4 };

/* The daemon's stream is input too: bounds on what it can make us hold. */
#define MAX_LINE ((size_t)64 << 20)    /* one JSON line of the response */
#define MAX_PARTIAL ((size_t)64 << 10) /* output without a newline: shown as a line */
#define MAX_VERTICES 5000	       /* steps tracked; later ones share the last */
#define MAX_KEPT_LINE 2048	       /* bytes of an output line kept for the error */

struct vertex {
	char *digest, *name, *error;
	int seen;
	struct strbuf partial;	      /* output after the last newline */
	char *tail[BUILDSTREAM_TAIL]; /* ring of the last output lines */
	size_t ntail;		      /* lines ever pushed */
};

struct buildstream {
	engine_progress_fn progress;
	void *ctx;
	struct strbuf line; /* response bytes after the last newline */
	struct vertex *v;
	size_t nv, capv;
	struct vertex classic; /* classic builder: name is the "Step" line */
	char *image_id;
	char *error;   /* the stream's error message */
	size_t failed; /* index + 1 of the vertex that failed */
	int overlong;  /* dropping a line past MAX_LINE */
};

struct buildstream *buildstream_new(engine_progress_fn progress, void *ctx)
{
	struct buildstream *bs = xcalloc(1, sizeof(*bs));

	bs->progress = progress;
	bs->ctx = ctx;
	return bs;
}

static void emit(struct buildstream *bs, enum engine_event_kind kind, const char *step, const char *text)
{
	struct engine_event ev = { kind, step, text };

	if (bs->progress)
		bs->progress(bs->ctx, &ev);
}

static void vertex_clear_tail(struct vertex *v)
{
	size_t i;

	for (i = 0; i < BUILDSTREAM_TAIL; i++) {
		free(v->tail[i]);
		v->tail[i] = NULL;
	}
	v->ntail = 0;
}

static void vertex_release(struct vertex *v)
{
	free(v->digest);
	free(v->name);
	free(v->error);
	strbuf_release(&v->partial);
	vertex_clear_tail(v);
}

/* The classic builder colours stderr with ANSI escapes: drop them. */
static char *strip_escapes(const char *line, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (line[i] == '\033' && i + 1 < len && line[i + 1] == '[') {
			for (i += 2; i < len && !(line[i] >= '@' && line[i] <= '~'); i++)
				;
			continue;
		}
		*o++ = line[i];
	}
	*o = '\0';
	return out;
}

/* Classic builder chatter that says nothing about why a step failed. */
static int is_chatter(const char *line)
{
	return !*line || str_has_prefix(line, " ---> ") || str_has_prefix(line, "Removing intermediate container ");
}

static void vertex_push_line(struct buildstream *bs, struct vertex *v, const char *line, size_t len,
			     enum engine_event_kind kind)
{
	char *text;
	char **slot;

	if (len && line[len - 1] == '\r')
		len--;
	text = strip_escapes(line, len);
	emit(bs, kind, v->name, text);
	if (kind == ENGINE_OUTPUT && is_chatter(text)) {
		free(text);
		return;
	}
	if (strlen(text) > MAX_KEPT_LINE)
		memcpy(text + MAX_KEPT_LINE - 3, "...", 4);
	slot = &v->tail[v->ntail++ % BUILDSTREAM_TAIL];
	free(*slot);
	*slot = text;
}

/* Split output into lines; the unfinished last line waits in partial. */
static void vertex_output(struct buildstream *bs, struct vertex *v, const char *msg, size_t len,
			  enum engine_event_kind kind)
{
	const char *nl;

	if (len)
		strbuf_add(&v->partial, msg, len);
	while (v->partial.len &&
	       ((nl = memchr(v->partial.buf, '\n', v->partial.len)) || v->partial.len > MAX_PARTIAL)) {
		size_t n = nl ? (size_t)(nl - v->partial.buf) : MAX_PARTIAL;

		vertex_push_line(bs, v, v->partial.buf, n, kind);
		n += nl != NULL;
		memmove(v->partial.buf, v->partial.buf + n, v->partial.len - n);
		v->partial.len -= n;
		v->partial.buf[v->partial.len] = '\0';
	}
}

/* The vertex of digest, added when new; past MAX_VERTICES the last one. */
static struct vertex *vertex_find(struct buildstream *bs, const char *digest)
{
	struct vertex nv = { 0 };
	size_t i;

	for (i = 0; i < bs->nv; i++)
		if (!strcmp(bs->v[i].digest, digest))
			return &bs->v[i];
	if (bs->nv >= MAX_VERTICES)
		return &bs->v[bs->nv - 1];
	nv.digest = xstrdup(digest);
	VEC_PUSH(bs->v, bs->nv, bs->capv, nv);
	return &bs->v[bs->nv - 1];
}

static void vertex_update(struct buildstream *bs, const struct bk_vertex *u)
{
	struct vertex *v = vertex_find(bs, u->digest ? u->digest : "");

	if (u->name && (!v->name || strcmp(v->name, u->name))) {
		free(v->name);
		v->name = xstrdup(u->name);
	}
	if (u->cached && !(v->seen & SEEN_CACHED)) {
		v->seen |= SEEN_CACHED | SEEN_STARTED | SEEN_DONE;
		emit(bs, ENGINE_STEP_CACHED, v->name, NULL);
	}
	if (u->started && !(v->seen & SEEN_STARTED)) {
		v->seen |= SEEN_STARTED;
		emit(bs, ENGINE_STEP_STARTED, v->name, NULL);
	}
	if (u->completed && !(v->seen & SEEN_DONE)) {
		v->seen |= SEEN_DONE;
		if (u->error) {
			free(v->error);
			v->error = xstrdup(u->error);
			bs->failed = (size_t)(v - bs->v) + 1;
		}
		emit(bs, u->error ? ENGINE_STEP_FAILED : ENGINE_STEP_DONE, v->name, u->error);
		if (!u->error) /* only a failed or unfinished step's output is shown */
			vertex_clear_tail(v);
	}
}

static void buildstream_trace(struct buildstream *bs, const char *b64)
{
	struct bk_trace t = { 0 };
	size_t i;

	if (bktrace_decode_base64(b64, &t, NULL) < 0)
		return; /* progress is best effort; the build result is not in it */
	for (i = 0; i < t.nvertexes; i++)
		vertex_update(bs, &t.vertexes[i]);
	for (i = 0; i < t.nlogs; i++) {
		struct vertex *v = vertex_find(bs, t.logs[i].vertex ? t.logs[i].vertex : "");

		vertex_output(bs, v, t.logs[i].msg, t.logs[i].msg_len, ENGINE_STEP_LOG);
	}
	bktrace_release(&t);
}

static void buildstream_classic(struct buildstream *bs, const char *text)
{
	struct vertex *v = &bs->classic;

	/* Each "Step N/M : INSTR" starts a new step: keep only its output. */
	if (str_has_prefix(text, "Step ") && strstr(text, " : ")) {
		vertex_output(bs, v, "", 0, ENGINE_OUTPUT);
		free(v->name);
		v->name = xstrndup(text, strcspn(text, "\r\n"));
		vertex_clear_tail(v);
		emit(bs, ENGINE_STEP_STARTED, v->name, NULL);
		text += strcspn(text, "\n");
		text += *text == '\n';
	}
	vertex_output(bs, v, text, strlen(text), ENGINE_OUTPUT);
}

static void set_string(char **dst, const char *s)
{
	if (s && !*dst)
		*dst = xstrdup(s);
}

static void buildstream_line(struct buildstream *bs, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *id;
	json_t *aux, *detail;

	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	id = json_string_value(json_object_get(j, "id"));
	aux = json_object_get(j, "aux");
	detail = json_object_get(j, "errorDetail");
	set_string(&bs->error, json_string_value(json_object_get(detail, "message")));
	set_string(&bs->error, json_string_value(json_object_get(j, "error")));
	if (id && !strcmp(id, "moby.buildkit.trace") && json_is_string(aux))
		buildstream_trace(bs, json_string_value(aux));
	else if ((!id || !strcmp(id, "moby.image.id")) && json_is_object(aux))
		set_string(&bs->image_id, json_string_value(json_object_get(aux, "ID")));
	if (json_is_string(json_object_get(j, "stream")))
		buildstream_classic(bs, json_string_value(json_object_get(j, "stream")));
	json_decref(j);
}

void buildstream_feed(struct buildstream *bs, const char *data, size_t len)
{
	const char *nl;
	size_t start = 0;

	if (!len)
		return;
	strbuf_add(&bs->line, data, len);
	while ((nl = memchr(bs->line.buf + start, '\n', bs->line.len - start))) {
		size_t end = (size_t)(nl - bs->line.buf);

		if (end > start && !bs->overlong)
			buildstream_line(bs, bs->line.buf + start, end - start);
		bs->overlong = 0;
		start = end + 1;
	}
	memmove(bs->line.buf, bs->line.buf + start, bs->line.len - start);
	bs->line.len -= start;
	if (bs->line.len > MAX_LINE) { /* dropped up to its newline */
		set_string(&bs->error, "the engine sent a response line longer than 64 MiB");
		bs->overlong = 1;
		bs->line.len = 0;
	}
	bs->line.buf[bs->line.len] = '\0';
}

int buildstream_failed(const struct buildstream *bs)
{
	return bs->error || bs->failed;
}

/* The step to blame: the failed vertex, else the classic builder's last
 * step, else the last vertex that started and never completed. */
static struct vertex *buildstream_culprit(struct buildstream *bs)
{
	size_t i;

	if (bs->failed)
		return &bs->v[bs->failed - 1];
	if (bs->classic.name)
		return &bs->classic;
	for (i = bs->nv; i-- > 0;)
		if ((bs->v[i].seen & (SEEN_STARTED | SEEN_DONE)) == SEEN_STARTED && bs->v[i].name)
			return &bs->v[i];
	return NULL;
}

static int buildstream_error(struct buildstream *bs, struct cc_error **err)
{
	struct vertex *v = buildstream_culprit(bs);
	struct strbuf msg = STRBUF_INIT;
	const char *why = bs->error ? bs->error : v && v->error ? v->error : "unknown error";
	size_t i, first;
	int rc;

	if (v && v->partial.len)
		vertex_output(bs, v, "\n", 1, ENGINE_STEP_LOG);
	strbuf_addf(&msg, "engine: build failed");
	if (v && v->name)
		strbuf_addf(&msg, " at %s", v->name);
	strbuf_addf(&msg, ": %.*s", (int)strcspn(why, "\n"), why);
	if (strstr(why, "no active sessions")) /* BuildKit wanted to ask the client for credentials */
		strbuf_addstr(&msg,
			      " (the engine needed registry credentials it could not ask for: give them in"
			      " the docker config, `docker login HOST`, and ccbuild pulls the base before the build)");
	first = v && v->ntail > BUILDSTREAM_TAIL ? v->ntail - BUILDSTREAM_TAIL : 0;
	for (i = first; v && i < v->ntail; i++)
		strbuf_addf(&msg, "\n  | %s", v->tail[i % BUILDSTREAM_TAIL]);
	rc = cc_error_set(err, "%s", msg.buf);
	strbuf_release(&msg);
	return rc;
}

int buildstream_finish(struct buildstream *bs, char **image_id, struct cc_error **err)
{
	if (bs->line.len && !bs->overlong)
		buildstream_line(bs, bs->line.buf, bs->line.len);
	bs->line.len = 0;
	if (buildstream_failed(bs))
		return buildstream_error(bs, err);
	if (!bs->image_id)
		return cc_error_set(err, "engine: build ended without reporting an image ID");
	*image_id = bs->image_id;
	bs->image_id = NULL;
	return 0;
}

void buildstream_free(struct buildstream *bs)
{
	size_t i;

	if (!bs)
		return;
	for (i = 0; i < bs->nv; i++)
		vertex_release(&bs->v[i]);
	free(bs->v);
	vertex_release(&bs->classic);
	strbuf_release(&bs->line);
	free(bs->image_id);
	free(bs->error);
	free(bs);
}
