/* step-test: the test:SERVICE step kind (step.h) — run a compose service
 * of the profile's tests: to completion, as `docker compose run --rm`
 * runs it: a one-off container (com.docker.compose.oneoff=True, named
 * PROJECT-SERVICE-run-HASH12, no published ports, no restart), after its
 * depends_on are up (the graph puts it after their up:X steps) and meet
 * their condition (healthy, completed successfully); its output is kept
 * (STATE/tests/SERVICE.log and the report), a non-zero exit fails it, and
 * the pushes wait for it (step-graph.c).
 *
 * Input hash: the service's resolved configuration (deploy-spec's flat
 * config, so `why` names the field), the image ID it runs, the content
 * of its secret and config files, and the input hash of every up: step
 * it depends on, directly or not (their deploy hashes).  The runner
 * records only successes, so a test is up to date when all of that
 * equals its last passing run; --no-cache-tests runs it anyway. */
#include "compose.h"
#include "deploy-find.h"
#include "deploy-spec.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "graph.h"
#include "hash.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "ui.h"
#include "atomicfile.h"
#include "util.h"
#include "why.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Output kept per test (the rest, oldest first, dropped). */
#define TEST_OUTPUT_MAX (4u << 20)
/* Lines of output in the error of a failed test. */
#define TEST_ERROR_LINES 20
/* How long a dependency may take to become healthy or complete. */
#define TEST_DEP_TIMEOUT_MS 120000L
/* Secret and config files hashed, at most. */
#define TEST_FILE_MAX (64u << 20)

struct test_scratch {
	struct deploy_project *proj;
	struct deploy_service *svc;
	char *image_id; /* or NULL when unknown (no engine) */
};

/* An absolute, clean path for path (relative to the current directory). */
static char *absolute(const char *path)
{
	char cwd[4096];
	cleanup_free char *joined = NULL;

	if (path[0] == '/')
		return path_clean(path);
	joined = path_join(getcwd(cwd, sizeof(cwd)) ? cwd : ".", path);
	return path_clean(joined);
}

/* The project as compose names it: the manifest's project, its directory,
 * the profile's compose files (absolute, comma-joined). */
static int test_project_spec(const struct project *p, struct deploy_project **out, struct cc_error **err)
{
	const struct manifest *m = p->manifest;
	cleanup_free char *name = deploy_project_name(m->project), *dir = absolute(m->dir), *joined = NULL;
	struct strlist files = { 0 };
	int rc;

	for (size_t k = 0; k < m->compose.n + p->profile->compose.n; k++) {
		const char *f = k < m->compose.n ? m->compose.v[k] : p->profile->compose.v[k - m->compose.n];
		cleanup_free char *full = f[0] == '/' ? xstrdup(f) : path_join(dir, f);
		cleanup_free char *clean = path_clean(full);

		strlist_push(&files, clean);
	}
	joined = strlist_join(&files, ",");
	rc = deploy_project_spec(p->compose, name, dir, joined, out, err);
	strlist_release(&files);
	return rc;
}

