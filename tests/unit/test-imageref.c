#include "error.h"
#include "imageref.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>

/* The normalised form, or "error: MESSAGE". */
static char *norm(const char *ref)
{
	struct cc_error *err = NULL;
	char *out;

	if (imageref_normalize(ref, &out, &err) == 0)
		return out;
	out = xasprintf("error: %s", err->msg);
	cc_error_free(err);
	return out;
}

#define NORM(ref, want, name)                                                                                          \
	do {                                                                                                           \
		char *got = norm(ref);                                                                                 \
		is_str(got, want, name);                                                                               \
		free(got);                                                                                             \
	} while (0)

#define BAD(ref, why, name)                                                                                            \
	do {                                                                                                           \
		char *got = norm(ref);                                                                                 \
		ok(!strncmp(got, "error: ", 7) && strstr(got, why), "%s", name);                                       \
		if (strncmp(got, "error: ", 7) || !strstr(got, why))                                                   \
			printf("#   got: %s\n", got);                                                                  \
		free(got);                                                                                             \
	} while (0)

int main(void)
{
	char h64[65], long_name[300];

	NORM("redis", "docker.io/library/redis:latest", "a Hub short name is library/NAME:latest");
	NORM("redis:7", "docker.io/library/redis:7", "a tag is kept");
	NORM("docker.io/library/redis", "docker.io/library/redis:latest", "written in full");
	NORM("docker.io/redis", "docker.io/library/redis:latest", "docker.io/NAME is library/NAME");
	NORM("index.docker.io/library/redis:7", "docker.io/library/redis:7", "index.docker.io is docker.io");
	NORM("bitnami/redis", "docker.io/bitnami/redis:latest", "a Hub user repository");
	NORM("127.0.0.1:5000/shop/web", "127.0.0.1:5000/shop/web:latest", "a registry port is not a tag");
	NORM("localhost:5000/web:1.2", "localhost:5000/web:1.2", "host:port and tag");
	NORM("localhost/web", "localhost/web:latest", "localhost is a registry host");
	NORM("localhost:5000", "docker.io/library/localhost:5000", "no slash: the colon is a tag");
	NORM("Registry.Example/web", "Registry.Example/web:latest",
	     "an upper-case first part is a host, kept as written");
	NORM("[::1]:5000/web", "[::1]:5000/web:latest", "an IPv6 host");
	NORM("redis@sha256:"
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	     "docker.io/library/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	     "a digest gets no :latest");
	NORM("redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	     "docker.io/library/redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	     "tag and digest both kept");
	NORM("a__b-c---d/e.f_g:V1.x-Y_", "docker.io/a__b-c---d/e.f_g:V1.x-Y_", "separators; an upper-case tag");
	BAD("a__b.c/d", "host or port", "a first part with a dot is a host");
	BAD("Redis", "repository name must be lowercase", "an upper-case short name");
	BAD("shop/Web", "repository name must be lowercase", "an upper-case path");
	BAD("", "empty", "empty");
	BAD("redis:", "a tag is", "an empty tag");
	BAD("redis:-x", "a tag is", "a tag starting with '-'");
	BAD("redis@sha256:abc", "wrong length", "a short digest");
	BAD("redis@md5:0123456789abcdef0123456789abcdef", "unsupported digest", "an unknown digest algorithm");
	BAD("redis@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "hexadecimal",
	    "an upper-case digest");
	BAD("a//b", "repository path", "an empty component");
	BAD("a_-b", "repository path", "two separators");
	BAD("-a", "repository path", "a leading separator");
	BAD("a-", "repository path", "a trailing separator");
	BAD("host:port/x", "host or port", "a port that is not a number");
	BAD("-host.io/x", "host or port", "a host label starting with '-'");
	BAD("a@b@c", "'@'", "two '@'");
	BAD("x y", "repository path", "a space");
	memset(h64, 'a', 64);
	h64[64] = '\0';
	BAD(h64, "image ID", "64 hex digits are an image ID");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	BAD(long_name, "255", "a name over 255 characters");
	ok(imageref_same("nginx", "docker.io/library/nginx:latest"), "same: short and full");
	ok(!imageref_same("nginx", "nginx:1"), "not same: other tag");
	ok(!imageref_same("Nginx", "Nginx"), "not same: invalid");
	ok(imageref_normalized("Nginx") == NULL, "normalized: NULL when invalid");
	return done_testing();
}
