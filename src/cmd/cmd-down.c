/* cmd-down: `ccbuild down PROFILE [--volumes] [--timeout S]` — stop and
 * remove every container of the project (found by compose's labels, so
 * also what `docker compose up` made; one-off run and test containers
 * too) in reverse dependency order: a container stops only once every
 * container that depends on its service has (com.docker.compose.depends_on),
 * the containers of one level in parallel.  Then the project's networks,
 * and with --volumes its named volumes and the containers' anonymous ones.
 * Only what carries the project's label is removed, and never a network
 * or volume the compose model declares external.  --timeout S: seconds
 * to wait before the kill (default: the container's own, which up sets
 * from stop_grace_period).  Errors do not stop the rest; exit 1 if any.
 * First, unless --no-sync, the profile's direction out and both syncs run
 * (cli_sync_out), so what the containers wrote to a synced directory is
 * back in its source before they go; a failed sync stops down there. */
#include "cli.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "util.h"
#include "ynode.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Containers stopped at once within one level. */
#define DOWN_PARALLEL 16

struct down_opts {
	int volumes, no_sync;
	int timeout; /* < 0: the container's own */
};

struct down_job {
	struct engine *e;
	const struct deploy_found *c;
	const struct down_opts *o;
	struct cc_error *err;
	int rc;
};

static void *down_container(void *arg)
{
	struct down_job *j = arg;

	j->rc = engine_container_stop(j->e, j->c->id, j->o->timeout, NULL, &j->err);
	if (j->rc >= 0)
		j->rc = engine_container_remove(j->e, j->c->id, 1, j->o->volumes, &j->err);
	if (j->rc < 0)
		cc_error_wrap(&j->err, "container %s", j->c->name);
	return NULL;
}

/* level[i]: 0 when no container depends on i's service, else one more
 * than the highest level of those that do; a cycle is cut at n. */
static size_t *down_levels(const struct deploy_found_list *l, size_t *max)
{
	size_t *level = xcalloc(l->n + 1, sizeof(*level));
	int changed = 1;

	for (size_t round = 0; changed && round < l->n; round++) {
		changed = 0;
		for (size_t j = 0; j < l->n; j++)
			for (size_t i = 0; i < l->n; i++)
				if (i != j && strcmp(l->v[i].service, l->v[j].service) &&
				    strlist_has(&l->v[j].depends_on, l->v[i].service) && level[i] < level[j] + 1 &&
				    level[j] + 1 <= l->n) {
					level[i] = level[j] + 1;
					changed = 1;
				}
	}
	*max = 0;
	for (size_t i = 0; i < l->n; i++)
		*max = level[i] > *max ? level[i] : *max;
	return level;
}

static void down_say(const struct cli *cli, const char *kind, const char *name, const char *what)
{
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "object", kind, "name", name, "action", what);
		char *s = json_dumps(o, JSON_COMPACT);

		puts(s);
		free(s);
		json_decref(o);
	} else if (cli->verbosity >= 0)
		printf("%s %s  %s\n", kind[0] == 'c' ? "Container" : kind[0] == 'n' ? "Network" : "Volume", name, what);
	fflush(stdout);
}

/* Run the jobs of one level, DOWN_PARALLEL at a time; failures counted. */
static int down_level(const struct cli *cli, struct down_job *jobs, size_t n)
{
	pthread_t th[DOWN_PARALLEL];
	int started[DOWN_PARALLEL], failed = 0;

	for (size_t at = 0; at < n; at += DOWN_PARALLEL) {
		size_t k = n - at < DOWN_PARALLEL ? n - at : DOWN_PARALLEL;

		for (size_t i = 0; i < k; i++)
			if (!(started[i] = !pthread_create(&th[i], NULL, down_container, &jobs[at + i])))
				down_container(&jobs[at + i]);
		for (size_t i = 0; i < k; i++) {
			struct down_job *j = &jobs[at + i];

			if (started[i])
				pthread_join(th[i], NULL);
			if (j->rc < 0) {
				cli_report(j->err, 0);
				failed++;
			} else
				down_say(cli, "container", j->c->name, "Removed");
		}
	}
	return failed;
}

static int down_containers(const struct cli *cli, struct engine *e, const struct deploy_found_list *l,
			   const struct down_opts *o)
{
	size_t max, *level = down_levels(l, &max);
	struct down_job *jobs = xcalloc(l->n + 1, sizeof(*jobs));
	int failed = 0;

	for (size_t lv = 0; lv <= max && l->n; lv++) {
		size_t n = 0;

		for (size_t i = 0; i < l->n; i++)
			if (level[i] == lv)
				jobs[n++] = (struct down_job){ .e = e, .c = &l->v[i], .o = o };
		failed += down_level(cli, jobs, n);
	}
	free(jobs);
	free(level);
	return failed;
}

