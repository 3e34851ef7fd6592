/* step-build: the build:IMAGE step kind (step_kind_build of step.h).
 *
 * hash_inputs: the inputs (docs/hashing.md) with the identity of every
 * base: a manifest image's input hash, an external one's image ID as the
 * engine knows it (or the registry digest it was pulled by).
 * output_exists: the recorded image is still in the engine; if it is but
 * its tag moved, the tag is put back instead of rebuilding.  find_cached:
 * the registry cache (REGISTRY/KEY:ccb-HASH).  A base in a registry that
 * wants credentials is pulled before the build (privbase.h).  The bases'
 * identities and making them local are in step-base.c, where a build's
 * images live in step-image.c.
 * run: stream the walked context to POST /build (BuildKit) and record the
 * image ID. */
#include "buildkit-secrets.h"
#include "buildkit-ssh.h"
#include "dockerfile.h"
#include "engine.h"
#include "error.h"
#include "facts.h"
#include "fsmonitor.h"
#include "gitinfo.h"
#include "imageref.h"
#include "manifest.h"
#include "project.h"
#include "registry.h"
#include "runner.h"
#include "state.h"
#include "step.h"
#include "step-addctx.h"
#include "step-base.h"
#include "step-image.h"
#include "step-session.h"
#include "ui.h"
#include "util.h"
#include "why.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* path relative to the working directory when it lies below it. */
static const char *shown_path(const char *path, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;

	if (n && !strncmp(path, cwd, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static void build_describe(const struct step *s, struct strbuf *out)
{
	const struct image *img = s->data;
	cleanup_free char *cwd = getcwd(NULL, 0);
	size_t i;

	strbuf_addf(out, "%s from %s", img->spec.ref,
		    img->dockerfile_inline ? "dockerfile_inline" : shown_path(img->spec.dockerfile, cwd));
	if (img->spec.target)
		strbuf_addf(out, " target=%s", img->spec.target);
	for (i = 0; i < img->spec.platforms.n; i++)
		strbuf_addf(out, "%s%s", i ? "," : " platforms=", img->spec.platforms.v[i]);
}

/* What check leaves for run. */
struct build_scratch {
	struct hash_result hr;
	struct addctx_set contexts; /* named directory contexts (step-addctx.h) */
};

static void build_release(struct step_result *res)
{
	struct build_scratch *bs = res->scratch;

	hash_result_release(&bs->hr);
	addctx_release(&bs->contexts);
	free(bs);
	res->scratch = NULL;
}

static json_t *kv_object(const struct kvlist *kv)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < kv->n; i++)
		json_object_set_new(o, kv->keys[i], kv->vals[i] ? json_string(kv->vals[i]) : json_null());
	return o;
}

static json_t *build_inputs(const struct image *img, const char *platforms, const char *dockerfile_text, json_t *bases)
{
	json_t *in = json_object();

	json_object_set_new(in, "dockerfile", json_string(dockerfile_text ? dockerfile_text : ""));
	json_object_set_new(in, "target", img->spec.target ? json_string(img->spec.target) : json_null());
	json_object_set_new(in, "platform", img->spec.platforms.n ? json_string(platforms) : json_null());
	json_object_set_new(in, "args", kv_object(&img->spec.args));
	json_object_set_new(in, "labels", kv_object(&img->spec.labels));
	json_object_set_new(in, "bases", bases);
	if (img->spec.ulimits.n)
		json_object_set_new(in, "ulimits", kv_object(&img->spec.ulimits));
	return in;
}

/* The identity of img's build secrets for its hash (ids and sources; no
 * value is read) into *out (caller frees; NULL when none), after checking
 * that every file source can be read. */
static int build_secrets_identity(const struct image *img, char **out, struct cc_error **err)
{
	struct bk_secrets *sc;
	size_t k;
	int rc = 0;

	*out = NULL;
	if (!img->nsecrets)
		return 0;
	sc = bk_secrets_new();
	for (k = 0; rc == 0 && k < img->nsecrets; k++)
		rc = bk_secrets_add(sc, img->secrets[k].id, img->secrets[k].from_env ? BK_SECRET_ENV : BK_SECRET_FILE,
				    img->secrets[k].source, err);
	if (rc == 0)
		rc = bk_secrets_check(sc, err);
	if (rc == 0)
		*out = bk_secrets_identity(sc);
	bk_secrets_free(sc);
	return rc;
}

/* build_secrets_identity, then img's build.ssh ids and sockets
 * (buildkit-ssh.h) for its hash, into *out (caller frees; NULL when none). */
static int build_session_identity(const struct image *img, char **out, struct cc_error **err)
{
	cleanup_free char *secrets = NULL, *ssh = NULL;
	struct bk_ssh *sh;
	int rc = 0;

	*out = NULL;
	if (build_secrets_identity(img, &secrets, err) < 0)
		return -1;
	if (!img->ssh.n) {
		*out = secrets;
		secrets = NULL;
		return 0;
	}
	sh = bk_ssh_new();
	for (size_t k = 0; rc == 0 && k < img->ssh.n; k++)
		rc = bk_ssh_add(sh, img->ssh.v[k], err);
	if (rc == 0)
		ssh = bk_ssh_identity(sh);
	bk_ssh_free(sh);
	if (rc == 0)
		*out = xasprintf("%s%s", secrets ? secrets : "", ssh);
	return rc;
}

/* Hash everything into res (hash, inputs, files, scratch). */
static int build_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	struct strlist ids = { 0 };
	struct build_scratch *bs = xcalloc(1, sizeof(*bs));
	struct hash_input in = { 0 };
	cleanup_free char *statcache = NULL, *dftext = NULL, *platforms = NULL, *watch_socket = NULL, *secrets = NULL;
	json_t *bases = json_object();
	size_t len;
	int rc = -1;

	res->scratch = bs;
	if (build_collect_bases(r, i, &ids, bases, err) < 0 ||
	    addctx_hash(r, i, dry, &bs->contexts, &ids, bases, err) < 0) {
		json_decref(bases);
		goto out;
	}
	if (r->state_exists)
		statcache = state_statcache_path(r->state_dir, img->spec.context, img->spec.dockerfile);
	in.context = img->spec.context;
	in.dockerfile = img->spec.dockerfile;
	in.dockerfile_text = img->dockerfile_inline;
	in.target = img->spec.target;
	platforms = strlist_join(&img->spec.platforms, ",");
	in.platform = img->spec.platforms.n ? platforms : NULL;
	in.args = &img->spec.args;
	in.labels = &img->spec.labels;
	in.bases = (const char *const *)ids.v;
	in.nbases = ids.n;
	in.cancel = r->cancel;
	if (statcache)
		in.watch_socket = watch_socket = path_join(r->state_dir, FSMONITOR_SOCKET);
	if (dry && statcache) { /* a plan uses the cache, but creates nothing */
		cleanup_free char *dir = path_dirname(statcache);

		in.statcache = access(dir, W_OK) == 0 ? statcache : NULL;
	} else
		in.statcache = statcache;
	if (project_image_dockerfile(img, &dftext, &len, NULL) < 0)
		dftext = NULL;
	res->inputs = build_inputs(img, platforms, dftext, bases);
	if (build_session_identity(img, &secrets, err) < 0)
		goto out;
	in.secrets = secrets;
	in.ulimits = &img->spec.ulimits;
	if (hash_build_inputs(&in, &bs->hr, err) < 0)
		goto out;
	if (bs->hr.warning)
		runner_warn(r, "%s: %s", r->project->graph.steps[i].id, bs->hr.warning);
	res->hash = xstrdup(bs->hr.hex);
	res->files = bs->hr.files;
	memset(&bs->hr.files, 0, sizeof(bs->hr.files));
	rc = 0;
out:
	strlist_release(&ids);
	return rc;
}

