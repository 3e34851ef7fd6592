/* backup-verified: the record of verifications, so `ccbuild backups`
 * can say when each snapshot was last re-hashed in each destination and
 * what that found (format at the top of backup-verified.c). */
#ifndef CC_BACKUP_VERIFIED_H
#define CC_BACKUP_VERIFIED_H

#include <jansson.h>
#include <stdint.h>

struct cc_error;

/* One result: borrowed from the log it came from. */
struct bk_verified {
	int64_t time;	     /* when it ran (seconds, UTC) */
	double share;	     /* 1: every object; less: verify:'s sample of the new data */
	const char *problem; /* the first problem found, or NULL: intact */
};

/* Record that snapshot id of backup name was verified in destination dest
 * at time when, over share of its data, finding problem (NULL: none);
 * STATE/backups/ is created when missing.  0 or -1. */
int bk_verified_record(const char *state_dir, const char *name, const char *dest, const char *id, int64_t when,
		       double share, const char *problem, struct cc_error **err);
/* The records of backup name (caller frees with json_decref; an empty
 * object when there are none or the file does not read: it is a record,
 * not a source of truth). */
json_t *bk_verified_load(const char *state_dir, const char *name);
/* The last result for snapshot id in dest from log into *v: 1, or 0
 * when it was never verified there. */
int bk_verified_get(const json_t *log, const char *dest, const char *id, struct bk_verified *v);

#endif
