/* buildkit-auth: Credentials from a docker config, against a transport
 * double. */
#include "bk-stream-double.h"
#include "buildkit-auth.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Credentials for host: the status; *user and *secret (caller frees) from
 * the answer, NULL when absent. */
static int ask(const char *host, char **user, char **secret, char **msg)
{
	struct bk_stream s = { 0 };
	struct cc_error *err = NULL;
	int rc;

	if (host)
		double_request(&s, 1, host);
	rc = bk_auth_credentials(NULL, &s, &err);
	*user = double_response_field(&s, 1);
	*secret = double_response_field(&s, 2);
	if (msg)
		*msg = err ? xstrdup(err->msg) : NULL;
	if (rc == 0 && s.nout != 1)
		rc = -1;
	cc_error_free(err);
	double_release(&s);
	return rc;
}

static char *config_dir(void)
{
	/* alice:pw, bob:hub; "!!!" is no base64 */
	static const char cfg[] = "{\"auths\": {\"127.0.0.1:5999\": {\"auth\": \"YWxpY2U6cHc=\"},"
				  " \"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOmh1Yg==\"},"
				  " \"bad.example\": {\"auth\": \"!!!\"}}}";
	char *dir = xstrdup("/tmp/test-bkauth-XXXXXX");
	cleanup_free char *path = NULL;
	int fd;

	if (!mkdtemp(dir))
		BUG("mkdtemp");
	path = path_join(dir, "config.json");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, cfg, strlen(cfg)) != (ssize_t)strlen(cfg))
		BUG("write %s", path);
	close(fd);
	return dir;
}

int main(void)
{
	char *dir = config_dir(), *user, *secret, *msg;
	cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);
	struct cc_error *err = NULL;

	setenv("DOCKER_CONFIG", dir, 1);
	is_int(ask("127.0.0.1:5999", &user, &secret, NULL), 0, "a host of the config");
	ok(user && secret && !strcmp(user, "alice") && !strcmp(secret, "pw"), "... its user and secret");
	free(user), free(secret);
	is_int(ask("registry-1.docker.io", &user, &secret, NULL), 0, "Docker Hub's registry host");
	ok(user && !strcmp(user, "bob"), "... answered from the index.docker.io/v1/ entry, as the CLI does");
	free(user), free(secret);
	is_int(ask("elsewhere.example", &user, &secret, NULL), 0, "a host without credentials");
	ok(!user && !secret, "... an empty answer: anonymous");
	is_int(ask("bad.example", &user, &secret, &msg), 13, "unusable credentials: INTERNAL");
	ok(msg && strstr(msg, "bad.example") && strstr(msg, "config.json") && !user, "... naming host and file (%s)",
	   msg);
	free(msg);
	is_int(ask(NULL, &user, &secret, NULL), 3, "no request: INVALID_ARGUMENT");
	{
		struct bk_stream s = { 0 };

		pbw_varint(&s.in[s.nin++], 1, 7); /* Host as a varint */
		is_int(bk_auth_credentials(NULL, &s, &err), 3, "a malformed request: INVALID_ARGUMENT");
		ok(s.nout == 0, "... nothing sent");
		double_release(&s);
		s.reset = 1;
		is_int(bk_auth_credentials(NULL, &s, &err), 1, "a reset call: CANCELLED");
	}
	is_int(bk_auth_token_authority(NULL, NULL, &err), 12, "GetTokenAuthority: UNIMPLEMENTED");
	cc_error_free(err);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	free(dir);
	return done_testing();
}
