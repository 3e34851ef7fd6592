/* otlp-proto: the OTLP/JSON document otlp.h builds, in the protobuf
 * binary encoding (OTLP/HTTP "http/protobuf", application/x-protobuf) of
 * opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, which
 * has the same field 1 (resource_spans) as TracesData.  Written with
 * pbwire, fields in number order and proto3 defaults left out, so the
 * bytes are the canonical encoding. */
#ifndef CC_OTLP_PROTO_H
#define CC_OTLP_PROTO_H

#include <jansson.h>

struct cc_error;
struct pbbuf;

/* Encode doc (borrowed; the shape otlp_traces makes) into out (empty,
 * caller releases it with pbbuf_release); -1 with err naming what is
 * malformed (an id that is not hex of the right length, a time or an
 * intValue that is not a decimal string). */
int otlp_proto_encode(const json_t *doc, struct pbbuf *out, struct cc_error **err);

#endif
