/* backup-quiesce: quiesce: hooks and their undo (backup-quiesce.h). */
#include "backup-quiesce.h"
#include "backup-service.h"
#include "backup-spec.h"
#include "compose.h"
#include "deploy-wait.h"
#include "atomicfile.h"
#include "engine-container.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAIL_LINES 20

/* The last TAIL_LINES lines of an exec's output. */
struct tail {
	char *lines[TAIL_LINES];
	size_t n;
};

static int tail_line(void *ctx, int stream, const char *line, size_t len)
{
	struct tail *t = ctx;

	(void)stream;
	free(t->lines[t->n % TAIL_LINES]);
	t->lines[t->n++ % TAIL_LINES] = xstrndup(line, len);
	return 0;
}

static char *tail_join(struct tail *t)
{
	struct strbuf b = STRBUF_INIT;
	size_t i = t->n > TAIL_LINES ? t->n - TAIL_LINES : 0;

	for (; i < t->n; i++)
		strbuf_addf(&b, "\n  %s", t->lines[i % TAIL_LINES]);
	for (i = 0; i < TAIL_LINES; i++)
		free(t->lines[i]);
	return b.len ? strbuf_detach(&b) : (strbuf_release(&b), xstrdup(" (no output)"));
}

/* The one running container of service; *id caller frees. */
static int running_container(struct bk_quiesce *q, const char *service, char **id, struct cc_error **err)
{
	struct strlist ids = { 0 };

	*id = NULL;
	if (bk_service_containers(q->e, q->project, service, 1, &ids, err) < 0)
		return -1;
	if (ids.n)
		*id = xstrdup(ids.v[0]);
	strlist_release(&ids);
	return *id ? 0 : cc_error_set(err, "service %s has no running container (project %s)", service, q->project);
}

static int run_exec(struct bk_quiesce *q, const struct backup_hook *h, struct cc_error **err)
{
	cleanup_free char *id = NULL, *out = NULL,
			  *tp = q->traceparent ? xasprintf("TRACEPARENT=%s", q->traceparent) : NULL;
	const char **argv = xcalloc(h->argv.n + 1, sizeof(*argv)), *env[] = { tp, NULL };
	struct tail t = { { 0 }, 0 };
	long status = -1;
	size_t i;
	int rc;

	for (i = 0; i < h->argv.n; i++)
		argv[i] = h->argv.v[i];
	rc = running_container(q, h->service, &id, err);
	if (rc == 0)
		rc = engine_container_exec_env(q->e, id, argv, env, NULL, tail_line, &t, q->cancel, &status, err);
	free(argv);
	out = tail_join(&t);
	if (rc < 0)
		return cc_error_wrap(err, "quiesce exec in service %s", h->service);
	if (status != 0)
		return cc_error_set(err, "quiesce exec in service %s: %s exited with code %ld; its output:%s",
				    h->service, h->argv.v[0], status, out);
	return 0;
}

static int run_stop(struct bk_quiesce *q, const struct backup_hook *h, struct cc_error **err)
{
	struct strlist ids = { 0 }, what = { 0 };
	size_t i, k;
	int rc = 0;

	for (i = 0; rc == 0 && i < h->services.n; i++) {
		size_t from = ids.n;

		rc = bk_service_containers(q->e, q->project, h->services.v[i], 1, &ids, err);
		for (k = from; rc == 0 && k < ids.n; k++) {
			cleanup_free char *w = xasprintf("service %s (container %.12s)", h->services.v[i], ids.v[k]);

			strlist_push(&what, w);
		}
	}
	if (rc == 0)
		rc = bk_quiesce_stop(q, &ids, &what, err);
	strlist_release(&ids);
	strlist_release(&what);
	return rc < 0 ? cc_error_wrap(err, "quiesce stop") : 0;
}

