/* engine: connection, version negotiation and plain JSON requests. */
#include "engine-internal.h"
#include "error.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_HOST "unix:///var/run/docker.sock"
#define MAX_BODY (64u << 20)

struct engine {
	char *host;
	char *socket; /* unix socket path, or NULL for TCP */
	char *base;   /* "http://localhost" or "https://HOST:PORT" */
	int tls, tls_verify;
	char *ca, *cert, *key;
	pthread_mutex_t lock; /* guards the fields below */
	int pinged, buildkit;
	char version[16];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void engine_curl_init(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

static void engine_tls_setup(struct engine *e)
{
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	const char *dir = getenv("DOCKER_CERT_PATH");
	cleanup_free char *home = NULL;

	e->tls_verify = verify && *verify;
	e->tls = e->tls_verify || (dir && *dir);
	if (!e->tls)
		return;
	if (!dir || !*dir)
		dir = home = path_join(getenv("HOME") ? getenv("HOME") : "/", ".docker");
	e->ca = path_join(dir, "ca.pem");
	e->cert = path_join(dir, "cert.pem");
	e->key = path_join(dir, "key.pem");
}

static int engine_parse_host(struct engine *e, const char *host, struct cc_error **err)
{
	const char *hp, *port;

	if (str_has_prefix(host, "unix://")) {
		if (!host[7])
			return cc_error_set(err, "engine: DOCKER_HOST %s: no socket path", host);
		e->socket = xstrdup(host + 7);
		e->base = xstrdup("http://localhost");
		return 0;
	}
	if (!str_has_prefix(host, "tcp://"))
		return cc_error_set(err, "engine: DOCKER_HOST %s: only unix:// and tcp:// are supported", host);
	hp = host + 6;
	if (!*hp || *hp == '/' || *hp == ':')
		return cc_error_set(err, "engine: DOCKER_HOST %s: no host name", host);
	engine_tls_setup(e);
	port = hp[0] == '[' && strchr(hp, ']') ? strchr(hp, ']') : hp; /* skip IPv6 colons */
	if (strchr(port, ':'))
		e->base = xasprintf("%s://%s", e->tls ? "https" : "http", hp);
	else
		e->base = xasprintf("%s://%s:%d", e->tls ? "https" : "http", hp, e->tls ? 2376 : 2375);
	/* tcp://host:2376/ : a trailing slash would double in URLs */
	if (e->base[strlen(e->base) - 1] == '/')
		e->base[strlen(e->base) - 1] = '\0';
	return 0;
}

struct engine *engine_open(const char *host, struct cc_error **err)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	pthread_once(&curl_once, engine_curl_init);
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = DEFAULT_HOST;
	e->host = xstrdup(host);
	pthread_mutex_init(&e->lock, NULL);
	if (engine_parse_host(e, host, err) < 0) {
		engine_close(e);
		return NULL;
	}
	return e;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e->host);
	free(e->socket);
	free(e->base);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e);
}

const char *engine_host(const struct engine *e)
{
	return e->host;
}

/* A handle for an absolute URL path (no version prefix). */
static CURL *engine_curl_raw(struct engine *e, const char *method, const char *path, char *errbuf)
{
	CURL *c = curl_easy_init();
	cleanup_free char *url = xasprintf("%s%s", e->base, path);

	if (!c)
		die_oom(); /* curl_easy_init fails only for memory */
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ccbuild");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"); /* the Engine API, whatever DOCKER_HOST says */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (e->socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->socket);
	if (e->tls) {
		curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, (long)e->tls_verify);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, e->tls_verify ? 2L : 0L);
	}
	return c;
}

int engine_curl_error(struct engine *e, CURLcode code, const char *errbuf, struct cc_error **err)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(code);

	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		if (e->socket) /* curl's text would name "localhost port 80" */
			why = curl_easy_strerror(code);
		cc_error_set(err, "engine: cannot connect to the Docker daemon at %s: %s (is dockerd running?)",
			     e->host, why);
		return ENGINE_UNREACHABLE;
	default: return cc_error_set(err, "engine: %s: %s", e->host, why);
	}
}

static size_t sink_body(char *data, size_t size, size_t n, void *ctx)
{
	struct strbuf *sb = ctx;

	if (sb->len + size * n > MAX_BODY)
		return 0;
	strbuf_add(sb, data, size * n);
	return size * n;
}

