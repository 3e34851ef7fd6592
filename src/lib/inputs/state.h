/* state: the .ccbuild/ directory: one record per step (what it was built
 * from and what it produced), the per-file manifests `why` diffs, stat
 * caches, and the lock that serialises concurrent runs.  Every file is
 * replaced atomically; an unreadable file is a warning and a rebuild. */
#ifndef CC_STATE_H
#define CC_STATE_H

#include "lists.h"

#include <jansson.h>

#include <stdint.h>

struct cc_error;
struct hash_manifest;
struct state_lock;

struct step_record {
	char *step;	     /* step id, e.g. "build:web" */
	char *input;	     /* hex input hash */
	char *output;	     /* result, e.g. the image ID "sha256:..." */
	struct strlist tags; /* tags applied */
	int64_t time;	     /* unix seconds of the run */
	char *files;	     /* manifest file relative to the state dir, or NULL */
	json_t *inputs;	     /* the step's non-file inputs (kind-specific object,
			       * for `why`), owned; or NULL */
};

/* Create dir and its subdirectories when missing. */
int state_init(const char *dir, struct cc_error **err);

/* Take the run lock (flock on DIR/lock).  When another run holds it,
 * `waiting` (may be NULL) is called once with that run's pid (0 if
 * unknown) before blocking.  Caller releases with state_unlock. */
int state_lock(const char *dir, struct state_lock **out, void (*waiting)(long pid, void *data), void *data,
	       struct cc_error **err);
void state_unlock(struct state_lock *l);

/* Load the record of step_id: 1 found, 0 absent or unusable (then
 * *warning says why when it was unusable; caller frees). */
int state_load_step(const char *dir, const char *step_id, struct step_record *out, char **warning);
/* Save r, with `files` (may be NULL) as its manifest; r->files is set. */
int state_save_step(const char *dir, struct step_record *r, const struct hash_manifest *files, struct cc_error **err);
/* Load the manifest r->files into out: 1 loaded, 0 none or unusable
 * (warning as for state_load_step).  Release out with
 * hash_manifest_release. */
int state_load_files(const char *dir, const struct step_record *r, struct hash_manifest *out, char **warning);
void step_record_release(struct step_record *r);

/* Stat cache file for building `dockerfile` (may be NULL) in directory
 * `context`; caller frees. */
char *state_statcache_path(const char *dir, const char *context, const char *dockerfile);

#endif
