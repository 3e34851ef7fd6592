/* step-up: the up:SERVICE step kind (step.h) — one service of the
 * profile's compose model running on the engine as deploy-spec.h says,
 * with what it waits for.
 *
 * Input hash (the deploy hash): SHA-256 over the service's resolved
 * configuration (deploy_service.config, "field.path" -> value), the
 * identity of its image (build:SERVICE's output, else the engine's image
 * ID of its image:), the container IDs of the services whose namespaces it
 * shares, and the content of its secret and config files.  The hash is
 * kept in the container's DEPLOY_LABEL_HASH label and in the step's state;
 * its inputs are saved so that `why` names the field that changed.
 *
 * Up to date: the project's container list (one call per run, shared by
 * every up step: deploy-plan.h) holds exactly one container of the service,
 * under its name, running with that hash and not unhealthy or starting (a
 * job a dependant waits to complete: exited 0).  Otherwise run converges:
 * create the container when none carries the hash (as <oldid12>_NAME while
 * an old one holds the name), stop and remove the others, rename, start,
 * and wait through the events stream until it is healthy (when it has a
 * healthcheck) or has exited 0 (when a dependant waits for
 * service_completed_successfully).  With deploy.update_config.order:
 * start-first and no fixed host port the new container starts and is
 * healthy before the old one stops.  Every intermediate state is one the
 * next run converges from.  docs/technical/deploy.md, "The up step". */
#include "deploy-plan.h"
#include "deploy-wait.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "facts.h"
#include "hash.h"
#include "project.h"
#include "runner.h"
#include "state.h"
#include "step-image.h"
#include "step.h"
#include "ui.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define UP_HASH_PREFIX "ccbuild-up-v1\n"

static struct deploy_unit *unit_of(const struct runner *r, size_t i)
{
	return r->project->graph.steps[i].data;
}

static void up_describe(const struct step *s, struct strbuf *out)
{
	const struct deploy_unit *u = s->data;

	strbuf_addf(out, "up %s  %s%s", u->spec->service, u->spec->container_name, u->built ? "  (built image)" : "");
	strbuf_addf(out, "  image=%s", u->spec->image);
}

/* What the container runs, as an identity: build:SERVICE's output, or the
 * engine's ID of image: (*id NULL when the engine has no such image yet,
 * or there is no engine: a plan without one). */
static int image_identity(struct runner *r, size_t i, char **id, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	json_t *info = NULL;
	int rc;

	*id = NULL;
	if (u->built) {
		const struct step_result *b = &r->results[runner_dep(r, i, &step_kind_build)];

		if (b->output && strchr(b->output, '='))
			return cc_error_set(err,
					    "service %s: its image is built for several platforms; a deploy runs"
					    " one (give the profile's image one platform)",
					    u->spec->service);
		*id = b->output ? xstrdup(b->output) : NULL;
		return 0;
	}
	if (!r->engine)
		return 0;
	rc = engine_image_inspect(r->engine, u->spec->image, &info, err);
	if (rc == 1)
		*id = xstrdup(json_string_value(json_object_get(info, "Id")) ?: "");
	json_decref(info);
	return rc < 0 ? -1 : 0;
}

/* The secret and config files, by content, into res->files.  A plan
 * goes on without a missing one (hashed as missing: the run will say). */
static int hash_files(const struct deploy_unit *u, struct step_result *res, int dry, struct cc_error **err)
{
	const struct kvlist *f = &u->spec->files;
	size_t k, cap = 0;

	for (k = 0; k < f->n; k++) {
		cleanup_free char *data = NULL;
		struct cc_error *ferr = NULL;
		struct hash_file hf;
		size_t len = 0;

		if (read_file(f->vals[k], &data, &len, &ferr) < 0) {
			if (!dry) {
				cc_error_set(err, "service %s: %s: %s", u->spec->service, f->keys[k], ferr->msg);
				cc_error_free(ferr);
				return -1;
			}
			cc_error_free(ferr);
			free(data);
			data = xstrdup("(missing)");
			len = strlen(data);
		}
		hash_sha256(data, len, hf.digest);
		hf.path = arena_strndup(&res->files.arena, f->keys[k], strlen(f->keys[k]));
		VEC_PUSH(res->files.v, res->files.n, cap, hf);
	}
	return 0;
}

