/* engine: the Docker Engine API over libcurl.
 *
 * The daemon is found from DOCKER_HOST: unset means
 * unix:///var/run/docker.sock; unix://PATH; tcp://HOST[:PORT] (port 2375,
 * or 2376 with TLS).  TLS is used when DOCKER_TLS_VERIFY is non-empty or
 * DOCKER_CERT_PATH is set; certificates come from DOCKER_CERT_PATH
 * (default ~/.docker): ca.pem, cert.pem, key.pem; the server is verified
 * only when DOCKER_TLS_VERIFY is non-empty.  The API version is
 * negotiated once, on first use: min(ENGINE_API_MAX, the daemon's
 * Api-Version from GET /_ping).
 *
 * A struct engine may be shared by any number of threads: every request
 * uses its own curl handle, and the negotiation is done under a lock.
 *
 * Return values: 0 (or a documented positive value) on success, -1 with
 * *err set on failure, ENGINE_UNREACHABLE with *err set when no daemon
 * answered (the CLI exits 3 for it), ENGINE_CANCELLED when *cancel was
 * raised.  Error messages read "engine: 404: No such image: x". */
#ifndef CC_ENGINE_H
#define CC_ENGINE_H

#include <jansson.h>
#include <stddef.h>

#include "cancel.h"
#include "tarstream.h"

#define ENGINE_UNREACHABLE (-2)
#define ENGINE_CANCELLED (-3)
/* The newest API version ccbuild speaks. */
#define ENGINE_API_MAX "1.47"

struct cc_error;
struct kvlist;
struct strlist;
struct engine;

/* Parse host (NULL: $DOCKER_HOST, then the default socket); no I/O yet.
 * NULL with *err set when the address is not understood.  Caller closes. */
struct engine *engine_open(const char *host, struct cc_error **err);
void engine_close(struct engine *e);
/* The daemon address as given ("unix:///var/run/docker.sock"); borrowed. */
const char *engine_host(const struct engine *e);

/* GET /_ping and negotiate the API version (done once; later calls return
 * at once); 0, -1 or ENGINE_UNREACHABLE. */
int engine_ping(struct engine *e, struct cc_error **err);
/* The negotiated version ("1.41"), or NULL before a successful ping. */
const char *engine_api_version(struct engine *e);
/* 0 when the daemon says (Builder-Version: 1) that it has no BuildKit. */
int engine_has_buildkit(struct engine *e);

/* METHOD /vVERSION/PATH (path starts with '/', may hold a query string;
 * escape values with engine_escape) with body as JSON (may be NULL).
 * Returns the HTTP status, whatever it is, with *out (may be NULL) set to
 * the decoded response (a JSON string when it was not JSON; NULL when
 * empty; caller decrefs); -1 or ENGINE_UNREACHABLE on transport failure. */
int engine_request(struct engine *e, const char *method, const char *path, json_t *body, json_t **out,
		   struct cc_error **err);
/* Set *err to "engine: STATUS: message" from an error response; -1. */
int engine_status_error(int status, const json_t *body, struct cc_error **err);
/* s escaped for a URL query value; caller frees. */
char *engine_escape(const char *s);

/* GET /images/NAME/json: 1 with *out (caller decrefs) when the image
 * exists, 0 when it does not, negative on error. */
int engine_image_inspect(struct engine *e, const char *name, json_t **out, struct cc_error **err);
/* Tag image (name or ID) as ref ("repo[:tag]", tag defaults to latest). */
int engine_image_tag(struct engine *e, const char *image, const char *ref, struct cc_error **err);
/* Remove an image (force: also when used by stopped containers); 0 when
 * removed, 1 when it did not exist, negative on error. */
int engine_image_remove(struct engine *e, const char *name, int force, struct cc_error **err);

/* POST /images/NAME/push?tag=TAG (engine-push.c): the engine pushes the
 * local image NAME:TAG to the registry NAME names.  auth is the
 * X-Registry-Auth value (base64url JSON) or NULL for anonymous.  On
 * success *digest is the pushed manifest's "sha256:..." (caller frees). */
