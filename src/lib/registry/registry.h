/* registry: the distribution (registry v2) HTTP API over libcurl, for
 * what ccbuild asks of a registry without the engine: does a tag exist,
 * fetch a manifest, put a manifest (retag without pulling, push an index).
 *
 * Repositories are named "HOST[:PORT]/PATH" ("127.0.0.1:5000/shop/web").
 * Loopback hosts (127.0.0.0/8, localhost, ::1) are spoken to over plain
 * HTTP, as the engine does; everything else over HTTPS.  Authentication
 * follows the registry's challenge: a Bearer token fetched from the realm
 * (with Basic credentials from the docker config when there are any:
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json, "credHelpers",
 * "auths" or "credsStore"; else anonymous), or Basic directly.  Every call uses its own
 * curl handle: a struct registry is safe to share between threads. */
#ifndef CC_REGISTRY_H
#define CC_REGISTRY_H

#include <jansson.h>
#include <stddef.h>

#include "lists.h"

struct cc_error;

/* The media types ccbuild sends in Accept and writes. */
#define REGISTRY_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REGISTRY_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REGISTRY_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_OCI_INDEX "application/vnd.oci.image.index.v1+json"

struct registry_manifest {
	char *digest;	  /* "sha256:..." (Docker-Content-Digest) */
	char *media_type; /* Content-Type */
	size_t size;	  /* bytes */
	char *body;	  /* the exact bytes (GET only), NUL-terminated */
};

/* Split "HOST[:PORT]/PATH[:TAG|@DIGEST]" into host, repository path and
 * reference (tag or digest; NULL when none); 0, or -1 when there is no
 * host part (a Docker Hub short name).  Caller frees the three. */
int registry_split(const char *ref, char **host, char **path, char **reference);

/* The engine's X-Registry-Auth value (base64url of {username, password,
 * serveraddress}) for host from the docker config (credHelpers, auths,
 * credsStore) into *auth, NULL for anonymous; caller frees.  -1 with err
 * naming the config file and host when its credentials are unusable (an
 * auth that is not base64 of user:password, or not UTF-8). */
int registry_engine_auth(const char *host, char **auth, struct cc_error **err);
/* The docker config's credentials for host (the same lookup) into *user
 * and *secret, both NULL for anonymous; caller frees (and should wipe
 * *secret).  -1 with err as registry_engine_auth. */
int registry_credentials(const char *host, char **user, char **secret, struct cc_error **err);

/* HEAD /v2/PATH/manifests/REFERENCE of repository repo ("HOST/PATH"):
 * 1 exists (*out filled without body), 0 absent, -1 with err. */
int registry_manifest_head(const char *repo, const char *reference, struct registry_manifest *out,
			   struct cc_error **err);
/* GET the same: 1 with *out (body included), 0 absent, -1. */
int registry_manifest_get(const char *repo, const char *reference, struct registry_manifest *out,
			  struct cc_error **err);
/* PUT body (len bytes, media_type) as repo:reference; on success *digest
 * (may be NULL) is the digest the registry computed (caller frees). */
int registry_manifest_put(const char *repo, const char *reference, const char *media_type, const char *body, size_t len,
			  char **digest, struct cc_error **err);
void registry_manifest_release(struct registry_manifest *m);
/* Every tag of repo (GET /v2/PATH/tags/list, following Link pages) into
 * out; 0 (also for an unknown repository: no tags), -1. */
int registry_tags(const char *repo, struct strlist *out, struct cc_error **err);
/* DELETE /v2/PATH/manifests/DIGEST: 0 deleted, 1 already gone, -1 (the
 * registry must allow deletes). */
int registry_manifest_delete(const char *repo, const char *digest, struct cc_error **err);
/* GET a JSON blob (an image config) by digest; NULL with err. */
json_t *registry_blob_json(const char *repo, const char *digest, struct cc_error **err);

#endif
