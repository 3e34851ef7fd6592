/* engine-archive: what backups need of the engine: volumes, a stopped
 * helper container that mounts one, and its files as a tar stream
 * (GET/PUT /containers/{id}/archive), so no host path of the engine's
 * storage is touched. */
#ifndef CC_ENGINE_ARCHIVE_H
#define CC_ENGINE_ARCHIVE_H

#include "cancel.h"

struct cc_error;
struct engine;

/* The image helper containers are created from: an empty image that
 * engine_helper_image makes (imported from an empty tar) when absent. */
#define ENGINE_HELPER_IMAGE "ccbuild-backup-helper:1"

/* Make ENGINE_HELPER_IMAGE present (import an empty image); 0 or -1. */
int engine_helper_image(struct engine *e, struct cc_error **err);
/* Create (never start) a container of ENGINE_HELPER_IMAGE that mounts
 * volume at dest ("/data"); *id set (caller frees, and removes the
 * container with engine_helper_remove). */
int engine_helper_create(struct engine *e, const char *volume, const char *dest, char **id, struct cc_error **err);
/* Remove helper container id (its volume stays); 0 or -1. */
int engine_helper_remove(struct engine *e, const char *id, struct cc_error **err);
/* GET /containers/ID/archive?path=PATH: the tar written to fd (not
 * closed); 0, or -1 with err (the engine's message on an HTTP error). */
int engine_archive_get(struct engine *e, const char *id, const char *path, int fd, const atomic_int *cancel,
		       struct cc_error **err);
/* PUT /containers/ID/archive?path=PATH with the tar read from fd until
 * its end (not closed); 0 or -1. */
int engine_archive_put(struct engine *e, const char *id, const char *path, int fd, const atomic_int *cancel,
		       struct cc_error **err);

/* An archive call run on a thread at one end of a pipe, so that libarchive
 * can work the other end (*fd, the caller's to close) while libcurl
 * streams: put reads the tar from *fd's peer, else the GET writes it
 * there.  *out is finished with engine_archive_finish; 0 or -1. */
struct engine_archive_job;
int engine_archive_start(struct engine *e, const char *id, const char *path, int put, const atomic_int *cancel,
			 struct engine_archive_job **out, int *fd, struct cc_error **err);
/* Wait for job (close your end of the pipe first) and free it: -1 with
 * the transfer's error, else with mine (taken) when rc < 0, else 0. */
int engine_archive_finish(struct engine_archive_job *job, int rc, struct cc_error *mine, struct cc_error **err);

#endif
