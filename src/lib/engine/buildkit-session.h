/* buildkit-session: a BuildKit client session with the engine, the way
 * the docker CLI's BuildKit path opens one.
 *
 * POST /session asks for `Upgrade: h2c` and names the session (its id,
 * name and shared key) and every gRPC method ccbuild serves in
 * X-Docker-Expose-Session-* headers; after the daemon's 101 the same
 * connection is HTTP/2 with ccbuild as the server (buildkit-grpc.h) and
 * the daemon as the client calling the methods while builds that name the
 * session (POST /build?session=ID) run.  BuildKit checks the session's
 * health every second and drops it at the first failed check.
 * The shared key is what BuildKit keeps a local source's last transfer
 * under: the same key (per context directory) lets a later build's
 * filesync send only the files that changed. */
#ifndef CC_BUILDKIT_SESSION_H
#define CC_BUILDKIT_SESSION_H

#include <stddef.h>

#include "buildkit-grpc.h"
#include "buildkit-stream.h"

/* bk_session_open's answer when the daemon has no session endpoint. */
#define BK_SESSION_UNSUPPORTED 1

struct engine;
struct bk_session;

/* Open a session on e serving methods[0..n) (copied; each ctx must
 * outlive the session) besides health; name and shared_key are sent as
 * they are.  0 with *out (caller closes); BK_SESSION_UNSUPPORTED with
 * *err when the daemon answered but not with 101; -1 or
 * ENGINE_UNREACHABLE with *err. */
int bk_session_open(struct engine *e, const char *name, const char *shared_key, const struct bk_method *methods,
		    size_t n, struct bk_session **out, struct cc_error **err);
/* The session's id, for POST /build?session=; borrowed. */
const char *bk_session_id(const struct bk_session *s);
/* 1 while the daemon keeps the session; 0 with *why (may be NULL; caller
 * frees) once it is gone. */
int bk_session_alive(struct bk_session *s, char **why);
/* The gRPC counters so far. */
struct bk_grpc_stats bk_session_stats(struct bk_session *s);
/* End the session: its calls fail, their methods are waited for, the
 * connection is closed; NULL is fine. */
void bk_session_close(struct bk_session *s);

#endif
