/* registry: reference splitting and credentials from a docker config
 * (auths, credHelpers); no network. */
#include "registry.h"
#include "tap.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *decode(const char *b64url)
{
	cleanup_free char *s = xstrdup(b64url);
	unsigned char *out = xcalloc(strlen(s) + 4, 1);

	for (char *p = s; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	EVP_DecodeBlock(out, (unsigned char *)s, (int)strlen(s));
	return (char *)out;
}

static void write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

int main(void)
{
	char dir[] = "/tmp/ccbuild-test-registry.XXXXXX";
	char *host, *path, *ref, *auth, *json;
	cleanup_free char *cfg = NULL, *helper = NULL, *newpath = NULL;

	ok(registry_split("127.0.0.1:5000/shop/web:1.2", &host, &path, &ref) == 0 && !strcmp(host, "127.0.0.1:5000") &&
		   !strcmp(path, "shop/web") && !strcmp(ref, "1.2"),
	   "host, path and tag");
	free(host), free(path), free(ref);
	ok(registry_split("reg.example.com/a/b@sha256:abc", &host, &path, &ref) == 0 && !strcmp(path, "a/b") &&
		   !strcmp(ref, "sha256:abc"),
	   "digest reference");
	free(host), free(path), free(ref);
	ok(registry_split("localhost/x", &host, &path, &ref) == 0 && !ref, "localhost, no reference");
	free(host), free(path), free(ref);
	ok(registry_split("library/python:3", &host, &path, &ref) < 0, "a Docker Hub name has no host part");

	if (!mkdtemp(dir))
		return 1;
	cfg = xasprintf("%s/config.json", dir);
	helper = xasprintf("%s/docker-credential-fake", dir);
	write_file(cfg,
		   "{\"auths\": {\"reg.example.com\": {\"auth\": \"YWxpY2U6czNjcjN0\"}},"
		   " \"credHelpers\": {\"helped.example.com\": \"fake\"}}",
		   0644);
	write_file(helper,
		   "#!/bin/sh\nread host\ntest \"$1\" = get || exit 1\n"
		   "printf '{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"hunter2\"}' \"$host\"\n",
		   0755);
	setenv("DOCKER_CONFIG", dir, 1);
	newpath = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", newpath, 1);

	auth = registry_engine_auth("reg.example.com");
	json = auth ? decode(auth) : NULL;
	ok(json && strstr(json, "\"username\":\"alice\"") && strstr(json, "\"password\":\"s3cr3t\"") &&
		   strstr(json, "\"serveraddress\":\"reg.example.com\""),
	   "auths: base64 user:password becomes X-Registry-Auth: %s", json ? json : "(none)");
	free(auth), free(json);
	auth = registry_engine_auth("helped.example.com");
	json = auth ? decode(auth) : NULL;
	ok(json && strstr(json, "\"username\":\"bob\"") && strstr(json, "\"password\":\"hunter2\""),
	   "credHelpers: the helper is asked: %s", json ? json : "(none)");
	free(auth), free(json);
	ok(registry_engine_auth("other.example.com") == NULL, "no credentials: anonymous");
	unlink(cfg);
	unlink(helper);
	rmdir(dir);
	return done_testing();
}
