/* step-scan: the scan:IMAGE:SCAN step kind (step.h) — judge a built image before
 * anything ships it.
 *
 * A policy scan (rules:) reads the image's inspect and history through the
 * Engine API (scanpolicy.h); an external scan (command:) runs the scanner
 * with {image}, {id} and {name} substituted, its output kept in
 * STATE/scans/IMAGE-SCAN.log, its exit code the verdict.  A multi-platform
 * image is judged per platform (REF-os-arch; logs IMAGE-SCAN-os-arch.log,
 * findings carry their platform).  An error-level finding
 * or a non-zero exit fails the step, which cancels the push after it.
 * Input hash: the image ID, the scan's rules or command, required labels
 * and (for pinned_base) the bases: an unchanged image is not rescanned. */
#include "engine.h"
#include "error.h"
#include "facts.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "scanpolicy.h"
#include "state.h"
#include "step.h"
#include "step-image.h"
#include "ui.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void scan_describe(const struct step *s, struct strbuf *out)
{
	const struct scan_target *t = s->data;
	size_t i;

	strbuf_addf(out, "scan %s with %s", t->image->spec.ref, t->spec->name);
	if (t->spec->command.n)
		strbuf_addf(out, " (%s)", t->spec->command.v[0]);
	for (i = 0; i < t->spec->rules.n; i++)
		strbuf_addf(out, "%s%s=%s", i ? "," : " rules=", t->spec->rules.keys[i], t->spec->rules.vals[i]);
}

/* External bases (pinned_base judges these, not the manifest's own). */
static void external_bases(const struct runner *r, const struct image *img, struct strlist *out)
{
	size_t k;

	for (k = 0; k < img->bases.n; k++)
		if (project_base_image(r->project, img, img->bases.v[k]) < 0)
			strlist_push(out, img->bases.v[k]);
}

static int scan_hash_inputs(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct scan_target *t = s->data;
	struct step_result *res = &r->results[i], *b = &r->results[runner_dep(r, i, &step_kind_build)];
	struct strbuf in = STRBUF_INIT;
	struct strlist bases = { 0 };
	char hex[65];
	size_t k;

	external_bases(r, t->image, &bases);
	strbuf_addf(&in, "ccbuild-scan-v1\n%s\n%s", b->output ? b->output : "", t->spec->name);
	for (k = 0; k < t->spec->rules.n; k++)
		strbuf_addf(&in, "\nrule %s=%s", t->spec->rules.keys[k], t->spec->rules.vals[k]);
	for (k = 0; k < t->spec->command.n; k++)
		strbuf_addf(&in, "\narg %s", t->spec->command.v[k]);
	for (k = 0; k < t->spec->required_labels.n; k++)
		strbuf_addf(&in, "\nlabel %s", t->spec->required_labels.v[k]);
	for (k = 0; k < bases.n; k++)
		strbuf_addf(&in, "\nbase %s", bases.v[k]);
	strlist_release(&bases);
	hash_sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	res->hash = xstrdup(hex);
	return 0;
}

static char *scan_changed(struct runner *r, size_t i, const struct step_record *rec)
{
	return xstrdup("a new image or new rules");
}

static const struct fact_def fact_findings = { "ccbuild_scan_findings", "gauge",
					       "Findings of the scan's current verdict, by level.", "level" };

/* The report: the verdict (a copy: the record keeps inputs) and its
 * findings by level as facts (facts.h). */
static void scan_report(struct step_result *res)
{
	const json_t *f;
	size_t i, err = 0, warn = 0;

	res->report = json_deep_copy(res->inputs);
	if (!json_object_get(res->inputs, "findings"))
		return;
	json_array_foreach(json_object_get(res->inputs, "findings"), i, f)
	{
		const char *level = json_string_value(json_object_get(f, "level"));

		err += level && !strcmp(level, "error");
		warn += level && !strcmp(level, "warn");
	}
	facts_add(&res->report, &fact_findings, "error", (double)err);
	facts_add(&res->report, &fact_findings, "warn", (double)warn);
}

/* A verdict, once reached, stays: what it found is the record's. */
static int scan_output_exists(struct runner *r, size_t i, const struct step_record *rec, int dry, struct cc_error **err)
{
	struct step_result *res = &r->results[i];

	res->reason = xstrdup("image and rules unchanged");
	if (rec->inputs) {
		res->inputs = json_incref(rec->inputs);
		scan_report(res);
	}
	return 1;
}

