/* buildkit-ssh: the session's SSH forwarding service, what a build's
 * `RUN --mount=type=ssh[,id=ID]` talks to: CheckAgent (is ID served?) and
 * ForwardAgent (one connection of the RUN to its agent socket, carried as
 * a stream of byte messages to the agent's socket on this host).
 *
 * A bk_ssh maps ids to agent socket paths; it never reads or holds a key,
 * it only relays the agent protocol (each request, then its reply, framed
 * by their 4-byte lengths).  bk_ssh_identity gives what the build hash
 * takes: each id and its socket path.
 *
 * Messages (BuildKit session/sshforward/ssh.proto):
 *   CheckAgentRequest { 1 string ID }   CheckAgentResponse {}
 *   BytesMessage      { 1 bytes data }  (ForwardAgent, both ways; the id is
 *   the call's metadata "buildkit.ssh.id", "default" when absent) */
#ifndef CC_BUILDKIT_SSH_H
#define CC_BUILDKIT_SSH_H

#include <stddef.h>

struct bk_stream;
struct cc_error;
struct bk_ssh;

#define BK_SSH_CHECK_METHOD "/moby.sshforward.v1.SSH/CheckAgent"
#define BK_SSH_FORWARD_METHOD "/moby.sshforward.v1.SSH/ForwardAgent"
#define BK_SSH_META_ID "buildkit.ssh.id"
/* OpenSSH's limit on one agent message (AGENT_MAX_LEN). */
#define BK_SSH_MSG_MAX (256 * 1024)

/* An empty map; caller frees with bk_ssh_free. */
struct bk_ssh *bk_ssh_new(void);
/* Parse one build.ssh entry, "ID" (the agent of $SSH_AUTH_SOCK) or
 * "ID=PATH" (PATH an agent's socket), and serve it.  -1 with *err for an
 * empty id, an unset SSH_AUTH_SOCK, a PATH that is not a socket (key files
 * are not supported), or an id given twice with another socket. */
int bk_ssh_add(struct bk_ssh *sh, const char *entry, struct cc_error **err);
/* Number of ids served. */
size_t bk_ssh_count(const struct bk_ssh *sh);
/* "ID\tssh\tPATH\n" lines sorted by id ("" when none).  Caller frees. */
char *bk_ssh_identity(const struct bk_ssh *sh);
/* CheckAgent (a bk_method_fn; ctx is the struct bk_ssh *): 0 when the id
 * is served, 5 NOT_FOUND when not, 3 for a malformed request, 1 when the
 * call is gone. */
int bk_ssh_check_agent(void *ctx, struct bk_stream *s, struct cc_error **err);
/* ForwardAgent (a bk_method_fn): relays requests to the id's socket and
 * its replies back until BuildKit half-closes (0); 5 NOT_FOUND for an id
 * not served, 3 for a malformed or over-long message, 14 UNAVAILABLE when
 * the agent cannot be reached or stops answering (30 s), 1 when the call
 * is gone. */
int bk_ssh_forward_agent(void *ctx, struct bk_stream *s, struct cc_error **err);
void bk_ssh_free(struct bk_ssh *sh);

#endif
