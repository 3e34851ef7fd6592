/* fsmonitor: ask a running `ccbuild watch` which paths of a build context
 * changed, instead of walking it (git's fsmonitor idea; docs/watch.md).
 *
 * Protocol, on the unix socket STATE/watch.sock, one request per
 * connection.  The client sends one line
 *     "ccbuild-watch 1\t" TOKEN "\t" ROOT "\t" RULES "\n"
 * TOKEN the one it got last time ("-" for none), ROOT the context's
 * absolute directory, RULES the hex SHA-256 of its ignore patterns
 * (fsmonitor_rules_digest).  The watcher first reads every event the
 * kernel queued (so every change made before the request is in the
 * answer), then answers
 *     "ok\t" NEWTOKEN "\n" followed by PATH "\0" ... (the absolute paths
 *     below ROOT reported since TOKEN), or
 *     "rescan\t" NEWTOKEN "\t" REASON "\n"
 * and closes.  rescan: the token is not this watcher's (another start),
 * too old (its journal forgot it, or the kernel dropped events since), or
 * ROOT is not a tree it watches with the same rules.  NEWTOKEN names the
 * point the answer is good to.  Any doubt (no socket, no answer within
 * the timeout, a malformed answer) makes the client walk.
 *
 * Snapshot file (STATECACHE.walk beside a context's stat cache), written
 * atomically after a walk made while a watcher answered:
 *     "ccbuild-walk 1\n" "token\t" TOKEN "\n" "root\t" ROOT "\n"
 *     "rules\t" HEX "\n" "count\t" N "\n"
 * then N entries in walk order, each
 *     "MODE NLINK SIZE INO DEV RDEV MTIME_NS CTIME_NS\0" PATH "\0" LINK "\0"
 * (numbers in decimal, LINK empty unless a symlink).  TOKEN is the one
 * obtained before the walk began, so what changed during it is reported
 * next time. */
#ifndef CC_FSMONITOR_H
#define CC_FSMONITOR_H

#include "cancel.h"
#include "lists.h"

struct cc_error;
struct ctx_list;
struct ignore;

#define FSMONITOR_SOCKET "watch.sock"
#define FSMONITOR_HELLO "ccbuild-watch 1"
#define FSMONITOR_TIMEOUT_MS 500

/* Hex SHA-256 of ig's patterns in order (NULL: none) into out (65). */
void fsmonitor_rules_digest(const struct ignore *ig, char out[65]);
/* Ask the watcher at sock: 1 ok (paths since token added to *paths), 0
 * rescan, -1 no usable answer; *new_token (caller frees) set on 0 and 1. */
int fsmonitor_query(const char *sock, const char *token, const char *root, const char *rules, long timeout_ms,
		    char **new_token, struct strlist *paths);
/* The walk of ctxdir with ig (ctxwalk.h) into out, or, when a watcher on
 * sock says nothing below it changed since the snapshot file was written
 * with the same rules, the snapshot's entries without a walk (*reused 1).
 * After a walk the snapshot is rewritten when a watcher answered (a
 * failure to write it is not an error).  sock or snapshot NULL: a walk. */
int fsmonitor_walk(const char *sock, const char *snapshot, const char *ctxdir, const struct ignore *ig,
		   const atomic_int *cancel, struct ctx_list *out, int *reused, struct cc_error **err);

#endif
