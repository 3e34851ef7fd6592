/* sync-record: what the last sync of one sync:NAME step left in its
 * destination, per path: type and mode, size, mtime, the SHA-256 of the
 * bytes written (after rewrites) and of the source bytes they came from.
 * (ctime and inode too).  A destination file whose stat data or content
 * differs from its record
 * was changed by someone else since. */
#ifndef CC_SYNC_RECORD_H
#define CC_SYNC_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct sync_file {
	char *path;	  /* destination-relative, walk order; owned */
	char *link;	  /* symlink target, or NULL; owned */
	uint32_t mode;	  /* st_mode: type and permission bits */
	uint64_t size;	  /* as written */
	int64_t mtime_ns; /* of the destination file after writing */
	int64_t ctime_ns; /* the same: any later change moves it */
	uint64_t ino;
	unsigned char sha[32]; /* destination content (regular files) */
	unsigned char src[32]; /* the source content it was made from */
};

struct sync_record {
	struct sync_file *v; /* sorted in walk order (ctx_path_cmp) */
	size_t n, cap;
	char rules[65]; /* hash of the rewrite rules applied ("" none) */
};

/* Load file: 1 loaded, 0 absent or unusable (then *warning says why when
 * it exists but cannot be used; caller frees).  out is always valid. */
int sync_record_load(const char *file, struct sync_record *out, char **warning);
/* Replace file with r atomically (atomicfile.h). */
int sync_record_save(const char *file, const struct sync_record *r, struct cc_error **err);
/* Append an entry (strings copied); callers append in walk order. */
struct sync_file *sync_record_add(struct sync_record *r, const char *path, const char *link);
/* The entry for path (binary search), or NULL; borrowed. */
const struct sync_file *sync_record_find(const struct sync_record *r, const char *path);
void sync_record_release(struct sync_record *r);

/* The fingerprint of a destination: SHA-256 over, per entry in walk
 * order, what sync_host_matches compares without reading content (path,
 * type and permissions; a link's target; a regular file's size, mtime,
 * ctime and inode).  sync_record_save writes the record's beside it
 * (FILE.fp, removed first, written after the record), so a no-op sync can
 * compare a fresh walk of the destination with it instead of loading the
 * record.  Entries are added with sync_fp_add; the buffer is owned. */
struct sync_fp {
	char *buf;
	size_t len, cap, n;
};
void sync_fp_add(struct sync_fp *fp, const char *path, const char *link, uint32_t mode, uint64_t size, int64_t mtime_ns,
		 int64_t ctime_ns, uint64_t ino);
/* The hex digest of what was added; releases the buffer. */
void sync_fp_final(struct sync_fp *fp, char hex[65]);
/* The fingerprint saved beside record FILE and its entry count: 1, or 0
 * when there is none (or it does not parse). */
int sync_fp_load(const char *record_file, char hex[65], size_t *n);

#endif
