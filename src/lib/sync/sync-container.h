/* sync-container: a directory inside a container as a sync destination,
 * through the Engine API only: the files of a volume through a helper
 * container that is created, never started, and removed after (it mounts
 * the volume where the service that uses it does, from that service's
 * image), or the files of a running service's container.  Read with GET
 * /containers/{id}/archive, written with PUT (a tar made with libarchive
 * of only what changed), removals with `rm` run in the container (exec)
 * or in a second helper started once.  docs/technical/sync.md,
 * "Volumes and containers", says what lands atomically and why. */
#ifndef CC_SYNC_CONTAINER_H
#define CC_SYNC_CONTAINER_H

#include "cancel.h"
#include "lists.h"

struct cc_error;
struct engine;
struct sync_plan;
struct sync_record;
struct sync_tree;

struct subspans;

struct sync_container {
	struct engine *e;	  /* borrowed */
	char *id;		  /* the container written into; owned */
	char *root;		  /* the destination directory in it (absolute); owned */
	char *base;		  /* an ancestor of root that exists (the volume's mount, or "/"); owned */
	char *image;		  /* the helper's image (volumes), or NULL; owned */
	char *volume;		  /* the engine volume (volumes), or NULL; owned */
	char *helper_name;	  /* the helper's container name (volumes), or NULL; owned */
	char *what;		  /* "volume NAME" or "service NAME" for messages; owned */
	int root_exists;	  /* set by sync_container_list */
	const char *only;	  /* a single-file sync: the one name below root it reads (set after open), or NULL */
	const atomic_int *cancel; /* borrowed */
	struct subspans *spans;	  /* archive transfers timed into it (subspan.h; set after open), or NULL */
};

/* A helper container named helper_name (one left by a killed sync is
 * removed first) from image, mounting volume at target, for the
 * destination target/subdir; release c with sync_container_close. */
int sync_container_open_volume(struct engine *e, const char *volume, const char *subdir, const char *image,
			       const char *target, const char *helper_name, const atomic_int *cancel,
			       struct sync_container *c, struct cc_error **err);
/* The running container id of service, destination path (absolute). */
void sync_container_open_service(struct engine *e, const char *id, const char *service, const char *path,
				 const atomic_int *cancel, struct sync_container *c);
/* Read the destination: every entry below root (only: that one and what
 * is below it) with its mode, link target and content SHA-256 into *out,
 * sorted (caller releases); an absent root is an empty listing. */
int sync_container_list(struct sync_container *c, struct sync_record *out, struct cc_error **err);
/* Write what plan says (the source files read below srcroot, each checked
 * against its hash as it is read) in one PUT; *bytes the file bytes sent. */
int sync_container_write(struct sync_container *c, const struct sync_plan *plan, const struct sync_tree *src,
			 const char *srcroot, unsigned long long *bytes, struct cc_error **err);
/* Remove root-relative paths (rm -rf); an image without rm is named. */
int sync_container_remove(struct sync_container *c, const struct strlist *paths, struct cc_error **err);
/* Read back every file plan wrote and compare its SHA-256; a mismatch is
 * an error naming the file. */
int sync_container_verify(struct sync_container *c, const struct sync_plan *plan, const struct sync_tree *src,
			  struct cc_error **err);
/* Remove the helper (if any) and free c's strings. */
void sync_container_close(struct sync_container *c);

#endif
