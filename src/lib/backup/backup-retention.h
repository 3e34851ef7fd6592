/* backup-retention: which snapshots a backup's retention: keeps, by
 * restic's `forget` rules exactly (internal/restic/snapshot_policy.go),
 * with the calendar in UTC. */
#ifndef CC_BACKUP_RETENTION_H
#define CC_BACKUP_RETENTION_H

#include "lists.h"

#include <stddef.h>
#include <stdint.h>

struct backup_keep;

struct bk_keep_decision {
	int keep;
	struct strlist reasons; /* "last snapshot", "daily snapshot", "within 2d", "oldest"... */
};

/* Decide for each of times[0..n) (seconds, UTC, any order) whether k keeps
 * it, into out[i] (release each with bk_keep_decision_release).  Restic's
 * rules: newest first (stable), every bucket counted on its own, a bucket
 * with count left keeps the oldest snapshot too, keep_within relative to
 * the newest snapshot not after now.  No rule at all keeps everything. */
void bk_retention_decide(const struct backup_keep *k, const int64_t *times, size_t n, int64_t now,
			 struct bk_keep_decision *out);
void bk_keep_decision_release(struct bk_keep_decision *d);

#endif
