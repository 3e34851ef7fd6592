/* Against the real dockerd when /var/run/docker.sock answers; skipped
 * otherwise.  Nothing is pulled: the one base image is built here from
 * Debian's /bin/busybox. */
#include "engine.h"
#include "error.h"
#include "lists.h"
#include "tap.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define BUSYBOX "ccbuild-test/busybox:latest"

static char dir[] = "/tmp/cc-engine-XXXXXX";

struct ctx {
	struct tar_entry e[8];
	char *abs[8];
	size_t n;
};

/* Add file rel with content (or the existing file at src) to the context. */
static void ctx_add(struct ctx *c, const char *rel, const char *content, const char *src)
{
	char *p = src ? xstrdup(src) : path_join(dir, rel);

	if (content) {
		FILE *f = fopen(p, "w");

		fputs(content, f);
		fclose(f);
	}
	c->abs[c->n] = p;
	c->e[c->n].path = rel;
	c->e[c->n].abspath = p;
	stat(p, &c->e[c->n].st);
	c->n++;
}

static void ctx_release(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (str_has_prefix(c->abs[i], dir))
			unlink(c->abs[i]);
		free(c->abs[i]);
	}
	c->n = 0;
}

/* Print an error as TAP comment lines. */
static void diag(const struct cc_error *err)
{
	const char *p = err ? err->msg : NULL;

	while (p && *p) {
		int n = (int)strcspn(p, "\n");

		printf("# %.*s\n", n, p);
		p += n + (p[n] == '\n');
	}
}

struct events {
	struct strbuf text; /* "KIND step|text\n" per event */
};

static void on_event(void *arg, const struct engine_event *ev)
{
	static const char *kinds[] = { "started", "cached", "done", "failed", "log", "output" };
	struct events *evs = arg;

	strbuf_addf(&evs->text, "%s %s|%s\n", kinds[ev->kind], ev->step ? ev->step : "", ev->text ? ev->text : "");
}

/* Build dockerfile (injected) over c; returns rc, *id and *err for checks. */
static int build(struct engine *e, struct engine_build_req *req, struct ctx *c, const char *dockerfile,
		 struct events *evs, char **id, struct cc_error **err)
{
	req->entries = c->e;
	req->nentries = c->n;
	req->dockerfile_data = dockerfile;
	req->dockerfile_len = strlen(dockerfile);
	return engine_build(e, req, on_event, evs, NULL, id, err);
}

static void test_basics(struct engine *e)
{
	struct engine *bad;
	struct cc_error *err = NULL;
	json_t *j = NULL;

	is_int(engine_ping(e, &err), 0, "ping");
	is_str(engine_api_version(e), "1.41", "negotiated the daemon's version");
	is_int(engine_request(e, "GET", "/version", NULL, &j, &err), 200, "GET /version");
	ok(json_string_value(json_object_get(j, "ApiVersion")), "version has ApiVersion");
	json_decref(j);
	is_int(engine_image_inspect(e, "ccbuild-test/nope:none", &j, &err), 0, "missing image: 0");
	is_int(engine_request(e, "GET", "/images/ccbuild-test/nope:none/json", NULL, &j, &err), 404, "404");
	engine_status_error(404, j, &err);
	ok(err && str_has_prefix(err->msg, "engine: 404: ") && strstr(err->msg, "ccbuild-test/nope:none"),
	   "error text: %s", err ? err->msg : "");
	json_decref(j);
	cc_error_free(err);
	err = NULL;

	bad = engine_open("unix:///nonexistent", &err);
	is_int(engine_ping(bad, &err), ENGINE_UNREACHABLE, "unreachable socket");
	ok(err && strstr(err->msg, "/nonexistent"), "message names the socket");
	cc_error_free(err);
	err = NULL;
	is_int(engine_image_inspect(bad, "x", &j, &err), ENGINE_UNREACHABLE, "requests too");
	cc_error_free(err);
	engine_close(bad);
	err = NULL;
	ok(!engine_open("ssh://host", &err) && err, "ssh:// is refused");
	cc_error_free(err);
}