/* res->hash from res->inputs and res->files. */
static void set_hash(struct step_result *res)
{
	char *text = json_dumps(res->inputs, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	struct strbuf sb = STRBUF_INIT;
	char hex[65];
	size_t k;

	strbuf_addf(&sb, UP_HASH_PREFIX "%s", text);
	for (k = 0; k < res->files.n; k++) {
		hash_hex(res->files.v[k].digest, hex);
		strbuf_addf(&sb, "\n%s %s", hex, res->files.v[k].path);
	}
	hash_sha256_hex(sb.buf, sb.len, hex);
	strbuf_release(&sb);
	free(text);
	free(res->hash);
	res->hash = xstrdup(hex);
}

static int up_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	struct step_result *res = &r->results[i];
	char *id = NULL;
	size_t k;

	if (image_identity(r, i, &id, err) < 0)
		return -1;
	res->inputs = u->spec->config ? json_deep_copy(u->spec->config) : json_object();
	json_object_set_new(res->inputs, "image ID", id ? json_string(id) : json_null());
	free(id);
	for (k = 0; k < u->spec->shares.n; k++) {
		cleanup_free char *sid = xasprintf("up:%s", u->spec->shares.v[k]);
		cleanup_free char *key = xasprintf("shares %s", u->spec->shares.v[k]);
		long d = graph_find(&r->project->graph, sid);
		const char *out = d >= 0 ? r->results[d].output : NULL;

		json_object_set_new(res->inputs, key, out ? json_string(out) : json_null());
	}
	if (hash_files(u, res, dry, err) < 0)
		return -1;
	set_hash(res);
	return 0;
}

