/* backup-volume: a volume as a backup source and restore target, through
 * the engine only (a stopped helper container mounting it, its
 * /containers/{id}/archive stream read and written with libarchive). */
#ifndef CC_BACKUP_VOLUME_H
#define CC_BACKUP_VOLUME_H

#include <stdint.h>

struct bk_entries;
struct bk_repo;
struct bk_store;
struct cc_error;
struct engine;
struct subspans;

/* Read volume name into out (walk order), its files' chunks stored
 * through st; *bytes gets the bytes of file content read.  0 or -1. */
int bk_volume_read(struct engine *e, const char *name, struct bk_store *st, struct bk_entries *out, uint64_t *bytes,
		   struct cc_error **err);
/* Write listing e (its chunks read from r, each checked) into volume
 * name, which must not exist yet (it is created), then read the volume
 * back and compare every path, type, mode, owner, link and SHA-256 with
 * e.  A failure leaves the new volume, named in the error, and never
 * touches another.  The archive transfers are timed into spans
 * (subspan.h; may be NULL).  0 or -1. */
int bk_volume_write(struct engine *e, const char *name, const struct bk_repo *r, const struct bk_entries *e_list,
		    struct subspans *spans, struct cc_error **err);
/* 0 when got (a volume read back) holds what want lists: every path,
 * type, mode, owner, link, size and SHA-256; else -1 naming the first
 * difference. */
int bk_entries_compare(const struct bk_entries *want, const struct bk_entries *got, struct cc_error **err);

#endif
