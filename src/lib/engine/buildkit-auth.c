/* buildkit-auth: Credentials from the docker config. */
#include "buildkit-auth.h"

#include "buildkit-stream.h"
#include "error.h"
#include "pbwire.h"
#include "registry.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum { ST_INVALID = 3, ST_UNIMPLEMENTED = 12, ST_INTERNAL = 13 };
enum { MAX_HOST = 1024 };

/* The Host of a CredentialsRequest (caller frees), or NULL when malformed. */
static char *decode_host(const uint8_t *msg, size_t len)
{
	struct pbreader r = pbreader_of(msg, len);
	struct pbfield f;
	const uint8_t *host = NULL;
	size_t hlen = 0;
	int rc;

	while ((rc = pb_next(&r, &f)) > 0) {
		if (f.num != 1)
			continue;
		if (f.wire != PB_LEN || f.len > MAX_HOST || memchr(f.data, '\0', f.len))
			return NULL;
		host = f.data;
		hlen = f.len;
	}
	return rc < 0 ? NULL : xstrndup(host ? (const char *)host : "", hlen);
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static int answer(struct bk_stream *s, const char *host, struct cc_error **err)
{
	const char *key = strcmp(host, "registry-1.docker.io") ? host : "https://index.docker.io/v1/";
	char *user = NULL, *secret = NULL;
	struct pbbuf out = { 0 };
	int rc;

	if (registry_credentials(key, &user, &secret, err) < 0)
		return cc_error_wrap(err, "registry credentials for %s", host), ST_INTERNAL;
	pbw_string(&out, 1, user);
	pbw_string(&out, 2, secret);
	wipe_free(user);
	wipe_free(secret);
	rc = bk_stream_send_wiped(s, out.data, out.len, err);
	pbbuf_release(&out);
	return rc;
}

int bk_auth_credentials(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	cleanup_free char *host = NULL;
	uint8_t *msg;
	size_t len;
	int rc = bk_stream_recv_one(s, "Credentials", &msg, &len, err);

	if (rc)
		return rc;
	host = decode_host(msg, len);
	free(msg);
	if (!host)
		return cc_error_set(err, "malformed Credentials request"), ST_INVALID;
	return answer(s, host, err);
}

int bk_auth_token_authority(void *ctx, struct bk_stream *s, struct cc_error **err)
{
	return cc_error_set(err, "no token authority: ask Credentials"), ST_UNIMPLEMENTED;
}