static void test_scratch(struct engine *e)
{
	struct engine_build_req req = { 0 };
	struct strlist tags = { 0 };
	struct kvlist labels = { 0 }, args = { 0 };
	struct ctx c = { 0 };
	struct events evs = { STRBUF_INIT };
	struct cc_error *err = NULL;
	cleanup_free char *id = NULL;
	json_t *j = NULL;

	ctx_add(&c, "hello.txt", "hello\n", NULL);
	strlist_push(&tags, "ccbuild-test/tiny:latest");
	kvlist_set(&labels, "ccbuild.test", "yes");
	kvlist_set(&args, "GREETING", "hi");
	req.tags = &tags;
	req.labels = &labels;
	req.buildargs = &args;
	req.target = "base";
	is_int(build(e, &req, &c,
		     "FROM scratch AS base\nARG GREETING\nLABEL greeting=$GREETING\n"
		     "COPY hello.txt /hello.txt\n"
		     "FROM base AS broken\nCOPY does-not-exist /\n",
		     &evs, &id, &err),
	       0, "scratch build");
	diag(err);
	ok(id && str_has_prefix(id, "sha256:"), "image id %s", id ? id : "");
	is_int(engine_image_inspect(e, "ccbuild-test/tiny:latest", &j, &err), 1, "tag exists");
	is_str(json_string_value(
		       json_object_get(json_object_get(json_object_get(j, "Config"), "Labels"), "ccbuild.test")),
	       "yes", "label from the request");
	is_str(json_string_value(json_object_get(json_object_get(json_object_get(j, "Config"), "Labels"), "greeting")),
	       "hi", "build arg reached the Dockerfile");
	is_str(json_string_value(json_object_get(j, "Id")), id, "inspect Id is the built id");
	ok(evs.text.buf && strstr(evs.text.buf, "COPY hello.txt /hello.txt"), "progress names the COPY step");
	json_decref(j);
	is_int(engine_image_tag(e, id, "ccbuild-test/tiny:retag", &err), 0, "tag");
	is_int(engine_image_inspect(e, "ccbuild-test/tiny:retag", &j, &err), 1, "new tag exists");
	json_decref(j);
	is_int(engine_image_remove(e, "ccbuild-test/tiny:retag", 0, &err), 0, "remove tag");
	is_int(engine_image_remove(e, "ccbuild-test/tiny:retag", 0, &err), 1, "remove again: absent");
	cc_error_free(err);
	strbuf_release(&evs.text);
	strlist_release(&tags);
	kvlist_release(&labels);
	kvlist_release(&args);
	ctx_release(&c);
}

static void test_multistage(struct engine *e)
{
	struct engine_build_req req = { 0 };
	struct ctx c = { 0 };
	struct events evs = { STRBUF_INIT };
	struct cc_error *err = NULL;
	cleanup_free char *id = NULL;

	ctx_add(&c, "a.txt", "stage a\n", NULL);
	ctx_add(&c, "hello.txt", "hello\n", NULL);
	is_int(build(e, &req, &c,
		     "FROM scratch AS a\nCOPY a.txt /a.txt\n"
		     "FROM scratch\nCOPY --from=a /a.txt /b.txt\nCOPY hello.txt /\n",
		     &evs, &id, &err),
	       0, "multi-stage build");
	diag(err);
	ok(evs.text.buf && strstr(evs.text.buf, "COPY --from=a /a.txt /b.txt"), "second stage ran");
	cc_error_free(err);
	strbuf_release(&evs.text);
	ctx_release(&c);
}

static int build_busybox(struct engine *e)
{
	struct engine_build_req req = { 0 };
	struct strlist tags = { 0 };
	struct ctx c = { 0 };
	struct events evs = { STRBUF_INIT };
	struct cc_error *err = NULL;
	cleanup_free char *id = NULL;
	int rc;

	ctx_add(&c, "busybox", NULL, "/bin/busybox");
	strlist_push(&tags, BUSYBOX);
	req.tags = &tags;
	rc = build(e, &req, &c,
		   "FROM scratch\nCOPY busybox /bin/busybox\n"
		   "RUN [\"/bin/busybox\",\"--install\",\"-s\",\"/bin\"]\n",
		   &evs, &id, &err);
	is_int(rc, 0, "busybox base image built from /bin/busybox");
	diag(err);
	cc_error_free(err);
	strbuf_release(&evs.text);
	strlist_release(&tags);
	ctx_release(&c);
	return rc;
}

static void test_failure(struct engine *e, enum engine_builder builder, const char *step)
{
	struct engine_build_req req = { .builder = builder };
	struct ctx c = { 0 };
	struct events evs = { STRBUF_INIT };
	struct cc_error *err = NULL;
	char *id = NULL;
	int rc;

	rc = build(e, &req, &c,
		   "FROM " BUSYBOX "\nRUN echo fine\n"
		   "RUN echo boom-log && echo more-log >&2 && false\n",
		   &evs, &id, &err);
	ok(rc < 0 && !id, "failing build fails (builder %d)", builder);
	ok(err && strstr(err->msg, "boom-log") && strstr(err->msg, "more-log"), "error holds the step's output");
	ok(err && strstr(err->msg, step), "error names the step");
	ok(err && !strstr(err->msg, "| fine"), "but not other steps' output");
	diag(err);
	cc_error_free(err);
	strbuf_release(&evs.text);
}

