#!/bin/bash
# Metrics and traces of every run (issue #17), checked by the real tools:
# the .prom file by `promtool check metrics` (Debian's prometheus), the
# traces by the official opentelemetry-proto definitions (protoc +
# python3-protobuf, tests/lib/otlp-check.py), in a file and as OTLP/HTTP
# requests to a receiver on 127.0.0.1.
. "$(dirname "$0")/test-lib.sh"
test_description 'a run leaves Prometheus metrics and an OTLP trace'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0610p$TEST_ID
export CI=1
PROTO=${CCBUILD_OTEL_PROTO:-/var/cache/ccbuild-peers/otel-proto/usr/include}
CHECK="/usr/bin/python3 $SRCROOT/tests/lib/otlp-check.py"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL \
	OTEL_EXPORTER_OTLP_TRACES_PROTOCOL OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_TRACES_HEADERS

# metric NAME{LABELS} FILE: the value of that exact series
metric () {
	grep -F "$1 " "$2" | sed 's/.* //'
}

test_expect_success 'setup: two images, a policy scan; metrics, history and traces on' '
	base_image_ensure >/dev/null &&
	command -v promtool >/dev/null &&
	mkdir -p web worker prom tr &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >web/Dockerfile &&
	head -c 30000 /dev/urandom >web/f &&
	printf "FROM %s\nCOPY f /f\nUSER 1000\n" "$BASE_IMAGE" >worker/Dockerfile &&
	echo "$P" >worker/f &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	images:
	  web: {context: web}
	  worker: {context: worker}
	scans:
	  policy:
	    rules: {non_root: error, healthcheck: warn}
	  tp:
	    images: [worker]
	    command: [./tp.sh]
	observability:
	  metrics: prom
	  history: history.jsonl
	  traces: tr
	  events: events.jsonl
	profiles:
	  dev: {}
	  checked: {scans: [policy]}
	  traced: {scans: [tp]}
	YAML
	printf "#!/bin/sh\necho \"\$TRACEPARENT\" >traceparent\n" >tp.sh && chmod +x tp.sh
'

F=prom/ccbuild-$P-dev.prom
L="kind=\"build\",profile=\"dev\",project=\"$P\""

test_expect_success 'cold run: the .prom file passes promtool, with the build figures' '
	"$CCBUILD" dev &&
	promtool check metrics <$F &&
	test "$(metric "ccbuild_runs_total{profile=\"dev\",project=\"$P\",result=\"ok\"}" $F)" = 1 &&
	test "$(metric "ccbuild_steps_total{$L,status=\"done\"}" $F)" = 2 &&
	bytes=$(metric "ccbuild_build_context_bytes_total{$L,step=\"build:web\"}" $F) &&
	test "$bytes" -gt 30000 && test "$bytes" -lt 50000 &&
	test "$(metric "ccbuild_build_cache_misses_total{$L,step=\"build:web\"}" $F)" -ge 1 &&
	test "$(metric "ccbuild_step_duration_seconds_count{$L,status=\"done\"}" $F)" = 2 &&
	test "$(metric "ccbuild_step_duration_seconds_bucket{$L,status=\"done\",le=\"+Inf\"}" $F)" = 2 &&
	! grep -E "^[^#].* [0-9.e+-]+ [0-9]+$" $F &&
	! grep -E "sha256|[0-9a-f]{32}|$TRASH" $F &&
	test -z "$(ls prom | grep -v "\.prom$")"
'

test_expect_success 'counters add up over runs; gauges are the last run' '
	"$CCBUILD" dev && echo x >>worker/f && "$CCBUILD" dev &&
	promtool check metrics <$F &&
	test "$(metric "ccbuild_runs_total{profile=\"dev\",project=\"$P\",result=\"ok\"}" $F)" = 3 &&
	test "$(metric "ccbuild_steps_total{$L,status=\"done\"}" $F)" = 3 &&
	test "$(metric "ccbuild_steps_total{$L,status=\"up-to-date\"}" $F)" = 3 &&
	test "$(metric "ccbuild_run_exit_code{profile=\"dev\",project=\"$P\"}" $F)" = 0 &&
	now=$(date +%s) && last=$(metric "ccbuild_step_last_success_timestamp_seconds{$L,step=\"build:web\"}" $F) &&
	test "${last%.*}" -le "$now" && test "${last%.*}" -gt $((now - 60)) &&
	test $(wc -l <history.jsonl) = 3 &&
	tail -1 history.jsonl | python3 -c "