/* What a scan judges: the image, or for a multi-platform build each
 * platform's image (REF-os-arch, plats naming the platforms). */
static void scan_refs(const struct image *img, struct strlist *refs, struct strlist *plats)
{
	size_t k;

	if (img->spec.platforms.n < 2) {
		strlist_push(refs, img->spec.ref);
		return;
	}
	for (k = 0; k < img->spec.platforms.n; k++) {
		char *ref = build_platform_ref(img->spec.ref, img->spec.platforms.v[k]);

		strlist_push(refs, ref);
		strlist_push(plats, img->spec.platforms.v[k]);
		free(ref);
	}
}

/* GET /images/REF/json and /history. */
static int inspect_image(struct runner *r, const char *ref, json_t **inspect, json_t **history, struct cc_error **err)
{
	cleanup_free char *eref = engine_escape(ref), *path = xasprintf("/images/%s/history", eref);
	int rc = engine_image_inspect(r->engine, ref, inspect, err);

	if (rc == 0)
		return cc_error_set(err, "image %s is not in the engine", ref);
	if (rc < 0)
		return -1;
	rc = engine_request(r->engine, "GET", path, NULL, history, err);
	if (rc < 0)
		return -1;
	if (rc != 200)
		return engine_status_error(rc, *history, err);
	return 0;
}

static int run_policy(struct runner *r, const struct step *s, struct step_result *res, struct cc_error **err)
{
	const struct scan_target *t = s->data;
	struct strlist bases = { 0 }, refs = { 0 }, plats = { 0 };
	json_t *all = json_array();
	size_t k, j, total = 0;
	int rc = 0, errors = 0;

	external_bases(r, t->image, &bases);
	scan_refs(t->image, &refs, &plats);
	for (k = 0; rc == 0 && k < refs.n; k++) {
		struct scan_findings f = { 0 };
		json_t *inspect = NULL, *history = NULL, *js;
		const char *plat = plats.n ? plats.v[k] : NULL;

		rc = inspect_image(r, refs.v[k], &inspect, &history, err);
		if (rc == 0)
			rc = scanpolicy_check(&t->spec->rules, &t->spec->required_labels, inspect, history, &bases, &f,
					      err);
		json_decref(inspect);
		json_decref(history);
		if (rc < 0)
			break;
		js = scan_findings_json(&f);
		for (j = 0; plat && j < json_array_size(js); j++)
			json_object_set_new(json_array_get(js, j), "platform", json_string(plat));
		json_array_extend(all, js);
		json_decref(js);
		for (j = 0; j < f.n; j++)
			if (strcmp(f.v[j].level, "error"))
				runner_warn(r, "%s: %s%s%s: %s", s->id, plat ? plat : "", plat ? " " : "", f.v[j].rule,
					    f.v[j].evidence);
			else
				cc_error_set(err, "scan %s: image %s%s%s: rule %s: %s", t->spec->name,
					     t->image->spec.key, plat ? " " : "", plat ? plat : "", f.v[j].rule,
					     f.v[j].evidence);
		total += f.n;
		errors |= scan_findings_errors(&f) != 0;
		scan_findings_release(&f);
	}
	if (rc == 0) {
		res->inputs = json_pack("{s:s, s:O}", "scan", t->spec->name, "findings", all);
		scan_report(res);
		if (errors)
			rc = -1;
	}
	res->output = rc == 0 ? xasprintf("%zu finding%s", total, total == 1 ? "" : "s") : NULL;
	json_decref(all);
	strlist_release(&bases);
	strlist_release(&refs);
	strlist_release(&plats);
	return rc;
}

/* argv with {image}, {id}, {name} replaced; caller frees with strlist. */
static void expand_argv(const struct strlist *cmd, const char *ref, const char *id, const char *name,
			struct strlist *out)
{
	size_t k;

	for (k = 0; k < cmd->n; k++) {
		struct strbuf sb = STRBUF_INIT;
		const char *p = cmd->v[k];

		while (*p) {
			if (!strncmp(p, "{image}", 7))
				strbuf_addstr(&sb, ref), p += 7;
			else if (!strncmp(p, "{id}", 4))
				strbuf_addstr(&sb, id), p += 4;
			else if (!strncmp(p, "{name}", 6))
				strbuf_addstr(&sb, name), p += 6;
			else
				strbuf_addch(&sb, *p++);
		}
		strlist_push(out, sb.buf ? sb.buf : "");
		strbuf_release(&sb);
	}
}

