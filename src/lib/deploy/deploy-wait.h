/* deploy-wait: start a container that exists and wait, through the events
 * stream, until it is healthy (when it has a healthcheck) or running
 * (when it has none), as `up` waits for a service_healthy dependency.
 * Used where services are stopped and brought back (backup quiesce:,
 * restore over an in-use volume). */
#ifndef CC_DEPLOY_WAIT_H
#define CC_DEPLOY_WAIT_H

#include "cancel.h"

struct cc_error;
struct engine;

/* Start container id (0 also when it was running) and wait up to
 * timeout_ms (< 0: no limit) until it is healthy, or running when it has
 * no healthcheck.  An exit, "unhealthy" or the timeout is an error naming
 * `what` (borrowed) with its last health check's output or log lines.
 * 0 or -1. */
int deploy_start_and_wait(struct engine *e, const char *id, const char *what, long timeout_ms,
			  const atomic_int *cancel, struct cc_error **err);

#endif