/* text as a JSON string: bytes that are not UTF-8 become '?'. */
static json_t *text_json(const char *text)
{
	json_t *j = json_string(text);
	char *copy;

	if (j)
		return j;
	copy = xstrdup(text);
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static void test_describe(const struct step *s, struct strbuf *out)
{
	strbuf_addf(out, "test %s (run to completion, as docker compose run --rm)", (const char *)s->data);
}

static void test_release(struct step_result *res)
{
	struct test_scratch *sc = res->scratch;

	deploy_service_free(sc->svc);
	deploy_project_free(sc->proj);
	free(sc->image_id);
	free(sc);
	res->scratch = NULL;
}

/* The build:SERVICE step this test depends on, or -1. */
static long test_build_dep(const struct runner *r, size_t i)
{
	const struct step *s = &r->project->graph.steps[i];

	for (size_t j = 0; j < s->ndeps; j++) {
		const struct step *d = &r->project->graph.steps[s->deps[j]];

		if (d->kind == &step_kind_build && !strcmp(((const struct image *)d->data)->spec.key, s->data))
			return (long)s->deps[j];
	}
	return -1;
}

/* The image the test runs: its build's output, else the engine's ID of
 * the service's image: (NULL when no engine answers, as in a plan). */
static int test_image(struct runner *r, size_t i, const struct test_scratch *sc, char **id, struct cc_error **err)
{
	long b = test_build_dep(r, i);
	json_t *img = NULL;
	int rc;

	*id = NULL;
	if (b >= 0) {
		const char *out = r->results[b].output;

		if (out && strchr(out, '='))
			return cc_error_set(err, "test %s: its image is built for several platforms; a test runs one",
					    (const char *)r->project->graph.steps[i].data);
		*id = out ? xstrdup(out) : NULL;
		return 0;
	}
	if (!r->engine)
		return 0;
	if ((rc = engine_image_inspect(r->engine, sc->svc->image, &img, err)) < 0)
		return -1;
	if (rc == 0)
		return cc_error_set(err, "test %s: no image %s in the engine (ccbuild pulls nothing for a test)",
				    (const char *)r->project->graph.steps[i].data, sc->svc->image);
	*id = xstrdup(json_string_value(json_object_get(img, "Id")) ?: "");
	json_decref(img);
	return 0;
}

/* The input hash of every up: step step i depends on, directly or not,
 * into inputs as "deploy up:X". */
static void test_deploys(const struct runner *r, size_t i, json_t *inputs)
{
	const struct graph *g = &r->project->graph;
	char *seen = xcalloc(g->nsteps + 1, 1);
	size_t *stack = xcalloc(g->nsteps + 1, sizeof(*stack)), n = 0;

	stack[n++] = i;
	seen[i] = 1;
	while (n) {
		const struct step *s = &g->steps[stack[--n]];

		for (size_t j = 0; j < s->ndeps; j++) {
			size_t d = s->deps[j];

			if (seen[d])
				continue;
			seen[d] = 1;
			stack[n++] = d;
			if (!strcmp(g->steps[d].kind->name, "up")) {
				cleanup_free char *key = xasprintf("deploy %s", g->steps[d].id);

				json_object_set_new(inputs, key,
						    r->results[d].hash ? json_string(r->results[d].hash) : json_null());
			}
		}
	}
	free(seen);
	free(stack);
}

/* The content hash of each secret and config file, as "secret NAME". */
static int test_files(const struct deploy_service *svc, json_t *inputs, struct cc_error **err)
{
	for (size_t k = 0; k < svc->files.n; k++) {
		cleanup_free char *data = NULL;
		size_t len;
		char hex[65];

		if (read_file_max(svc->files.vals[k], TEST_FILE_MAX, &data, &len, err) < 0)
			return cc_error_wrap(err, "service %s: %s", svc->service, svc->files.keys[k]);
		hash_sha256_hex(data, len, hex);
		json_object_set_new(inputs, svc->files.keys[k], json_string(hex));
	}
	return 0;
}

static int test_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct project *p = r->project;
	const char *service = p->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct test_scratch *sc = xcalloc(1, sizeof(*sc));
	long b = test_build_dep(r, i), idx = p->compose ? compose_service_find(p->compose, service) : -1;
	const char *ref = b >= 0 ? ((const struct image *)p->graph.steps[b].data)->spec.ref : NULL;
	cleanup_free char *text = NULL;
	char hex[65];

	res->scratch = sc;
	if (idx < 0)
		BUG("test:%s names no service", service); /* step-graph.c checked it */
	if (test_project_spec(p, &sc->proj, err) < 0 ||
	    deploy_service_spec(p->compose, sc->proj, (size_t)idx, ref, &sc->svc, err) < 0 ||
	    test_image(r, i, sc, &sc->image_id, err) < 0)
		return -1;
	res->inputs = json_deep_copy(sc->svc->config);
	json_object_set_new(res->inputs, "image_id", sc->image_id ? json_string(sc->image_id) : json_null());
	if (test_files(sc->svc, res->inputs, err) < 0)
		return -1;
	test_deploys(r, i, res->inputs);
	text = json_dumps(res->inputs, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	{
		cleanup_free char *in = xasprintf("ccbuild-test-v1\n%s", text);

		hash_sha256_hex(in, strlen(in), hex);
	}
	res->hash = xstrdup(hex);
	return 0;
}

static char *test_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	struct strlist lines = { 0 };
	char *s;

	why_diff(rec->inputs, NULL, r->results[i].inputs, NULL, 10, &lines);
	s = lines.n ? why_summary(&lines) : xstrdup("inputs changed");
	strlist_release(&lines);
	return s;
}

