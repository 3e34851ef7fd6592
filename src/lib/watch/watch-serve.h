/* watch-serve: the fsmonitor service of a running watch (protocol in
 * fsmonitor.h): a thread answering on a unix socket which paths below a
 * watched tree changed since a client's token, from the watcher's
 * journal, after reading every event the kernel has queued. */
#ifndef CC_WATCH_SERVE_H
#define CC_WATCH_SERVE_H

struct cc_error;
struct watch;
struct watch_server;

/* Listen on path (a stale socket nobody answers on is replaced; a live
 * one is an error: another watch serves it) and answer from w (borrowed
 * until watch_serve_stop) in a thread of its own.  Caller stops it. */
struct watch_server *watch_serve_start(struct watch *w, const char *path, struct cc_error **err);
/* Requests answered so far. */
unsigned long watch_serve_count(struct watch_server *srv);
/* Stop the thread, close and remove the socket; NULL is fine. */
void watch_serve_stop(struct watch_server *srv);

#endif
