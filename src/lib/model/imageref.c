/* imageref: the reference grammar of distribution/reference, checked by
 * hand (it is small, and a regexp per call would be the slow part):
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] component ("/" component)*
 *   domain    := host [":" port]   (only when the first part has "." or
 *                ":", is "localhost", or has an upper-case letter)
 *   component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := ALGORITHM ":" HEX   (sha256/384/512, lower-case hex) */
#include "imageref.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* One path component s[0..n). */
static int component_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!lower_alnum(s[i]))
			return 0;
		while (i < n && lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i == n)
			return 0;
	}
	return n > 0;
}

/* A path of components separated by "/". */
static int path_ok(const char *s)
{
	const char *slash;

	for (;; s = slash + 1) {
		slash = strchr(s, '/');
		if (!component_ok(s, slash ? (size_t)(slash - s) : strlen(s)))
			return 0;
		if (!slash)
			return 1;
	}
}

/* host[:port]: dot-separated labels of letters, digits and inner '-', or
 * an IPv6 address in brackets. */
static int domain_ok(const char *s)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; *p && (strchr("0123456789abcdefABCDEF:", *p)); p++)
			;
		if (p == s + 1 || *p++ != ']')
			return 0;
	} else
		for (;;) {
			const char *label = p;

			while (alnum(*p) || *p == '-')
				p++;
			if (p == label || p[-1] == '-' || *label == '-')
				return 0;
			if (*p != '.')
				break;
			p++;
		}
	if (*p == ':') {
		if (!p[1])
			return 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	return *p == '\0';
}

static int tag_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && !strchr("_.-", s[i]))
			return 0;
	return 1;
}

/* NULL when s is a digest Docker accepts, else why not. */
static const char *digest_problem(const char *s)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	const char *colon = strchr(s, ':');
	size_t i, k;

	if (!colon)
		return "a digest is ALGORITHM:HEX";
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++)
		if (strlen(algs[k].alg) == (size_t)(colon - s) && !strncmp(s, algs[k].alg, (size_t)(colon - s)))
			break;
	if (k == sizeof(algs) / sizeof(algs[0]))
		return "unsupported digest algorithm (sha256, sha384 or sha512)";
	for (i = 0; colon[1 + i]; i++)
		if (!strchr("0123456789abcdef", colon[1 + i]))
			return "a digest is lower-case hexadecimal";
	return i == algs[k].hex ? NULL : "the digest has the wrong length for its algorithm";
}

/* distribution/reference's splitDockerDomain: the domain and path of
 * name (no tag or digest); both caller frees. */
static void split_domain(const char *name, char **domain, char **path)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;
	int is_domain = 0;

	if (slash) {
		cleanup_free char *first = xstrndup(name, n);
		size_t i;

		is_domain = !strcmp(first, "localhost") || strpbrk(first, ".:") != NULL;
		for (i = 0; i < n && !is_domain; i++)
			is_domain = first[i] >= 'A' && first[i] <= 'Z';
	}
	if (is_domain && n == 15 && !strncmp(name, "index.docker.io", n))
		is_domain = 0, name = slash + 1; /* the legacy name of Docker Hub */
	else if (is_domain && n == 9 && !strncmp(name, "docker.io", n))
		is_domain = 0, name = slash + 1;
	*domain = is_domain ? xstrndup(name, n) : xstrdup("docker.io");
	if (is_domain)
		*path = xstrdup(slash + 1);
	else
		*path = strchr(name, '/') ? xstrdup(name) : xasprintf("library/%s", name);
}

/* NULL when the name part (before tag and digest) is valid; else why not. */
static const char *name_problem(const char *domain, const char *path)
{
	const char *p;

	for (p = path; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return "repository name must be lowercase";
	if (!domain_ok(domain))
		return "bad registry host or port";
	if (!path_ok(path))
		return "a repository path is lower-case letters and digits, separated by '/', '.', '_', '__' or '-'";
	if (strlen(domain) + 1 + strlen(path) > NAME_MAX_LEN)
		return "repository name must not be more than 255 characters";
	return NULL;
}

static int hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return i == 64;
}

int imageref_normalize(const char *ref, char **out, struct cc_error **err)
{
	cleanup_free char *name = NULL, *domain = NULL, *path = NULL;
	const char *at = strchr(ref, '@'), *tag = NULL, *why = NULL;
	char *colon, *slash;

	*out = NULL;
	if (!*ref)
		return cc_error_set(err, "an empty image reference");
	if (hex64(ref))
		return cc_error_set(err,
				    "'%s' is not a valid image reference: a 64-digit hexadecimal name is an "
				    "image ID",
				    ref);
	name = at ? xstrndup(ref, (size_t)(at - ref)) : xstrdup(ref);
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
	}
	if (!*name)
		why = "no repository name";
	else if (at && strchr(at + 1, '@'))
		why = "more than one '@'";
	else if (tag && !tag_ok(tag))
		why = "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";
	else if (at && (why = digest_problem(at + 1)))
		;
	else {
		split_domain(name, &domain, &path);
		why = name_problem(domain, path);
	}
	if (why)
		return cc_error_set(err, "'%s' is not a valid image reference: %s", ref, why);
	*out = xasprintf("%s/%s%s%s%s%s", domain, path, tag ? ":" : "", tag ? tag : "",
			 at    ? ""
			 : tag ? ""
			       : ":latest",
			 at ? at : "");
	return 0;
}

char *imageref_normalized(const char *ref)
{
	struct cc_error *e = NULL;
	char *out;

	if (imageref_normalize(ref, &out, &e) < 0)
		cc_error_free(e);
	return out;
}

int imageref_same(const char *a, const char *b)
{
	cleanup_free char *na = imageref_normalized(a), *nb = imageref_normalized(b);

	return na && nb && !strcmp(na, nb);
}
