/* buildkit-filesync-filter: the include-patterns, exclude-patterns and
 * followpaths of a FileSync call, with the semantics of fsutil's walker
 * (tonistiigi/fsutil walker.go and followlinks.go of BuildKit v0.8's
 * era), applied to a context walk.  Private to buildkit-filesync.c. */
#ifndef CC_BUILDKIT_FILESYNC_FILTER_H
#define CC_BUILDKIT_FILESYNC_FILTER_H

#include <stddef.h>

struct bk_stream;
struct cc_error;
struct ctx_list;
struct ignore;

struct fsfilter {
	struct ignore *exclude; /* NULL: no exclude-patterns */
	char **include;		/* owned; cleaned patterns and followpaths targets */
	size_t ninclude, capinclude;
	int has_include;      /* include-patterns or followpaths were given */
	const char *skip;     /* a directory whose contents are left out (borrowed) */
	const char *included; /* a directory included whole (borrowed) */
};

/* Read the call's metadata; followpaths are resolved through the symlinks
 * of `walk` (borrowed for the filter's life).  -1 with *err on a bad
 * exclude pattern or a followpath through too many links. */
int fsfilter_init(struct fsfilter *f, struct bk_stream *s, const struct ctx_list *walk, struct cc_error **err);
/* Forget the directories seen; call before a walk. */
void fsfilter_start(struct fsfilter *f);
/* Is the walk's next entry `path` (borrowed until the next call) sent?
 * Paths must come in walk order. */
int fsfilter_pass(struct fsfilter *f, const char *path, int is_dir);
void fsfilter_release(struct fsfilter *f);

#endif
