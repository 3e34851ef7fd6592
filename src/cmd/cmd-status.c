/* cmd-status: `ccbuild status PROFILE [--json]` — for a person at a
 * terminal, from the state directory and the backup repositories alone
 * (no engine, no registry, so it answers at once): the profile's last
 * run, the last run of each of its steps (when, how long, result; an up
 * step's containers and health as its last run saw them), the newest
 * snapshot of each backup and its age, the last sync of each sync.
 * --json prints the same as one object. */
#include "backup.h"
#include "backup-snapshot.h"
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "lastrun.h"
#include "manifest.h"
#include "manifest-sync.h"
#include "project.h"
#include "step.h"
#include "util.h"
#include "warnings.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "45s", "12m", "3h", "2d" ago. */
static void age_text(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds ago", (long long)s);
	else if (s < 120 * 60)
		snprintf(buf, len, "%lldm ago", (long long)(s / 60));
	else if (s < 48 * 3600)
		snprintf(buf, len, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd ago", (long long)(s / 86400));
}

/* A copy of the record's entry (or {"status":"never run"}) with its age. */
static json_t *with_age(const json_t *entry, int64_t now)
{
	json_t *e = entry ? json_deep_copy(entry) : json_pack("{s:s}", "status", "never run");
	json_t *t = json_object_get(e, "time"), *ok = json_object_get(e, "last_success");

	if (json_is_integer(t))
		json_object_set_new(e, "age_seconds", json_integer(now - json_integer_value(t)));
	if (json_is_integer(ok))
		json_object_set_new(e, "last_success_age_seconds", json_integer(now - json_integer_value(ok)));
	return e;
}

static json_t *status_steps(const struct project *p, const json_t *rec, int64_t now)
{
	const struct graph *g = &p->graph;
	json_t *out = json_array(), *e;
	size_t k;

	for (k = 0; k < g->nsteps; k++) {
		const struct step *s = &g->steps[g->order[k]];

		e = with_age(json_object_get(json_object_get(rec, "steps"), s->id), now);
		json_object_set_new(e, "step", json_string(s->id));
		json_object_set_new(e, "kind", json_string(s->kind->name));
		json_array_append_new(out, e);
	}
	return out;
}

/* The newest snapshot of b, from its first readable path destination. */
static json_t *status_backup(const struct backup_spec *b, const json_t *rec, int64_t now)
{
	cleanup_free char *id = xasprintf("backup:%s", b->name);
	json_t *o = json_pack("{s:s, s:o}", "name", b->name, "step",
			      with_age(json_object_get(json_object_get(rec, "steps"), id), now));
	struct bk_snapshot *s = NULL;
	struct cc_error *err = NULL;
	const char *dir = NULL;
	size_t n = 0;

	if (backup_list(b, &dir, &s, &n, &err) < 0) {
		json_object_set_new(o, "error", json_string(err->msg));
		cc_error_free(err);
		return o;
	}
	json_object_set_new(o, "repository", json_string(dir));
	json_object_set_new(o, "snapshots", json_integer((json_int_t)n));
	if (n)
		json_object_set_new(o, "newest",
				    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "id", s[n - 1].id, "time",
					      (json_int_t)s[n - 1].time, "age_seconds",
					      (json_int_t)(now - s[n - 1].time), "files", (json_int_t)s[n - 1].files,
					      "bytes", (json_int_t)s[n - 1].bytes, "new_bytes",
					      (json_int_t)s[n - 1].new_bytes));
	bk_snapshots_free(s, n);
	return o;
}

static json_t *status_doc(const struct cli *cli, const json_t *rec, int64_t now)
{
	const struct profile_spec *p = cli->project->profile;
	const json_t *run = json_object_get(json_object_get(rec, "runs"), p->name);
	json_t *doc = json_pack("{s:s, s:s, s:o, s:o, s:[], s:[]}", "project", cli->manifest->project, "profile",
				p->name, "run", run ? with_age(run, now) : json_null(), "steps",
				status_steps(cli->project, rec, now), "backups", "syncs");
	const struct backup_spec *b;
	size_t i;

	for (i = 0; i < p->backups.n; i++)
		if ((b = manifest_backup(cli->manifest, p->backups.v[i])))
			json_array_append_new(json_object_get(doc, "backups"), status_backup(b, rec, now));
	for (i = 0; i < p->syncs.n; i++) {
		cleanup_free char *id = xasprintf("sync:%s", p->syncs.v[i]);

		json_array_append_new(json_object_get(doc, "syncs"),
				      json_pack("{s:s, s:o}", "name", p->syncs.v[i], "step",
						with_age(json_object_get(json_object_get(rec, "steps"), id), now)));
	}
	return doc;
}