/* Why the recorded run does not match: a reason, via why_diff. */
static char *build_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	const struct step_result *res = &r->results[i];
	struct hash_manifest old = { 0 };
	struct strlist lines = { 0 };
	cleanup_free char *warning = NULL;
	int have = state_load_files(r->state_dir, rec, &old, &warning);
	char *reason;

	why_diff(rec->inputs, have == 1 ? &old : NULL, res->inputs, &res->files, 20, &lines);
	reason = why_summary(&lines);
	strlist_release(&lines);
	hash_manifest_release(&old);
	return reason;
}

/* One recorded image: 1 present and tagged ref (retagged when !dry; *moved
 * set), 0 gone, -1 error. */
static int variant_present(struct runner *r, const char *ref, const char *id, int dry, int *moved,
			   struct cc_error **err)
{
	json_t *info = NULL;
	const char *have;
	int rc = engine_image_inspect(r->engine, ref, &info, err);

	if (rc < 0)
		return -1;
	have = json_string_value(json_object_get(info, "Id"));
	rc = rc == 1 && have && !strcmp(have, id);
	json_decref(info);
	if (rc)
		return 1;
	info = NULL;
	rc = engine_image_inspect(r->engine, id, &info, err);
	json_decref(info);
	if (rc <= 0)
		return rc;
	*moved = 1;
	if (!dry && engine_image_tag(r->engine, id, ref, err) < 0)
		return -1;
	return 1;
}

