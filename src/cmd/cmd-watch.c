/* cmd-watch: `ccbuild watch PROFILE [--debounce MS]` — run the profile
 * once (content-checked, so what changed while no watch ran is found),
 * then watch every build context, every sync source and every
 * develop.watch path of the profile (watch.h) and act on each debounced
 * batch of changes: develop.watch `sync` entries copy the changed files
 * into the service's running containers (watch-sync.h), `sync+restart`
 * restarts them after, and anything else (a `rebuild` entry, a sync
 * source, any other context file) runs the profile again, where only the
 * steps whose inputs changed run.  A change the context's .dockerignore,
 * a sync's exclude or an entry's ignore covers does nothing.  A change to
 * a file the configuration was loaded from (the manifest, compose files,
 * includes, env files) reloads it: on success the new rules and trees
 * replace the old and the profile runs; a failure shows its positioned
 * error once and keeps the old.  Each round is a {"event":"watch"} line
 * with --json and, where traces go, a trace "ccbuild watch PROFILE" with
 * a span per action (watch.sync, watch.restart, watch.rebuild,
 * watch.reload) over its engine calls.  Ctrl-C ends it (130). */
#include "cli.h"
#include "compose.h"
#include "deploy-find.h"
#include "deploy-plan.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "fsmonitor.h"
#include "ignore.h"
#include "manifest.h"
#include "obs.h"
#include "project.h"
#include "state.h"
#include "step-graph.h"
#include "subspan.h"
#include "ui.h"
#include "util.h"
#include "warnings.h"
#include "watch-rules.h"
#include "watch-serve.h"
#include "watch-sync.h"
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct session {
	struct cli *cli;
	struct engine *e;	  /* borrowed */
	const char *state_dir;	  /* borrowed */
	struct ui *ui;		  /* owned */
	struct watch *w;	  /* owned */
	struct watch_server *srv; /* owned: the fsmonitor service on STATE/watch.sock */
	struct watch_rules rules;
	struct ignore **igs; /* the trees' rules, owned */
	size_t nigs, cigs;
	char *project;			/* compose project name, owned */
	struct deploy_found_list found; /* its containers (service_containers) */
	int found_valid;
	/* Build contexts by image key: directory, rules (borrowed from igs). */
	struct strlist ctx_keys, ctx_dirs;
	const struct ignore **ctx_igs;
	size_t nctx, cctx;
	long round;
	int debounce;
	struct strlist config; /* the files the load read (trees_config) */
	struct obs_config obs; /* where a round's trace goes (cli_obs_config) */
	char *obs_paths[4];    /* owned: the strings obs points to */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* path made absolute against the cwd, without symlinks when it exists
 * (one spelling for every tree: inotify gives a directory one watch, and
 * the fsmonitor clients ask by real path); caller frees. */
static char *absolute(const char *path)
{
	char cwd[4096], *real = realpath(path, NULL);

	if (real)
		return real;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return path_clean(path);
	cleanup_free char *joined = path_join(cwd, path);
	return path_clean(joined);
}

/* Watch root with ig (taken; NULL: none), its patterns relative to base
 * (NULL: root). */
static int session_tree(struct session *s, const char *root, struct ignore *ig, const char *base, struct cc_error **err)
{
	if (ig)
		VEC_PUSH(s->igs, s->nigs, s->cigs, ig);
	return watch_add_tree(s->w, root, ig, base, err);
}

/* Every image's build context, with the rules its build uses. */
static int trees_contexts(struct session *s, struct cc_error **err)
{
	const struct project *p = s->cli->project;

	for (size_t i = 0; i < p->nimages; i++) {
		const struct image_spec *spec = &p->images[i].spec;
		cleanup_free char *ctx = spec->context ? absolute(spec->context) : NULL;
		cleanup_free char *df = spec->dockerfile ? absolute(spec->dockerfile) : NULL;
		cleanup_free char *used = NULL;
		const char *rel = df && ctx ? watch_path_below(ctx, df) : NULL;
		struct ignore *ig;
		struct stat st;

		if (!ctx || stat(ctx, &st) < 0 || !S_ISDIR(st.st_mode))
			continue; /* remote contexts: nothing to watch */
		if (!(ig = ignore_load(ctx, rel && *rel ? rel : df, &used, err)))
			return cc_error_wrap(err, "image %s", spec->key);
		strlist_push(&s->ctx_keys, spec->key);
		strlist_push(&s->ctx_dirs, ctx);
		VEC_PUSH(s->ctx_igs, s->nctx, s->cctx, ig);
		if (session_tree(s, ctx, ig, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* Every sync source of the profile (direction in: the host side). */
static int trees_syncs(struct session *s, struct cc_error **err)
{
	const struct manifest *m = s->cli->manifest;
	const struct strlist *names = &s->cli->project->profile->syncs;

	for (size_t i = 0; i < names->n; i++) {
		const struct sync_spec *spec = sync_spec_find(m->syncs, m->nsyncs, names->v[i]);
		cleanup_free char *rel = NULL, *from = NULL;
		struct ignore *ig;

		if (!spec || spec->direction != SYNC_IN)
			continue;
		rel = sync_spec_path(spec->from, m->dir);
		from = absolute(rel);
		ig = ignore_new();
		for (size_t k = 0; k < spec->exclude.n; k++)
			if (ignore_add(ig, spec->exclude.v[k], "exclude", (int)k + 1, err) < 0) {
				ignore_free(ig);
				return cc_error_wrap(err, "sync %s", spec->name);
			}
		if (session_tree(s, from, ig, NULL, err) < 0)
			return cc_error_wrap(err, "sync %s", spec->name);
	}
	return 0;
}

/* The index of service svc's build context, or -1. */
static long service_context(const struct session *s, const char *svc)
{
	for (size_t i = 0; i < s->nctx; i++)
		if (!strcmp(s->ctx_keys.v[i], svc))
			return (long)i;
	return -1;
}

/* Does rule k's service's .dockerignore exclude path (compose applies it
 * to the service's develop.watch entries)? */
static int rule_context_excludes(const struct session *s, size_t k, const char *path)
{
	long c = service_context(s, s->rules.v[k].service);
	const char *rel = c >= 0 ? watch_path_below(s->ctx_dirs.v[c], path) : NULL;

	return rel && *rel && ignore_match(s->ctx_igs[c], rel);
}

/* Every develop.watch path (a missing one is a warning, as in compose),
 * with its service's .dockerignore. */
static int trees_rules(struct session *s, struct cc_error **err)
{
	if (watch_rules_load(s->cli->project->compose, &s->rules, err) < 0)
		return -1;
	for (size_t i = 0; i < s->rules.n; i++) {
		struct stat st;
		char *real = realpath(s->rules.v[i].path, NULL);

		if (real) {
			free(s->rules.v[i].path);
			s->rules.v[i].path = real;
		}

		if (stat(s->rules.v[i].path, &st) < 0) {
			cc_warn(s->cli->warnings, "service %s: develop.watch path %s: %s", s->rules.v[i].service,
				s->rules.v[i].path, strerror(errno));
			continue;
		}
		long c = service_context(s, s->rules.v[i].service);

		if (watch_add_tree(s->w, s->rules.v[i].path, c >= 0 ? s->ctx_igs[c] : NULL,
				   c >= 0 ? s->ctx_dirs.v[c] : NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* path spelt as the watcher reports it: real, or (when it does not exist)
 * its directory's real path and its name; caller frees. */
static char *config_spelling(const char *path)
{
	cleanup_free char *abs = absolute(path), *dir = path_dirname(abs);
	char *real = realpath(dir, NULL);
	char *out = real && strcmp(real, abs) ? path_join(real, abs + strlen(dir) + (strcmp(dir, "/") ? 1 : 0)) : NULL;

	free(real);
	return out ? out : xstrdup(abs);
}

/* Every file loading the profile read or looked for: the manifest, the
 * compose files with those include: and extends: loaded, the env files
 * (compose_files_read).  A change to any is a reload (session_reload);
 * one in a directory that does not exist is not watched (a warning). */
static void trees_config(struct session *s)
{
	struct strlist read = { 0 };

	strlist_push(&read, s->cli->manifest->path);
	if (s->cli->project->compose)
		compose_files_read(s->cli->project->compose, &read);
	for (size_t i = 0; i < read.n; i++) {
		cleanup_free char *path = config_spelling(read.v[i]);
		struct cc_error *err = NULL;

		if (strlist_has(&s->config, path))
			continue;
		strlist_push(&s->config, path);
		if (watch_add_file(s->w, path, &err) < 0) {
			cc_warn(s->cli->warnings, "%s: a change to %s is not noticed", err->msg, path);
			cc_error_free(err);
		}
	}
	strlist_release(&read);
}

/* The watcher and its trees for the loaded profile (no service yet). */
static int session_build(struct session *s, struct cc_error **err)
{
	if (!(s->w = watch_new(s->debounce, err)))
		return -1;
	s->project = cli_compose_project(s->cli);
	cli_obs_config(s->cli, s->state_dir, &s->obs, s->obs_paths);
	if (trees_contexts(s, err) < 0 || trees_syncs(s, err) < 0 || trees_rules(s, err) < 0)
		return -1;
	trees_config(s);
	return 0;
}

/* The fsmonitor service on STATE/watch.sock, answering from s->w. */
static int session_serve(struct session *s, struct cc_error **err)
{
	cleanup_free char *sock = path_join(s->state_dir, FSMONITOR_SOCKET);

	/* after every watch is in place: a token from it covers the trees */
	return (s->srv = watch_serve_start(s->w, sock, err)) ? 0 : -1;
}

static int session_setup(struct session *s, struct cc_error **err)
{
	return session_build(s, err) < 0 ? -1 : session_serve(s, err);
}

/* What session_build and session_serve made (not the ui). */
static void session_release_trees(struct session *s)
{
	watch_serve_stop(s->srv);
	watch_free(s->w);
	watch_rules_release(&s->rules);
	for (size_t i = 0; i < s->nigs; i++)
		ignore_free(s->igs[i]);
	free(s->igs);
	free(s->project);
	deploy_found_release(&s->found);
	strlist_release(&s->ctx_keys);
	strlist_release(&s->ctx_dirs);
	free(s->ctx_igs);
	strlist_release(&s->config);
	for (size_t i = 0; i < 4; i++)
		free(s->obs_paths[i]);
}

static void session_release(struct session *s)
{
	session_release_trees(s);
	if (s->ui)
		ui_free(s->ui);
}

/* Forget the containers listed: a run may have recreated them. */
static void session_forget(struct session *s)
{
	deploy_found_release(&s->found);
	s->found_valid = 0;
}

static void waiting(long pid, void *data)
{
	fprintf(stderr, "ccbuild: watch: waiting for another ccbuild run (pid %ld) to release %s/lock\n", pid,
		(const char *)data);
}

/* The profile's steps, the state lock held for the run only (so plan,
 * ps or another command can run between rounds). */
static int session_run(struct session *s)
{
	struct cc_error *err = NULL;
	struct state_lock *lock = NULL;
	int rc;

	if (state_lock(s->state_dir, &lock, waiting, (void *)s->state_dir, &err) < 0)
		return cli_report(err, EXIT_FAILED);
	if (s->cli->project->deploy)
		deploy_plan_forget(s->cli->project->deploy); /* what the last round left is not now */
	session_forget(s);
	rc = cancel_pending(s->cli->cancel) ? EXIT_INTERRUPTED : cli_run_profile(s->cli, s->e, s->state_dir);
	state_unlock(lock);
	return rc;
}

/* Load the manifest and the profile again into *m and *p (caller frees
 * both, also on failure); 0 or -1 with err (positioned). */
static int config_load(const struct cli *cli, struct manifest **m, struct project **p, struct cc_error **err)
{
	cleanup_free char *path = manifest_find(cli->file, err);

	*m = NULL;
	*p = NULL;
	if (!path || manifest_load(path, m, err) < 0)
		return -1;
	return project_load(*m, cli->profile, p, cli->warnings, err);
}

/* A changed configuration file: load it all again and, when that works,
 * swap the new model, rules and trees in (the watcher is new: what
 * changed meanwhile the next run finds by content).  On failure the old
 * ones stay, and a fixed file is a change like any other.  0 (err may
 * still tell of a problem after the swap), or -1 with the old kept. */
static int session_reload(struct session *s, struct cc_error **err)
{
	struct cli *cli = s->cli;
	struct manifest *m, *old_m = cli->manifest;
	struct project *p, *old_p = cli->project;
	struct session n = {
		.cli = cli, .e = s->e, .state_dir = s->state_dir, .round = s->round, .debounce = s->debounce
	};
	int rc = config_load(cli, &m, &p, err);

	if (rc == 0) {
		cli->manifest = m;
		cli->project = p;
		rc = session_build(&n, err);
	}
	if (rc == 0) {
		watch_serve_stop(s->srv); /* its socket, for the new watcher's service */
		s->srv = NULL;
		if (session_serve(&n, err) < 0) /* nobody else can have taken it: say so, go on */
			rc = cc_error_wrap(err, "the fsmonitor service stopped");
		n.ui = s->ui;
		s->ui = NULL;
		session_release(s);
		*s = n;
		project_free(old_p);
		manifest_free(old_m);
		return 0;
	}
	cli->manifest = old_m;
	cli->project = old_p;
	session_release(&n);
	project_free(p);
	manifest_free(m);
	return -1;
}

/* What a round does, for its event. */
struct round {
	json_t *synced;		 /* service -> files copied */
	json_t *removed;	 /* service -> paths removed */
	json_t *restarted;	 /* services */
	json_t *errors;		 /* messages */
	int run;		 /* the profile ran */
	int status;		 /* its exit code */
	long t0;		 /* when the batch came (ms) */
	const char *reload;	 /* "ok", "failed", NULL: no configuration file changed */
	struct obs_trace *trace; /* the round's trace, NULL when traces go nowhere */
};

/* The round's span `name` (an action) from t0 to now, with id (NULL: a
 * new one), failed when failure is not NULL, attrs stolen, its engine
 * calls as children (may be NULL). */
static void round_span(struct round *rd, const char *name, const char *id, int64_t t0, const char *failure,
		       json_t *attrs, const struct subspans *calls)
{
	struct subspan c = { (char *)name, t0, subspan_now(), failure != NULL, (char *)failure, attrs };

	if (rd->trace)
		obs_trace_add(rd->trace, NULL, id, &c, calls);
	json_decref(attrs);
}

/* A configuration file changed (or events were lost): reload.  1 when
 * the new configuration is in place; a failure's errors (positioned)
 * go into the round's, shown once, and the old configuration stays. */
static int round_reload(struct session *s, const struct watch_batch *b, struct round *rd)
{
	struct cc_error *err = NULL;
	int touched = b->overflow, rc;

	for (size_t i = 0; !touched && i < b->paths.n; i++)
		touched = strlist_has(&s->config, b->paths.v[i]);
	if (!touched)
		return 0;
	int64_t t0 = subspan_now();

	rc = session_reload(s, &err);
	round_span(rd, "watch.reload", NULL, t0, rc < 0 && err ? err->msg : NULL,
		   json_pack("{s:i}", "ccbuild.watch.config_files", (int)s->config.n), NULL);
	for (struct cc_error *e = err; e; e = e->next)
		json_array_append_new(rd->errors, json_string(e->msg));
	cc_error_free(err);
	rd->reload = rc < 0 ? "failed" : "ok";
	return rc == 0;
}

/* The running containers of service svc; *ids emptied first. */
/* The running containers of service svc; *ids emptied first.  The
 * project's list is asked once and kept until a run or a failed copy
 * (session_forget), which saves a request on every sync round. */
static int service_containers(struct session *s, const char *svc, struct strlist *ids, struct cc_error **err)
{
	const struct deploy_found_list *l = &s->found;

	if (!s->found_valid && deploy_find_containers(s->e, s->project, &s->found, err) < 0)
		return -1;
	s->found_valid = 1;
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].oneoff && !strcmp(l->v[i].service, svc) && !strcmp(l->v[i].state, "running"))
			strlist_push(ids, l->v[i].id);
	return 0;
}

/* Copy c into the running containers ids of svc, the engine calls into
 * calls; the counts added to *copied and *removed.  0 or -1. */
static int sync_into(struct session *s, const struct strlist *ids, struct watch_copies *c, size_t *copied,
		     size_t *removed, struct subspans *calls, struct cc_error **err)
{
	for (size_t i = 0; i < ids->n; i++) {
		size_t nc = 0, nr = 0;

		if (watch_sync_copy(s->e, ids->v[i], c->v, c->n, s->cli->cancel, &nc, &nr, calls, err) < 0)
			return -1;
		*copied += nc;
		*removed += nr;
	}
	return 0;
}

/* One engine call on container id, timed from t0, into calls. */
static int container_call(struct subspans *calls, const char *name, int64_t t0, int rc, const char *id,
			  struct cc_error **err)
{
	subspan_add(calls, name, t0, 0, rc < 0, rc < 0 && *err ? (*err)->msg : NULL,
		    json_pack("{s:s}", "ccbuild.container", id));
	return rc < 0 ? -1 : 0;
}

/* Restart (stop, start) the containers ids, the calls into calls; 0 or -1. */
static int restart_all(struct session *s, const struct strlist *ids, struct subspans *calls, struct cc_error **err)
{
	for (size_t i = 0; i < ids->n; i++) {
		int64_t t0 = subspan_now();

		if (container_call(calls, "engine.container.stop", t0,
				   engine_container_stop(s->e, ids->v[i], -1, NULL, err), ids->v[i], err) < 0)
			return -1;
		t0 = subspan_now();
		if (container_call(calls, "engine.container.start", t0, engine_container_start(s->e, ids->v[i], err),
				   ids->v[i], err) < 0)
			return -1;
	}
	return 0;
}

/* The spans of a service's sync (and restart) in the round's trace. */
static void sync_spans(struct round *rd, const char *svc, const struct strlist *ids, size_t copied, size_t removed,
		       struct subspans calls[2], const int64_t t[2], const char *failure[2])
{
	round_span(rd, "watch.sync", NULL, t[0], failure[0],
		   json_pack("{s:s, s:I, s:I, s:I}", "ccbuild.service", svc, "ccbuild.watch.copied", (json_int_t)copied,
			     "ccbuild.watch.removed", (json_int_t)removed, "ccbuild.containers", (json_int_t)ids->n),
		   &calls[0]);
	if (t[1])
		round_span(rd, "watch.restart", NULL, t[1], failure[1],
			   json_pack("{s:s, s:I}", "ccbuild.service", svc, "ccbuild.containers", (json_int_t)ids->n),
			   &calls[1]);
	subspans_release(&calls[0]);
	subspans_release(&calls[1]);
}

/* Copy c into every running container of svc; with a list kept from an
 * earlier round that fails (a container recreated meanwhile), once more
 * with a fresh list. */
static void sync_service(struct session *s, const char *svc, struct watch_copies *c, struct round *rd)
{
	struct strlist ids = { 0 };
	struct cc_error *err = NULL;
	size_t copied = 0, removed = 0;
	struct subspans calls[2] = { { 0 } };
	int64_t t[2] = { subspan_now(), 0 };
	const char *failure[2] = { NULL, NULL };
	cleanup_free char *why = NULL;

	for (int attempt = 0, kept = s->found_valid; attempt < 1 + kept; attempt++) {
		cc_error_free(err);
		err = NULL;
		strlist_release(&ids);
		if (attempt)
			session_forget(s);
		if (service_containers(s, svc, &ids, &err) == 0 && !ids.n)
			cc_error_set(&err, "no running container to sync into");
		if (!err && sync_into(s, &ids, c, &copied, &removed, &calls[0], &err) == 0)
			break;
	}
	failure[0] = err ? (why = xstrdup(err->msg)) : NULL;
	if (!err && c->restart) {
		t[1] = subspan_now();
		if (restart_all(s, &ids, &calls[1], &err) < 0)
			failure[1] = err->msg;
	}
	sync_spans(rd, svc, &ids, copied, removed, calls, t, failure);
	if (err || c->restart)
		session_forget(s);
	if (err) {
		json_array_append_new(rd->errors, json_sprintf("service %s: %s", svc, err->msg));
		cc_error_free(err);
	}
	json_object_set_new(rd->synced, svc, json_integer((json_int_t)copied));
	if (removed)
		json_object_set_new(rd->removed, svc, json_integer((json_int_t)removed));
	if (c->restart && ids.n)
		json_array_append_new(rd->restarted, json_string(svc));
	strlist_release(&ids);
}

/* The sync entries of service svc applied to the batch. */
static void round_sync(struct session *s, const char *svc, const struct watch_batch *b, struct round *rd)
{
	struct watch_copies c = { 0 };
	struct strlist keep = { 0 };

	for (size_t k = 0; k < s->rules.n; k++) {
		const struct watch_rule *r = &s->rules.v[k];

		if (r->action == WATCH_REBUILD || strcmp(r->service, svc))
			continue;
		if (b->overflow)
			watch_copies_whole(&c, r, &keep);
		for (size_t i = 0; !b->overflow && i < b->paths.n; i++)
			if (watch_rule_match(r, b->paths.v[i]) == 1 && !rule_context_excludes(s, k, b->paths.v[i]))
				watch_copies_add(&c, r, b->paths.v[i]);
	}
	if (c.n)
		sync_service(s, svc, &c, rd);
	watch_copies_release(&c);
	strlist_release(&keep);
}

/* Does path ask for a run of the profile?  A rebuild entry, or no entry
 * covers it (then it is a context or sync source file). */
static int path_runs(const struct session *s, const char *path)
{
	int covered = 0;

	for (size_t k = 0; k < s->rules.n; k++) {
		int m = watch_rule_match(&s->rules.v[k], path);

		if (m == 1 && rule_context_excludes(s, k, path))
			m = 0;
		if (m == 1 && s->rules.v[k].action == WATCH_REBUILD)
			return 1;
		covered |= m >= 0;
	}
	return !covered;
}

static void round_event(struct session *s, const struct watch_batch *b, struct round *rd)
{
	json_t *changed = json_array();
	cleanup_free char *msg = NULL;

	for (size_t i = 0; i < b->paths.n; i++)
		json_array_append_new(changed, json_string(b->paths.v[i]));
	msg = xasprintf("watch round %ld: %zu path(s) changed%s%s%s%s", s->round, b->paths.n,
			b->overflow ? " (events lost: everything rescanned)" : "",
			!rd->reload		    ? ""
			: !strcmp(rd->reload, "ok") ? ", configuration reloaded"
						    : ", the configuration did not load (the previous one stays)",
			json_object_size(rd->synced) ? ", synced" : "", rd->run ? ", ran the profile" : "");
	if (json_array_size(rd->errors))
		for (size_t i = 0; i < json_array_size(rd->errors); i++)
			ui_message(s->ui, "error", json_string_value(json_array_get(rd->errors, i)));
	ui_event(s->ui,
		 json_pack("{s:s, s:I, s:o, s:b, s:s?, s:O, s:O, s:O, s:b, s:i, s:O, s:I}", "event", "watch", "round",
			   (json_int_t)s->round, "changed", changed, "overflow", b->overflow, "reload", rd->reload,
			   "synced", rd->synced, "removed", rd->removed, "restarted", rd->restarted, "ran", rd->run,
			   "status", rd->status, "errors", rd->errors, "duration_ms", (json_int_t)(now_ms() - rd->t0)));
	if (s->cli->verbosity >= 0 && !s->cli->json)
		ui_message(s->ui, "info", msg);
}

/* The root span's attributes of a round's trace. */
static json_t *round_attrs(const struct session *s)
{
	return json_pack("{s:s, s:s, s:I}", "ccbuild.project", s->cli->manifest->project, "ccbuild.profile",
			 s->cli->profile, "ccbuild.watch.round", (json_int_t)s->round);
}

/* The profile's run of a round: a watch.rebuild span whose child is the
 * run's own trace (its root names this span as its parent). */
static int round_run(struct session *s, struct round *rd)
{
	char id[17], parent[64];
	int64_t t0 = subspan_now();
	int rc;
	cleanup_free char *failure = NULL;

	obs_trace_new_id(id);
	s->cli->traceparent = rd->trace ? obs_trace_parent(rd->trace, id, parent, sizeof(parent)) : NULL;
	rc = session_run(s);
	s->cli->traceparent = NULL;
	if (rc)
		failure = xasprintf("the profile's run ended with %d", rc);
	round_span(rd, "watch.rebuild", id, t0, failure,
		   json_pack("{s:i, s:b}", "ccbuild.exit_code", rc, "ccbuild.watch.reload",
			     rd->reload && !strcmp(rd->reload, "ok")),
		   NULL);
	return rc;
}

/* Export the round's trace (ERROR with its first error when it has
 * any); a round that did nothing is dropped. */
static void round_trace_end(struct session *s, struct round *rd)
{
	size_t nerr = json_array_size(rd->errors);
	int reported = rd->run || rd->reload || json_object_size(rd->synced) || nerr;

	obs_trace_end(rd->trace, reported ? &s->obs : NULL, nerr > 0,
		      nerr ? json_string_value(json_array_get(rd->errors, 0)) : NULL, s->cli->warnings);
}

/* One debounced batch: syncs first, then the profile when needed.
 * EXIT_INTERRUPTED when it was cancelled, else 0. */
static int session_round(struct session *s, const struct watch_batch *b)
{
	struct round rd = { .synced = json_object(),
			    .removed = json_object(),
			    .restarted = json_array(),
			    .errors = json_array(),
			    .run = b->overflow,
			    .t0 = now_ms() };
	struct strlist done = { 0 };

	s->round++;
	if (obs_tracing(&s->obs)) {
		cleanup_free char *name = xasprintf("ccbuild watch %s", s->cli->profile);

		rd.trace = obs_trace_begin(name, round_attrs(s));
	}
	rd.run |= round_reload(s, b, &rd);
	for (size_t i = 0; i < b->paths.n; i++)
		if (!strlist_has(&s->config, b->paths.v[i])) /* round_reload's */
			rd.run |= path_runs(s, b->paths.v[i]);
	for (size_t k = 0; k < s->rules.n; k++)
		if (!strlist_has(&done, s->rules.v[k].service)) {
			strlist_push(&done, s->rules.v[k].service);
			round_sync(s, s->rules.v[k].service, b, &rd);
		}
	strlist_release(&done);
	if (rd.run && !cancel_pending(s->cli->cancel))
		rd.status = round_run(s, &rd);
	if (rd.run || rd.reload || json_object_size(rd.synced) || json_array_size(rd.errors))
		round_event(s, b, &rd);
	else
		s->round--; /* only ignored paths: nothing ran, no round */
	round_trace_end(s, &rd);
	json_decref(rd.synced);
	json_decref(rd.removed);
	json_decref(rd.restarted);
	json_decref(rd.errors);
	return cancel_pending(s->cli->cancel) || rd.status == EXIT_INTERRUPTED ? EXIT_INTERRUPTED : 0;
}

static int session_loop(struct session *s)
{
	struct watch_batch b = { 0 };
	struct cc_error *err = NULL;
	int rc = 0;

	ui_event(s->ui, json_pack("{s:s, s:I, s:I, s:I}", "event", "watch_ready", "trees",
				  (json_int_t)watch_tree_count(s->w), "dirs", (json_int_t)watch_dir_count(s->w),
				  "answered", (json_int_t)watch_serve_count(s->srv)));
	while (rc == 0) {
		if (watch_next(s->w, -1, s->cli->cancel, &b, &err) < 0) {
			rc = cancel_pending(s->cli->cancel) ? EXIT_INTERRUPTED : cli_report(err, EXIT_FAILED);
			if (rc == EXIT_INTERRUPTED)
				cc_error_free(err);
			break;
		}
		rc = session_round(s, &b);
	}
	watch_batch_release(&b);
	return rc;
}

static int parse_args(int argc, char **argv, int *debounce)
{
	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--debounce") && i + 1 < argc) {
			*debounce = (int)strtol(argv[++i], &end, 10);
			if (*end || *debounce < 1 || *debounce > 60000)
				return cli_fail(EXIT_USAGE, "--debounce needs milliseconds (1 to 60000), not '%s'",
						argv[i]);
		} else
			return cli_fail(EXIT_USAGE, "watch: unexpected argument '%s'", argv[i]);
	}
	return 0;
}

int cmd_watch(struct cli *cli, int argc, char **argv)
{
	struct session s = { .cli = cli };
	struct cc_error *err = NULL;
	cleanup_free char *state_dir = NULL;
	FILE *out = cli->json ? stdout : stderr;
	int debounce = WATCH_DEBOUNCE_MS, rc;

	if ((rc = parse_args(argc, argv, &debounce)))
		return rc;
	if ((rc = cli_engine(cli, 1, &s.e)))
		return rc;
	s.state_dir = state_dir = cli_state_dir(cli);
	s.debounce = debounce;
	if (state_init(state_dir, &err) < 0 || session_setup(&s, &err) < 0) {
		session_release(&s);
		engine_close(s.e);
		return cli_report(err, EXIT_FAILED);
	}
	s.ui = ui_new(ui_mode_detect(cli->json, out), out, cli->verbosity);
	cli_wind_down(cli); /* from here a signal ends the round, then the watch */
	rc = session_run(&s);
	if (rc != EXIT_INTERRUPTED && !cancel_pending(cli->cancel))
		rc = session_loop(&s);
	else
		rc = EXIT_INTERRUPTED;
	session_release(&s);
	engine_close(s.e);
	return rc;
}
