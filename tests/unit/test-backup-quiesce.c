/* The quiesce: and service: grammar of backups: (backup-spec.c). */
#include "backup-spec.h"
#include "error.h"
#include "tap.h"
#include "ynode.h"

#include <stdlib.h>
#include <string.h>

/* Parse `backups:` text; 0 or -1, the first error's message into *msg. */
static int parse(const char *text, struct backup_spec **v, size_t *n, char **msg)
{
	struct ynode *doc = NULL;
	struct cc_error *err = NULL;
	int rc = ynode_parse_buffer("m.yaml", text, strlen(text), &doc, &err);

	if (rc == 0)
		rc = backup_specs_parse(ynode_map_get(doc, "backups"), "/m", v, n, &err);
	*msg = err ? strdup(err->msg) : NULL;
	cc_error_free(err);
	ynode_free(doc);
	return rc;
}

static void test_forms(void)
{
	struct backup_spec *v = NULL;
	size_t n = 0;
	char *msg = NULL;
	int rc = parse("backups:\n"
		       "  db:\n"
		       "    source: service:database\n"
		       "    destinations: [{path: r}]\n"
		       "    quiesce:\n"
		       "      exec: {service: database, command: [pg_dump, -U, postgres, -f, /d/x.sql, app]}\n"
		       "  two:\n"
		       "    source: volume:v\n"
		       "    destinations: [{path: r}]\n"
		       "    quiesce:\n"
		       "      - stop: [worker, web]\n"
		       "      - exec: {service: db, command: [sync]}\n",
		       &v, &n, &msg);

	ok(rc == 0 && n == 2, "service: source and both quiesce forms parse: %s", msg ? msg : "ok");
	if (rc == 0 && n == 2) {
		ok(v[0].kind == BACKUP_SOURCE_SERVICE && !strcmp(v[0].source, "database"), "service:NAME");
		ok(v[0].nhooks == 1 && !v[0].hooks[0].stop && !strcmp(v[0].hooks[0].service, "database") &&
			   v[0].hooks[0].argv.n == 6 && !strcmp(v[0].hooks[0].argv.v[5], "app"),
		   "exec: {service, command}");
		ok(v[1].nhooks == 2 && v[1].hooks[0].stop && v[1].hooks[0].services.n == 2 &&
			   !strcmp(v[1].hooks[0].services.v[1], "web") && !v[1].hooks[1].stop,
		   "a list of hooks, in order");
		is_str(backup_source_prefix(&v[0]), "service", "the source prefix");
	}
	backup_specs_free(v, n);
	free(msg);
}

static void expect_error(const char *quiesce, const char *want)
{
	struct backup_spec *v = NULL;
	size_t n = 0;
	char *msg = NULL, *text = NULL;
	int rc;

	if (asprintf(&text, "backups:\n  db:\n    source: volume:v\n    destinations: [{path: r}]\n    quiesce: %s\n",
		     quiesce) < 0)
		abort();
	rc = parse(text, &v, &n, &msg);
	ok(rc < 0 && msg && strstr(msg, want) && strstr(msg, "m.yaml:5:"), "quiesce: %s -> %s", quiesce,
	   msg ? msg : "(accepted)");
	backup_specs_free(v, n);
	free(msg);
	free(text);
}

int main(void)
{
	test_forms();
	expect_error("{exec: {service: db}}", "{service: NAME, command: [ARGV...]}");
	expect_error("{exec: {service: db, command: []}}", "{service: NAME, command: [ARGV...]}");
	expect_error("{stop: []}", "must be a list of services");
	expect_error("{stop: [\"bad name\"]}", "items must be service names");
	expect_error("{pause: [db]}", "unknown key 'pause'");
	expect_error("[]", "must be {exec: ...}");
	expect_error("yes", "must be {exec: ...}");
	return done_testing();
}
