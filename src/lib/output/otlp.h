/* otlp: a run as one OpenTelemetry trace in OTLP/JSON (the proto3 JSON
 * mapping of opentelemetry-proto's TracesData: hex ids, integer enums,
 * 64-bit integers as decimal strings), appended to a JSON-lines file (the
 * OTLP file exporter's format) or POSTed to an OTLP/HTTP collector. */
#ifndef CC_OTLP_H
#define CC_OTLP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

enum otlp_status { OTLP_STATUS_UNSET = 0, OTLP_STATUS_OK = 1, OTLP_STATUS_ERROR = 2 };

/* One span; strings borrowed; attributes a flat JSON object of strings,
 * integers, reals and booleans (borrowed, may be NULL). */
struct otlp_span {
	const char *name;
	const char *span_id, *parent_id; /* 16 hex digits; parent NULL for the root */
	int64_t start_ns, end_ns;	 /* unix nanoseconds */
	enum otlp_status status;
	const char *status_message; /* NULL: none */
	const json_t *attributes;
	const char *const *links; /* span ids of this trace it follows from, NULL-ended, or NULL */
};

/* TracesData of one trace (trace_id: 32 hex digits) with resource
 * attributes service.name=ccbuild, service.version and host.name;
 * caller decrefs. */
json_t *otlp_traces(const char *trace_id, const char *version, const char *host, const struct otlp_span *spans,
		    size_t n);
/* doc as one line of the OTLP file exporter's format (compact JSON and
 * "\n"); caller frees.  The run appends it with eventlog_append_to. */
char *otlp_line(const json_t *doc);
/* The collector the environment names, as BuildKit reads it:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is), else
 * OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces"; NULL when neither is set.
 * Caller frees. */
char *otlp_env_endpoint(void);
/* POST doc to url as OTLP/HTTP JSON, headers from OTEL_EXPORTER_OTLP_HEADERS
 * (never shown), giving up after timeout_ms; -1 with err (the URL and
 * the HTTP status or transfer error). */
int otlp_http_post(const char *url, const json_t *doc, long timeout_ms, struct cc_error **err);
/* The same for a body already encoded (body borrowed): POST len bytes with
 * content_type ("application/x-protobuf" for OTLP/HTTP protobuf). */
int otlp_http_post_body(const char *url, const char *content_type, const void *body, size_t len, long timeout_ms,
			struct cc_error **err);

#endif
