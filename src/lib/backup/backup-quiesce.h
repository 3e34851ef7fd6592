/* backup-quiesce: a backup's quiesce: hooks (backup-spec.h), run before
 * its source is read and undone after, even when the read failed.  exec:
 * runs a command in the service's running container (its own
 * environment only: nothing of ccbuild's, so none of the user's secrets);
 * stop: stops the services' containers, which the undo starts again in
 * reverse order, each waited for until healthy (deploy-wait.h).  Also
 * what a restore over an in-use volume stops and brings back. */
#ifndef CC_BACKUP_QUIESCE_H
#define CC_BACKUP_QUIESCE_H

#include "cancel.h"
#include "lists.h"

struct backup_spec;
struct cc_error;
struct compose_project;
struct engine;

struct bk_quiesce {
	struct engine *e;	  /* borrowed */
	const char *project;	  /* compose project of the services (borrowed) */
	const atomic_int *cancel; /* may be NULL */
	long wait_timeout_ms;	  /* for each container brought back (<= 0: 120 s) */
	/* A file holding the IDs stopped and not yet started again (may be
	 * NULL): a killed run's containers are started by the next one. */
	const char *record;
	const char *traceparent; /* exec hooks get it as TRACEPARENT (borrowed), or NULL */
	struct strlist stopped;	 /* IDs of the containers stopped, in order */
	struct strlist what;	 /* and how errors name them: "service S (NAME)" */
};

/* Every service b's hooks name is one of compose model p (may be NULL:
 * then hooks are an error); else -1 at the hook's FILE:LINE:COL. */
int bk_quiesce_check(const struct backup_spec *b, const struct compose_project *p, struct cc_error **err);
/* Take the containers a killed run recorded (q->record) as stopped by
 * q, so that bk_quiesce_end starts them. */
void bk_quiesce_recover(struct bk_quiesce *q);
/* Run b's hooks in order (after bk_quiesce_recover).  When one fails, what the earlier ones stopped
 * is started again and -1 returned with err naming the hook (an exec's
 * exit code and the tail of its output). */
int bk_quiesce_begin(struct bk_quiesce *q, const struct backup_spec *b, struct cc_error **err);
/* Stop the running containers ids (borrowed), named by what[i] in
 * errors, recording them for bk_quiesce_end.  0 or -1. */
int bk_quiesce_stop(struct bk_quiesce *q, const struct strlist *ids, const struct strlist *what, struct cc_error **err);
/* Start every stopped container again, the last stopped first, waiting
 * for each to be healthy; each is tried even when one fails.  0 (and
 * q->record removed), or -1 with the first failure. */
int bk_quiesce_end(struct bk_quiesce *q, struct cc_error **err);
void bk_quiesce_release(struct bk_quiesce *q);

#endif