/* Run argv with stdout and stderr into log; its exit status, 127 when it
 * could not be run, -1 when cancelled.  TRACEPARENT names step i's span. */
static int run_scanner(struct runner *r, size_t i, char **argv, const char *log, struct cc_error **err)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), status = 0;
	char tp[72] = "TRACEPARENT=";
	cleanup_free char **env = env_with(runner_traceparent(r, i, tp + 12, sizeof(tp) - 12) ? tp : NULL);
	pid_t pid, w;

	if (fd < 0)
		return cc_error_set(err, "%s: %s", log, strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fd);
		return cc_error_set(err, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvpe(argv[0], argv, env);
		dprintf(2, "ccbuild: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		struct timespec ts = { 0, 50 * 1000000L };

		if (cancel_pending(r->cancel)) {
			kill(-pid, SIGTERM);
			waitpid(pid, &status, 0);
			return cc_error_set(err, "scanner %s cancelled", argv[0]);
		}
		nanosleep(&ts, NULL);
	}
	if (w < 0)
		return cc_error_set(err, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last lines of a file, indented, for an error message. */
static char *tail_lines(const char *path, int lines)
{
	cleanup_free char *text = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t len = 0, start;
	int seen = 0;

	if (read_file(path, &text, &len, NULL) < 0 || !len)
		return xstrdup("");
	start = len;
	while (start > 0 && seen <= lines)
		if (text[--start] == '\n' && start + 1 < len)
			seen++;
	char *save = NULL;

	for (char *line = strtok_r(text + start + (text[start] == '\n'), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		strbuf_addf(&sb, "\n  | %s", line);
	return sb.buf ? sb.buf : xstrdup("");
}

/* One scanner run on image ref (ID id); its exit code, -1 on error. */
static int scan_one(struct runner *r, const struct step *s, const char *ref, const char *id, const char *log,
		    struct cc_error **err)
{
	const struct scan_target *t = s->data;
	struct strlist argv = { 0 };
	int code;

	expand_argv(&t->spec->command, ref, id, t->image->spec.key, &argv);
	strlist_push(&argv, ""); /* NULL-terminated below */
	free(argv.v[argv.n - 1]);
	argv.v[argv.n - 1] = NULL;
	ui_step_progress(r->ui, s->id, argv.v[0]);
	code = run_scanner(r, (size_t)(s - r->project->graph.steps), argv.v, log, err);
	argv.n--;
	strlist_release(&argv);
	return code;
}

/* The engine's ID of ref, or NULL (err set). */
static char *image_id(struct runner *r, const char *ref, struct cc_error **err)
{
	json_t *info = NULL;
	char *id = NULL;
	int rc = engine_image_inspect(r->engine, ref, &info, err);

	if (rc == 1)
		id = xstrdup(json_string_value(json_object_get(info, "Id")) ?: "");
	else if (rc == 0)
		cc_error_set(err, "image %s is not in the engine", ref);
	json_decref(info);
	return id;
}

/* The scanner once per image judged (each platform's of a multi-platform
 * build), output in STATE/scans/IMAGE-SCAN[-os-arch].log; any non-zero
 * exit fails the step. */
static int run_external(struct runner *r, const struct step *s, struct step_result *res, struct cc_error **err)
{
	const struct scan_target *t = s->data;
	cleanup_free char *dir = path_join(r->state_dir, "scans");
	struct strlist refs = { 0 }, plats = { 0 };
	json_t *runs = json_array();
	size_t k;
	int rc = 0, worst = 0;

	mkdir(dir, 0755);
	scan_refs(t->image, &refs, &plats);
	for (k = 0; rc == 0 && k < refs.n; k++) {
		cleanup_free char *id = image_id(r, refs.v[k], err), *log = NULL, *tail = NULL, *suffix = NULL;
		const char *plat = plats.n ? plats.v[k] : NULL;
		int code;

		if (!id) {
			rc = -1;
			break;
		}
		suffix = plat ? xasprintf("-%s", plat) : xstrdup("");
		for (char *c = suffix; *c; c++)
			if (*c == '/')
				*c = '-';
		log = xasprintf("%s/%s-%s%s.log", dir, t->image->spec.key, t->spec->name, suffix);
		if ((code = scan_one(r, s, refs.v[k], id, log, err)) < 0) {
			rc = -1;
			break;
		}
		json_array_append_new(
			runs, plat ? json_pack("{s:s, s:i, s:s}", "platform", plat, "exit_code", code, "output", log)
				   : json_pack("{s:i, s:s}", "exit_code", code, "output", log));
		if (code == 0)
			continue;
		worst = worst ? worst : code;
		tail = tail_lines(log, 10);
		cc_error_set(err, "scan %s: image %s%s%s: %s exited %d%s (output: %s)%s", t->spec->name,
			     t->image->spec.key, plat ? " " : "", plat ? plat : "", t->spec->command.v[0], code,
			     code == 127 ? " (not found?)" : "", log, tail);
	}
	if (rc == 0) {
		json_t *first = json_array_get(runs, 0);

		res->inputs = json_pack("{s:s, s:i, s:O}", "scan", t->spec->name, "exit_code", worst, "output",
					json_object_get(first, "output"));
		if (plats.n)
			json_object_set(res->inputs, "platforms", runs);
		res->report = json_incref(res->inputs);
		if (worst)
			rc = -1;
		else
			res->output =
				xasprintf("exit 0, output in %s", json_string_value(json_object_get(first, "output")));
	}
	json_decref(runs);
	strlist_release(&refs);
	strlist_release(&plats);
	return rc;
}

static int scan_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct scan_target *t = s->data;
	size_t b = runner_dep(r, i, &step_kind_build);

	if (build_make_local(r, b, i, t->image, err) < 0) /* judges each platform's image */
		return -1;
	if (t->spec->command.n)
		return run_external(r, s, &r->results[i], err);
	return run_policy(r, s, &r->results[i], err);
}

/* Findings of rule in a scan's report, at level, one per line. */
static void rule_findings(const json_t *report, const char *rule, const char *level, struct strbuf *out)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(report, "findings"), i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "rule")) ?: "", rule))
			continue;
		if (strcmp(json_string_value(json_object_get(f, "level")) ?: "", level))
			continue;
		strbuf_addf(out, "%s%s", out->len ? "\n" : "", json_string_value(json_object_get(f, "evidence")) ?: "");
	}
}