int engine_image_push(struct engine *e, const char *name, const char *tag, const char *auth, const atomic_int *cancel,
		      char **digest, struct cc_error **err);
/* POST /images/create?fromImage=NAME&tag=TAG[&platform=P]: the engine
 * pulls NAME:TAG, for platform P ("linux/arm64") when not NULL (ccbuild
 * pulls only from the registries a manifest names). */
int engine_image_pull(struct engine *e, const char *name, const char *tag, const char *platform, const char *auth,
		      const atomic_int *cancel, struct cc_error **err);
/* ---- builds (engine-build.c) ---- */

enum engine_builder {
	ENGINE_BUILDER_AUTO = 0, /* BuildKit, unless the daemon says it has none */
	ENGINE_BUILDER_BUILDKIT,
	ENGINE_BUILDER_CLASSIC,
};

struct bk_method;

/* A BuildKit session for one build (buildkit-session.h): BuildKit pulls
 * the local sources "context" and "dockerfile" through the methods (the
 * session's filesync) instead of a tar upload. */
struct engine_build_session {
	const struct bk_method *methods; /* borrowed */
	size_t nmethods;
	const char *name, *shared_key; /* X-Docker-Expose-Session-Name, -Sharedkey */
	const char *dockerfile;	       /* the Dockerfile's name in "dockerfile" */
	/* Set by engine_build: */
	int used;	/* 1: the build ran through the session */
	char *fallback; /* the daemon serves no session: why (caller frees) */
};

struct engine_build_req {
	const struct tar_entry *entries; /* the context, already filtered */
	size_t nentries;
	const char *dockerfile;	     /* path in the context; NULL: "Dockerfile" */
	const char *dockerfile_data; /* non-NULL: the Dockerfile's bytes: sent as the */
	size_t dockerfile_len;	     /*   context's entry at `dockerfile` when there is
				       *   one, else as an extra entry (a Dockerfile that
				       *   lives outside the context) */
	const struct strlist *tags;  /* each may be NULL */
	const struct strlist *cachefrom;
	const struct kvlist *buildargs;
	const struct kvlist *labels;
	const char *target, *platform;
	int nocache;
	int pull;		      /* 1: pull=1, BuildKit resolves every FROM in its registry */
	const struct kvlist *ulimits; /* name -> "SOFT:HARD", or NULL.  A daemon older than API
				       * 1.42 does not pass them to BuildKit: with builder AUTO
				       * such a build goes to the classic builder (without its
				       * cache, whose key has no ulimits), with BUILDKIT it is
				       * refused */
	enum engine_builder builder;
	long long *sent; /* non-NULL: set to the bytes of context sent (metrics) */
	/* non-NULL: build through a session where the daemon has one (API
	 * 1.39 and BuildKit), else upload entries as a tar */
	struct engine_build_session *session;
};

enum engine_event_kind {
	ENGINE_STEP_STARTED, /* step: a vertex name ("[2/3] RUN make") */
	ENGINE_STEP_CACHED,
	ENGINE_STEP_DONE,
	ENGINE_STEP_FAILED, /* text: BuildKit's error */
	ENGINE_STEP_LOG,    /* text: one output line of step */
	ENGINE_OUTPUT,	    /* classic builder: one output line; step may be NULL */
};

struct engine_event {
	enum engine_event_kind kind;
	const char *step, *text; /* borrowed for the call only */
};

/* Called on the thread running engine_build. */
typedef void (*engine_progress_fn)(void *ctx, const struct engine_event *ev);

/* POST /build with the context streamed as a tar; progress may be NULL;
 * the build stops soon after *cancel (may be NULL) becomes non-zero.
 * On success *image_id is "sha256:..." (caller frees).  A failed build's
 * error names the failing step and ends with its last output lines. */
int engine_build(struct engine *e, const struct engine_build_req *req, engine_progress_fn progress, void *ctx,
		 const atomic_int *cancel, char **image_id, struct cc_error **err);

#endif
