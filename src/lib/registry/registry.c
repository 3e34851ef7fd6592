/* registry: manifest HEAD/GET/PUT against a distribution registry. */
#include "registry.h"
#include "error.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BODY ((size_t)16 << 20)
#define MAX_TAG_PAGES 10000
#define MAX_TAGS 1000000
#define MAX_HELPER_REPLY ((size_t)1 << 20)
#define ACCEPT                                                                                                         \
	"Accept: " REGISTRY_OCI_INDEX ", " REGISTRY_OCI_MANIFEST ", " REGISTRY_DOCKER_LIST ","                         \
	" " REGISTRY_DOCKER_MANIFEST

struct reply {
	long status;
	struct strbuf body;
	char *digest, *ctype, *challenge, *link;
	size_t length;
};

static void reply_release(struct reply *r)
{
	strbuf_release(&r->body);
	free(r->digest);
	free(r->ctype);
	free(r->challenge);
	free(r->link);
	memset(r, 0, sizeof(*r));
}

int registry_split(const char *ref, char **host, char **path, char **reference)
{
	const char *slash = strchr(ref, '/'), *at, *colon, *rest;

	*host = *path = *reference = NULL;
	if (!slash || (!memchr(ref, '.', (size_t)(slash - ref)) && !memchr(ref, ':', (size_t)(slash - ref)) &&
		       strncmp(ref, "localhost/", 10)))
		return -1;
	*host = xstrndup(ref, (size_t)(slash - ref));
	rest = slash + 1;
	at = strchr(rest, '@');
	colon = strrchr(rest, ':');
	if (at) {
		*path = xstrndup(rest, (size_t)(at - rest));
		*reference = xstrdup(at + 1);
	} else if (colon && !strchr(colon, '/')) {
		*path = xstrndup(rest, (size_t)(colon - rest));
		*reference = xstrdup(colon + 1);
	} else
		*path = xstrdup(rest);
	return 0;
}

static int is_loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strncmp(host, "localhost", 9) || !strncmp(host, "[::1]", 5);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	if (r->body.len + size * n > MAX_BODY)
		return 0;
	strbuf_add(&r->body, data, size * n);
	return size * n;
}

/* The value of header "name:" in line, trimmed; caller frees; or NULL. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	return xstrndup(line, len);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	char *v;

	if ((v = header_value(data, len, "Docker-Content-Digest")))
		free(r->digest), r->digest = v;
	else if ((v = header_value(data, len, "Content-Type")))
		free(r->ctype), r->ctype = v;
	else if ((v = header_value(data, len, "WWW-Authenticate")))
		free(r->challenge), r->challenge = v;
	else if ((v = header_value(data, len, "Link")))
		free(r->link), r->link = v;
	else if ((v = header_value(data, len, "Content-Length"))) {
		char *end;
		unsigned long long bytes;

		errno = 0;
		bytes = strtoull(v, &end, 10);
		r->length =
			*v >= '0' && *v <= '9' && !*end && errno != ERANGE && bytes <= INT64_MAX ? (size_t)bytes : 0;
		free(v);
	}
	return len;
}

struct req {
	const char *method, *url, *ctype, *auth;
	const char *body;
	size_t len;
	const char *userpwd; /* Basic credentials, or NULL */
};

