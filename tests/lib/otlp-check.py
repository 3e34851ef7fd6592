#!/usr/bin/python3
"""Decode ccbuild's OTLP/JSON with the official opentelemetry-proto
definitions (Debian 13's opentelemetry-proto package, compiled here with
Debian 12's protoc for python3-protobuf).

  otlp-check.py file PROTO_DIR FILE        each line a TracesData
  otlp-check.py serve PROTO_DIR PORTFILE OUT
      an OTLP/HTTP receiver on 127.0.0.1: POST /v1/traces with
      application/json or application/x-protobuf (ExportTraceServiceRequest);
      writes the port to PORTFILE and a summary line per trace to OUT (with
      "content_type" and the request's x-* headers); answers 200 "{}"

A summary is one JSON line per trace: {"trace_id", "spans": [{"name",
"span_id", "parent", "status", "message", "attributes", "links", "start",
"end"}], "resource": {...}}.  Decoding is strict: an unknown field, an enum
given as a string, an id that is not hex of the right length, or a 64-bit
integer that is not a decimal string fails.  A protobuf body must be the
canonical encoding of what it decodes to: parsed, stripped of unknown
fields (through the JSON mapping) and serialized again, it must give the
same bytes, so an unknown or misnumbered field, a wrong wire type, a
default value written out or fields out of order all fail.

OTLP/JSON differs from the proto3 JSON mapping in one way: traceId and
spanId are hex, not base64 (https://opentelemetry.io/docs/specs/otlp/);
they are checked and turned into base64 before json_format.Parse."""
import base64
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile

HEX = re.compile(r"^[0-9a-fA-F]*$")


def load_modules(proto_dir):
    out = tempfile.mkdtemp(prefix="otlp-py-")
    files = ["opentelemetry/proto/common/v1/common.proto",
             "opentelemetry/proto/resource/v1/resource.proto",
             "opentelemetry/proto/trace/v1/trace.proto",
             "opentelemetry/proto/collector/trace/v1/trace_service.proto"]
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", out] + files, check=True)
    sys.path.insert(0, out)
    from opentelemetry.proto.trace.v1 import trace_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    return trace_pb2, trace_service_pb2


def hex_to_b64(obj, path="$"):
    """Check every traceId/spanId/parentSpanId is hex of 16 or 8 bytes and
    rewrite it as base64 for the proto3 JSON parser."""
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            if k in ("traceId", "spanId", "parentSpanId"):
                want = 32 if k == "traceId" else 16
                if not (isinstance(v, str) and HEX.match(v) and len(v) == want):
                    raise ValueError("%s.%s: %r is not %d hex digits" % (path, k, v, want))
                if int(v, 16) == 0:
                    raise ValueError("%s.%s: all zero (invalid)" % (path, k))
                obj[k] = base64.b64encode(bytes.fromhex(v)).decode()
            else:
                hex_to_b64(v, path + "." + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            hex_to_b64(v, "%s[%d]" % (path, i))
    return obj


def strict_json(doc):
    """What proto3 JSON tolerates but OTLP/JSON forbids: enums as names,
    64-bit integers as numbers."""
    def walk(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("kind", "code") and not isinstance(v, int):
                    raise ValueError("%s.%s: enum must be an integer, got %r" % (path, k, v))
                if k.endswith("UnixNano") or k == "intValue":
                    if not (isinstance(v, str) and re.match(r"^-?[0-9]+$", v)):
                        raise ValueError("%s.%s: 64-bit integer must be a decimal string, got %r" % (path, k, v))
                walk(v, path + "." + k)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, "%s[%d]" % (path, i))
    walk(doc, "$")


def any_value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


def summary(msg):
    traces = []
    for rs in msg.resource_spans:
        resource = {a.key: any_value(a.value) for a in rs.resource.attributes}
        for ss in rs.scope_spans:
            by_trace = {}
            for s in ss.spans:
                by_trace.setdefault(s.trace_id.hex(), []).append({
                    "name": s.name, "span_id": s.span_id.hex(),
                    "parent": s.parent_span_id.hex() or None,
                    "kind": s.kind, "status": s.status.code, "message": s.status.message,
                    "attributes": {a.key: any_value(a.value) for a in s.attributes},
                    "links": [l.span_id.hex() for l in s.links],
                    "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                    "scope": ss.scope.name})
            for tid, spans in by_trace.items():
                traces.append({"trace_id": tid, "resource": resource, "spans": spans})
    return traces


def decode(text, message_class):
    from google.protobuf import json_format
    doc = json.loads(text)
    strict_json(doc)
    msg = message_class()
    json_format.Parse(json.dumps(hex_to_b64(doc)), msg, ignore_unknown_fields=False)
    return summary(msg)


def decode_proto(body, message_class):
    from google.protobuf import json_format
    msg = message_class()
    msg.ParseFromString(body)
    clean = message_class()
    json_format.Parse(json_format.MessageToJson(msg), clean, ignore_unknown_fields=False)
    again = clean.SerializeToString(deterministic=True)
    if again != body:
        raise ValueError("protobuf body is not canonical (%d bytes, %d after a round trip: unknown or "
                         "misencoded fields)" % (len(body), len(again)))
    return summary(clean)


def main():
    mode, proto_dir = sys.argv[1], sys.argv[2]
    trace_pb2, service_pb2 = load_modules(proto_dir)
    if mode == "file":
        for n, line in enumerate(open(sys.argv[3], encoding="utf-8"), 1):
            try:
                for t in decode(line, trace_pb2.TracesData):
                    print(json.dumps(t))
            except Exception as e:
                sys.exit("%s:%d: %s" % (sys.argv[3], n, e))
        return
    portfile, out = sys.argv[3], sys.argv[4]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                if self.path != "/v1/traces":
                    raise ValueError("path %s" % self.path)
                ctype = self.headers.get("Content-Type")
                if ctype == "application/json":
                    traces = decode(body, service_pb2.ExportTraceServiceRequest)
                elif ctype == "application/x-protobuf":
                    traces = decode_proto(body, service_pb2.ExportTraceServiceRequest)
                else:
                    raise ValueError("content type %s" % ctype)
                lines = [dict(t, content_type=ctype,
                              headers={k.lower(): v for k, v in self.headers.items()
                                       if k.lower().startswith("x-")})
                         for t in traces]
                code, reply = 200, b"{}"
            except Exception as e:
                lines, code, reply = [{"error": str(e)}], 400, json.dumps({"error": str(e)}).encode()
            with open(out, "a") as f:
                for l in lines:
                    f.write(json.dumps(l) + "\n")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