/* One change between two recorded inputs, the way a person says it. */
static void say_change(const struct deploy_unit *u, const char *key, const json_t *was, const json_t *now,
		       struct strbuf *sb)
{
	char *a = was ? json_dumps(was, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("(unset)");
	char *b = now ? json_dumps(now, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("(unset)");

	if (sb->len)
		strbuf_addstr(sb, ", ");
	if (!strcmp(key, "image ID"))
		strbuf_addstr(sb, u->built ? "image rebuilt" : "image changed");
	else if (!strncmp(key, "shares ", 7))
		strbuf_addf(sb, "%s recreated (shares its namespaces)", key + 7);
	else
		strbuf_addf(sb, "%s: %s -> %s", key, a, b);
	free(a);
	free(b);
}

struct file_changes {
	struct strbuf *sb;
	size_t n;
};

static void say_file(enum hash_change c, const char *path, void *data)
{
	struct file_changes *fc = data;
	static const char *const what[] = { "added", "removed", "changed" };

	if (fc->n++ >= 3)
		return;
	strbuf_addf(fc->sb, "%s%s %s", fc->sb->len ? ", " : "", path, what[c]);
}

static char *up_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	const struct deploy_unit *u = unit_of(r, i);
	const struct step_result *res = &r->results[i];
	struct strbuf sb = STRBUF_INIT;
	struct hash_manifest old = { 0 };
	struct file_changes fc = { &sb, 0 };
	cleanup_free char *warning = NULL;
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(res->inputs, k, v) if (n < 3 && !json_equal(v, json_object_get(rec->inputs, k)))
	{
		say_change(u, k, json_object_get(rec->inputs, k), v, &sb);
		n++;
	}
	json_object_foreach(rec->inputs, k, v) if (n < 3 && !json_object_get(res->inputs, k))
	{
		say_change(u, k, v, NULL, &sb);
		n++;
	}
	if (state_load_files(r->state_dir, rec, &old, &warning) == 1 || !rec->files)
		hash_manifest_diff(&old, &res->files, say_file, &fc);
	hash_manifest_release(&old);
	if (!sb.len)
		strbuf_addstr(&sb, "deploy inputs changed");
	return strbuf_detach(&sb);
}

/* The service's containers in the shared list: the one carrying the
 * step's hash (a running one first), and the others (borrowed). */
struct found {
	const json_t *match;
	const json_t **others;
	size_t nothers, cap;
};

static int is_running(const json_t *c)
{
	const char *state = json_string_value(json_object_get(c, "State"));

	return state && !strcmp(state, "running");
}

static const char *container_id(const json_t *c)
{
	return json_string_value(json_object_get(c, "Id")) ?: "";
}

/* 1 when container c belongs to container number n of u's service:
 * its container-number label says n, or (n = 1) it is out of range. */
static int of_number(const struct deploy_unit *u, const json_t *c, int n)
{
	const char *svc = deploy_summary_label(c, DEPLOY_LABEL_PREFIX "service");
	const char *num = deploy_summary_label(c, DEPLOY_LABEL_PREFIX "container-number");
	long k = num ? strtol(num, NULL, 10) : 1;

	if (!svc || strcmp(svc, u->spec->service))
		return 0;
	return k == n || (n == 1 && (k < 1 || k > u->spec->replicas));
}

static int find_containers(struct runner *r, size_t i, int n, struct found *f, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	const char *hash = r->results[i].hash;
	const json_t *list, *c;
	size_t k;

	memset(f, 0, sizeof(*f));
	if (deploy_plan_containers(u->plan, r->engine, &list, err) < 0)
		return -1;
	json_array_foreach((json_t *)list, k, c)
	{
		const char *h = deploy_summary_label(c, DEPLOY_LABEL_HASH);

		if (of_number(u, c, n) && h && !strcmp(h, hash) && (!f->match || !is_running(f->match)))
			f->match = c;
	}
	json_array_foreach((json_t *)list, k, c) if (of_number(u, c, n) && c != f->match)
		VEC_PUSH(f->others, f->nothers, f->cap, c);
	return 0;
}

/* The health a summary's Status shows ("Up 3 seconds (healthy)"), or NULL. */
static const char *summary_health(const json_t *c)
{
	const char *st = json_string_value(json_object_get(c, "Status")) ?: "";

	if (strstr(st, "(unhealthy)"))
		return "unhealthy";
	if (strstr(st, "(healthy)"))
		return "healthy";
	if (strstr(st, "(health: starting)"))
		return "starting";
	return NULL;
}

/* A stopped container's exit code from its Status ("Exited (0) 2 minutes ago"), or -1. */
static long summary_exit_code(const json_t *c)
{
	const char *st = json_string_value(json_object_get(c, "Status")) ?: "";

	return !strncmp(st, "Exited (", 8) ? strtol(st + 8, NULL, 10) : -1;
}

/* 1 when f's match is the service deployed as it should be; else 0 with
 * the reason to converge. */
static int judge(const struct deploy_unit *u, const struct deploy_service *s, const struct found *f, char **reason)
{
	const char *name = f->match ? deploy_summary_name(f->match) : NULL, *health;

	if (!f->match)
		*reason = xstrdup(f->nothers ? "its container runs another deploy" : "no container");
	else if (f->nothers)
		*reason = xasprintf("%zu other container%s of the service left over", f->nothers,
				    f->nothers > 1 ? "s" : "");
	else if (strcmp(name, s->container_name))
		*reason = xasprintf("container %s not yet renamed %s", name, s->container_name);
	else if (is_running(f->match) && (health = summary_health(f->match)) && strcmp(health, "healthy"))
		*reason = xasprintf("container %s is %s", name, !strcmp(health, "starting") ? "starting" : health);
	else if (is_running(f->match)) {
		*reason = xasprintf("%s running, deploy hash matches", name);
		return 1;
	} else if (u->wait_completed && summary_exit_code(f->match) == 0) {
		*reason = xasprintf("%s completed, deploy hash matches", name);
		return 1;
	} else
		*reason = xasprintf("container %s is %s: starting it", name,
				    json_string_value(json_object_get(f->match, "State")) ?: "stopped");
	return 0;
}

static int up_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	struct step_result *res = &r->results[i];
	struct strbuf ids = STRBUF_INIT;
	int n, rc = 1;

	(void)rec;
	(void)dry;
	if (!r->engine) {
		res->reason = xstrdup("deployed before (no engine: containers not checked)");
		return 1;
	}
	for (n = 1; rc == 1 && n <= u->spec->replicas; n++) {
		struct found f;

		if (find_containers(r, i, n, &f, err) < 0) {
			rc = -1;
			break;
		}
		free(res->reason);
		res->reason = NULL;
		rc = judge(u, u->replicas[n - 1], &f, &res->reason);
		if (rc == 1)
			strbuf_addf(&ids, "%s%s", n > 1 ? "," : "", container_id(f.match));
		free(f.others);
	}
	if (rc == 1 && u->spec->replicas > 1) {
		free(res->reason);
		res->reason = xasprintf("%d containers running, deploy hash matches", u->spec->replicas);
	}
	if (rc == 1) {
		free(res->output);
		res->output = strbuf_detach(&ids);
	}
	strbuf_release(&ids);
	return rc;
}

