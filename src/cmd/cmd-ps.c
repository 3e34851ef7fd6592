/* cmd-ps: `ccbuild ps PROFILE [SERVICE...]` — the project's service
 * containers (running or not; one-off run and test containers left out)
 * found by compose's labels: service, container, state, health, ports,
 * and the deploy hash with its age (the container's creation, since a
 * changed hash recreates it).  A container that Docker Compose made has
 * no deploy hash: "-".  --json: one object per container per line. */
#include "cli.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PS_HASH_WIDTH 12

/* "45s", "12m", "3h", "2d": how long ago t was. */
static char *age_string(int64_t t, int64_t now)
{
	int64_t s = now > t ? now - t : 0;

	if (s < 120)
		return xasprintf("%llds", (long long)s);
	if (s < 120 * 60)
		return xasprintf("%lldm", (long long)(s / 60));
	if (s < 48 * 3600)
		return xasprintf("%lldh", (long long)(s / 3600));
	return xasprintf("%lldd", (long long)(s / 86400));
}

static int ps_wanted(const struct deploy_found *f, int argc, char **argv)
{
	if (f->oneoff)
		return 0;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], f->service))
			return 1;
	return argc == 0;
}

static void ps_json(const struct deploy_found *f, int64_t now)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "service", f->service, "container",
			      f->name, "id", f->id, "state", f->state, "health", f->health, "ports", f->ports, "hash",
			      f->hash ? json_string(f->hash) : json_null(), "created", (json_int_t)f->created,
			      "age_seconds", (json_int_t)(now > f->created ? now - f->created : 0));
	char *s = json_dumps(o, JSON_COMPACT);

	puts(s);
	free(s);
	json_decref(o);
}

/* Column widths, then the table; the header even when nothing runs. */
static void ps_table(const struct deploy_found_list *l, int argc, char **argv, int64_t now)
{
	int w[5] = { 7, 9, 5, 6, 5 };
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct deploy_found *f = &l->v[i];
		int len[5] = { (int)strlen(f->service), (int)strlen(f->name), (int)strlen(f->state),
			       (int)strlen(f->health), (int)strlen(f->ports) };

		if (!ps_wanted(f, argc, argv))
			continue;
		for (int k = 0; k < 5; k++)
			w[k] = len[k] > w[k] ? len[k] : w[k];
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], "SERVICE", w[1], "CONTAINER", w[2], "STATE", w[3],
	       "HEALTH", w[4], "PORTS", PS_HASH_WIDTH, "DEPLOY HASH", "AGE");
	for (i = 0; i < l->n; i++) {
		const struct deploy_found *f = &l->v[i];
		cleanup_free char *age = age_string(f->created, now);

		if (!ps_wanted(f, argc, argv))
			continue;
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*.*s  %s\n", w[0], f->service, w[1], f->name, w[2], f->state,
		       w[3], *f->health ? f->health : "-", w[4], *f->ports ? f->ports : "-", PS_HASH_WIDTH,
		       PS_HASH_WIDTH, f->hash ? f->hash : "-", age);
	}
}

/* A SERVICE argument must name a service of the model or of a container. */
static int ps_check_services(const struct cli *cli, const struct deploy_found_list *l, int argc, char **argv)
{
	const struct compose_project *c = cli->project ? cli->project->compose : NULL;

	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-')
			return cli_fail(EXIT_USAGE, "ps: unknown option '%s'", argv[i]);
		if ((!c || compose_service_find(c, argv[i]) < 0) && deploy_found_service(l, argv[i]) < 0)
			return cli_fail(EXIT_USAGE, "ps: no such service: %s", argv[i]);
	}
	return 0;
}

int cmd_ps(struct cli *cli, int argc, char **argv)
{
	cleanup_free char *project = deploy_project_name(cli->manifest->project);
	struct deploy_found_list l = { 0 };
	struct cc_error *err = NULL;
	struct engine *e = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = cli_engine(cli, 1, &e)))
		return rc;
	rc = deploy_find_containers(e, project, &l, &err);
	engine_close(e);
	if (rc < 0)
		return cli_report(err, rc == ENGINE_UNREACHABLE ? EXIT_ENGINE : EXIT_FAILED);
	if ((rc = ps_check_services(cli, &l, argc, argv)) == 0) {
		if (cli->json) {
			for (size_t i = 0; i < l.n; i++)
				if (ps_wanted(&l.v[i], argc, argv))
					ps_json(&l.v[i], now);
		} else
			ps_table(&l, argc, argv, now);
	}
	deploy_found_release(&l);
	return rc;
}
