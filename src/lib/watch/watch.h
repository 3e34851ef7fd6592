/* watch: inotify over a set of directory trees (Linux), each with its
 * .dockerignore rules (ignore.h), recursive (new directories are watched
 * as they appear, their contents reported), debounced: watch_next returns
 * once the trees have been quiet for the debounce time, with every path
 * that changed.  A kernel queue overflow says "rescan everything"
 * (batch.overflow) after re-adding watches.  Paths are absolute and clean.
 * One thread calls watch_next; another may read the journal under
 * watch_lock.  The library never prints. */
#ifndef CC_WATCH_H
#define CC_WATCH_H

#include "cancel.h"
#include "lists.h"

#include <stddef.h>

struct cc_error;
struct ignore;
struct watch;

#define WATCH_DEBOUNCE_MS 50   /* default quiet time */
#define WATCH_MAX_WAIT_MS 1000 /* a batch never waits longer for quiet */

/* What changed since the last batch; owned by the caller (watch_batch_release). */
struct watch_batch {
	struct strlist paths; /* absolute, sorted, unique; files and directories */
	int overflow;	      /* the kernel dropped events: treat every tree as changed */
};

/* A watcher with quiet time debounce_ms (<= 0: WATCH_DEBOUNCE_MS); NULL
 * with err when inotify is unavailable.  Caller frees (watch_free). */
struct watch *watch_new(int debounce_ms, struct cc_error **err);
/* Watch the tree at root (absolute; a directory, or a file: then only that
 * file, through its parent directory), skipping what ig excludes (ig
 * borrowed for the watcher's life, NULL: nothing; its patterns relative
 * to base, NULL: to root).  A path is reported when some tree holding it
 * does not exclude it.  0, or -1 with err. */
int watch_add_tree(struct watch *w, const char *root, const struct ignore *ig, const char *base, struct cc_error **err);
/* Watch the one file at path (absolute), which need not exist: its
 * creation, change, removal or replacement (an editor's rename) is
 * reported, through a watch on its directory, which must exist.  0, or
 * -1 with err. */
int watch_add_file(struct watch *w, const char *path, struct cc_error **err);
/* Number of trees and of kernel watches (directories) held. */
size_t watch_tree_count(const struct watch *w);
size_t watch_dir_count(struct watch *w);
/* Wait up to timeout_ms (< 0: for ever) for a change, then until quiet;
 * *out filled (emptied first).  1 with a batch, 0 on timeout, -1 with err
 * (also "interrupted" soon after *cancel is raised). */
int watch_next(struct watch *w, long timeout_ms, const atomic_int *cancel, struct watch_batch *out,
	       struct cc_error **err);
/* 1 when path (absolute) lies in a tree and no tree containing it
 * excludes it: what watch_next reports. */
int watch_wants(const struct watch *w, const char *path);
void watch_batch_release(struct watch_batch *b);

/* The journal (what the fsmonitor service answers from).  A token names
 * a point in it: "ID-SEQ", ID this watcher's random 16 hex digits, SEQ
 * how many paths it had reported. */
#define WATCH_TOKEN_MAX 48
/* The token for now into out. */
void watch_token(const struct watch *w, char out[WATCH_TOKEN_MAX]);
/* Paths below root reported since token, added to out: 1; 0 when the
 * token is not this watcher's, too old (forgotten, or events were lost
 * since) or malformed: then nothing is known. */
int watch_changes_since(const struct watch *w, const char *token, const char *root, struct strlist *out);
/* Read the events queued now (for an answer that must include every
 * change made before it was asked); they still reach the next batch. */
int watch_drain(struct watch *w, struct cc_error **err);
/* The rules of the directory tree rooted exactly at root with its
 * patterns relative to root (borrowed, NULL: none); *found 0 when no
 * such tree. */
const struct ignore *watch_tree_rules(const struct watch *w, const char *root, int *found);
/* Another thread (the fsmonitor service) holds this around
 * watch_drain, watch_token and watch_changes_since; watch_next takes it
 * only while it reads events, so an answer never waits for a round. */
void watch_lock(struct watch *w);
void watch_unlock(struct watch *w);
void watch_free(struct watch *w);

/* Pure helpers (watch-paths.c). */

/* The part of path below root ("" for root itself), or NULL when path is
 * not root or inside it; borrowed from path. */
const char *watch_path_below(const char *root, const char *path);
/* Insert path into the sorted unique list l (copied). */
void watch_paths_add(struct strlist *l, const char *path);
/* Debounce: given the first and the latest event times of a batch and
 * now (ms), how long to wait for more (0: the batch is due). */
long watch_debounce_left(long first_ms, long last_ms, long now_ms, long quiet_ms, long max_ms);

#endif
