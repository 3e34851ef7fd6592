/* deploy-wait: start a container and wait, through the events stream,
 * until it is where its dependants need it: healthy (when it has a
 * healthcheck) or running, or exited 0 (service_completed_successfully).
 * Used by the up:SERVICE steps and wherever services are stopped and
 * brought back (backup quiesce:, a restore over an in-use volume). */
#ifndef CC_DEPLOY_WAIT_H
#define CC_DEPLOY_WAIT_H

#include "cancel.h"

struct cc_error;
struct engine;

struct deploy_wait {
	const char *what;	  /* names it in errors: "service web" (borrowed) */
	const char *container;	  /* its name in "starting NAME: ..." (NULL: what) */
	long timeout_ms;	  /* < 0: no limit */
	int completed;		  /* wait for an exit 0, not for health */
	int need_health;	  /* no healthcheck is an error (a service_healthy dependant) */
	const char *timeout_hint; /* appended to the timeout's "after N s" (e.g. " (--wait-timeout)"), or NULL */
	/* Called once when the container is not there yet and the wait
	 * begins (may be NULL), with ctx. */
	void (*waiting)(void *ctx, const char *doing);
	void *ctx;
};

/* Start container id unless running is set, then wait as w says, from
 * the daemon's time just before the start.  An exit (non-zero, or any
 * exit when health is waited for), "unhealthy" or the timeout is an error
 * naming w->what, with its last health check's output or its last log
 * lines.  0, or -1 ("interrupted" after *cancel). */
int deploy_start_and_wait(struct engine *e, const char *id, int running, const struct deploy_wait *w,
			  const atomic_int *cancel, struct cc_error **err);

#endif
