/* registry: reference splitting and credentials from a docker config
 * (auths, credHelpers); the protocols libcurl may follow, against a fake
 * registry on a loopback port (a real one cannot name file:// realms). */
#include "error.h"
#include "registry.h"
#include "tap.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* One reply of the fake registry: a token from anywhere opens the
 * manifest, whose realm is `file`; blobs redirect to ftp://
 * (registries redirect blobs to storage; libcurl's default allows ftp). */
static void fake_reply(int fd, const char *req, const char *file, int port)
{
	char buf[1024];

	if (strstr(req, "Authorization: Bearer T"))
		snprintf(buf, sizeof(buf),
			 "HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:d\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n");
	else if (strstr(req, "/blobs/"))
		snprintf(buf, sizeof(buf),
			 "HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1:%d/blob\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 port);
	else
		snprintf(buf, sizeof(buf),
			 "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer "
			 "realm=\"file://%s\",service=\"fake\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 file);
	if (write(fd, buf, strlen(buf)) < 0)
		_exit(1);
}

/* A fake registry on a loopback port (*port) in a child process (pid). */
static pid_t fake_registry(const char *file, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;
	char req[8192];
	ssize_t n;
	size_t got;
	pid_t pid;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid != 0) {
		close(s);
		return pid;
	}
	alarm(60); /* never outlive a stuck test */
	while ((c = accept(s, NULL, NULL)) >= 0) {
		for (got = 0; got < sizeof(req) - 1 && (n = read(c, req + got, sizeof(req) - 1 - got)) > 0;) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		fake_reply(c, req, file, *port);
		close(c);
	}
	_exit(0);
}

/* libcurl follows a realm or a redirect only over http and https. */
static void test_protocols(const char *dir)
{
	cleanup_free char *token = xasprintf("%s/token.json", dir), *repo = NULL;
	struct registry_manifest m = { 0 };
	struct cc_error *err = NULL;
	json_t *j;
	int port, rc, status;
	pid_t pid;

	write_file(token, "{\"token\": \"T\"}", 0644);
	pid = fake_registry(token, &port);
	if (pid < 0) {
		ok(0, "fake registry started");
		return;
	}
	repo = xasprintf("127.0.0.1:%d/x/y", port);
	rc = registry_manifest_head(repo, "latest", &m, &err);
	/* before, libcurl read the file (then "token request failed (HTTP 0)") */
	ok(rc < 0 && err && strstr(err->msg, "Protocol \"file\""),
	   "a WWW-Authenticate realm of file:// is not read (rc %d: %s)", rc, err ? err->msg : "no error");
	registry_manifest_release(&m);
	cc_error_free(err);
	err = NULL;
	j = registry_blob_json(repo, "sha256:b", &err);
	ok(!j && err && strstr(err->msg, "Protocol \"ftp\""), "a redirect to ftp:// is not followed (%s)",
	   err ? err->msg : "followed");
	json_decref(j);
	cc_error_free(err);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	unlink(token);
}

/* X-Registry-Auth of host, or "ERROR: message". */
static char *engine_auth(const char *host)
{
	struct cc_error *err = NULL;
	char *auth = NULL, *out;

	if (registry_engine_auth(host, &auth, &err) < 0) {
		out = xasprintf("ERROR: %s", err ? err->msg : "(no message)");
		cc_error_free(err);
		return out;
	}
	return auth;
}

int main(void)
{
	char dir[] = "/tmp/ccbuild-test-registry.XXXXXX";
	char *host, *path, *ref, *auth, *json;
	cleanup_free char *cfg = NULL, *helper = NULL, *newpath = NULL, *loud = NULL;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) /* both reserve terabytes of address space */
	struct rlimit lim = { (rlim_t)1 << 30, (rlim_t)1 << 30 };

	setrlimit(RLIMIT_AS, &lim); /* an unbounded reader fails here, not in swap */
#endif

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
		   "{\"auths\": {\"reg.example.com\": {\"auth\": \"YWxpY2U6czNjcjN0\"},"
		   " \"bin.example.com\": {\"auth\": \"/zpwdw==\"}, \"bad.example.com\": {\"auth\": \"bm9jb2xvbg==\"},"
		   " \"nul.example.com\": {\"auth\": \"YTpiAGM=\"}, \"empty.example.com\": {\"auth\": \"\"}},"
		   " \"credHelpers\": {\"helped.example.com\": \"fake\", \"loud.example.com\": \"loud\"}}",
		   0644);
	write_file(helper,
		   "#!/bin/sh\nread host\ntest \"$1\" = get || exit 1\n"
		   "printf '{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"hunter2\"}' \"$host\"\n",
		   0755);
	loud = xasprintf("%s/docker-credential-loud", dir);
	write_file(loud, "#!/bin/sh\nexec yes '{\"Username\": \"x\", '\n", 0755);
	setenv("DOCKER_CONFIG", dir, 1);
	newpath = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", newpath, 1);

	auth = engine_auth("reg.example.com");
	json = auth ? decode(auth) : NULL;
	ok(json && strstr(json, "\"username\":\"alice\"") && strstr(json, "\"password\":\"s3cr3t\"") &&
		   strstr(json, "\"serveraddress\":\"reg.example.com\""),
	   "auths: base64 user:password becomes X-Registry-Auth: %s", json ? json : "(none)");
	free(auth), free(json);
	auth = engine_auth("helped.example.com");
	json = auth ? decode(auth) : NULL;
	ok(json && strstr(json, "\"username\":\"bob\"") && strstr(json, "\"password\":\"hunter2\""),
	   "credHelpers: the helper is asked: %s", json ? json : "(none)");
	free(auth), free(json);
	ok(engine_auth("other.example.com") == NULL, "no credentials: anonymous");
	ok(engine_auth("empty.example.com") == NULL, "an empty auth: anonymous");
	/* "\xff:pw": json_pack gave NULL and strlen(NULL) crashed the push */
	auth = engine_auth("bin.example.com");
	ok(auth && strstr(auth, "ERROR: ") && strstr(auth, cfg) && strstr(auth, "bin.example.com") &&
		   strstr(auth, "not UTF-8"),
	   "credentials that are not UTF-8: an error naming the file and registry (%s)", auth ? auth : "(none)");
	free(auth);
	auth = engine_auth("bad.example.com");
	ok(auth && strstr(auth, "ERROR: ") && strstr(auth, "auths.bad.example.com.auth is not base64 of user:password"),
	   "an auth without ':' is an error (%s)", auth ? auth : "(none)");
	free(auth);
	auth = engine_auth("nul.example.com");
	ok(auth && strstr(auth, "ERROR: "), "an auth holding a NUL byte is an error (%s)", auth ? auth : "(none)");
	free(auth);
	/* a helper that never stops writing was read to the end of memory */
	ok(engine_auth("loud.example.com") == NULL, "a helper reply past 1 MiB is no credentials");
	test_protocols(dir);
	unlink(cfg);
	unlink(helper);
	unlink(loud);
	rmdir(dir);
	return done_testing();
}
