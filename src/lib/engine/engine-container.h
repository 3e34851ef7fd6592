/* engine-container: containers, networks, volumes, logs and events through
 * the Engine API (engine.h's struct engine, its return conventions: 0 or
 * a documented positive value, -1 with *err, ENGINE_UNREACHABLE,
 * ENGINE_CANCELLED).  JSON bodies are Docker's own (api/swagger.yaml);
 * nothing here knows compose.  Every call is one request unless it says
 * otherwise; all are safe from any thread.  Streamed answers (wait, logs,
 * exec, events) look at *cancel every 100 ms, idle or not, and hold at
 * most 1 MiB of a line (the rest of a longer log line is dropped, a
 * longer event skipped). */
#ifndef CC_ENGINE_CONTAINER_H
#define CC_ENGINE_CONTAINER_H

#include <jansson.h>
#include <stddef.h>

#include "cancel.h"

struct cc_error;
struct engine;
struct strlist;

/* Returned when a call's own timeout passed (engine_events,
 * engine_container_wait_ms), with *err set. */
#define ENGINE_TIMEOUT (-4)

/* ---- containers ---- */

/* GET /containers/json?all=1&filters={"label":[...]}: every container
 * (running or not) carrying all the labels ("KEY" or "KEY=VALUE"); *out
 * is Docker's array of summaries (Id, Names, Image, ImageID, State,
 * Status, Labels, Ports), caller decrefs. */
int engine_container_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err);
/* GET /containers/ID/json: 1 with *out (caller decrefs; out may be NULL),
 * 0 when there is no such container. */
int engine_container_inspect(struct engine *e, const char *id, json_t **out, struct cc_error **err);
/* POST /containers/create?name=NAME (name may be NULL) with body
 * (borrowed); *id is the new container's ID (caller frees). */
int engine_container_create(struct engine *e, const char *name, json_t *body, char **id, struct cc_error **err);
/* POST /containers/ID/start; 0 also when it was already running. */
int engine_container_start(struct engine *e, const char *id, struct cc_error **err);
/* POST /containers/ID/stop?t=TIMEOUT[&signal=SIG] (timeout < 0: the
 * container's own; signal NULL: its own); 0 also when already stopped.
 * With a signal on API < 1.42 (dockerd 20.10, Podman 4), which has no
 * signal parameter: kill with it, wait TIMEOUT (< 0: 10) seconds, then
 * SIGKILL — three requests. */
int engine_container_stop(struct engine *e, const char *id, int timeout, const char *signal, struct cc_error **err);
/* POST /containers/ID/rename?name=NAME. */
int engine_container_rename(struct engine *e, const char *id, const char *name, struct cc_error **err);
/* DELETE /containers/ID[?force=1][&v=1]; 0 removed, 1 there was none. */
int engine_container_remove(struct engine *e, const char *id, int force, int volumes, struct cc_error **err);
/* POST /networks/NET/connect {Container, EndpointConfig (borrowed, may be
 * NULL)}: 0, or 1 when it was on NET already (then its endpoint is left
 * as it is; found by inspecting it after the engine refused). */
int engine_network_connect(struct engine *e, const char *net, const char *id, json_t *endpoint, struct cc_error **err);
/* POST /containers/ID/wait?condition=COND ("not-running", "next-exit"):
 * blocks until then or *cancel (may be NULL); *status the exit code. */
int engine_container_wait(struct engine *e, const char *id, const char *cond, const atomic_int *cancel, long *status,
			  struct cc_error **err);
/* engine_container_wait that gives up after timeout_ms (< 0: never) with
 * ENGINE_TIMEOUT. */
int engine_container_wait_ms(struct engine *e, const char *id, const char *cond, long timeout_ms,
			     const atomic_int *cancel, long *status, struct cc_error **err);

/* One line of a container's output: stream 1 stdout, 2 stderr; line
 * without its newline, borrowed for the call.  Return non-zero to stop. */
typedef int (*engine_log_fn)(void *ctx, int stream, const char *line, size_t len);
/* GET /containers/ID/logs?stdout=1&stderr=1&tail=N (tail < 0: all)
 * [&follow=1][&timestamps=1], the 8-byte frame headers taken off (a TTY
 * container's raw stream is split into lines too); follow returns when
 * the container stops, fn stops it or *cancel is raised.  Two requests:
 * an inspect first says whether it has a TTY. */