/* Passed before with these inputs: nothing to look for, unless
 * --no-cache-tests. */
static int test_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err)
{
	struct step_result *res = &r->results[i];

	if (r->no_cache_tests) {
		res->reason = xstrdup("--no-cache-tests");
		return 0;
	}
	res->reason = xstrdup("passed with this image, configuration and dependencies");
	return 1;
}

/* ---- running ---- */

struct test_output {
	struct strbuf buf;
};

static int test_output_line(void *ctx, int stream, const char *line, size_t len)
{
	struct test_output *o = ctx;

	if (o->buf.len + len + 1 > TEST_OUTPUT_MAX) { /* keep the end: drop the oldest half */
		size_t cut = o->buf.len / 2;

		memmove(o->buf.buf, o->buf.buf + cut, o->buf.len - cut + 1);
		o->buf.len -= cut;
	}
	strbuf_add(&o->buf, line, len < TEST_OUTPUT_MAX / 2 ? len : TEST_OUTPUT_MAX / 2);
	strbuf_addch(&o->buf, '\n');
	return 0;
}

/* The last n lines of text without the final newline; caller frees. */
static char *last_lines(const char *text, size_t len, int n)
{
	const char *end = text + len, *p;

	if (len && end[-1] == '\n')
		end--;
	for (p = end; p > text && n > 0;)
		if (*--p == '\n')
			n--;
	if (p > text || (p == text && *p == '\n' && n == 0))
		p++;
	return xstrndup(p, (size_t)(end - p));
}