static int perform(const struct req *q, struct reply *r, struct cc_error **err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	cleanup_free char *ct = q->ctype ? xasprintf("Content-Type: %s", q->ctype) : NULL;
	CURLcode code;

	if (!c)
		die_oom(); /* curl_easy_init fails only for memory */
	h = curl_slist_append(h, ACCEPT);
	if (ct)
		h = curl_slist_append(h, ct);
	if (q->auth)
		h = curl_slist_append(h, q->auth);
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ccbuild");
	if (!strcmp(q->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	/* Blob GETs may redirect to storage; curl does not resend our
	 * Authorization header to another host (CURLOPT_UNRESTRICTED_AUTH off). */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	/* A token realm or a redirect is the registry's word: never file://,
	 * ftp:// or the like, only what a registry speaks. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (q->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
	}
	if (q->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, q->userpwd);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (code != CURLE_OK)
		return cc_error_set(err, "registry: %s: %s", q->url, *errbuf ? errbuf : curl_easy_strerror(code));
	return 0;
}

/* Run docker-credential-NAME get with host on stdin: "user:secret" from
 * its {"Username","Secret"} reply, or NULL. */
static char *helper_credentials(const char *name, const char *host)
{
	cleanup_free char *cmd = xasprintf("docker-credential-%s", name);
	int in[2], out[2], status;
	struct strbuf sb = STRBUF_INIT;
	char buf[4096], *creds = NULL;
	ssize_t n;
	pid_t pid;
	json_t *j;

	if (pipe2(in, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		char *argv[] = { cmd, "get", NULL };

		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(cmd, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid > 0 && write(in[1], host, strlen(host)) < 0) {
		/* the helper exited early: its status says so below */
	}
	close(in[1]);
	while (pid > 0 && sb.len <= MAX_HELPER_REPLY && (n = read(out[0], buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n); /* past the cap: not JSON we take, below */
	close(out[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		strbuf_release(&sb);
		return NULL;
	}
	j = sb.len <= MAX_HELPER_REPLY ? json_loadb(sb.buf ? sb.buf : "", sb.len, 0, NULL) : NULL;
	if (json_string_value(json_object_get(j, "Username")) && json_string_value(json_object_get(j, "Secret")))
		creds = xasprintf("%s:%s", json_string_value(json_object_get(j, "Username")),
				  json_string_value(json_object_get(j, "Secret")));
	json_decref(j);
	strbuf_release(&sb);
	return creds;
}

/* $DOCKER_CONFIG/config.json, else ~/.docker/config.json; NULL when
 * neither is set.  Caller frees. */
static char *config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	return dir ? path_join(dir, "config.json") : home ? xasprintf("%s/.docker/config.json", home) : NULL;
}

/* An "auth" value of the docker config: "user:password", or NULL with err. */
static char *auth_decode(const char *b64, const char *path, const char *host, struct cc_error **err)
{
	size_t len = strlen(b64), pad = 0;
	unsigned char *out = xcalloc(len + 4, 1);
	int n = len <= INT32_MAX ? EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len) : -1;

	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	while (n > 0 && pad < 2 && len > pad && b64[len - 1 - pad] == '=')
		pad++;
	if (n < 0 || memchr(out, '\0', (size_t)n - pad) || !strchr((char *)out, ':')) {
		free(out);
		cc_error_set(err, "%s: auths.%s.auth is not base64 of user:password", path, host);
		return NULL;
	}
	return (char *)out;
}

/* "user:password" for host from the docker config: credHelpers[host],
 * then auths[host].auth, then credsStore, into *creds (NULL: anonymous);
 * -1 with err for an auth value that is not base64 of user:password. */
static int config_credentials(const char *host, char **creds, struct cc_error **err)
{
	cleanup_free char *path = config_path();
	json_t *cfg = path ? json_load_file(path, 0, NULL) : NULL;
	const char *helper, *b64;
	int rc = 0;

	*creds = NULL;
	helper = json_string_value(json_object_get(json_object_get(cfg, "credHelpers"), host));
	b64 = json_string_value(json_object_get(json_object_get(json_object_get(cfg, "auths"), host), "auth"));
	if (helper)
		*creds = helper_credentials(helper, host);
	else if (b64 && *b64)
		rc = (*creds = auth_decode(b64, path, host, err)) ? 0 : -1;
	else if ((helper = json_string_value(json_object_get(cfg, "credsStore"))))
		*creds = helper_credentials(helper, host);
	json_decref(cfg);
	return rc;
}

/* s in base64 (standard alphabet, padded); caller frees. */
static char *base64(const char *s)
{
	size_t n = strlen(s);
	char *out = xcalloc(4 * (n / 3 + 1) + 1, 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

int registry_engine_auth(const char *host, char **auth, struct cc_error **err)
{
	cleanup_free char *creds = NULL, *path = NULL;
	char *colon, *text;
	json_t *j;

	*auth = NULL;
	if (config_credentials(host, &creds, err) < 0)
		return -1;
	if (!creds || !(colon = strchr(creds, ':')))
		return 0;
	*colon = '\0';
	/* JSON holds only UTF-8: other bytes cannot reach the engine */
	j = json_pack("{s:s, s:s, s:s}", "username", creds, "password", colon + 1, "serveraddress", host);
	if (!j) {
		path = config_path();
		return cc_error_set(err, "%s: the credentials for %s are not UTF-8 text, which the engine needs",
				    path ? path : "docker config", host);
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	*auth = base64(text);
	free(text);
	for (char *c = *auth; *c; c++) /* base64url, as the engine reads it */
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return 0;
}

int registry_credentials(const char *host, char **user, char **secret, struct cc_error **err)
{
	char *creds = NULL, *colon;

	*user = *secret = NULL;
	if (config_credentials(host, &creds, err) < 0)
		return -1;
	if (creds && (colon = strchr(creds, ':'))) {
		*user = xstrndup(creds, (size_t)(colon - creds));
		*secret = xstrdup(colon + 1);
	}
	if (creds)
		explicit_bzero(creds, strlen(creds));
	free(creds);
	return 0;
}

/* s escaped for a URL query, in memory free() releases. */
static char *curl_escape_dup(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *copy;

	if (!e)
		die_oom();
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}

/* param="value" from a challenge; caller frees; or NULL. */
static char *challenge_param(const char *ch, const char *name)
{
	cleanup_free char *key = xasprintf("%s=\"", name);
	const char *p = strstr(ch, key), *end;

	if (!p)
		return NULL;
	p += strlen(key);
	end = strchr(p, '"');
	return end ? xstrndup(p, (size_t)(end - p)) : NULL;
}

/* Answer a 401's challenge: the Authorization header to retry with. */
static char *authorize(const char *host, const char *challenge, struct cc_error **err)
{
	cleanup_free char *creds = NULL, *realm = NULL, *service = NULL, *scope = NULL;
	cleanup_free char *url = NULL, *eservice = NULL, *escope = NULL;
	struct req q = { "GET", NULL, NULL, NULL, NULL, 0, NULL };
	struct reply r = { 0 };
	json_t *j;
	const char *tok;
	char *hdr = NULL;

	if (config_credentials(host, &creds, err) < 0)
		return NULL;
	if (challenge && !strncasecmp(challenge, "Basic", 5)) {
		if (!creds)
			return cc_error_set(err, "registry %s: needs credentials (docker login %s)", host, host), NULL;
		cleanup_free char *b64 = base64(creds);

		return xasprintf("Authorization: Basic %s", b64);
	}
	if (!challenge || strncasecmp(challenge, "Bearer", 6) || !(realm = challenge_param(challenge, "realm"))) {
		cc_error_set(err, "registry %s: unauthorized, and no usable challenge", host);
		return NULL;
	}
	service = challenge_param(challenge, "service");
	scope = challenge_param(challenge, "scope");
	eservice = service ? curl_escape_dup(service) : NULL;
	escope = scope ? curl_escape_dup(scope) : NULL;
	url = xasprintf("%s%sservice=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", eservice ? eservice : "",
			escope ? "&scope=" : "", escope ? escope : "");
	q.url = url;
	q.userpwd = creds;
	if (perform(&q, &r, err) < 0)
		return NULL;
	j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (r.status != 200 || !tok)
		cc_error_set(err, "registry %s: token request to %s failed (HTTP %ld)", host, realm, r.status);
	else
		hdr = xasprintf("Authorization: Bearer %s", tok);
	json_decref(j);
	reply_release(&r);
	return hdr;
}

/* "registry HOST: STATUS CODE: message" from an error reply. */
static int reply_error(const char *host, const struct reply *r, struct cc_error **err)
{
	json_t *j = json_loadb(r->body.buf ? r->body.buf : "", r->body.len, 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));

	if (r->status == 401 && !code && !msg) /* a HEAD's 401 has no body to say why */
		msg = "unauthorized: no credentials it accepts in the docker config";
	cc_error_set(err, "registry %s: %ld%s%s%s%s", host, r->status, code ? " " : "", code ? code : "",
		     msg ? ": " : "", msg ? msg : "");
	json_decref(j);
	return -1;
}

/* One request on /v2/PATH/WHAT with the auth dance; the reply is the
 * caller's.  what is "manifests/REF", "tags/list", "blobs/DIGEST" or a
 * Link continuation starting with "/v2/". */
static int api_call(const char *method, const char *repo, const char *what, const char *ctype, const char *body,
		    size_t len, struct reply *r, struct cc_error **err)
{
	cleanup_free char *full = xasprintf("%s:x", repo), *host = NULL, *path = NULL, *ref = NULL;
	cleanup_free char *url = NULL, *auth = NULL;
	struct req q = { method, NULL, ctype, NULL, body, len, NULL };

	if (registry_split(full, &host, &path, &ref) < 0)
		return cc_error_set(err, "registry: '%s' names no registry host", repo);
	if (!strncmp(what, "/v2/", 4))
		url = xasprintf("%s://%s%s", is_loopback(host) ? "http" : "https", host, what);
	else
		url = xasprintf("%s://%s/v2/%s/%s", is_loopback(host) ? "http" : "https", host, path, what);
	q.url = url;
	if (perform(&q, r, err) < 0)
		return -1;
	if (r->status != 401)
		return 0;
	if (!(auth = authorize(host, r->challenge, err)))
		return -1;
	reply_release(r);
	q.auth = auth;
	return perform(&q, r, err);
}

static int manifest_call(const char *method, const char *repo, const char *reference, const char *ctype,
			 const char *body, size_t len, struct reply *r, struct cc_error **err)
{
	cleanup_free char *what = xasprintf("manifests/%s", reference);

	return api_call(method, repo, what, ctype, body, len, r, err);
}

static char *repo_host(const char *repo)
{
	cleanup_free char *full = xasprintf("%s:x", repo), *path = NULL, *ref = NULL;
	char *host = NULL;

	registry_split(full, &host, &path, &ref);
	return host ? host : xstrdup(repo);
}

int registry_tags(const char *repo, struct strlist *out, struct cc_error **err)
{
	cleanup_free char *next = xstrdup("tags/list?n=1000");
	size_t pages = 0;
	int rc = 0;

	while (next && rc == 0) {
		struct reply r = { 0 };
		json_t *j, *t;
		size_t i;

		if (++pages > MAX_TAG_PAGES || out->n > MAX_TAGS) { /* a Link that loops */
			cleanup_free char *host = repo_host(repo);

			return cc_error_set(err, "registry %s: %s has more than %zu pages or %zu tags", host, repo,
					    (size_t)MAX_TAG_PAGES, (size_t)MAX_TAGS);
		}
		if (api_call("GET", repo, next, NULL, NULL, 0, &r, err) < 0) {
			reply_release(&r);
			return -1;
		}
		free(next);
		next = NULL;
		if (r.status == 404) {
			reply_release(&r);
			break;
		}
		if (r.status != 200) {
			cleanup_free char *host = repo_host(repo);

			rc = reply_error(host, &r, err);
			reply_release(&r);
			break;
		}
		j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
		json_array_foreach(json_object_get(j, "tags"), i, t) if (json_string_value(t))
			strlist_push(out, json_string_value(t));
		json_decref(j);
		if (r.link) { /* Link: </v2/x/tags/list?last=y&n=1000>; rel="next" */
			const char *lt = strchr(r.link, '<'), *gt = lt ? strchr(lt, '>') : NULL;

			if (gt)
				next = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		}
		reply_release(&r);
	}
	return rc;
}

int registry_manifest_delete(const char *repo, const char *digest, struct cc_error **err)
{
	struct reply r = { 0 };
	int rc;

	if (manifest_call("DELETE", repo, digest, NULL, NULL, 0, &r, err) < 0)
		rc = -1;
	else if (r.status == 202 || r.status == 200)
		rc = 0;
	else if (r.status == 404)
		rc = 1;
	else {
		cleanup_free char *host = repo_host(repo);

		rc = reply_error(host, &r, err);
	}
	reply_release(&r);
	return rc;
}

json_t *registry_blob_json(const char *repo, const char *digest, struct cc_error **err)
{
	cleanup_free char *what = xasprintf("blobs/%s", digest);
	struct reply r = { 0 };
	json_t *j = NULL;

	/* Blobs often redirect to storage; curl follows, without our header. */
	if (api_call("GET", repo, what, NULL, NULL, 0, &r, err) == 0) {
		if (r.status == 200)
			j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
		if (!j) {
			cleanup_free char *host = repo_host(repo);

			reply_error(host, &r, err);
		}
	}
	reply_release(&r);
	return j;
}

static int manifest_read(const char *method, const char *repo, const char *reference, struct registry_manifest *out,
			 struct cc_error **err)
{
	struct reply r = { 0 };
	cleanup_free char *host = NULL, *path = NULL, *ref = NULL, *full = xasprintf("%s:x", repo);
	int rc;

	memset(out, 0, sizeof(*out));
	if (manifest_call(method, repo, reference, NULL, NULL, 0, &r, err) < 0) {
		reply_release(&r);
		return -1;
	}
	if (r.status == 404)
		rc = 0;
	else if (r.status != 200) {
		registry_split(full, &host, &path, &ref);
		rc = reply_error(host, &r, err);
	} else {
		out->digest = r.digest ? xstrdup(r.digest) : NULL;
		out->media_type = r.ctype ? xstrdup(r.ctype) : NULL;
		out->size = r.body.len ? r.body.len : r.length;
		if (!strcmp(method, "GET")) {
			out->body = r.body.buf ? r.body.buf : xstrdup("");
			r.body.buf = NULL;
			r.body.len = 0;
		}
		rc = 1;
	}
	reply_release(&r);
	return rc;
}

int registry_manifest_head(const char *repo, const char *reference, struct registry_manifest *out,
			   struct cc_error **err)
{
	return manifest_read("HEAD", repo, reference, out, err);
}

int registry_manifest_get(const char *repo, const char *reference, struct registry_manifest *out, struct cc_error **err)
{
	return manifest_read("GET", repo, reference, out, err);
}

int registry_manifest_put(const char *repo, const char *reference, const char *media_type, const char *body, size_t len,
			  char **digest, struct cc_error **err)
{
	struct reply r = { 0 };
	int rc = 0;

	if (digest)
		*digest = NULL;
	if (manifest_call("PUT", repo, reference, media_type, body, len, &r, err) < 0)
		rc = -1;
	else if (r.status != 201 && r.status != 200) {
		cleanup_free char *host = NULL, *path = NULL, *ref = NULL, *full = xasprintf("%s:x", repo);

		registry_split(full, &host, &path, &ref);
		rc = reply_error(host, &r, err);
	} else if (digest && r.digest)
		*digest = xstrdup(r.digest);
	reply_release(&r);
	return rc;
}

void registry_manifest_release(struct registry_manifest *m)
{
	free(m->digest);
	free(m->media_type);
	free(m->body);
	memset(m, 0, sizeof(m[0]));
}