/* Parse "1.41" into 141; -1 when it is not a version. */
static int version_number(const char *v)
{
	int major, minor;

	if (sscanf(v, "%d.%d", &major, &minor) != 2 || major < 1 || minor < 0 || minor > 99)
		return -1;
	return major * 100 + minor;
}

static size_t ping_header(char *data, size_t size, size_t n, void *ctx)
{
	struct engine *e = ctx;
	size_t len = size * n;
	cleanup_free char *line = xstrndup(data, len);
	char *val = strchr(line, ':');

	if (!val)
		return len;
	*val++ = '\0';
	val += strspn(val, " \t");
	val[strcspn(val, "\r\n")] = '\0';
	if (!strcasecmp(line, "Api-Version") && version_number(val) > 0 &&
	    version_number(val) < version_number(ENGINE_API_MAX))
		snprintf(e->version, sizeof(e->version), "%s", val);
	else if (!strcasecmp(line, "Builder-Version"))
		e->buildkit = strcmp(val, "1") != 0;
	return len;
}

static int engine_ping_locked(struct engine *e, struct cc_error **err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct strbuf body = STRBUF_INIT;
	CURL *c = engine_curl_raw(e, "GET", "/_ping", errbuf);
	CURLcode code;
	long status = 0;
	int rc = 0;

	snprintf(e->version, sizeof(e->version), "%s", ENGINE_API_MAX);
	e->buildkit = 1; /* 20.10 sends no Builder-Version yet serves BuildKit */
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ping_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK)
		rc = engine_curl_error(e, code, errbuf, err);
	else if (status != 200)
		rc = cc_error_set(err, "engine: %s: /_ping answered %ld: %.200s", e->host, status,
				  body.buf ? body.buf : "");
	else
		e->pinged = 1;
	curl_easy_cleanup(c);
	strbuf_release(&body);
	return rc;
}

int engine_ping(struct engine *e, struct cc_error **err)
{
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	if (!e->pinged)
		rc = engine_ping_locked(e, err);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

const char *engine_api_version(struct engine *e)
{
	const char *v;

	pthread_mutex_lock(&e->lock);
	v = e->pinged ? e->version : NULL;
	pthread_mutex_unlock(&e->lock);
	return v;
}

int engine_has_buildkit(struct engine *e)
{
	int b;

	pthread_mutex_lock(&e->lock);
	b = e->buildkit;
	pthread_mutex_unlock(&e->lock);
	return b;
}

CURL *engine_curl(struct engine *e, const char *method, const char *path, char *errbuf, int *rc, struct cc_error **err)
{
	cleanup_free char *full = NULL;

	*rc = engine_ping(e, err);
	if (*rc < 0)
		return NULL;
	/* version[] never changes after the ping, so reading it unlocked is safe */
	full = xasprintf("/v%s%s", e->version, path);
	return engine_curl_raw(e, method, full, errbuf);
}

/* JSON when it parses, else the text as a JSON string, NULL when empty. */
static json_t *decode_body(const struct strbuf *body)
{
	json_t *j;

	if (!body->len)
		return NULL;
	j = json_loadb(body->buf, body->len, JSON_DECODE_ANY, NULL);
	return j ? j : json_stringn_nocheck(body->buf, body->len);
}

int engine_request(struct engine *e, const char *method, const char *path, json_t *body, json_t **out,
		   struct cc_error **err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct strbuf resp = STRBUF_INIT;
	cleanup_free char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct curl_slist *hdr = NULL;
	long status = 0;
	int rc;
	CURL *c = engine_curl(e, method, path, errbuf, &rc, err);
	CURLcode code;

	if (!c)
		return rc;
	if (text) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = code == CURLE_OK ? (int)status : engine_curl_error(e, code, errbuf, err);
	if (rc >= 0 && out)
		*out = decode_body(&resp);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	strbuf_release(&resp);
	return rc;
}

int engine_status_error(int status, const json_t *body, struct cc_error **err)
{
	const char *msg = NULL;

	if (json_is_object(body))
		msg = json_string_value(json_object_get(body, "message"));
	else if (json_is_string(body))
		msg = json_string_value(body);
	if (!msg || !*msg)
		msg = "(no message)";
	return cc_error_set(err, "engine: %d: %.*s", status, (int)strcspn(msg, "\n"), msg);
}

char *engine_escape(const char *s)
{
	char *c = curl_easy_escape(NULL, s, 0);
	char *r;

	if (!c)
		die_oom(); /* curl_easy_escape fails only for memory */
	r = xstrdup(c);
	curl_free(c);
	return r;
}