/* Make it a one-off container: labels, no published ports, no restart. */
static void test_oneoff(struct test_scratch *sc, const char *hash)
{
	json_t *host = json_object_get(sc->svc->create, "HostConfig");

	sc->svc->oneoff = 1;
	deploy_service_labels(sc->svc, hash, sc->image_id);
	if (host) {
		json_object_del(host, "PortBindings");
		json_object_set_new(host, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	}
}

/* The project's networks the service joins and its named volumes:
 * created when missing (the up steps of its dependencies may not have). */
static int test_resources(struct runner *r, const struct test_scratch *sc, struct cc_error **err)
{
	const struct deploy_project *proj = sc->proj;

	for (size_t k = 0; k < proj->nnetworks; k++) {
		int used = 0;

		for (size_t n = 0; n < sc->svc->nnetworks; n++)
			used |= !strcmp(sc->svc->networks[n].name, proj->networks[k].name);
		if (used && proj->networks[k].create &&
		    engine_network_create(r->engine, proj->networks[k].create, err) < 0)
			return -1;
	}
	for (size_t k = 0; k < proj->nvolumes; k++)
		if (proj->volumes[k].create && engine_volume_create(r->engine, proj->volumes[k].create, err) < 0)
			return -1;
	return 0;
}

/* Create it (a leftover of an interrupted run of the same name removed
 * first) and join its other networks; *id caller frees. */
static int test_create(struct runner *r, const struct test_scratch *sc, const char *name, char **id,
		       struct cc_error **err)
{
	if (engine_container_remove(r->engine, name, 1, 1, err) < 0 ||
	    engine_container_create(r->engine, name, sc->svc->create, id, err) < 0)
		return -1;
	for (size_t n = 1; n < sc->svc->nnetworks; n++)
		if (engine_network_connect(r->engine, sc->svc->networks[n].name, *id, sc->svc->networks[n].endpoint,
					   err) < 0)
			return -1;
	return 0;
}

/* Keep the output: STATE/tests/SERVICE.log (a warning when it cannot). */
static void test_keep_output(struct runner *r, const char *service, const struct strbuf *out)
{
	cleanup_free char *dir = path_join(r->state_dir, "tests");
	cleanup_free char *file = xasprintf("%s/%s.log", dir, service);
	struct cc_error *err = NULL;

	if ((mkdir(dir, 0777) < 0 && errno != EEXIST) ||
	    atomicfile_write(file, out->buf ? out->buf : "", out->len, &err) < 0) {
		runner_warn(r, "test %s: output not kept in %s: %s", service, file, err ? err->msg : strerror(errno));
		cc_error_free(err);
	}
}

/* ---- its dependencies' conditions ---- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stop_at_first(void *ctx, const json_t *event)
{
	return 1;
}

/* The ID of service's container in project (number 1 first), or NULL. */
static char *dep_container(struct runner *r, const char *project, const char *service, struct cc_error **err)
{
	struct deploy_found_list l;
	char *id = NULL;

	if (deploy_find_containers(r->engine, project, &l, err) < 0)
		return NULL;
	for (size_t k = 0; k < l.n && !id; k++)
		if (!l.v[k].oneoff && !strcmp(l.v[k].service, service))
			id = xstrdup(l.v[k].id);
	deploy_found_release(&l);
	if (!id)
		cc_error_set(err, "service %s has no container (it is up only when up:%s is in the run)", service,
			     service);
	return id;
}

/* What a health check said last (borrowed from state). */
static const char *last_health_output(const json_t *state)
{
	const json_t *log = json_object_get(json_object_get(state, "Health"), "Log");

	return json_string_value(json_object_get(json_array_get(log, json_array_size(log) - 1), "Output")) ?: "";
}

/* 1 healthy, 0 not yet (and still running), -1 never (err says why). */
static int dep_health_now(struct runner *r, const char *service, const char *id, struct cc_error **err)
{
	json_t *c = NULL, *state;
	const char *h;
	int rc;

	if ((rc = engine_container_inspect(r->engine, id, &c, err)) <= 0)
		return rc < 0 ? -1 : cc_error_set(err, "service %s: its container is gone", service);
	state = json_object_get(c, "State");
	h = json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
	if (!json_is_true(json_object_get(state, "Running")))
		rc = cc_error_set(err, "service %s is not running (%s, exit code %lld)", service,
				  json_string_value(json_object_get(state, "Status")) ?: "?",
				  (long long)json_integer_value(json_object_get(state, "ExitCode")));
	else if (!h)
		rc = cc_error_set(err, "service %s has no healthcheck, and the test depends on it service_healthy",
				  service);
	else if (!strcmp(h, "unhealthy"))
		rc = cc_error_set(err, "service %s is unhealthy: %s", service, last_health_output(state));
	else
		rc = !strcmp(h, "healthy");
	json_decref(c);
	return rc;
}

/* A service_started dependency is running. */
static int dep_started(struct runner *r, const char *service, const char *id, struct cc_error **err)
{
	json_t *c = NULL;
	int rc = engine_container_inspect(r->engine, id, &c, err), running;

	if (rc <= 0)
		return rc < 0 ? -1 : cc_error_set(err, "service %s: its container is gone", service);
	running = json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	return running ? 0 : cc_error_set(err, "service %s is not running", service);
}

/* Wait, through the events stream, until the container is healthy. */
static int dep_healthy(struct runner *r, const char *service, const char *id, struct cc_error **err)
{
	long deadline = now_ms() + TEST_DEP_TIMEOUT_MS;
	json_t *filters = json_pack("{s:[s], s:[s], s:[s, s]}", "type", "container", "container", id, "event",
				    "health_status", "die");
	int rc;

	for (;;) {
		cleanup_free char *since = engine_now(r->engine, NULL);

		if ((rc = dep_health_now(r, service, id, err)) != 0)
			break;
		rc = engine_events(r->engine, filters, since, deadline - now_ms(), stop_at_first, NULL, r->cancel, err);
		if (rc == ENGINE_TIMEOUT || now_ms() >= deadline) {
			cc_error_free(err ? *err : NULL);
			if (err)
				*err = NULL;
			rc = cc_error_set(err, "service %s not healthy after %ld s", service,
					  TEST_DEP_TIMEOUT_MS / 1000);
			break;
		}
		if (rc < 0)
			break;
	}
	json_decref(filters);
	return rc < 0 ? -1 : 0;
}

/* A service_completed_successfully dependency: it has ended with 0. */
static int dep_completed(struct runner *r, const char *service, const char *id, struct cc_error **err)
{
	long status = -1;
	int rc = engine_container_wait_ms(r->engine, id, "not-running", TEST_DEP_TIMEOUT_MS, r->cancel, &status, err);

	if (rc < 0)
		return -1;
	if (status != 0)
		return cc_error_set(err, "service %s exited %ld (the test needs it to complete successfully)", service,
				    status);
	return 0;
}

/* Each depends_on meets its condition (up:X started it). */
static int test_wait_deps(struct runner *r, const struct test_scratch *sc, struct cc_error **err)
{
	for (size_t k = 0; k < sc->svc->ndeps; k++) {
		const struct deploy_dep *d = &sc->svc->deps[k];
		cleanup_free char *id = dep_container(r, sc->proj->name, d->service, err);
		int rc;

		if (!id) {
			if (d->required)
				return -1;
			cc_error_free(err ? *err : NULL);
			if (err)
				*err = NULL;
			continue;
		}
		rc = d->condition == DEPLOY_HEALTHY	? dep_healthy(r, d->service, id, err)
		     : d->condition == DEPLOY_COMPLETED ? dep_completed(r, d->service, id, err)
							: dep_started(r, d->service, id, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- the run ---- */

/* Start it, wait for its end, collect its output; *status its exit code.
 * Interrupted: stopped at once. */
static int test_execute(struct runner *r, const char *id, struct test_output *out, long *status, struct cc_error **err)
{
	int rc;

	if (engine_container_start(r->engine, id, err) < 0)
		return -1;
	rc = engine_container_wait(r->engine, id, "not-running", r->cancel, status, err);
	if (rc == ENGINE_CANCELLED || rc < 0) {
		engine_container_stop(r->engine, id, 0, NULL, NULL);
		return -1;
	}
	return engine_container_logs(r->engine, id, -1, 0, 0, test_output_line, out, r->cancel, err) < 0 ? -1 : 0;
}

static int test_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	struct step_result *res = &r->results[i];
	struct test_scratch *sc = res->scratch;
	struct test_output out = { STRBUF_INIT };
	cleanup_free char *name = xasprintf("%s-%s-run-%.12s", sc->proj->name, (const char *)s->data, res->hash);
	cleanup_free char *id = NULL;
	long status = -1;
	int rc;

	test_oneoff(sc, res->hash);
	ui_step_progress(r->ui, s->id, "waiting for its dependencies");
	rc = test_wait_deps(r, sc, err);
	if (rc == 0)
		rc = test_resources(r, sc, err);
	if (rc == 0 && (rc = test_create(r, sc, name, &id, err)) == 0) {
		ui_step_progress(r->ui, s->id, "running");
		rc = test_execute(r, id, &out, &status, err);
	}
	if (id && engine_container_remove(r->engine, id, 1, 1, rc < 0 ? NULL : err) < 0)
		rc = -1;
	if (rc < 0) {
		strbuf_release(&out.buf);
		return cc_error_wrap(err, "test %s", (const char *)s->data);
	}
	test_keep_output(r, s->data, &out.buf);
	res->report = json_pack("{s:s, s:s, s:I, s:o}", "service", (const char *)s->data, "container", name,
				"exit_code", (json_int_t)status, "output", text_json(out.buf.buf ? out.buf.buf : ""));
	if (status != 0) {
		cleanup_free char *tail = last_lines(out.buf.buf ? out.buf.buf : "", out.buf.len, TEST_ERROR_LINES);

		rc = cc_error_set(err, "test %s exited %ld%s%s", (const char *)s->data, status,
				  *tail ? "; its last lines:\n" : " (no output)", tail);
	} else
		res->output = xstrdup("exit 0");
	strbuf_release(&out.buf);
	return rc;
}

/* One testsuite "tests" with a testcase per test step. */
static json_t *test_report_tests(const struct step *s, const struct step_result *res)
{
	const char *output = json_string_value(json_object_get(res->report, "output"));
	json_t *c = json_pack("{s:s, s:I}", "name", (const char *)s->data, "time_ms", (json_int_t)res->ms);

	if (res->status == STEP_FAILED)
		json_object_set_new(c, "failure", json_string(res->error ? res->error : "failed"));
	else if (res->status == STEP_CANCELLED || res->status == STEP_PENDING)
		json_object_set_new(c, "skipped", json_string(step_status_name(res->status)));
	if (output)
		json_object_set_new(c, "output", json_string(output));
	else if (res->status == STEP_UP_TO_DATE)
		json_object_set_new(c, "output", json_sprintf("up to date: %s", res->reason ? res->reason : ""));
	return json_pack("{s:s, s:[o]}", "suite", "tests", "cases", c);
}

const struct step_kind step_kind_test = {
	.name = "test",
	.needs_outputs = 1,
	.describe = test_describe,
	.hash_inputs = test_hash_inputs,
	.no_record = "not passed before",
	.changed = test_changed,
	.output_exists = test_output_exists,
	.run = test_run,
	.report_tests = test_report_tests,
	.release = test_release,
};
