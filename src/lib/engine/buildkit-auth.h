/* buildkit-auth: the session's Auth service, through which dockerd's
 * BuildKit asks the client for registry credentials when it pulls a base
 * image itself, so a private base needs no pre-pull (privbase.h).
 *
 * BuildKit v0.8 (dockerd 20.10.24) calls only Credentials for the host,
 * once per pull, and then does the registry's Basic or Bearer flow with
 * them itself: against a token registry (t0439) its own resolver fetches
 * the token with them, and no GetTokenAuthority or FetchToken call comes.
 * Later BuildKits may ask GetTokenAuthority first (no such daemon here
 * to check); it answers UNIMPLEMENTED (12), as a client without a token
 * authority does, and FetchToken follows only a token authority, which
 * ccbuild never gives.
 * Credentials come from the docker config through registry.h's lookup
 * (credHelpers, auths, credsStore), the same ones the rest of ccbuild
 * uses.  A host without credentials gets an empty answer (anonymous).
 * Nothing of a secret is kept, logged or put in an error.
 *
 * Messages (BuildKit session/auth/auth.proto, package moby.filesync.v1):
 *   CredentialsRequest  { 1 string Host }
 *   CredentialsResponse { 1 string Username, 2 string Secret } */
#ifndef CC_BUILDKIT_AUTH_H
#define CC_BUILDKIT_AUTH_H

struct bk_stream;
struct cc_error;

#define BK_AUTH_CREDENTIALS_METHOD "/moby.filesync.v1.Auth/Credentials"
#define BK_AUTH_TOKEN_AUTHORITY_METHOD "/moby.filesync.v1.Auth/GetTokenAuthority"

/* The Credentials method (a bk_method_fn; ctx unused, may be NULL):
 * 0 after answering; 3 for a malformed request; 13 when the docker
 * config's credentials for the host are unusable (the message names the
 * config file and host); 1 when the call is gone.  Docker Hub's
 * registry-1.docker.io is looked up as "https://index.docker.io/v1/", as
 * the docker CLI does. */
int bk_auth_credentials(void *ctx, struct bk_stream *s, struct cc_error **err);
/* GetTokenAuthority (not called by v0.8): always 12 UNIMPLEMENTED, for a
 * BuildKit that asks it before Credentials (registered so the answer does
 * not depend on how the transport treats an unknown method). */
int bk_auth_token_authority(void *ctx, struct bk_stream *s, struct cc_error **err);

#endif