import json, sys
h = json.load(sys.stdin)
assert h[\"v\"] == 1 and h[\"exit_code\"] == 0, h
s = {x[\"step\"]: x for x in h[\"steps\"]}
assert s[\"build:worker\"][\"status\"] == \"done\" and s[\"build:web\"][\"status\"] == \"up-to-date\", s
assert s[\"build:worker\"][\"facts\"][\"ccbuild_build_context_bytes_total\"] > 0, s
"
'

test_expect_success 'a failed run: result="failed", exit code 1; a scan reports findings by level' '
	printf "FROM %s\nRUN exit 3\n" "$BASE_IMAGE" >worker/Dockerfile &&
	test_expect_code 1 "$CCBUILD" dev &&
	promtool check metrics <$F &&
	test "$(metric "ccbuild_runs_total{profile=\"dev\",project=\"$P\",result=\"failed\"}" $F)" = 1 &&
	test "$(metric "ccbuild_run_exit_code{profile=\"dev\",project=\"$P\"}" $F)" = 1 &&
	test "$(metric "ccbuild_steps_total{$L,status=\"failed\"}" $F)" = 1 &&
	printf "FROM %s\nCOPY f /f\nUSER 1000\n" "$BASE_IMAGE" >worker/Dockerfile &&
	test_expect_code 1 "$CCBUILD" -k checked &&
	C=prom/ccbuild-$P-checked.prom &&
	promtool check metrics <$C &&
	S="kind=\"scan\",level=\"error\",profile=\"checked\",project=\"$P\"" &&
	test "$(metric "ccbuild_scan_findings{$S,step=\"scan:web:policy\"}" $C)" = 1 &&
	test "$(metric "ccbuild_scan_findings{$S,step=\"scan:worker:policy\"}" $C)" = 0 &&
	test "$(metric "ccbuild_scan_findings{${S/error/warn},step=\"scan:worker:policy\"}" $C)" = 1
'

test_expect_success 'traces.jsonl: one trace per run, decoded by opentelemetry-proto' '
	test -f "$PROTO/opentelemetry/proto/trace/v1/trace.proto" &&
	$CHECK file "$PROTO" tr/traces.jsonl >traces &&
	test $(wc -l <traces) = 5 && test $(wc -l <tr/traces.jsonl) = 5 &&
	python3 - <<-\PY
	import json
	traces = [json.loads(l) for l in open("traces")]
	runs = {}
	for l in open("events.jsonl"):
	    e = json.loads(l)
	    runs.setdefault(e["run_id"], {}).setdefault(e.get("step"), e.get("span_id"))
	for t in traces:
	    assert t["trace_id"] in runs, "trace id is the events run_id"
	    assert t["resource"]["service.name"] == "ccbuild"
	    roots = [s for s in t["spans"] if s["parent"] is None]
	    assert len(roots) == 1, roots
	    root = roots[0]
	    steps = {s["span_id"]: s for s in t["spans"] if s["parent"] == root["span_id"]}
	    for s in t["spans"]:
	        if s is root:
	            continue
	        if s["span_id"] not in steps:  # an engine call (t0712): within its step span
	            p = steps[s["parent"]]
	            assert p["start"] <= s["start"] <= s["end"] <= p["end"], (p, s)
	            continue
	        assert root["start"] <= s["start"] <= s["end"] <= root["end"], (root, s)
	        assert runs[t["trace_id"]][s["name"]] == s["span_id"], "span id as in the events"
	failed = traces[3]
	assert failed["spans"][0]["status"] == 2 and failed["spans"][0]["attributes"]["ccbuild.exit_code"] == 1
	w = [s for s in failed["spans"] if s["name"] == "build:worker"][0]
	assert w["status"] == 2 and "exit" in w["message"], w
	web = [s for s in failed["spans"] if s["name"] == "build:web"][0]
	assert web["status"] == 1 and web["attributes"]["ccbuild.step.cached"] is True, web
	scan = traces[4]
	sw = [s for s in scan["spans"] if s["name"] == "scan:web:policy"][0]
	bw = [s for s in scan["spans"] if s["name"] == "build:web"][0]
	assert sw["links"] == [bw["span_id"]], "a step links to the spans of its dependencies"
	assert sw["attributes"]["ccbuild_scan_findings.error"] == 1, sw
	cold = traces[0]
	b = [s for s in cold["spans"] if s["name"] == "build:web"][0]
	assert b["attributes"]["ccbuild_build_context_bytes_total"] > 30000, b
	PY
'

test_expect_success 'an external scanner gets TRACEPARENT naming its step span' '
	TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01 "$CCBUILD" traced &&
	tail -1 tr/traces.jsonl >last &&
	python3 -c "
import json
t = json.load(open(\"last\"))[\"resourceSpans\"][0][\"scopeSpans\"][0][\"spans\"]
s = [x for x in t if x[\"name\"] == \"scan:worker:tp\"][0]
want = \"00-%s-%s-01\" % (s[\"traceId\"], s[\"spanId\"])
got = open(\"traceparent\").read().strip()
assert got == want, (got, want)
"
'

test_expect_success 'OTLP/HTTP: the run is POSTed (protobuf by default, JSON when asked) to the collector the environment names' '
	rm -f port received &&
	{ $CHECK serve "$PROTO" port received & echo $! >receiver.pid; } &&
	for i in $(seq 100); do test -s port && break; sleep 0.1; done &&
	echo y >>worker/f &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) OTEL_EXPORTER_OTLP_HEADERS=x-token=s3cret \
		"$CCBUILD" dev 2>err &&
	! grep -i warning err &&
	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$(cat port)/v1/traces OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
		"$CCBUILD" dev 2>err &&
	! grep -i warning err &&
	kill $(cat receiver.pid) &&
	test $(wc -l <received) = 2 &&
	! grep "\"error\"" received &&
	head -1 received | grep "\"content_type\": \"application/x-protobuf\"" &&
	tail -1 received | grep "\"content_type\": \"application/json\"" &&
	head -1 received | grep "\"x-token\": \"s3cret\"" &&
	tail -2 tr/traces.jsonl >last2 &&
	python3 -c "
import json
got = [json.loads(l)[\"trace_id\"] for l in open(\"received\")]
want = [json.loads(l)[\"resourceSpans\"][0][\"scopeSpans\"][0][\"spans\"][0][\"traceId\"] for l in open(\"last2\")]
assert got == want, (got, want)
" &&
	! grep s3cret tr/traces.jsonl events.jsonl history.jsonl $F
'

test_expect_success 'an unreachable collector or an unsupported protocol warns; the run succeeds, soon' '
	port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])") &&
	start=$(date +%s%N) &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port "$CCBUILD" dev 2>err &&
	test $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 &&
	grep "warning: traces: OTLP collector http://127.0.0.1:$port/v1/traces: .*; the run.s trace is not exported" err &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port OTEL_EXPORTER_OTLP_PROTOCOL=grpc "$CCBUILD" dev 2>err &&
	grep "warning: traces: OTLP protocol .grpc. is not supported (http/protobuf or http/json)" err
'

test_expect_success 'an unwritable metrics directory warns, names the file, and the run goes on' '
	sed -i "s|metrics: prom|metrics: no/such/dir|" ccbuild.yaml &&
	"$CCBUILD" dev 2>err &&
	grep "warning: metrics no/such/dir/ccbuild-$P-dev.prom: " err
'

test_expect_success 'damaged totals are a warning, and counting starts again' '
	sed -i "s|metrics: no/such/dir|metrics: prom|" ccbuild.yaml &&
	echo "{not json" >.ccbuild/metrics-dev.json &&
	"$CCBUILD" dev 2>err &&
	grep "warning: metrics totals .ccbuild/metrics-dev.json unreadable" err &&
	promtool check metrics <$F &&
	test "$(metric "ccbuild_runs_total{profile=\"dev\",project=\"$P\",result=\"ok\"}" $F)" = 1
'

test_expect_success 'cleanup' '
	{ ! test -f receiver.pid || kill $(cat receiver.pid) 2>/dev/null || true; } &&
	test_remove_images $P
'

test_done