/* The image is local: pulled when the engine does not have it (then the
 * hash takes its ID), made local when the registry cache built it. */
static int image_ready(struct runner *r, size_t i, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	struct step_result *res = &r->results[i];
	const char *ref = u->spec->image, *at = strchr(ref, '@'), *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	cleanup_free char *name = NULL, *note = NULL, *id = NULL;

	if (u->built)
		return build_make_local(r, runner_dep(r, i, &step_kind_build), i, NULL, err);
	if (!json_is_null(json_object_get(res->inputs, "image ID")))
		return 0;
	if (at)
		name = xstrndup(ref, (size_t)(at - ref));
	else if (colon && (!slash || colon > slash))
		name = xstrndup(ref, (size_t)(colon - ref));
	else
		name = xstrdup(ref);
	note = xasprintf("pulling %s", ref);
	ui_step_progress(r->ui, r->project->graph.steps[i].id, note);
	if (engine_image_pull(r->engine, name,
			      at				   ? at + 1
			      : colon && (!slash || colon > slash) ? colon + 1
								   : "latest",
			      NULL, r->registry_auth, r->cancel, err) < 0)
		return cc_error_wrap(err, "service %s: pulling %s", u->spec->service, ref);
	if (image_identity(r, i, &id, err) < 0)
		return -1;
	json_object_set_new(res->inputs, "image ID", id ? json_string(id) : json_null());
	set_hash(res);
	return 0;
}

/* Create the service's new container (named tmp while old ones hold the
 * name), on all its networks; *id caller frees. */
static int create_container(struct runner *r, size_t i, struct deploy_service *s, const struct found *f, char **id,
			    struct cc_error **err)
{
	struct deploy_unit *u = unit_of(r, i);
	struct step_result *res = &r->results[i];
	const char *image_id = json_string_value(json_object_get(res->inputs, "image ID"));
	cleanup_free char *name = NULL;
	size_t k;

	if (deploy_plan_ensure_resources(u->plan, r->engine, err) < 0)
		return -1;
	deploy_service_labels(s, res->hash, image_id && !strncmp(image_id, "sha256:", 7) ? image_id : NULL);
	name = f->nothers ? xasprintf("%.12s_%s", container_id(f->others[0]), s->container_name)
			  : xstrdup(s->container_name);
	if (engine_container_create(r->engine, name, s->create, id, err) < 0)
		return cc_error_wrap(err, "creating container %s", name);
	for (k = 1; k < s->nnetworks; k++)
		if (engine_network_connect(r->engine, s->networks[k].name, *id, s->networks[k].endpoint, err) < 0)
			return cc_error_wrap(err, "connecting %s to network %s", name, s->networks[k].name);
	return 0;
}

/* Stop and remove the service's other containers, then give id its name. */
static int retire_others(struct runner *r, const struct deploy_service *s, const struct found *f, const char *id,
			 const char *name, struct cc_error **err)
{
	size_t k;

	for (k = 0; k < f->nothers; k++) {
		const char *old = container_id(f->others[k]);

		if (engine_container_stop(r->engine, old, s->stop_timeout, s->stop_signal, err) < 0 ||
		    engine_container_remove(r->engine, old, 1, 0, err) < 0)
			return cc_error_wrap(err, "removing old container %s", deploy_summary_name(f->others[k]));
	}
	if (strcmp(name, s->container_name) && engine_container_rename(r->engine, id, s->container_name, err) < 0)
		return cc_error_wrap(err, "renaming %s to %s", name, s->container_name);
	return 0;
}

struct waiting_ctx {
	struct runner *r;
	size_t i;
};

static void report_waiting(void *ctx, const char *doing)
{
	const struct waiting_ctx *c = ctx;

	ui_step_progress(c->r->ui, c->r->project->graph.steps[c->i].id, doing);
}

/* Start container id (unless running) and wait until it is healthy or
 * completed as the step needs (deploy-wait.h). */
