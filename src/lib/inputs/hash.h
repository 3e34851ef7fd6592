/* hash: the input hash of a build step (see docs/hashing.md) and the
 * per-file manifest that lets `why` say which file changed. */
#ifndef CC_HASH_H
#define CC_HASH_H

#include "arena.h"
#include "ctxwalk.h"
#include "statcache.h"

#include <stddef.h>

struct cc_error;
struct ctx_entry;
struct ctx_list;
struct kvlist;

struct hash_input {
	const char *context;	     /* context directory (cwd-relative or absolute) */
	const char *dockerfile;	     /* Dockerfile to read (cwd-relative or absolute);
				     * may lie outside the context */
	const char *target;	     /* or NULL */
	const char *platform;	     /* or NULL: the engine's default */
	const struct kvlist *args;   /* build args, NULL value = named but unset; or NULL */
	const struct kvlist *labels; /* or NULL */
	const char *const *bases;    /* base identities: image ID of a manifest image,
				     * digest of an external one; in FROM order */
	size_t nbases;
	const char *statcache;	      /* stat cache file, or NULL for none */
	const atomic_int *cancel;     /* stop soon after it is raised, or NULL */
	const char *dockerfile_text;  /* non-NULL: the Dockerfile's text (compose's
				      * dockerfile_inline); dockerfile is not read */
	const char *watch_socket;     /* a watcher to ask instead of walking
				      * (fsmonitor.h; needs statcache), or NULL */
	const char *secrets;	      /* the build secrets' identity (ids and sources,
				      * bk_secrets_identity; never a value), or NULL */
	const struct kvlist *ulimits; /* build ulimits, name -> "SOFT:HARD"; or NULL */
};

struct hash_file {
	const char *path;	  /* context-relative; in the manifest's arena */
	unsigned char digest[32]; /* file hash: type, mode, link target, content */
};

/* path -> file hash, in walk order. */
struct hash_manifest {
	struct hash_file *v;
	size_t n;
	struct arena arena;
};

struct hash_result {
	unsigned char digest[32];   /* the step's input hash */
	char hex[65];		    /* the same, hex */
	unsigned char context[32];  /* hash of the context part alone */
	struct hash_manifest files; /* owned */
	struct ctx_list walk;	    /* the walked entries, in walk order: what
				      * the build sends (owned; its strings live in
				      * files.arena, so it must not outlive files) */
	char *dockerfile_rel;	    /* the Dockerfile's context-relative path, or
				      * NULL when it lies outside the context */
	char *ignore_file;	    /* ignore file used (context-relative) or NULL */
	char *warning;		    /* stat cache warning or NULL; owned */
	struct statcache_stats stats;
};

/* Walk, filter and hash the context, read the Dockerfile and combine
 * everything per docs/hashing.md.  out is filled (release it with
 * hash_result_release, also after a failure). */
int hash_build_inputs(const struct hash_input *in, struct hash_result *out, struct cc_error **err);
void hash_result_release(struct hash_result *r);

/* The file hash for one walk entry given its content digest (ignored for
 * non-regular files). */
void hash_file_entry(const struct ctx_entry *e, const unsigned char content[32], unsigned char out[32]);

enum hash_change { HASH_ADDED, HASH_REMOVED, HASH_CHANGED };
/* Call fn for each path that differs between manifests a (old) and b
 * (new), in walk order; returns the number of differences. */
size_t hash_manifest_diff(const struct hash_manifest *a, const struct hash_manifest *b,
			  void (*fn)(enum hash_change, const char *path, void *data), void *data);
void hash_manifest_release(struct hash_manifest *m);

/* Lower-case hex of 32 bytes into out[65]. */
void hash_hex(const unsigned char d[32], char out[65]);
/* SHA-256 of n bytes at p into out (raw, or lower-case hex). */
void hash_sha256(const void *p, size_t n, unsigned char out[32]);
void hash_sha256_hex(const void *p, size_t n, char out[65]);

#endif
