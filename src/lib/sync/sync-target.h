/* sync-target: where a volume: or service: destination of a sync is on
 * the engine, from the compose model: the volume's engine name (a compose
 * volume's PROJECT_KEY or declared name, else NAME as it is), the image
 * and mount point of the helper container (those of the first service,
 * by name, that mounts the volume, unless helper_image: is given), and
 * whether a container create body mounts a destination (so up:SERVICE
 * runs after sync:NAME).  Pure: no engine. */
#ifndef CC_SYNC_TARGET_H
#define CC_SYNC_TARGET_H

#include <jansson.h>
#include <stddef.h>

struct cc_error;
struct compose_project;
struct sync_spec;

struct sync_volume {
	char *volume;	/* engine volume name; owned */
	char *image;	/* helper image; owned */
	char *mount;	/* where the helper mounts the volume; owned */
	char *service;	/* whose image and mount they are, or NULL (helper_image:); owned */
	char *project;	/* compose project name, or NULL; owned */
	json_t *create; /* POST /volumes/create body when it is a compose volume (not external), or NULL; owned */
};

/* The image a service runs when ccbuild builds it (its image reference),
 * or NULL when it runs its image:. */
typedef const char *(*sync_built_image_fn)(void *ctx, const char *service);

/* Resolve the volume destination of spec against compose project p (may
 * be NULL); an error naming the sync when no image can be chosen. */
int sync_target_volume(const struct sync_spec *spec, const struct compose_project *p, sync_built_image_fn built,
		       void *ctx, struct sync_volume *out, struct cc_error **err);
/* 1 when create (a POST /containers/create body) mounts volume (an
 * engine name; NULL: skip) or binds host directory host (NULL: skip), one
 * inside it or one holding it; its mount point into buf. */
int sync_target_mounted(const json_t *create, const char *volume, const char *host, char *buf, size_t size);
void sync_target_release(struct sync_volume *t);

#endif
