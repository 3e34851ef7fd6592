/* otlp-proto: OTLP/JSON (otlp.c's shape) to protobuf.  Field numbers,
 * from opentelemetry-proto 1.x (common, resource, trace):
 *   ExportTraceServiceRequest / TracesData: 1 resource_spans
 *   ResourceSpans: 1 resource, 2 scope_spans     Resource: 1 attributes
 *   ScopeSpans: 1 scope, 2 spans     InstrumentationScope: 1 name, 2 version
 *   Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind,
 *         7 start_time_unix_nano (fixed64), 8 end_time_unix_nano (fixed64),
 *         9 attributes, 13 links, 15 status
 *   Span.Link: 1 trace_id, 2 span_id      Status: 2 message, 3 code
 *   KeyValue: 1 key, 2 value
 *   AnyValue (oneof): 1 string_value, 2 bool_value, 3 int_value,
 *                     4 double_value (fixed64: the IEEE 754 bits) */
#include "otlp-proto.h"
#include "error.h"
#include "pbwire.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* hex (2n digits) into n bytes; -1 when it is not that. */
static int unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	if (!hex || strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int put_id(struct pbbuf *b, uint32_t num, const json_t *v, size_t n, const char *what, struct cc_error **err)
{
	uint8_t id[16];

	if (unhex(json_string_value(v), id, n) < 0)
		return cc_error_set(err, "OTLP protobuf: %s is not %zu hex digits", what, 2 * n);
	pbw_bytes(b, num, id, n);
	return 0;
}

/* A string field outside a oneof: proto3 leaves "" (and absence) out. */
static void put_str(struct pbbuf *b, uint32_t num, const json_t *v)
{
	const char *s = json_string_value(v);

	if (s && *s)
		pbw_string(b, num, s);
}

/* A decimal string (the JSON mapping of a 64-bit integer) into *out. */
static int decimal(const json_t *v, int64_t *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int put_any(struct pbbuf *b, const json_t *v, struct cc_error **err)
{
	json_t *x;
	int64_t i;
	double d;
	uint64_t bits;

	if ((x = json_object_get(v, "stringValue")))
		pbw_string(b, 1, json_string_value(x) ?: "");
	else if ((x = json_object_get(v, "boolValue")))
		pbw_varint(b, 2, json_is_true(x));
	else if ((x = json_object_get(v, "intValue"))) {
		if (decimal(x, &i) < 0)
			return cc_error_set(err, "OTLP protobuf: intValue is not a decimal string");
		pbw_varint(b, 3, (uint64_t)i);
	} else if ((x = json_object_get(v, "doubleValue"))) {
		d = json_number_value(x);
		memcpy(&bits, &d, sizeof(bits));
		pbw_fixed64(b, 4, bits);
	} else
		return cc_error_set(err, "OTLP protobuf: an attribute value of no known type");
	return 0;
}

/* Each KeyValue of the JSON array attrs as field num. */
static int put_attributes(struct pbbuf *b, uint32_t num, const json_t *attrs, struct cc_error **err)
{
	const json_t *kv;
	size_t i;

	json_array_foreach((json_t *)attrs, i, kv)
	{
		struct pbbuf m = { 0 }, val = { 0 };
		int rc = put_any(&val, json_object_get(kv, "value"), err);

		put_str(&m, 1, json_object_get(kv, "key"));
		pbw_message(&m, 2, &val);
		if (rc == 0)
			pbw_message(b, num, &m);
		pbbuf_release(&val);
		pbbuf_release(&m);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int put_nanos(struct pbbuf *b, uint32_t num, const json_t *v, struct cc_error **err)
{
	int64_t ns;

	if (decimal(v, &ns) < 0 || ns < 0)
		return cc_error_set(err, "OTLP protobuf: a time is not a decimal string of nanoseconds");
	if (ns)
		pbw_fixed64(b, num, (uint64_t)ns);
	return 0;
}

static int put_links(struct pbbuf *b, const json_t *links, struct cc_error **err)
{
	const json_t *l;
	size_t i;
	int rc = 0;

	json_array_foreach((json_t *)links, i, l)
	{
		struct pbbuf m = { 0 };

		rc = put_id(&m, 1, json_object_get(l, "traceId"), 16, "a link's traceId", err)
			     ?: put_id(&m, 2, json_object_get(l, "spanId"), 8, "a link's spanId", err);
		if (rc == 0)
			pbw_message(b, 13, &m);
		pbbuf_release(&m);
		if (rc < 0)
			break;
	}
	return rc;
}

static void put_status(struct pbbuf *b, const json_t *status)
{
	struct pbbuf m = { 0 };
	json_int_t code = json_integer_value(json_object_get(status, "code"));

	put_str(&m, 2, json_object_get(status, "message"));
	if (code)
		pbw_varint(&m, 3, (uint64_t)code);
	pbw_message(b, 15, &m);
	pbbuf_release(&m);
}

static int put_span(struct pbbuf *b, const json_t *s, struct cc_error **err)
{
	struct pbbuf m = { 0 };
	const json_t *parent = json_object_get(s, "parentSpanId");
	json_int_t kind = json_integer_value(json_object_get(s, "kind"));
	int rc = put_id(&m, 1, json_object_get(s, "traceId"), 16, "traceId", err) ?:
			 put_id(&m, 2, json_object_get(s, "spanId"), 8, "spanId", err) ?:
			 parent ? put_id(&m, 4, parent, 8, "parentSpanId", err) : 0;

	if (rc == 0) {
		put_str(&m, 5, json_object_get(s, "name"));
		if (kind)
			pbw_varint(&m, 6, (uint64_t)kind);
		rc = put_nanos(&m, 7, json_object_get(s, "startTimeUnixNano"), err) ?:
			put_nanos(&m, 8, json_object_get(s, "endTimeUnixNano"), err) ?:
			put_attributes(&m, 9, json_object_get(s, "attributes"), err) ?:
			put_links(&m, json_object_get(s, "links"), err);
	}
	if (rc == 0 && json_object_get(s, "status"))
		put_status(&m, json_object_get(s, "status"));
	if (rc == 0)
		pbw_message(b, 2, &m);
	pbbuf_release(&m);
	return rc;
}

static int put_scope_spans(struct pbbuf *b, const json_t *ss, struct cc_error **err)
{
	struct pbbuf m = { 0 }, scope = { 0 };
	const json_t *sc = json_object_get(ss, "scope"), *s;
	size_t i;
	int rc = 0;

	if (sc) {
		put_str(&scope, 1, json_object_get(sc, "name"));
		put_str(&scope, 2, json_object_get(sc, "version"));
		pbw_message(&m, 1, &scope);
	}
	json_array_foreach(json_object_get(ss, "spans"), i, s) if (rc == 0) rc = put_span(&m, s, err);
	if (rc == 0)
		pbw_message(b, 2, &m);
	pbbuf_release(&scope);
	pbbuf_release(&m);
	return rc;
}

int otlp_proto_encode(const json_t *doc, struct pbbuf *out, struct cc_error **err)
{
	const json_t *rs, *ss;
	size_t i, k;
	int rc = 0;

	json_array_foreach(json_object_get(doc, "resourceSpans"), i, rs)
	{
		struct pbbuf m = { 0 }, res = { 0 };

		rc = put_attributes(&res, 1, json_object_get(json_object_get(rs, "resource"), "attributes"), err);
		pbw_message(&m, 1, &res);
		json_array_foreach(json_object_get(rs, "scopeSpans"), k, ss) if (rc == 0) rc =
			put_scope_spans(&m, ss, err);
		if (rc == 0)
			pbw_message(out, 1, &m);
		pbbuf_release(&res);
		pbbuf_release(&m);
		if (rc < 0)
			return -1;
	}
	return 0;
}