/* The recorded output: "ID", or "PLATFORM=ID,PLATFORM=ID" for a
 * multi-platform build; 1 all present (tags put back), 0 one is gone.
 * "registry:DIGEST" (the registry cache satisfied it): 0, and
 * build_find_cached decides. */
static int build_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry,
			       struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	cleanup_free char *copy = xstrdup(rec->output);
	char *tok, *save = NULL;
	int moved = 0, rc = 1;

	if (!strncmp(rec->output, "registry:", 9)) {
		res->reason = xstrdup("inputs unchanged; the image is in the registry");
		return 0;
	}
	if (!r->engine) {
		res->reason = xstrdup("inputs unchanged (engine unreachable: image not checked)");
		return 1;
	}
	if (!strchr(rec->output, '='))
		rc = variant_present(r, img->spec.ref, rec->output, dry, &moved, err);
	for (tok = strtok_r(copy, ",", &save); rc == 1 && strchr(rec->output, '=') && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		cleanup_free char *ref = NULL;

		if (!eq)
			return cc_error_set(err, "state: malformed output '%s'", rec->output);
		*eq = '\0';
		ref = build_platform_ref(img->spec.ref, tok);
		rc = variant_present(r, ref, eq + 1, dry, &moved, err);
		if (rc == 1 && !strcmp(tok, build_native_platform()))
			rc = variant_present(r, img->spec.ref, eq + 1, dry, &moved, err);
	}
	if (rc == 0)
		res->reason = xstrdup("its image no longer exists");
	else if (rc == 1)
		res->reason = moved ? xasprintf("inputs unchanged; %s %s", img->spec.ref,
						dry ? "would be retagged" : "retagged")
				    : xstrdup("inputs unchanged");
	return rc;
}

/* The registry-backed cache: in a profile that pushes, an image pushed
 * before from the same inputs is tagged REGISTRY/KEY:ccb-HASH.  One HEAD;
 * 1 found (output "registry:DIGEST"), 0 not, -1 error. */
static int build_find_cached(struct runner *r, size_t i, struct cc_error **err)
{
	const struct image *img = r->project->graph.steps[i].data;
	struct step_result *res = &r->results[i];
	const struct manifest *m = r->project->manifest;
	cleanup_free char *repo = NULL, *tag = NULL;
	struct registry_manifest man;
	int rc;

	struct cc_error *herr = NULL;

	if (!r->project->profile->push || !m->registry || r->offline)
		return 0;
	repo = push_repository(m, img);
	tag = xasprintf("ccb-%s", res->hash);
	rc = registry_manifest_head(repo, tag, &man, &herr);
	if (rc < 0) { /* the cache is an optimisation: build instead */
		runner_warn(r, "%s (registry cache not used)", herr->msg);
		cc_error_free(herr);
		rc = 0;
	}
	if (rc == 1) {
		free(res->reason);
		res->reason = xasprintf("%s:ccb-%.12s is in the registry", repo, res->hash);
		res->output = xasprintf("registry:%s", man.digest ? man.digest : "");
	}
	registry_manifest_release(&man);
	return rc;
}

struct progress {
	struct runner *r;
	const char *step;
	const char *platform;		  /* multi-platform builds: shown first; else NULL */
	long long cached, executed, sent; /* BuildKit vertices; context bytes (facts) */
};

