/* backup-service: what backups need to know of a profile's services: the
 * named volumes a compose service mounts (a service: source), its
 * containers on the engine (found by compose's labels, deploy-find.h),
 * and the containers that mount a volume (before a restore over it). */
#ifndef CC_BACKUP_SERVICE_H
#define CC_BACKUP_SERVICE_H

#include "lists.h"

#include <stdint.h>

struct bk_entries;
struct bk_store;
struct cc_error;
struct compose_project;
struct engine;

/* The engine names of the named volumes service mounts in compose model
 * p (in the order its volumes: lists them, each once) appended to out.
 * An unknown service, or one without a named volume, is an error. */
int bk_service_volumes(const struct compose_project *p, const char *service, struct strlist *out,
		       struct cc_error **err);
/* The IDs of service's containers of compose project `project` (one-off
 * run and test containers left out) appended to ids; with running set,
 * only the running ones.  0 or -1. */
int bk_service_containers(struct engine *e, const char *project, const char *service, int running, struct strlist *ids,
			  struct cc_error **err);
/* The containers that mount volume (with all set, stopped ones too, else
 * the running ones), backup helpers left out: their IDs, names and images
 * appended to ids, names and images (each may be NULL).  0 or -1. */
int bk_volume_users(struct engine *e, const char *volume, int all, struct strlist *ids, struct strlist *names,
		    struct strlist *images, struct cc_error **err);
/* A service: source as one snapshot: each of volumes (engine names) read
 * through the engine (bk_volume_read, chunks stored through st) into a
 * top-level directory of its name (mode 0755, owner 0, mtime 0, so that
 * an unchanged service hashes the same), out left in walk order;
 * *bytes (may be NULL) gets the bytes of file content read.  0 or -1. */
int bk_service_read(struct engine *e, const struct strlist *volumes, struct bk_store *st, struct bk_entries *out,
		    uint64_t *bytes, struct cc_error **err);
/* The entries of all under directory dir (a top-level name), with
 * "dir/" taken off their paths, copied into out (walk order kept). */
void bk_entries_under(const struct bk_entries *all, const char *dir, struct bk_entries *out);

#endif