/* Set o.key to v as it is: a scanner's output need not be UTF-8. */
static void set_text(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string_nocheck(v));
}

/* A testsuite per scan: a testcase per image and rule (per image for an
 * external scanner), failing on error-level findings or a non-zero exit. */
static json_t *scan_report_tests(const struct step *s, const struct step_result *res)
{
	const struct scan_target *t = s->data;
	int ended = res->status == STEP_DONE || res->status == STEP_UP_TO_DATE;
	json_t *cases = json_array(), *c;
	size_t k;

	if (t->spec->command.n) {
		c = json_pack("{s:I}", "time_ms", (json_int_t)res->ms);
		set_text(c, "name", t->image->spec.key);
		if (!ended)
			set_text(c, "failure", res->error ? res->error : step_status_name(res->status));
		json_array_append_new(cases, c);
	}
	for (k = 0; !t->spec->command.n && k < t->spec->rules.n; k++) {
		const char *rule = t->spec->rules.keys[k];
		struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
		cleanup_free char *name = NULL;

		if (!strcmp(t->spec->rules.vals[k], "off"))
			continue;
		name = xasprintf("%s: %s", t->image->spec.key, rule);
		c = json_object();
		set_text(c, "name", name);
		rule_findings(res->report, rule, "error", &err);
		rule_findings(res->report, rule, "warn", &warn);
		if (!res->report && !ended)
			set_text(c, "skipped", step_status_name(res->status));
		else if (err.len) {
			set_text(c, "failure", err.buf);
			set_text(c, "type", rule);
		}
		if (warn.len)
			set_text(c, "output", warn.buf);
		json_array_append_new(cases, c);
		strbuf_release(&err);
		strbuf_release(&warn);
	}
	c = json_object();
	set_text(c, "suite", t->spec->name);
	json_object_set_new(c, "cases", cases);
	return c;
}

const struct step_kind step_kind_scan = {
	.name = "scan",
	.needs_outputs = 1,
	.describe = scan_describe,
	.hash_inputs = scan_hash_inputs,
	.no_record = "not scanned before",
	.changed = scan_changed,
	.output_exists = scan_output_exists,
	.report_tests = scan_report_tests,
	.run = scan_run,
};