static int start_and_wait(struct runner *r, size_t i, const struct deploy_service *s, const char *id, int running,
			  struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	cleanup_free char *what = xasprintf("service %s", u->spec->service);
	struct waiting_ctx c = { r, i };
	struct deploy_wait w = { .what = what,
				 .timeout_ms = u->plan->wait_timeout_ms,
				 .completed = u->wait_completed,
				 .need_health = u->wait_healthy,
				 .timeout_hint = " (--wait-timeout)",
				 .waiting = report_waiting,
				 .ctx = &c,
				 .container = s->container_name };

	int64_t t0 = subspan_now();
	int rc = deploy_start_and_wait(r->engine, id, running, &w, r->cancel, err);

	subspan_add(&r->results[i].spans, "deploy.health_wait", t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:b, s:b, s:b}", "ccbuild.wait.healthy", u->wait_healthy, "ccbuild.wait.completed",
			      u->wait_completed, "ccbuild.wait.started", !running));
	return rc;
}

/* 1 when the service's container publishes a fixed host port (then two
 * of them cannot run at once). */
static int fixed_host_port(const struct deploy_service *s)
{
	const json_t *bindings = json_object_get(json_object_get(s->create, "HostConfig"), "PortBindings"), *list, *b;
	const char *key;
	size_t k;

	json_object_foreach((json_t *)bindings, key, list) json_array_foreach(list, k, b)
	{
		const char *port = json_string_value(json_object_get(b, "HostPort"));

		if (port && *port && strcmp(port, "0"))
			return 1;
	}
	return 0;
}

static const struct fact_def fact_created = { "ccbuild_up_containers_created_total", "counter",
					      "Containers created, by whether one of the service was replaced.",
					      "change" };
static const struct fact_def fact_wait = { "ccbuild_up_health_wait_seconds_total", "counter",
					   "Seconds from starting containers until healthy (or completed).", NULL };

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Converge container number n of step i's service; *id its ID (caller
 * frees); its figures (facts.h) into *report. */
static int converge(struct runner *r, size_t i, int n, char **id, json_t **report, struct cc_error **err)
{
	struct deploy_service *s = unit_of(r, i)->replicas[n - 1];
	struct found f = { 0 };
	const char *name;
	int rc = find_containers(r, i, n, &f, err), running, start_first;
	double t0;

	if (rc == 0 && f.match)
		*id = xstrdup(container_id(f.match));
	else if (rc == 0 && cancel_pending(r->cancel))
		rc = cc_error_set(err, "interrupted");
	else if (rc == 0 && (rc = create_container(r, i, s, &f, id, err)) == 0)
		facts_add(report, &fact_created, f.nothers ? "recreated" : "new", 1);
	if (rc < 0) {
		free(f.others);
		return -1;
	}
	name = f.match ? deploy_summary_name(f.match) : f.nothers ? "" : s->container_name;
	running = f.match && is_running(f.match);
	start_first = s->start_first && f.nothers && !fixed_host_port(s);
	t0 = monotonic_seconds();
	if (start_first)
		rc = start_and_wait(r, i, s, *id, running, err) ?: retire_others(r, s, &f, *id, name, err);
	else
		rc = retire_others(r, s, &f, *id, name, err) ?: start_and_wait(r, i, s, *id, running, err);
	facts_add(report, &fact_wait, NULL, monotonic_seconds() - t0);
	free(f.others);
	return rc < 0 ? -1 : 0;
}

static int up_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct deploy_unit *u = unit_of(r, i);
	struct step_result *res = &r->results[i];
	struct strbuf ids = STRBUF_INIT;
	json_t *list = json_array(), *facts = NULL;
	int n, rc = image_ready(r, i, err);

	for (n = 1; rc == 0 && n <= u->spec->replicas; n++) {
		char *id = NULL;

		rc = converge(r, i, n, &id, &facts, err);
		if (id) {
			strbuf_addf(&ids, "%s%s", n > 1 ? "," : "", id);
			json_array_append_new(list, json_pack("{s:s, s:s}", "container",
							      u->replicas[n - 1]->container_name, "id", id));
		}
		free(id);
	}
	free(res->output);
	res->output = ids.buf ? strbuf_detach(&ids) : NULL;
	res->report = facts ? facts : json_object();
	json_object_set_new(res->report, "containers", list);
	return rc < 0 ? -1 : 0;
}

const struct step_kind step_kind_up = {
	.name = "up",
	.needs_outputs = 1,
	.describe = up_describe,
	.hash_inputs = up_hash_inputs,
	.no_record = "not deployed before",
	.changed = up_changed,
	.output_exists = up_output_exists,
	.run = up_run,
};
