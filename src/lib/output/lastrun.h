/* lastrun: how the last run of each step ended (when, how long, result,
 * the kind's facts), kept in STATE/lastrun.json so that `ccbuild status`
 * answers from the state directory alone, without asking the engine.
 * Written by every command that runs steps, under the state lock. */
#ifndef CC_LASTRUN_H
#define CC_LASTRUN_H

#include <jansson.h>
#include <stdint.h>

struct cc_error;
struct runner;

/* Merge the steps of r that ended (done, up to date, failed, cancelled)
 * into state_dir's record, as of now (unix seconds), with the run of
 * profile by command ("run", "sync"; exit_code, ms); replaced atomically.  A damaged record is a
 * warning into *warning (caller frees) and starts again.  -1 with err. */
int lastrun_record(const char *state_dir, const struct runner *r, const char *profile, const char *command,
		   int exit_code, long ms, int64_t now, char **warning, struct cc_error **err);
/* The record of state_dir ({"version":1,"runs":{},"steps":{}} when there
 * is none; *warning set when it was damaged, caller frees); caller decrefs. */
json_t *lastrun_load(const char *state_dir, char **warning);

#endif
