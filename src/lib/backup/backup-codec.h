/* backup-codec: the compression of a backup object or snapshot manifest:
 * one zstd frame (libzstd), kept only when it is smaller than the data.
 * Compression comes before sealing (backup-crypt), and object ids stay
 * those of the uncompressed content.  How a repository marks which
 * objects are compressed: the top of backup-repo.c. */
#ifndef CC_BACKUP_CODEC_H
#define CC_BACKUP_CODEC_H

#include <stddef.h>

struct cc_error;

#define BK_ZSTD_AUTO 3 /* compression: auto (zstd's default level) */
#define BK_ZSTD_MAX 19 /* compression: max (zstd's highest without --ultra) */

/* A compression context (one per repository; not for two threads). */
struct bk_codec;

/* A new context for level (0: store plain; caller frees with
 * bk_codec_free). */
struct bk_codec *bk_codec_new(int level);
void bk_codec_free(struct bk_codec *c);
/* The zstd level c writes (0: none). */
int bk_codec_level(const struct bk_codec *c);
/* Compress data into *out (caller frees) when c has a level and the
 * frame is smaller than len: 1; 0 (*out NULL) when it should be stored
 * plain; -1 with err on a zstd error. */
int bk_codec_compress(struct bk_codec *c, const void *data, size_t len, void **out, size_t *olen,
		      struct cc_error **err);
/* Decompress the one zstd frame z (len bytes), of at most max bytes,
 * into *out (caller frees; NUL terminated for text): 0, or -1 with err
 * saying what is wrong (not a frame, truncated, trailing bytes, larger
 * than max, corrupt) and nothing allocated. */
int bk_codec_decompress(struct bk_codec *c, const void *z, size_t len, size_t max, void **out, size_t *olen,
			struct cc_error **err);
/* 1 when data begins as a zstd frame does (its magic number). */
int bk_codec_is_frame(const void *data, size_t len);

#endif
