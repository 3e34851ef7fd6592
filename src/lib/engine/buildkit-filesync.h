/* buildkit-filesync: the client side of BuildKit's FileSync service, the
 * call /moby.filesync.v1.FileSync/DiffCopy through which the daemon pulls
 * a build's local sources ("context", "dockerfile") from the session.
 *
 * A bk_filesync holds the directories one session serves, each under the
 * name the frontend asks for in the call's "dir-name" metadata.  A
 * directory is served from ccbuild's own context walk (ctxwalk.h: the
 * files after ccbuild applied .dockerignore, with the stat data that was
 * hashed), so BuildKit sees exactly the file set the build hash covers.
 * The frontend's "exclude-patterns" (it reads .dockerignore and sends its
 * rules), "include-patterns" and "followpaths" are applied on top, with
 * fsutil's walker semantics; on a set already filtered by the same rules
 * they change nothing.  Owner and group go as 0 (as the docker CLI sends
 * them); extended attributes are not sent (the tar path sends none
 * either).
 *
 * The wire protocol is fsutil's DiffCopy (fsutil/types Packet, Stat):
 * STAT packets in walk order (ctx_path_cmp: a directory before its
 * contents), every parent directory sent before its children, then an
 * empty STAT; the daemon answers REQ for the ids (the index of the STAT
 * packet) of regular files it lacks, and each is answered with DATA of at
 * most 32 KiB, then an empty DATA; content is read only then, and a file
 * whose size or mtime is no longer the walk's fails the call (what would
 * be sent is not what was hashed).  The daemon's FIN is answered with FIN
 * and ends the call.  A failure sends ERR with the message first. */
#ifndef CC_BUILDKIT_FILESYNC_H
#define CC_BUILDKIT_FILESYNC_H

#include <stddef.h>
#include <stdint.h>

struct bk_stream;
struct cc_error;
struct ctx_list;
struct bk_filesync;

#define BK_FILESYNC_METHOD "/moby.filesync.v1.FileSync/DiffCopy"

/* What the calls sent so far: file content bytes (DATA payloads), files
 * whose content was sent, STAT packets. */
struct bk_filesync_stats {
	uint64_t bytes, files, stats;
};

/* An empty set of directories; caller frees with bk_filesync_free. */
struct bk_filesync *bk_filesync_new(void);
/* Serve directory `root` as NAME with the entries of `walk` (paths
 * relative to root, in walk order); root and name are copied, walk is
 * borrowed and must outlive fs.  A second NAME replaces the first. */
void bk_filesync_add_walk(struct bk_filesync *fs, const char *name, const char *root, const struct ctx_list *walk);
/* Serve as NAME a directory holding only the files names[0..n) of `dir`
 * (base names; symlinks followed; a missing one is left out), e.g. the
 * Dockerfile and its "<Dockerfile>.dockerignore" as "dockerfile", so a
 * Dockerfile outside the context is never copied into it.  Stats now;
 * -1 with *err when a file exists but is not a regular file or unreadable. */
int bk_filesync_add_files(struct bk_filesync *fs, const char *name, const char *dir, const char *const *names, size_t n,
			  struct cc_error **err);
/* The DiffCopy method (a bk_method_fn; ctx is the struct bk_filesync *).
 * Calls may run at once on several threads: fs is only read, the counters
 * are atomic.  Returns 0, or a gRPC status with *err: 5 for a dir-name not
 * served, 3 for bad patterns or a malformed packet, 2 for the daemon's
 * ERR, 13 for a local failure, 1 when the call was reset. */
int bk_filesync_diffcopy(void *ctx, struct bk_stream *s, struct cc_error **err);
/* The counters summed over all calls so far (safe while calls run). */
struct bk_filesync_stats bk_filesync_stats(const struct bk_filesync *fs);
void bk_filesync_free(struct bk_filesync *fs);

#endif