static int check_service(const struct backup_spec *b, const struct backup_hook *h, const char *service,
			 const struct compose_project *p, struct cc_error **err)
{
	char at[256];

	if (p && compose_service_find(p, service) >= 0)
		return 0;
	ypos_format(&h->pos, at, sizeof(at));
	if (!p)
		return cc_error_set(err,
				    "%s: backup '%s': quiesce needs services, and the profile has no compose files", at,
				    b->name);
	return cc_error_set(err, "%s: backup '%s': quiesce names service '%s', which the compose model does not have",
			    at, b->name, service);
}

int bk_quiesce_check(const struct backup_spec *b, const struct compose_project *p, struct cc_error **err)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; i < b->nhooks; i++) {
		const struct backup_hook *h = &b->hooks[i];

		if (!h->stop && check_service(b, h, h->service, p, err) < 0)
			rc = -1;
		for (k = 0; h->stop && k < h->services.n; k++)
			if (check_service(b, h, h->services.v[k], p, err) < 0)
				rc = -1;
	}
	return rc;
}

void bk_quiesce_recover(struct bk_quiesce *q)
{
	cleanup_free char *text = NULL;
	size_t len;
	char *line, *save = NULL;

	if (!q->record || read_file_max(q->record, 1 << 20, &text, &len, NULL) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cleanup_free char *what = xasprintf("container %.12s (stopped by an interrupted run)", line);

		if (strlist_has(&q->stopped, line))
			continue;
		strlist_push(&q->stopped, line);
		strlist_push(&q->what, what);
	}
}

/* q->record rewritten with every container stopped so far. */
static int record_save(struct bk_quiesce *q, struct cc_error **err)
{
	struct strbuf b = STRBUF_INIT;
	size_t i;
	int rc;

	if (!q->record)
		return 0;
	for (i = 0; i < q->stopped.n; i++)
		strbuf_addf(&b, "%s\n", q->stopped.v[i]);
	rc = atomicfile_write(q->record, b.buf, b.len, err);
	strbuf_release(&b);
	return rc;
}

int bk_quiesce_begin(struct bk_quiesce *q, const struct backup_spec *b, struct cc_error **err)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < b->nhooks; i++) {
		if (cancel_pending(q->cancel))
			rc = cc_error_set(err, "interrupted");
		else
			rc = b->hooks[i].stop ? run_stop(q, &b->hooks[i], err) : run_exec(q, &b->hooks[i], err);
	}
	if (rc < 0)
		bk_quiesce_end(q, NULL); /* the hook's error is the one to report */
	return rc;
}

int bk_quiesce_stop(struct bk_quiesce *q, const struct strlist *ids, const struct strlist *what, struct cc_error **err)
{
	size_t i;

	for (i = 0; i < ids->n; i++) {
		if (strlist_has(&q->stopped, ids->v[i]))
			continue;
		strlist_push(&q->stopped, ids->v[i]);
		strlist_push(&q->what, what->v[i]);
		if (record_save(q, err) < 0) /* before the stop: a kill after it still finds it */
			return cc_error_wrap(err, "recording the containers stopped");
		if (engine_container_stop(q->e, ids->v[i], -1, NULL, err) < 0)
			return cc_error_wrap(err, "stopping %s", what->v[i]);
	}
	return 0;
}

int bk_quiesce_end(struct bk_quiesce *q, struct cc_error **err)
{
	long timeout = q->wait_timeout_ms > 0 ? q->wait_timeout_ms : 120000;
	int rc = 0;
	size_t i;

	for (i = q->stopped.n; i-- > 0;) {
		struct cc_error *e = NULL;
		struct deploy_wait w = { .what = q->what.v[i], .timeout_ms = timeout };

		if (deploy_start_and_wait(q->e, q->stopped.v[i], 0, &w, NULL, &e) == 0)
			continue;
		if (rc == 0 && err)
			*err = e;
		else
			cc_error_free(e);
		rc = -1;
	}
	strlist_release(&q->stopped);
	strlist_release(&q->what);
	if (rc == 0 && q->record)
		unlink(q->record);
	return rc;
}

void bk_quiesce_release(struct bk_quiesce *q)
{
	strlist_release(&q->stopped);
	strlist_release(&q->what);
}