/* "done 3m ago, took 1.2s" or "never run". */
static void entry_text(const json_t *e, char *buf, size_t len)
{
	const char *status = json_string_value(json_object_get(e, "status"));
	json_t *age = json_object_get(e, "age_seconds");
	char when[32];

	if (!json_is_integer(age)) {
		snprintf(buf, len, "%s", status ? status : "never run");
		return;
	}
	age_text(json_integer_value(age), when, sizeof(when));
	snprintf(buf, len, "%-10s %-9s took %.1fs", status ? status : "?", when,
		 json_integer_value(json_object_get(e, "duration_ms")) / 1000.0);
}

static void print_step(const json_t *e)
{
	const char *err = json_string_value(json_object_get(e, "error"));
	json_t *ok = json_object_get(e, "last_success_age_seconds"), *c;
	const char *status = json_string_value(json_object_get(e, "status"));
	char text[96], when[32];
	size_t i;

	entry_text(e, text, sizeof(text));
	printf("  %-24s %-6s %s", json_string_value(json_object_get(e, "step")),
	       json_string_value(json_object_get(e, "kind")), text);
	if (json_is_integer(ok) && strcmp(status, "done") && strcmp(status, "up-to-date")) {
		age_text(json_integer_value(ok), when, sizeof(when));
		printf("  (last success %s)", when);
	}
	putchar('\n');
	if (err)
		printf("      error: %s\n", err);
	json_array_foreach(json_object_get(e, "containers"), i, c)
		printf("      container %s: %s when last seen\n", json_string_value(json_object_get(c, "container")),
		       !strcmp(status, "done") || !strcmp(status, "up-to-date") ? "running and healthy" : status);
}

static void print_backup(const json_t *b)
{
	const json_t *newest = json_object_get(b, "newest");
	char when[32], text[96];

	entry_text(json_object_get(b, "step"), text, sizeof(text));
	printf("  %-24s last backup step: %s\n", json_string_value(json_object_get(b, "name")), text);
	if (json_object_get(b, "error"))
		printf("      repository: %s\n", json_string_value(json_object_get(b, "error")));
	else if (!newest)
		printf("      no snapshot in %s\n", json_string_value(json_object_get(b, "repository")));
	else {
		age_text(json_integer_value(json_object_get(newest, "age_seconds")), when, sizeof(when));
		printf("      newest snapshot %s, %s (%lld files, %lld bytes) in %s\n",
		       json_string_value(json_object_get(newest, "id")), when,
		       (long long)json_integer_value(json_object_get(newest, "files")),
		       (long long)json_integer_value(json_object_get(newest, "bytes")),
		       json_string_value(json_object_get(b, "repository")));
	}
}

static void print_status(const json_t *doc)
{
	const json_t *run = json_object_get(doc, "run"), *v;
	char when[32];
	size_t i;

	printf("%s %s: ", json_string_value(json_object_get(doc, "project")),
	       json_string_value(json_object_get(doc, "profile")));
	if (json_is_null(run))
		printf("no run recorded in the state directory\n");
	else {
		age_text(json_integer_value(json_object_get(run, "age_seconds")), when, sizeof(when));
		printf("last run %s (ccbuild %s), exit code %lld, took %.1fs\n", when,
		       json_string_value(json_object_get(run, "command")),
		       (long long)json_integer_value(json_object_get(run, "exit_code")),
		       json_integer_value(json_object_get(run, "duration_ms")) / 1000.0);
	}
	printf("steps:\n");
	json_array_foreach(json_object_get(doc, "steps"), i, v) print_step(v);
	if (json_array_size(json_object_get(doc, "backups")))
		printf("backups:\n");
	json_array_foreach(json_object_get(doc, "backups"), i, v) print_backup(v);
	if (json_array_size(json_object_get(doc, "syncs")))
		printf("syncs:\n");
	json_array_foreach(json_object_get(doc, "syncs"), i, v)
	{
		char text[96];

		entry_text(json_object_get(v, "step"), text, sizeof(text));
		printf("  %-24s last sync: %s\n", json_string_value(json_object_get(v, "name")), text);
	}
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	cleanup_free char *state_dir = NULL, *warning = NULL;
	json_t *rec, *doc;

	if (argc > 0)
		return cli_fail(EXIT_USAGE, "status: unexpected argument '%s'", argv[0]);
	state_dir = cli_state_dir(cli);
	rec = lastrun_load(state_dir, &warning);
	if (warning)
		fprintf(stderr, "ccbuild: warning: %s\n", warning);
	doc = status_doc(cli, rec, (int64_t)time(NULL));
	if (cli->json) {
		char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

		puts(text);
		free(text);
	} else
		print_status(doc);
	json_decref(doc);
	json_decref(rec);
	return EXIT_OK;
}