static void on_progress(void *ctx, const struct engine_event *ev)
{
	struct progress *p = ctx;
	char *note;

	switch (ev->kind) {
	case ENGINE_STEP_STARTED:
		note = xasprintf("%s%s%s", p->platform ? p->platform : "", p->platform ? " " : "", ev->step);
		ui_step_progress(p->r->ui, p->step, note);
		free(note);
		break;
	case ENGINE_STEP_CACHED:
		p->cached++;
		note = xasprintf("%s%sCACHED %s", p->platform ? p->platform : "", p->platform ? " " : "", ev->step);
		ui_step_progress(p->r->ui, p->step, note);
		free(note);
		break;
	case ENGINE_STEP_DONE: p->executed++; break;
	default: break;
	}
}

/* The walk as tar entries; paths borrowed from the walk, abspaths owned. */
/* Walk indices of hard-linked regular files, by inode then walk order. */
static int by_inode(const void *a, const void *b, void *arg)
{
	const struct ctx_list *walk = arg;
	const struct ctx_entry *x = &walk->v[*(const size_t *)a], *y = &walk->v[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static struct tar_entry *tar_entries(const char *context, const struct ctx_list *walk)
{
	struct tar_entry *v = xcalloc(walk->n ? walk->n : 1, sizeof(*v));
	size_t *linked = NULL, nlinked = 0, cap = 0, i;

	for (i = 0; i < walk->n; i++) {
		const struct ctx_entry *e = &walk->v[i];

		v[i].path = e->path;
		v[i].abspath = path_join(context, e->path);
		v[i].link = e->link;
		v[i].st.st_mode = e->mode;
		v[i].st.st_size = (off_t)e->size;
		v[i].st.st_mtim.tv_sec = e->mtime_ns / 1000000000;
		v[i].st.st_mtim.tv_nsec = e->mtime_ns % 1000000000;
		if (v[i].st.st_mtim.tv_nsec < 0) { /* before 1970: as stat gives it, nsec in [0, 1e9) */
			v[i].st.st_mtim.tv_sec -= 1;
			v[i].st.st_mtim.tv_nsec += 1000000000;
		}
		if (S_ISREG(e->mode) && e->nlink > 1)
			VEC_PUSH(linked, nlinked, cap, i);
	}
	/* The docker CLI sends the first path of an inode (in walk order) as
	 * the file and every later one as a hard link to it. */
	if (nlinked > 1)
		qsort_r(linked, nlinked, sizeof(*linked), by_inode, (void *)walk);
	for (i = 1; i < nlinked; i++) {
		const struct ctx_entry *a = &walk->v[linked[i - 1]], *b = &walk->v[linked[i]];

		if (a->dev == b->dev && a->ino == b->ino)
			v[linked[i]].hardlink = v[linked[i - 1]].hardlink ? v[linked[i - 1]].hardlink : a->path;
	}
	free(linked);
	return v;
}

/* The image's labels plus the default OCI labels from git, which the
 * user's own labels override.  Not part of the input hash (docs/hashing.md):
 * a new commit that changes nothing an image is built from does not
 * rebuild it, so revision names the commit it was built at. */
static void oci_labels(const struct runner *r, const struct image *img, struct kvlist *out)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	kvlist_set(out, "org.opencontainers.image.created", created);
	if (r->git && r->git->sha && *r->git->sha) {
		kvlist_set(out, "org.opencontainers.image.revision", r->git->sha);
		if (r->git->describe)
			kvlist_set(out, "org.opencontainers.image.version", r->git->describe);
		if (r->git->remote)
			kvlist_set(out, "org.opencontainers.image.source", r->git->remote);
	}
	for (size_t k = 0; k < img->spec.labels.n; k++)
		kvlist_set(out, img->spec.labels.keys[k], img->spec.labels.vals[k]);
}

/* One platform's build of a step, run on its own thread. */
struct variant {
	struct runner *r;
	struct engine_build_req req;
	struct strlist tags;
	struct progress p;
	char *id;
	struct cc_error *err;
	char *dockerfile; /* retargeted for this platform, or NULL */
	struct step_session session;
	pthread_t thread;
	int thread_started;
	int64_t t0, t1; /* when its POST /build began and ended */
};

static void *variant_build(void *arg)
{
	struct variant *v = arg;

	v->t0 = subspan_now();
	engine_build(v->r->engine, &v->req, on_progress, &v->p, v->r->cancel, &v->id, &v->err);
	v->t1 = subspan_now();
	if (v->req.session && v->req.session->used)
		v->p.sent = step_session_sent(&v->session);
	return NULL;
}

/* The request every platform shares; entries and labels owned by caller. */
static int base_request(struct runner *r, const struct image *img, struct build_scratch *bs,
			struct engine_build_req *req, char **dfdata, struct kvlist *labels, struct cc_error **err)
{
	size_t dflen = 0;

	req->entries = tar_entries(img->spec.context, &bs->hr.walk);
	req->nentries = bs->hr.walk.n;
	if (bs->hr.dockerfile_rel)
		req->dockerfile = bs->hr.dockerfile_rel;
	if ((!bs->hr.dockerfile_rel || img->dockerfile_inline) &&
	    project_image_dockerfile(img, dfdata, &dflen, err) < 0)
		return -1;
	req->dockerfile_data = *dfdata;
	req->dockerfile_len = dflen;
	req->cachefrom = img->spec.cache_from.n ? &img->spec.cache_from : NULL;
	req->buildargs = &img->spec.args;
	oci_labels(r, img, labels);
	req->labels = labels;
	req->target = img->spec.target;
	req->nocache = img->spec.no_cache;
	req->pull = img->spec.pull;
	req->ulimits = &img->spec.ulimits;
	/* secrets and ssh need BuildKit, where ulimits may not reach (engine.h) */
	if (img->spec.ulimits.n && (img->nsecrets || img->ssh.n))
		req->builder = ENGINE_BUILDER_BUILDKIT;
	return 0;
}

/* The Dockerfile of one platform's build of step s when the image is built
 * FROM multi-platform images of the manifest: their references retargeted
 * to that platform's local tags (REF-os-arch), which BuildKit finds in the
 * engine, where REF alone is the native platform's.  *out NULL: the
 * Dockerfile as it is. */
static int platform_dockerfile(struct runner *r, const struct step *s, const char *platform, char **out,
			       struct cc_error **err)
{
	const struct image *img = s->data;
	struct kvlist map = { 0 };
	struct dockerfile *df = NULL;
	cleanup_free char *text = NULL;
	size_t j, len;
	int rc = 0;

	*out = NULL;
	for (j = 0; j < s->ndeps; j++) {
		const struct step *d = &r->project->graph.steps[s->deps[j]];
		const struct image *dimg = d->data;
		cleanup_free char *local = NULL;

		if (d->kind != &step_kind_build || !build_shares_platform(dimg, img, platform) || !dimg->ref_full)
			continue;
		local = build_platform_ref(dimg->spec.ref, platform);
		kvlist_set(&map, dimg->ref_full, local);
	}
	for (j = 0; j < img->platform_bases.n; j++) {
		const char *ref = img->platform_bases.v[j];
		cleanup_free char *auth = NULL, *local = NULL, *nref = NULL;

		int per = build_private_per_platform(r, img, ref, &auth, err);

		if (per < 0) {
			kvlist_release(&map);
			return -1;
		}
		if (!per || !(nref = imageref_normalized(ref)))
			continue;
		local = build_private_local_ref(ref, platform);
		kvlist_set(&map, nref, local);
	}
	if (!map.n)
		return 0;
	if (project_image_dockerfile(img, &text, &len, err) < 0 ||
	    dockerfile_parse(img->spec.dockerfile, text, &img->spec.args, &df, err) < 0 ||
	    dockerfile_retarget(img->spec.dockerfile, text, df, &map, out, err) < 0)
		rc = -1;
	dockerfile_free(df);
	kvlist_release(&map);
	return rc;
}

static const struct fact_def fact_context = { "ccbuild_build_context_bytes_total", "counter",
					      "Bytes of build context sent to the engine.", NULL };
static const struct fact_def fact_hits = { "ccbuild_build_cache_hits_total", "counter",
					   "BuildKit vertices answered from its cache.", NULL };
static const struct fact_def fact_misses = { "ccbuild_build_cache_misses_total", "counter",
					     "BuildKit vertices run (not answered from its cache).", NULL };

/* What the variants' builds told (facts.h), summed over platforms. */
static void build_facts(struct step_result *res, const struct variant *v, size_t n)
{
	long long sent = 0, hits = 0, misses = 0;
	size_t k;

	for (k = 0; k < n && v[k].r; k++) {
		sent += v[k].p.sent;
		hits += v[k].p.cached;
		misses += v[k].p.executed;
	}
	facts_add(&res->report, &fact_context, NULL, (double)sent);
	facts_add(&res->report, &fact_hits, NULL, (double)hits);
	facts_add(&res->report, &fact_misses, NULL, (double)misses);
}

/* The session variant v's build serves (step-session.h): the step's own
 * walk as "context"; a Dockerfile that is not the file on disk (inline or
 * retargeted) from its bytes. */
static int variant_session(struct runner *r, const struct step *s, const struct engine_build_req *base,
			   struct variant *v, struct cc_error **err)
{
	const struct image *img = s->data;
	const struct build_scratch *bs = r->results[s - r->project->graph.steps].scratch;
	const char *data = v->dockerfile ? v->dockerfile
			   : img->dockerfile_inline || img->context_dirs.n || img->context_refs.n
				   ? base->dockerfile_data
				   : NULL;

	if (step_session_init(&v->session, img->spec.context, &bs->hr.walk, img->spec.dockerfile, data,
			      data == v->dockerfile && data ? strlen(data) : base->dockerfile_len, err) < 0)
		return -1;
	if (step_session_serve_secrets(&v->session, img->secrets, img->nsecrets, err) < 0)
		return -1;
	return step_session_serve_ssh(&v->session, &img->ssh, err);
}

/* The trace's child span of variant v's POST /build. */
static void build_subspan(struct step_result *res, const struct variant *v)
{
	json_t *a = json_pack("{s:b, s:I, s:I, s:I}", "ccbuild.build.session", v->req.session != NULL,
			      "ccbuild.build.sent_bytes", (json_int_t)v->p.sent, "ccbuild.build.cached_vertices",
			      (json_int_t)v->p.cached, "ccbuild.build.executed_vertices", (json_int_t)v->p.executed);

	if (v->req.platform)
		json_object_set_new(a, "ccbuild.platform", json_string(v->req.platform));
	subspan_add(&res->spans, "engine.build", v->t0, v->t1, v->err != NULL, v->err ? v->err->msg : NULL, a);
}

/* Run one build per platform at once (one for an image without platforms),
 * then collect: output "ID", or "PLATFORM=ID,..." with each platform tagged
 * REF-PLATFORM and the native one also REF. */
static int build_variants(struct runner *r, const struct step *s, const struct engine_build_req *base,
			  struct cc_error **err)
{
	const struct image *img = s->data;
	struct step_result *res = &r->results[s - r->project->graph.steps];
	size_t n = img->spec.platforms.n > 1 ? img->spec.platforms.n : 1, k;
	struct variant *v = xcalloc(n, sizeof(*v));
	struct strbuf out = STRBUF_INIT;
	int rc = 0;

	/* Every platform's Dockerfile first: nothing starts unless all can. */
	for (k = 0; img->spec.platforms.n && rc == 0 && k < n; k++)
		rc = platform_dockerfile(r, s, img->spec.platforms.v[k], &v[k].dockerfile, err);
	if (rc == 0 && v[0].dockerfile && (img->context_dirs.n || img->context_refs.n))
		rc = cc_error_set(err, "additional_contexts with a base of another platform (%s) is not supported",
				  img->spec.platforms.v[0]);
	for (k = 0; !r->no_session && rc == 0 && k < n; k++)
		rc = variant_session(r, s, base, &v[k], err);
	if (r->no_session && img->nsecrets)
		rc = cc_error_set(err, "build secrets (%s) need a BuildKit session, which --no-session turns off",
				  img->secrets[0].id);
	if (r->no_session && img->ssh.n)
		rc = cc_error_set(err, "build.ssh (%s) needs a BuildKit session, which --no-session turns off",
				  img->ssh.v[0]);
	for (k = 0; rc == 0 && k < n; k++) {
		v[k].r = r;
		v[k].req = *base;
		v[k].req.platform = img->spec.platforms.n ? img->spec.platforms.v[k] : NULL;
		v[k].req.sent = &v[k].p.sent;
		v[k].p = (struct progress){ .r = r,
					    .step = s->id,
					    .platform = img->spec.platforms.n > 1 ? img->spec.platforms.v[k] : NULL };
		if (img->spec.platforms.n > 1) {
			char *ref = build_platform_ref(img->spec.ref, img->spec.platforms.v[k]);

			strlist_push(&v[k].tags, ref);
			free(ref);
		} else
			strlist_push(&v[k].tags, img->spec.ref);
		v[k].req.tags = &v[k].tags;
		if (v[k].dockerfile) { /* in place of the context's Dockerfile, if it is there */
			v[k].req.dockerfile_data = v[k].dockerfile;
			v[k].req.dockerfile_len = strlen(v[k].dockerfile);
		}
		if (v[k].session.fs)
			v[k].req.session = &v[k].session.req;
		if (n > 1 && pthread_create(&v[k].thread, NULL, variant_build, &v[k]) == 0)
			v[k].thread_started = 1;
		else
			variant_build(&v[k]);
	}
	for (k = 0; k < n && v[k].r; k++) { /* the variants that were started */
		if (v[k].thread_started)
			pthread_join(v[k].thread, NULL);
		build_subspan(res, &v[k]);
		if (v[k].err) {
			if (n > 1)
				cc_error_wrap(&v[k].err, "%s", img->spec.platforms.v[k]);
			for (struct cc_error *e = v[k].err; e; e = e->next)
				cc_error_set(err, "%s", e->msg);
			rc = -1;
		} else if (n > 1) {
			strbuf_addf(&out, "%s%s=%s", out.len ? "," : "", img->spec.platforms.v[k], v[k].id);
			strlist_push(&res->tags, v[k].tags.v[0]);
			if (!strcmp(img->spec.platforms.v[k], build_native_platform()) && rc == 0 &&
			    engine_image_tag(r->engine, v[k].id, img->spec.ref, err) < 0)
				rc = -1;
		}
	}
	build_facts(res, v, n);
	if (rc == 0 && n == 1) {
		res->output = xstrdup(v[0].id);
		strlist_push(&res->tags, img->spec.ref);
	} else if (rc == 0) {
		res->output = out.buf;
		out.buf = NULL;
		strlist_push(&res->tags, img->spec.ref);
	}
	for (k = 0; k < n; k++) {
		free(v[k].id);
		free(v[k].dockerfile);
		step_session_release(&v[k].session);
		cc_error_free(v[k].err);
		strlist_release(&v[k].tags);
	}
	free(v);
	strbuf_release(&out);
	return rc;
}

/* A build with build.pull whose base BuildKit could not resolve (the
 * frontend's "failed to create LLB definition"): say that pull=1 has no
 * fallback to the engine's own copy (dockerd 20.10). */
static void build_pull_hint(const struct step *s, struct cc_error **err)
{
	for (const struct cc_error *e = err ? *err : NULL; e; e = e->next)
		if (strstr(e->msg, "failed to create LLB definition")) {
			cc_error_set(err,
				     "%s has build.pull: BuildKit resolves every FROM in its registry, also a base "
				     "the engine has (one that exists only in the engine cannot be pulled)",
				     s->id);
			return;
		}
}

static int build_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	struct engine_build_req req = { 0 };
	struct kvlist labels = { 0 };
	const struct build_scratch *bs = r->results[i].scratch;
	cleanup_free char *dfdata = NULL, *ctxdf = NULL;
	size_t k;
	int rc;

	if (build_bases_local(r, i, err) < 0 || addctx_build(r, &bs->contexts, err) < 0)
		return -1;
	rc = base_request(r, s->data, r->results[i].scratch, &req, &dfdata, &labels, err);
	if (rc == 0)
		rc = addctx_dockerfile(s->data, &bs->contexts, &req, &ctxdf, err);
	if (rc == 0)
		rc = build_variants(r, s, &req, err);
	if (rc < 0 && req.pull)
		build_pull_hint(s, err);
	for (k = 0; k < req.nentries; k++)
		free((char *)req.entries[k].abspath);
	free((void *)req.entries);
	kvlist_release(&labels);
	return rc;
}

const struct step_kind step_kind_build = {
	.name = "build",
	.needs_outputs = 0,
	.describe = build_describe,
	.hash_inputs = build_hash_inputs,
	.no_record = "no record of a previous successful run",
	.changed = build_changed,
	.output_exists = build_output_exists,
	.find_cached = build_find_cached,
	.run = build_run,
	.release = build_release,
};
