/* step-session: what one build step serves through its BuildKit session
 * (engine.h's engine_build_session; the session itself is the engine's).
 *
 * Two filesync directories, under the names the Dockerfile frontend asks
 * for: "context", the step's own context walk (the file set and stat data
 * its hash covers), and "dockerfile", the Dockerfile's directory holding
 * only the Dockerfile and its "<name>.dockerignore", so a Dockerfile
 * outside the context never shows up in it.  A Dockerfile that is not a
 * file (inline, or retargeted for one platform) is written to a private
 * temporary directory first and served from there.
 * The auth service answers registry credentials from the docker config,
 * so BuildKit pulls a private base itself; the secrets service serves
 * the image's build secrets when step_session_serve_secrets is called.
 * The session's shared key is the SHA-256 of the context's path: BuildKit
 * keeps a context's last transfer under it, so the next build of the same
 * context sends only what changed. */
#ifndef CC_STEP_SESSION_H
#define CC_STEP_SESSION_H

#include <stddef.h>

#include "buildkit-stream.h"
#include "engine.h"

struct bk_filesync;
struct bk_secrets;
struct bk_ssh;
struct strlist;
struct image_secret;
struct ctx_list;
struct cc_error;

struct step_session {
	struct bk_filesync *fs;
	struct bk_method methods[6];	 /* filesync, auth (2), secrets, ssh (2) */
	struct bk_secrets *secrets;	 /* or NULL */
	struct bk_ssh *ssh;		 /* or NULL */
	struct engine_build_session req; /* what engine_build takes */
	char *name, *key, *dfname, *tmpdir;
};

/* Serve context (its walk borrowed: it must outlive ss) and the
 * Dockerfile at path dockerfile, or data[0..len) when data is not NULL.
 * -1 with *err; release ss either way (zero it first). */
int step_session_init(struct step_session *ss, const char *context, const struct ctx_list *walk, const char *dockerfile,
		      const char *data, size_t len, struct cc_error **err);
/* Also serve the build secrets v[0..n) (their values read only when
 * BuildKit asks); -1 with *err naming one that cannot be served. */
int step_session_serve_secrets(struct step_session *ss, const struct image_secret *v, size_t n, struct cc_error **err);
/* Also forward the build.ssh entries ("ID" or "ID=SOCKET") through the
 * sshforward service; -1 with *err naming one that cannot be served. */
int step_session_serve_ssh(struct step_session *ss, const struct strlist *ssh, struct cc_error **err);
/* File content bytes BuildKit pulled through filesync so far. */
long long step_session_sent(const struct step_session *ss);
/* Free what ss holds and remove its temporary directory. */
void step_session_release(struct step_session *ss);

#endif
