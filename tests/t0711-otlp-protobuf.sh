#!/bin/bash
# OTLP/HTTP protobuf (issue #17): with OTEL_EXPORTER_OTLP_PROTOCOL unset
# (OTel's default) or http/protobuf, the run's trace is POSTed as
# application/x-protobuf; a receiver on 127.0.0.1 decodes it with the
# official opentelemetry-proto definitions (tests/lib/otlp-check.py: the
# canonical encoding, no unknown field) and it is the same trace, field for
# field, as the file exporter's OTLP/JSON line of the same run.
. "$(dirname "$0")/test-lib.sh"
test_description 'traces as OTLP/HTTP protobuf, decoded by opentelemetry-proto'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0711p$TEST_ID
export CI=1
PROTO=${CCBUILD_OTEL_PROTO:-/var/cache/ccbuild-peers/otel-proto/usr/include}
CHECK="/usr/bin/python3 $SRCROOT/tests/lib/otlp-check.py"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL \
	OTEL_EXPORTER_OTLP_TRACES_PROTOCOL OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_TRACES_HEADERS

# same_trace RECEIVED_LINE FILE_LINE: the receiver's summary of a protobuf
# request equals the summary of the file's OTLP/JSON line.
same_trace () {
	$CHECK file "$PROTO" "$2" >from-file &&
	python3 - "$1" from-file <<-'PY'
	import json, sys
	got = json.load(open(sys.argv[1]))
	want = json.load(open(sys.argv[2]))
	assert got["content_type"] == "application/x-protobuf", got["content_type"]
	for k in ("content_type", "headers"):
	    got.pop(k, None)
	assert got == want, (got, want)
	spans = {s["name"]: s for s in got["spans"]}
	root = [s for s in got["spans"] if s["parent"] is None]
	assert len(root) == 1, root
	steps = {s["span_id"] for s in got["spans"] if s["parent"] == root[0]["span_id"]}
	for s in got["spans"]:  # a step span, or an engine call under one (t0712)
	    assert s is root[0] or s["parent"] == root[0]["span_id"] or s["parent"] in steps, s
	print(json.dumps(sorted((n, s["status"]) for n, s in spans.items())))
	PY
}

test_expect_success 'setup: two images, one of which fails; traces on; a receiver' '
	base_image_ensure >/dev/null &&
	test -f "$PROTO/opentelemetry/proto/trace/v1/trace.proto" &&
	mkdir -p a b tr &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >a/Dockerfile &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >b/Dockerfile &&
	echo "$P" >a/f && echo "$P" >b/f &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	images:
	  a: {context: a}
	  b: {context: b}
	scans:
	  policy:
	    images: [a]
	    rules: {healthcheck: warn}
	observability:
	  traces: tr
	profiles:
	  dev: {scans: [policy]}
	YAML
	{ $CHECK serve "$PROTO" port received & echo $! >receiver.pid; } &&
	for i in $(seq 100); do test -s port && break; sleep 0.1; done &&
	test -s port
'

test_expect_success 'protocol unset: protobuf, the same trace as the file, parent and links' '
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) OTEL_EXPORTER_OTLP_HEADERS=x-token=s3cret \
		"$CCBUILD" dev 2>err &&
	! grep -i "warning: traces" err &&
	test $(wc -l <received) = 1 && ! grep "\"error\"" received &&
	grep "\"x-token\": \"s3cret\"" received &&
	tail -1 received >got && tail -1 tr/traces.jsonl >want &&
	same_trace got want >statuses && cat statuses &&
	grep "\"build:a\", 1" statuses && grep "\"build:b\", 1" statuses &&
	python3 -c "
