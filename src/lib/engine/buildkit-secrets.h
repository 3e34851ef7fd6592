/* buildkit-secrets: the session's Secrets service, the call
 * /moby.buildkit.secrets.v1.Secrets/GetSecret that answers a build's
 * `RUN --mount=type=secret,id=ID` with the secret's bytes.
 *
 * A bk_secrets maps ids to sources (a file, or an environment variable),
 * never to values: a value is read when BuildKit asks for it, sent, and
 * wiped; it is held nowhere else, so it cannot reach a hash, the state, a
 * log, an event or a report.  bk_secrets_identity gives what the build
 * hash takes instead: each secret's id and source (docs/hashing.md).
 * Errors name the id and source, never the value.
 *
 * Messages (BuildKit session/secrets/secrets.proto):
 *   GetSecretRequest  { 1 string ID, 2 map<string,string> annotations }
 *   GetSecretResponse { 1 bytes data } */
#ifndef CC_BUILDKIT_SECRETS_H
#define CC_BUILDKIT_SECRETS_H

#include <stddef.h>

struct bk_stream;
struct cc_error;
struct bk_secrets;

#define BK_SECRETS_METHOD "/moby.buildkit.secrets.v1.Secrets/GetSecret"
/* BuildKit's limit on a secret (secretsprovider.MaxSecretSize). */
#define BK_SECRET_MAX (500 * 1024)

enum bk_secret_kind { BK_SECRET_FILE, BK_SECRET_ENV };

/* An empty store; caller frees with bk_secrets_free. */
struct bk_secrets *bk_secrets_new(void);
/* Serve secret ID from `source`: a file path (read when asked) or the
 * name of an environment variable (looked up when asked).  Strings are
 * copied.  -1 with *err for an empty id or source, or an id given twice
 * with another source (the same pair again is a no-op). */
int bk_secrets_add(struct bk_secrets *sc, const char *id, enum bk_secret_kind kind, const char *source,
		   struct cc_error **err);
/* Before a build: every file source exists and is a readable regular
 * file of at most BK_SECRET_MAX bytes (stat only); -1 with *err naming the
 * first that is not.  Environment sources are looked up only when asked. */
int bk_secrets_check(const struct bk_secrets *sc, struct cc_error **err);
/* Number of secrets. */
size_t bk_secrets_count(const struct bk_secrets *sc);
/* The identity of every secret for a build hash: "ID\tfile\tPATH\n" or
 * "ID\tenv\tNAME\n" lines sorted by id ("" when none); no value.  Caller
 * frees. */
char *bk_secrets_identity(const struct bk_secrets *sc);
/* The GetSecret method (a bk_method_fn; ctx is the struct bk_secrets *;
 * only reads sc, so calls may run at once).  Returns 0 after sending the
 * value; 5 NOT_FOUND for an id not served, or an unset variable or a
 * missing file (so `required=false` mounts are skipped, as BuildKit
 * tolerates only NOT_FOUND); 3 for a malformed request; 13 for a source
 * that cannot be read or is over BK_SECRET_MAX; 1 when the call is gone. */
int bk_secrets_get(void *ctx, struct bk_stream *s, struct cc_error **err);
void bk_secrets_free(struct bk_secrets *sc);

#endif
