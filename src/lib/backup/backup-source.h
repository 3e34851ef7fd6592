/* backup-source: what a backup reads.  A host directory is walked with
 * its stat cache (unchanged files are not read; their chunks come from
 * the previous snapshot); an archive (a volume's tar from the engine) is
 * read whole.  File content is cut into chunks and stored as it is read. */
#ifndef CC_BACKUP_SOURCE_H
#define CC_BACKUP_SOURCE_H

#include "backup-idset.h"
#include "cancel.h"

#include <stddef.h>
#include <stdint.h>

struct archive;
struct bk_crypt;
struct bk_entries;
struct bk_repo;
struct cc_error;

/* Where chunks go while a source is read. */
struct subspans;

struct bk_store {
	struct bk_repo *const *repos; /* borrowed; a chunk goes to each that lacks it */
	size_t nrepos;
	uint64_t new_bytes;	     /* bytes of chunks some repository lacked */
	uint64_t stored_bytes;	     /* what they take on disk (compressed, sealed) */
	struct bk_idset written;     /* ids of those chunks (value: their size) */
	const atomic_int *cancel;    /* may be NULL */
	const struct bk_crypt *keys; /* borrowed: chunk ids keyed with it; NULL: SHA-256 */
	struct subspans *spans;	     /* volume reads are timed into it (subspan.h), or NULL */
};

/* Hash data as one chunk into id (bk_crypt_object_id under st->keys)
 * and store it where it is missing. */
int bk_store_chunk(struct bk_store *st, const void *data, size_t len, unsigned char id[32], struct cc_error **err);
void bk_store_release(struct bk_store *st);

struct bk_path_stats {
	size_t files, read; /* regular files, and those read (not known) */
	uint64_t bytes_read;
	size_t skipped; /* sockets, FIFOs, devices: not backed up */
	char *warning;	/* from the stat cache, or NULL; owned */
};

/* Walk directory dir into out (walk order).  A file whose content hash
 * (the stat cache `statcache`, a file path or NULL) is a file of prev
 * takes its chunks; any other is marked pending (nchunks 0, size as
 * stat says).  Reads no file content that the stat cache knows; the
 * cache file is rewritten when save is set. */
int bk_scan_path(const char *dir, const char *statcache, int save, const struct bk_entries *prev,
		 const atomic_int *cancel, struct bk_entries *out, struct bk_path_stats *stats, struct cc_error **err);
/* Store the files of e (from bk_scan_path of dir): pending ones are read
 * and chunked; known ones are read again only when some repository of
 * st lacks one of their chunks. */
int bk_store_path(const char *dir, struct bk_entries *e, struct bk_store *st, struct bk_path_stats *stats,
		  struct cc_error **err);
/* Give each pending file of e the chunks of the file of prev with its
 * content hash, when there is one. */
void bk_entries_fill_from(struct bk_entries *e, const struct bk_entries *prev);
/* A digest of everything a listing records (paths, types, modes, owners,
 * mtimes, sizes, links, content hashes; not chunks): equal digests, equal
 * root trees. */
void bk_entries_digest(const struct bk_entries *e, unsigned char out[32]);
/* 1 when some entry of e is pending (its chunks unknown). */
int bk_entries_pending(const struct bk_entries *e);
/* Read archive a (opened by the caller) into out, storing every file's
 * chunks; entry names lose their first component ("data/x" -> "x");
 * missing parent directories are added; out is left in walk order. */
int bk_scan_archive(struct archive *a, struct bk_store *st, struct bk_entries *out, struct cc_error **err);

#endif