static void test_cache_mount(struct engine *e)
{
	struct engine_build_req req = { 0 };
	struct kvlist args = { 0 };
	struct ctx c = { 0 };
	struct events evs = { STRBUF_INIT };
	struct cc_error *err = NULL;
	char *id = NULL;
	char stamp[64];
	const char *df = "FROM " BUSYBOX "\nARG STAMP\nARG WANT\n"
			 "RUN --mount=type=cache,target=/cache,id=ccbuild-test "
			 "sh -c 'if [ -n \"$WANT\" ]; then test -f /cache/$WANT; fi; touch /cache/$STAMP'\n";

	snprintf(stamp, sizeof(stamp), "s%ld", (long)getpid());
	kvlist_set(&args, "STAMP", stamp);
	req.buildargs = &args;
	is_int(build(e, &req, &c, df, &evs, &id, &err), 0, "RUN --mount=type=cache writes");
	free(id);
	id = NULL;
	kvlist_set(&args, "STAMP", "other");
	kvlist_set(&args, "WANT", stamp);
	is_int(build(e, &req, &c, df, &evs, &id, &err), 0, "a later build sees the cache");
	diag(err);
	free(id);
	cc_error_free(err);
	strbuf_release(&evs.text);
	kvlist_release(&args);
}

struct canceller {
	atomic_int flag;
};

static void *cancel_later(void *arg)
{
	struct canceller *cl = arg;

	sleep(2);
	atomic_store(&cl->flag, 1);
	return NULL;
}

static void test_cancel(struct engine *e)
{
	struct engine_build_req req = { 0 };
	struct ctx c = { 0 };
	struct canceller cl = { 0 };
	struct cc_error *err = NULL;
	char *id = NULL;
	char df[128];
	pthread_t t;
	time_t start = time(NULL);
	int rc;

	/* A fresh command each run so no cache answers it at once. */
	snprintf(df, sizeof(df), "FROM " BUSYBOX "\nRUN sleep 60 # %ld-%ld\n", (long)getpid(), (long)start);
	req.entries = c.e;
	req.dockerfile_data = df;
	req.dockerfile_len = strlen(df);
	pthread_create(&t, NULL, cancel_later, &cl);
	rc = engine_build(e, &req, NULL, NULL, &cl.flag, &id, &err);
	pthread_join(t, NULL);
	is_int(rc, ENGINE_CANCELLED, "cancel flag stops the build");
	ok(time(NULL) - start < 20, "promptly");
	cc_error_free(err);
}

struct worker {
	struct engine *e;
	int found;
};

static void *inspect_many(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 20; i++) {
		json_t *j = NULL;

		if (engine_image_inspect(w->e, BUSYBOX, &j, NULL) == 1)
			w->found++;
		json_decref(j);
	}
	return NULL;
}

/* A fresh connection shared by threads that all race to negotiate. */
static void test_threads(void)
{
	struct engine *e = engine_open(NULL, NULL);
	struct worker w[4];
	pthread_t t[4];
	int i, found = 0;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ e, 0 };
		pthread_create(&t[i], NULL, inspect_many, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		found += w[i].found;
	}
	is_int(found, 80, "four threads share one connection");
	engine_close(e);
}

int main(void)
{
	struct cc_error *err = NULL;
	struct engine *e;

	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
	e = engine_open(NULL, &err);
	if (!e || engine_ping(e, &err) < 0) {
		printf("1..0 # SKIP no Docker daemon: %s\n", err ? err->msg : "?");
		cc_error_free(err);
		engine_close(e);
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	test_basics(e);
	test_scratch(e);
	test_multistage(e);
	if (build_busybox(e) == 0) {
		test_failure(e, ENGINE_BUILDER_AUTO, "RUN echo boom-log && echo more-log >&2 && false");
		test_failure(e, ENGINE_BUILDER_CLASSIC, "Step 3/3 : RUN echo boom-log");
		test_cache_mount(e);
		test_cancel(e);
		test_threads();
	}
	engine_close(e);
	rmdir(dir);
	return done_testing();
}
