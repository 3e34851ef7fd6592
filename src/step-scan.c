/* step-scan: the scan:IMAGE:SCAN step kind — judge a built image before
 * anything ships it.
 *
 * A policy scan (rules:) reads the image's inspect and history through the
 * Engine API (scanpolicy.h); an external scan (command:) runs the scanner
 * with {image}, {id} and {name} substituted, its output kept in
 * STATE/scans/STEP.log, its exit code the verdict.  An error-level finding
 * or a non-zero exit fails the step, which cancels the push after it.
 * Input hash: the image ID, the scan's rules or command, required labels
 * and (for pinned_base) the bases: an unchanged image is not rescanned. */
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "runner.h"
#include "scanpolicy.h"
#include "state.h"
#include "step.h"
#include "ui.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
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

	strbuf_addf(out, "scan %s with %s", t->image->ref, t->spec->name);
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
		if (project_image_named(r->project, img->bases.v[k]) < 0)
			strlist_push(out, img->bases.v[k]);
}

static int scan_check(struct runner *r, size_t i, int dry, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct scan_target *t = s->data;
	struct step_result *res = &r->results[i], *b = &r->results[runner_dep(r, i, &step_kind_build)];
	struct strbuf in = STRBUF_INIT;
	struct strlist bases = { 0 };
	struct step_record rec;
	cleanup_free char *warning = NULL;
	unsigned char d[32];
	unsigned int n = 32;
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
	if (!EVP_Digest(in.buf, in.len, d, &n, EVP_sha256(), NULL))
		abort();
	strbuf_release(&in);
	hash_hex(d, hex);
	res->hash = xstrdup(hex);
	if (state_load_step(r->state_dir, s->id, &rec, &warning) != 1) {
		if (warning)
			runner_warn(r, "%s", warning);
		res->reason = xstrdup("not scanned before");
		return 0;
	}
	if (strcmp(rec.input, res->hash)) {
		res->reason = xstrdup("a new image or new rules");
		step_record_release(&rec);
		return 0;
	}
	res->output = xstrdup(rec.output);
	res->reason = xstrdup("image and rules unchanged");
	if (rec.inputs) {
		res->inputs = json_incref(rec.inputs);
		res->report = json_incref(rec.inputs);
	}
	step_record_release(&rec);
	return 1;
}

/* GET /images/REF/json and /history. */
static int inspect_image(struct runner *r, const char *ref, json_t **inspect, json_t **history,
			 struct cc_error **err)
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
	struct scan_findings f = { 0 };
	struct strlist bases = { 0 };
	json_t *inspect = NULL, *history = NULL;
	size_t k;
	int rc;

	external_bases(r, t->image, &bases);
	rc = inspect_image(r, t->image->ref, &inspect, &history, err);
	if (rc == 0)
		rc = scanpolicy_check(&t->spec->rules, &t->spec->required_labels, inspect, history, &bases, &f, err);
	if (rc == 0) {
		res->inputs = json_pack("{s:s, s:o}", "scan", t->spec->name, "findings", scan_findings_json(&f));
		res->report = json_incref(res->inputs);
		for (k = 0; k < f.n; k++)
			if (strcmp(f.v[k].level, "error"))
				runner_warn(r, "%s: %s: %s", s->id, f.v[k].rule, f.v[k].evidence);
			else
				cc_error_set(err, "scan %s: image %s: rule %s: %s", t->spec->name, t->image->key,
					     f.v[k].rule, f.v[k].evidence);
		if (scan_findings_errors(&f))
			rc = -1;
	}
	res->output = rc == 0 ? xasprintf("%zu finding%s", f.n, f.n == 1 ? "" : "s") : NULL;
	scan_findings_release(&f);
	strlist_release(&bases);
	json_decref(inspect);
	json_decref(history);
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
 * could not be run, -1 when cancelled. */
static int run_scanner(struct runner *r, char **argv, const char *log, struct cc_error **err)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), status = 0;
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
		execvp(argv[0], argv);
		dprintf(2, "ccbuild: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		struct timespec ts = { 0, 50 * 1000000L };

		if (*r->cancel) {
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
	for (char *line = strtok(text + start + (text[start] == '\n'), "\n"); line; line = strtok(NULL, "\n"))
		strbuf_addf(&sb, "\n  | %s", line);
	return sb.buf ? sb.buf : xstrdup("");
}

static int run_external(struct runner *r, const struct step *s, struct step_result *res, const char *image_id,
			struct cc_error **err)
{
	const struct scan_target *t = s->data;
	cleanup_free char *dir = path_join(r->state_dir, "scans"), *log = NULL, *tail = NULL;
	struct strlist argv = { 0 };
	int code;

	mkdir(dir, 0755);
	log = xasprintf("%s/%s-%s.log", dir, t->image->key, t->spec->name);
	expand_argv(&t->spec->command, t->image->ref, image_id, t->image->key, &argv);
	strlist_push(&argv, ""); /* NULL-terminated below */
	free(argv.v[argv.n - 1]);
	argv.v[argv.n - 1] = NULL;
	ui_step_progress(r->ui, s->id, argv.v[0]);
	code = run_scanner(r, argv.v, log, err);
	argv.n--;
	strlist_release(&argv);
	if (code < 0)
		return -1;
	res->inputs = json_pack("{s:s, s:i, s:s}", "scan", t->spec->name, "exit_code", code, "output", log);
	res->report = json_incref(res->inputs);
	if (code == 0) {
		res->output = xasprintf("exit 0, output in %s", log);
		return 0;
	}
	tail = tail_lines(log, 10);
	return cc_error_set(err, "scan %s: image %s: %s exited %d%s (output: %s)%s", t->spec->name, t->image->key,
			    t->spec->command.v[0], code, code == 127 ? " (not found?)" : "", log, tail);
}

static int scan_run(struct runner *r, size_t i, struct cc_error **err)
{
	const struct step *s = &r->project->graph.steps[i];
	const struct scan_target *t = s->data;
	size_t b = runner_dep(r, i, &step_kind_build);
	json_t *info = NULL;
	cleanup_free char *id = NULL;
	int rc;

	if (build_make_local(r, b, i, err) < 0)
		return -1;
	rc = engine_image_inspect(r->engine, t->image->ref, &info, err);
	if (rc == 1)
		id = xstrdup(json_string_value(json_object_get(info, "Id")) ?: "");
	json_decref(info);
	if (rc <= 0)
		return rc == 0 ? cc_error_set(err, "image %s is not in the engine", t->image->ref) : -1;
	if (t->spec->command.n)
		return run_external(r, s, &r->results[i], id, err);
	return run_policy(r, s, &r->results[i], err);
}

const struct step_kind step_kind_scan = {
	.name = "scan",
	.needs_outputs = 1,
	.describe = scan_describe,
	.check = scan_check,
	.run = scan_run,
};
