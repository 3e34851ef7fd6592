/* backup-snapshot: a snapshot manifest (its JSON is specified in
 * backup-repo.c), and the 32-byte ids used for objects. */
#ifndef CC_BACKUP_SNAPSHOT_H
#define CC_BACKUP_SNAPSHOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct bk_snapshot {
	char id[17];		/* 16 hex digits */
	char *name;		/* the backup's name, owned */
	char *source;		/* "path:/srv/data", "volume:pgdata", owned */
	int64_t time;		/* seconds since the epoch, UTC */
	long nsec;		/* and nanoseconds (orders snapshots of one second) */
	unsigned char tree[32]; /* root tree object */
	uint64_t files, bytes;	/* regular files and their bytes */
	uint64_t new_bytes;	/* bytes this snapshot stored that were not there */
	uint64_t stored_bytes;	/* what they take on disk (compressed, sealed); 0: not recorded */
};

/* Set s->id from its name, source, time and tree (the same snapshot gets
 * the same id in every destination). */
void bk_snapshot_set_id(struct bk_snapshot *s);
/* The manifest as JSON text (caller frees). */
char *bk_snapshot_to_json(const struct bk_snapshot *s);
/* Parse manifest text (what names it in errors: its path); 0 or -1. */
int bk_snapshot_parse(const char *text, size_t len, const char *what, struct bk_snapshot *s, struct cc_error **err);
/* Copy src into dst (strings duplicated). */
void bk_snapshot_copy(struct bk_snapshot *dst, const struct bk_snapshot *src);
void bk_snapshot_release(struct bk_snapshot *s);
void bk_snapshots_free(struct bk_snapshot *v, size_t n);
/* "2026-12-01T12:00:00Z" into buf (at least 21 bytes). */
void bk_time_format(int64_t t, char *buf, size_t size);
/* Parse that form back, with an optional fraction ("...:00.5Z") into
 * *nsec (may be NULL); 0 or -1. */
int bk_time_parse(const char *s, int64_t *t, long *nsec);
/* Hex of an id into out[65]; hex back to an id (0, or -1 when not 64
 * lower-case hex digits). */
void bk_id_hex(const unsigned char id[32], char out[65]);
int bk_id_parse(const char *hex, unsigned char id[32]);

#endif
