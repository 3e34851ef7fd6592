/* cmd-logs: `ccbuild logs PROFILE [SERVICE...] [-f] [--tail N] [-t]` —
 * the output of the project's service containers (found by compose's
 * labels; one-off ones left out, as compose does), each line prefixed as
 * Docker Compose v2 prefixes it: the container's short name ("web-1")
 * padded to one more than the longest, then " | ".  Without -f the
 * containers are shown one after another in service order; with -f every
 * container is followed at once (a thread each) and lines come as they
 * are written, until every container has stopped or Ctrl-C.  --tail N:
 * the last N lines of each ("all", the default: everything). */
#include "cli.h"
#include "compose.h"
#include "deploy-find.h"
#include "engine-container.h"
#include "engine.h"
#include "error.h"
#include "manifest.h"
#include "project.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct logs_opts {
	int follow, timestamps;
	long tail; /* < 0: all */
	char **services;
	int nservices;
};

/* Shared by the followers: the one lock around stdout. */
struct logs_out {
	pthread_mutex_t mu;
	int width;
	int flush;
};

struct logs_job {
	struct engine *e;
	struct logs_out *out;
	const struct logs_opts *o;
	const char *name; /* borrowed */
	const char *id;
	struct cc_error *err;
	int rc;
};

static int logs_line(void *ctx, int stream, const char *line, size_t len)
{
	struct logs_job *j = ctx;

	pthread_mutex_lock(&j->out->mu);
	printf("%-*s | %.*s\n", j->out->width, j->name, (int)len, line);
	if (j->out->flush)
		fflush(stdout);
	pthread_mutex_unlock(&j->out->mu);
	return ferror(stdout) ? 1 : 0;
}

static void *logs_run(void *arg)
{
	struct logs_job *j = arg;

	j->rc = engine_container_logs(j->e, j->id, j->o->tail, j->o->follow, j->o->timestamps, logs_line, j, NULL,
				      &j->err);
	if (j->rc < 0)
		cc_error_wrap(&j->err, "logs of %s", j->name);
	return NULL;
}

static int logs_wanted(const struct deploy_found *f, const struct logs_opts *o)
{
	if (f->oneoff)
		return 0;
	for (int i = 0; i < o->nservices; i++)
		if (!strcmp(o->services[i], f->service))
			return 1;
	return o->nservices == 0;
}

/* Sequentially, or with -f all at once; 0 or the number that failed. */
static int logs_all(struct logs_job *jobs, size_t n, int follow)
{
	pthread_t *th = xcalloc(n + 1, sizeof(*th));
	char *started = xcalloc(n + 1, 1);
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		if (!follow || !(started[i] = !pthread_create(&th[i], NULL, logs_run, &jobs[i])))
			logs_run(&jobs[i]);
	for (size_t i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		if (jobs[i].rc < 0) {
			cli_report(jobs[i].err, 0);
			failed++;
		}
	}
	free(th);
	free(started);
	return failed;
}

static int logs_parse_tail(const char *s, long *tail)
{
	char *end;

	if (!strcmp(s, "all")) {
		*tail = -1;
		return 0;
	}
	errno = 0;
	*tail = strtol(s, &end, 10);
	if (errno || *end || end == s || *tail < 0)
		return cli_fail(EXIT_USAGE, "logs: --tail needs a number of lines or 'all', not '%s'", s);
	return 0;
}

static int logs_parse(int argc, char **argv, struct logs_opts *o)
{
	*o = (struct logs_opts){ .tail = -1, .services = xcalloc((size_t)argc + 1, sizeof(char *)) };
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-f") || !strcmp(a, "--follow"))
			o->follow = 1;
		else if (!strcmp(a, "-t") || !strcmp(a, "--timestamps"))
			o->timestamps = 1;
		else if (!strcmp(a, "--no-color"))
			; /* never coloured */
		else if (!strncmp(a, "--tail=", 7)) {
			if (logs_parse_tail(a + 7, &o->tail))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--tail") || !strcmp(a, "-n")) {
			if (i + 1 >= argc)
				return cli_fail(EXIT_USAGE, "logs: %s needs a value", a);
			if (logs_parse_tail(argv[++i], &o->tail))
				return EXIT_USAGE;
		} else if (a[0] == '-')
			return cli_fail(EXIT_USAGE, "logs: unknown option '%s'", a);
		else
			o->services[o->nservices++] = argv[i];
	}
	return 0;
}

/* A SERVICE argument must name a service of the model or of a container. */
static int logs_check_services(const struct cli *cli, const struct deploy_found_list *l, const struct logs_opts *o)
{
	const struct compose_project *c = cli->project ? cli->project->compose : NULL;

	for (int i = 0; i < o->nservices; i++)
		if ((!c || compose_service_find(c, o->services[i]) < 0) && deploy_found_service(l, o->services[i]) < 0)
			return cli_fail(EXIT_USAGE, "logs: no such service: %s", o->services[i]);
	return 0;
}

static int logs_show(struct engine *e, const char *project, const struct deploy_found_list *l,
		     const struct logs_opts *o)
{
	struct logs_out out = { .mu = PTHREAD_MUTEX_INITIALIZER, .flush = o->follow };
	struct logs_job *jobs = xcalloc(l->n + 1, sizeof(*jobs));
	size_t n = 0;
	int failed;

	for (size_t i = 0; i < l->n; i++) {
		const char *name = deploy_short_name(&l->v[i], project);

		if (!logs_wanted(&l->v[i], o))
			continue;
		jobs[n++] = (struct logs_job){ .e = e, .out = &out, .o = o, .name = name, .id = l->v[i].id };
		if ((int)strlen(name) + 1 > out.width)
			out.width = (int)strlen(name) + 1;
	}
	failed = logs_all(jobs, n, o->follow);
	free(jobs);
	return failed ? EXIT_FAILED : EXIT_OK;
}

int cmd_logs(struct cli *cli, int argc, char **argv)
{
	cleanup_free char *project = deploy_project_name(cli->manifest->project);
	struct deploy_found_list l = { 0 };
	struct cc_error *err = NULL;
	struct engine *e = NULL;
	struct logs_opts o;
	int rc;

	if ((rc = logs_parse(argc, argv, &o)) || (rc = cli_engine(cli, 1, &e))) {
		free(o.services);
		return rc;
	}
	if ((rc = deploy_find_containers(e, project, &l, &err)) < 0)
		rc = cli_report(err, rc == ENGINE_UNREACHABLE ? EXIT_ENGINE : EXIT_FAILED);
	else if ((rc = logs_check_services(cli, &l, &o)) == 0)
		rc = logs_show(e, project, &l, &o);
	deploy_found_release(&l);
	engine_close(e);
	free(o.services);
	return rc;
}