int engine_container_logs(struct engine *e, const char *id, long tail, int follow, int timestamps, engine_log_fn fn,
			  void *ctx, const atomic_int *cancel, struct cc_error **err);
/* The last n lines of its output (stdout and stderr as they came) joined
 * with '\n' (at most 2 MiB, the oldest dropped); *out caller frees (empty
 * string when none).  Docker's tail counts log entries, and its json-file
 * driver keeps a line past 16 KiB as several: such a line counts more. */
int engine_container_tail(struct engine *e, const char *id, long n, char **out, struct cc_error **err);

/* POST /containers/ID/exec + /exec/EID/start (attached, no TTY) + GET
 * /exec/EID/json: run argv (NULL-terminated) in the running container as
 * user (NULL: its own); output lines to fn (may be NULL); *status the exit
 * code.  Blocks until it ends or *cancel.  When fn stops it, 0 with
 * *status -1: the command goes on (the API cannot kill an exec), and so it
 * does after ENGINE_CANCELLED. */
int engine_container_exec(struct engine *e, const char *id, const char *const *argv, const char *user, engine_log_fn fn,
			  void *ctx, const atomic_int *cancel, long *status, struct cc_error **err);
/* The same with env ("KEY=VALUE" strings, NULL-terminated, borrowed; may
 * be NULL) added to the command's environment (the exec's Env). */
int engine_container_exec_env(struct engine *e, const char *id, const char *const *argv, const char *const *env,
			      const char *user, engine_log_fn fn, void *ctx, const atomic_int *cancel, long *status,
			      struct cc_error **err);

/* ---- networks and volumes ---- */

/* GET /networks/NAME: 1 with *out (caller decrefs, may be NULL), 0 none. */
int engine_network_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err);
/* POST /networks/create with body {Name, Driver, Labels, Internal, ...}
 * (borrowed; CheckDuplicate is added); 0, or 1 when a network of that
 * name exists already (found by a lookup when the engine said 500). */
int engine_network_create(struct engine *e, json_t *body, struct cc_error **err);
/* DELETE /networks/NAME; 0 removed, 1 there was none. */
int engine_network_remove(struct engine *e, const char *name, struct cc_error **err);
/* GET /networks?filters={"label":[...]}: *out Docker's array. */
int engine_network_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err);
/* GET /volumes/NAME: 1 with *out (may be NULL), 0 none. */
int engine_volume_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err);
/* POST /volumes/create with body {Name, Driver, DriverOpts, Labels}
 * (borrowed); 0 (also when it exists: the engine answers with it). */
int engine_volume_create(struct engine *e, json_t *body, struct cc_error **err);
/* DELETE /volumes/NAME[?force=1]; 0 removed, 1 there was none. */
int engine_volume_remove(struct engine *e, const char *name, int force, struct cc_error **err);
/* GET /volumes?filters={"label":[...]}: *out the "Volumes" array. */
int engine_volume_list(struct engine *e, const struct strlist *labels, json_t **out, struct cc_error **err);

/* ---- events ---- */

/* One event of GET /events (Type, Action, Actor{ID, Attributes}, time,
 * timeNano), borrowed for the call; a die's Actor.Attributes.exitCode is
 * there also from Podman (which names it containerExitCode).  Return 0 to go on, non-zero to stop
 * (that value is returned by engine_events). */
typedef int (*engine_event_fn)(void *ctx, const json_t *event);
/* GET /events?since=SINCE&filters=FILTERS: filters is Docker's filter
 * object ({"type":["container"],"container":[ID],"event":["health_status",
 * "die"]}; borrowed, may be NULL); since is a Unix time in seconds with
 * fraction ("1733050000.123456789", NULL: from now), so that events of
 * something done just before the call are not missed.  Calls fn for each
 * event until fn returns non-zero (returned), *cancel (ENGINE_CANCELLED),
 * or timeout_ms passes (ENGINE_TIMEOUT; < 0: none).  Podman 4 filters on
 * "died" where it reports "die": a "die" in filters asks for both.  Podman
 * runs healthchecks only from systemd timers: without systemd its
 * containers stay "starting" and send no health_status. */
int engine_events(struct engine *e, const json_t *filters, const char *since, long timeout_ms, engine_event_fn fn,
		  void *ctx, const atomic_int *cancel, struct cc_error **err);
/* The daemon's clock as a since= value (from GET /info SystemTime, or the
 * local clock when the daemon does not say); caller frees. */
char *engine_now(struct engine *e, struct cc_error **err);

#endif
