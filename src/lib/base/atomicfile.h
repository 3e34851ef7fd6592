/* atomicfile: replace a file so that readers see either the old or the new
 * contents, also across a crash: write a unique "PATH.tmp.XXXXXX" (mkostemp:
 * threads and processes never share one), fsync, rename over
 * PATH, fsync the directory. */
#ifndef CC_ATOMICFILE_H
#define CC_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

struct cc_error;

struct atomicfile {
	char *path, *tmp; /* owned */
	FILE *f;	  /* write the new contents here */
};

/* Create the temporary file (parent directory must exist). */
int atomicfile_open(struct atomicfile *af, const char *path, struct cc_error **err);
/* Flush, fsync, rename into place, fsync the directory; af is released
 * either way (on failure the temporary file is removed). */
int atomicfile_commit(struct atomicfile *af, struct cc_error **err);
/* Drop the temporary file; af is released.  Safe after a failed open. */
void atomicfile_abort(struct atomicfile *af);
/* Whole-buffer convenience: open + write + commit. */
int atomicfile_write(const char *path, const void *data, size_t len, struct cc_error **err);
/* atomicfile_write without the fsyncs: readers still see the old or the
 * new contents, but a crash may lose the new ones; for files rewritten
 * on every run (metrics), where an fsync costs more than the file is worth. */
int atomicfile_replace(const char *path, const void *data, size_t len, struct cc_error **err);
/* fsync the directory that holds `path` (after a rename or unlink). */
int atomicfile_sync_dir(const char *path, struct cc_error **err);

#endif