import json
t = json.load(open(\"got\"))
s = {x[\"name\"]: x for x in t[\"spans\"]}
assert s[\"build:a\"][\"span_id\"] in s[\"scan:a:policy\"][\"links\"], s[\"scan:a:policy\"]
assert s[\"scan:a:policy\"][\"attributes\"][\"ccbuild_scan_findings.warn\"] == 1, s[\"scan:a:policy\"]
a = s[\"build:a\"][\"attributes\"]
assert a[\"ccbuild.step.cached\"] is False and a[\"ccbuild_build_context_bytes_total\"] > 0, a
assert t[\"resource\"][\"service.name\"] == \"ccbuild\"
"
'

test_expect_success 'a failed step: status ERROR with its message, in protobuf' '
	printf "FROM %s\nRUN exit 3\n" "$BASE_IMAGE" >b/Dockerfile &&
	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$(cat port)/v1/traces \
		OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf test_expect_code 1 "$CCBUILD" dev 2>err &&
	! grep -i "warning: traces" err &&
	test $(wc -l <received) = 2 && ! grep "\"error\"" received &&
	tail -1 received >got && tail -1 tr/traces.jsonl >want &&
	same_trace got want >statuses && cat statuses &&
	grep "\"build:b\", 2" statuses && grep "\"ccbuild dev\", 2" statuses &&
	python3 -c "
import json
t = json.load(open(\"got\"))
b = [x for x in t[\"spans\"] if x[\"name\"] == \"build:b\"][0]
assert \"exit\" in b[\"message\"] or \"3\" in b[\"message\"], b[\"message\"]
"
'

test_expect_success 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL wins over OTEL_EXPORTER_OTLP_PROTOCOL' '
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
		OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json test_expect_code 1 "$CCBUILD" dev 2>err &&
	! grep -i "warning: traces" err &&
	tail -1 received | grep "\"content_type\": \"application/json\"" &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
		OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf test_expect_code 1 "$CCBUILD" dev 2>err &&
	tail -1 received | grep "\"content_type\": \"application/x-protobuf\"" &&
	test $(wc -l <received) = 4 && ! grep "\"error\"" received
'

test_expect_success 'the receiver is strict: an unknown field or a non-canonical body is refused' '
	python3 - $(cat port) <<-\PY
	import sys, urllib.request, urllib.error
	def post(body):
	    req = urllib.request.Request("http://127.0.0.1:%s/v1/traces" % sys.argv[1], data=body,
	                                 headers={"Content-Type": "application/x-protobuf"})
	    try:
	        urllib.request.urlopen(req)
	        return 200
	    except urllib.error.HTTPError as e:
	        return e.code
	# field 9 (unknown in ExportTraceServiceRequest), varint 1
	assert post(b"\x48\x01") == 400
	# resource_spans with a span whose kind (6) is written as 0 (a default)
	span = b"\x2a\x01x" + b"\x30\x00"
	scope = b"\x12" + bytes([len(span)]) + span
	rs = b"\x12" + bytes([len(scope)]) + scope
	assert post(b"\x0a" + bytes([len(rs)]) + rs) == 400
	PY
	test $(grep -c "\"error\"" received) = 2
'

test_expect_success 'traces.jsonl and the metrics history rotate at their max_size, keeping keep files' '
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >b/Dockerfile &&
	sed -i "s|  traces: tr|  traces: {path: tr2, max_size: 1, keep: 2}\n  history: {path: h.jsonl, max_size: 1, keep: 1}|" \
		ccbuild.yaml &&
	mkdir tr2 && cat ccbuild.yaml &&
	for i in 1 2 3 4; do "$CCBUILD" dev 2>err || return 1; ! grep -i "warning: traces\|warning: metrics" err || return 1; done &&
	test -f tr2/traces.jsonl.1 && test -f tr2/traces.jsonl.2 && ! test -e tr2/traces.jsonl.3 &&
	test -f h.jsonl.1 && ! test -e h.jsonl.2 &&
	for f in tr2/traces.jsonl.1 tr2/traces.jsonl.2; do
		test $(wc -l <$f) = 1 && $CHECK file "$PROTO" $f >/dev/null || return 1
	done &&
	python3 -c "import json; assert json.load(open(\"h.jsonl.1\"))[\"v\"] == 1"
'

test_expect_success 'a backup command destination gets TRACEPARENT naming its step span' '
	mkdir -p bk/data && echo x >bk/data/f &&
	cat >bk/ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: ${P}b
	backups:
	  data:
	    source: path:data
	    destinations:
	      - path: repo
	      - command: [sh, -c, "echo \"\$TRACEPARENT\" >$TRASH/bk/traceparent"]
	observability: {traces: tr}
	profiles:
	  dev: {backups: [data]}
	YAML
	mkdir bk/tr &&
	TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01 "$CCBUILD" -C bk dev 2>err &&
	python3 -c "
import json
t = json.load(open(\"bk/tr/traces.jsonl\"))[\"resourceSpans\"][0][\"scopeSpans\"][0][\"spans\"]
s = [x for x in t if x[\"name\"] == \"backup:data\"][0]
want = \"00-%s-%s-01\" % (s[\"traceId\"], s[\"spanId\"])
got = open(\"bk/traceparent\").read().strip()
assert got == want, (got, want)
"
'

test_expect_success 'cleanup' '
	kill $(cat receiver.pid) &&
	test_remove_images $P
'

test_done