/* Names of the networks or volumes (kind "networks", "volumes") the
 * model declares external. */
static void external_names(const struct cli *cli, const char *kind, struct strlist *out)
{
	const struct compose_project *c = cli->project ? cli->project->compose : NULL;
	const struct ynode *map = c ? ynode_map_get(compose_config_tree(c), kind) : NULL;
	int yes;

	for (size_t i = 0; map && map->kind == YNODE_MAP && i < map->len; i++) {
		const struct ynode *conf = map->vals[i], *ext = ynode_map_get(conf, "external");
		const struct ynode *name = ynode_map_get(conf, "name");

		if (ext && ynode_is_bool(ext, &yes) && yes)
			strlist_push(out, name && name->kind == YNODE_SCALAR ? name->str : map->keys[i]->str);
	}
}

/* Remove the project's networks or volumes (by label), the external ones
 * kept; failures counted. */
static int down_resources(const struct cli *cli, struct engine *e, const char *project, int volumes)
{
	struct strlist labels = { 0 }, external = { 0 };
	cleanup_free char *filter = xasprintf(DEPLOY_LABEL_PROJECT "=%s", project);
	struct cc_error *err = NULL;
	json_t *list = NULL, *it;
	size_t i;
	int failed = 0, rc;

	strlist_push(&labels, filter);
	external_names(cli, volumes ? "volumes" : "networks", &external);
	rc = (volumes ? engine_volume_list : engine_network_list)(e, &labels, &list, &err);
	if (rc < 0) {
		cli_report(err, 0);
		failed++;
	}
	json_array_foreach(list, i, it)
	{
		const char *name = json_string_value(json_object_get(it, "Name"));

		if (!name || strlist_has(&external, name))
			continue;
		rc = volumes ? engine_volume_remove(e, name, 0, &err) : engine_network_remove(e, name, &err);
		if (rc < 0) {
			cc_error_wrap(&err, "%s %s", volumes ? "volume" : "network", name);
			cli_report(err, 0);
			failed++;
			err = NULL;
		} else if (rc == 0)
			down_say(cli, volumes ? "volume" : "network", name, "Removed");
	}
	json_decref(list);
	strlist_release(&labels);
	strlist_release(&external);
	return failed;
}

static int down_parse(int argc, char **argv, struct down_opts *o)
{
	char *end;

	*o = (struct down_opts){ .volumes = 0, .timeout = -1 };
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--volumes") || !strcmp(a, "-v"))
			o->volumes = 1;
		else if (!strcmp(a, "--no-sync"))
			o->no_sync = 1;
		else if ((!strcmp(a, "--timeout") || !strcmp(a, "-t")) && i + 1 < argc) {
			errno = 0;
			long t = strtol(argv[++i], &end, 10);

			if (errno || *end || end == argv[i] || t < 0 || t > 86400)
				return cli_fail(EXIT_USAGE, "down: --timeout needs seconds (0 to 86400), not '%s'",
						argv[i]);
			o->timeout = (int)t;
		} else if (!strcmp(a, "--timeout") || !strcmp(a, "-t"))
			return cli_fail(EXIT_USAGE, "down: %s needs a value", a);
		else
			return cli_fail(EXIT_USAGE, "down: unexpected argument '%s'", a);
	}
	return 0;
}

int cmd_down(struct cli *cli, int argc, char **argv)
{
	cleanup_free char *project = cli_compose_project(cli);
	struct deploy_found_list l = { 0 };
	struct cc_error *err = NULL;
	struct engine *e = NULL;
	struct down_opts o;
	int rc, failed;

	if ((rc = down_parse(argc, argv, &o)))
		return rc;
	if (!o.no_sync && (rc = cli_sync_out(cli, cli->profile)))
		return cli_fail(rc, "down: a sync out failed, so nothing was stopped; fix it, or down --no-sync");
	if ((rc = cli_engine(cli, 1, &e)))
		return rc;
	if ((rc = deploy_find_containers(e, project, &l, &err)) < 0) {
		engine_close(e);
		return cli_report(err, rc == ENGINE_UNREACHABLE ? EXIT_ENGINE : EXIT_FAILED);
	}
	failed = down_containers(cli, e, &l, &o);
	failed += down_resources(cli, e, project, 0);
	if (o.volumes)
		failed += down_resources(cli, e, project, 1);
	deploy_found_release(&l);
	engine_close(e);
	return failed ? EXIT_FAILED : EXIT_OK;
}
