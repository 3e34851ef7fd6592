/* otlp: TracesData as OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/
 * "JSON Protobuf Encoding"): field names lowerCamelCase, traceId/spanId
 * hex, enums integers (span kind 1 INTERNAL, status code 0/1/2), fixed64
 * and int64 as decimal strings.  The shape:
 *   {"resourceSpans":[{"resource":{"attributes":[KV...]},
 *     "scopeSpans":[{"scope":{"name":"ccbuild","version":V},
 *       "spans":[{"traceId","spanId","parentSpanId"?,"name","kind":1,
 *                 "startTimeUnixNano","endTimeUnixNano","attributes",
 *                 "links"?,"status":{"code","message"?}}]}]}]}
 * KV is {"key":K,"value":{"stringValue"|"intValue"|"doubleValue"|"boolValue":V}}. */
#include "otlp.h"
#include "error.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *any_value(const json_t *v)
{
	char buf[32];

	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return json_pack("{s:s}", "intValue", buf);
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d == floor(d) && fabs(d) < 9007199254740992.0) {
			snprintf(buf, sizeof(buf), "%.0f", d);
			return json_pack("{s:s}", "intValue", buf);
		}
		return json_pack("{s:f}", "doubleValue", d);
	}
	if (json_is_boolean(v))
		return json_pack("{s:b}", "boolValue", json_is_true(v));
	return json_pack("{s:s}", "stringValue", json_string_value(v) ?: "");
}

static json_t *key_values(const json_t *attrs)
{
	json_t *out = json_array(), *v;
	const char *k;

	json_object_foreach((json_t *)attrs, k, v)
		json_array_append_new(out, json_pack("{s:s, s:o}", "key", k, "value", any_value(v)));
	return out;
}

static json_t *nanos(int64_t ns)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)(ns < 0 ? 0 : ns));
	return json_string(buf);
}

static json_t *span_json(const char *trace_id, const struct otlp_span *s)
{
	json_t *o = json_pack("{s:s, s:s}", "traceId", trace_id, "spanId", s->span_id), *status;
	size_t i;

	if (s->parent_id)
		json_object_set_new(o, "parentSpanId", json_string(s->parent_id));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "kind", json_integer(1)); /* SPAN_KIND_INTERNAL */
	json_object_set_new(o, "startTimeUnixNano", nanos(s->start_ns));
	json_object_set_new(o, "endTimeUnixNano", nanos(s->end_ns < s->start_ns ? s->start_ns : s->end_ns));
	json_object_set_new(o, "attributes", key_values(s->attributes));
	if (s->links && s->links[0]) {
		json_t *links = json_array();

		for (i = 0; s->links[i]; i++)
			json_array_append_new(links,
					      json_pack("{s:s, s:s}", "traceId", trace_id, "spanId", s->links[i]));
		json_object_set_new(o, "links", links);
	}
	status = json_pack("{s:i}", "code", (int)s->status);
	if (s->status_message)
		json_object_set_new(status, "message", json_string(s->status_message));
	json_object_set_new(o, "status", status);
	return o;
}

json_t *otlp_traces(const char *trace_id, const char *version, const char *host, const struct otlp_span *spans,
		    size_t n)
{
	json_t *resource = json_pack("{s:s, s:s}", "service.name", "ccbuild", "host.name", host);
	json_t *list = json_array(), *doc;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(list, span_json(trace_id, &spans[i]));
	doc = json_pack("{s:[{s:{s:o}, s:[{s:{s:s}, s:o}]}]}", "resourceSpans", "resource", "attributes",
			key_values(resource), "scopeSpans", "scope", "name", "ccbuild", "spans", list);
	json_decref(resource);
	if (version) {
		json_t *res = json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0), "resource");
		json_t *scope = json_object_get(
			json_array_get(
				json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0), "scopeSpans"),
				0),
			"scope");

		json_array_append_new(
			json_object_get(res, "attributes"),
			json_pack("{s:s, s:{s:s}}", "key", "service.version", "value", "stringValue", version));
		json_object_set_new(scope, "version", json_string(version));
	}
	return doc;
}

char *otlp_line(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *line = xasprintf("%s\n", text);

	free(text);
	return line;
}

char *otlp_env_endpoint(void)
{
	const char *traces = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	const char *base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	size_t n;

	if (traces && *traces)
		return xstrdup(traces);
	if (!base || !*base)
		return NULL;
	n = strlen(base);
	return xasprintf("%.*s/v1/traces", (int)(base[n - 1] == '/' ? n - 1 : n), base);
}

/* OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS: "k=v,k2=v2" (values
 * percent-encoded per the spec; taken as written here). */
static struct curl_slist *env_headers(struct curl_slist *h)
{
	const char *env = getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
	char *copy, *item, *save = NULL, *eq;

	if (!env || !*env)
		env = getenv("OTEL_EXPORTER_OTLP_HEADERS");
	if (!env || !*env)
		return h;
	copy = xstrdup(env);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if ((eq = strchr(item, '=')) && eq > item) {
			char *line = xasprintf("%.*s: %s", (int)(eq - item), item, eq + 1);

			h = curl_slist_append(h, line);
			free(line);
		}
	free(copy);
	return h;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

int otlp_http_post(const char *url, const json_t *doc, long timeout_ms, struct cc_error **err)
{
	char *body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = otlp_http_post_body(url, "application/json", body, strlen(body), timeout_ms, err);

	free(body);
	return rc;
}

int otlp_http_post_body(const char *url, const char *content_type, const void *body, size_t len, long timeout_ms,
			struct cc_error **err)
{
	char errbuf[CURL_ERROR_SIZE] = "", *ctype = xasprintf("Content-Type: %s", content_type);
	struct curl_slist *h = env_headers(curl_slist_append(NULL, ctype));
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode code;
	int rc = 0;

	if (!c)
		BUG("curl_easy_init failed");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK)
		rc = cc_error_set(err, "traces: OTLP collector %s: %s", url,
				  *errbuf ? errbuf : curl_easy_strerror(code));
	else if (status < 200 || status >= 300)
		rc = cc_error_set(err, "traces: OTLP collector %s: HTTP %ld", url, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(ctype);
	return rc;
}
