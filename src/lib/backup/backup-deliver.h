/* backup-deliver: the command destinations of a backup (rclone, rsync...):
 * run without a shell after the path destinations, with placeholders
 * expanded: {repo} (the first usable path destination), {snapshot} (the
 * snapshot's manifest there), {id}, {name}, {time}. */
#ifndef CC_BACKUP_DELIVER_H
#define CC_BACKUP_DELIVER_H

#include "lists.h"

struct backup_dest;
struct backup_spec;
struct bk_snapshot;

/* Run each command destination of b that has not delivered snapshot s
 * yet (STATE/backups/NAME-HASH.delivered records the last id it did);
 * output goes to STATE/backups/NAME-HASH.log.  A failure is added to
 * degraded ("command ARGV0: exit 3 (log: FILE)"), a success to notes.
 * traceparent (may be NULL): the commands get it as TRACEPARENT, in place
 * of an inherited one, so that their spans join the run's trace. */
void backup_deliver(const struct backup_spec *b, const char *state_dir, const char *repo, const struct bk_snapshot *s,
		    const char *traceparent, struct strlist *degraded, struct strlist *notes);
/* The id of the last snapshot command destination d of b delivered
 * (caller frees), or NULL when it never did. */
char *backup_delivered(const struct backup_spec *b, const char *state_dir, const struct backup_dest *d);
/* arg with the placeholders replaced (caller frees). */
char *backup_expand(const char *arg, const char *repo, const struct bk_snapshot *s);

#endif
