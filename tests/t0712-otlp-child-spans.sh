#!/bin/bash
# Child spans of the engine calls inside a step (issue #17, subspan.h): a
# profile that builds an image and deploys it with a healthcheck leaves,
# under build:web's span, an "engine.build" span (the POST /build) and,
# under up:web's span, a "deploy.health_wait" span; each lies within its
# step's span and has its step's span as parent.  A failed build's child
# span has status ERROR with the build's error.  The receiver decodes the
# protobuf with the official opentelemetry-proto definitions
# (tests/lib/otlp-check.py) and the file exporter's line says the same.
# A volume backup's read is an "engine.archive.get" child span, and its
# quiesce exec hook gets TRACEPARENT naming the backup's span.
. "$(dirname "$0")/test-lib.sh"
test_description 'traces: child spans for engine calls (build, health wait)'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0712p$TEST_ID
export CI=1
PROTO=${CCBUILD_OTEL_PROTO:-/var/cache/ccbuild-peers/otel-proto/usr/include}
CHECK="/usr/bin/python3 $SRCROOT/tests/lib/otlp-check.py"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL \
	OTEL_EXPORTER_OTLP_TRACES_PROTOCOL OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_TRACES_HEADERS

# children SUMMARY STEP CHILD STATUS: STEP's span has exactly one child
# named CHILD, with STATUS, within the step's times; prints its message.
children () {
	python3 - "$@" <<-'PY'
	import json, sys
	t = json.load(open(sys.argv[1]))
	step, child, status = sys.argv[2], sys.argv[3], int(sys.argv[4])
	spans = t["spans"]
	ids = {s["span_id"] for s in spans}
	assert len(ids) == len(spans), "span ids not unique"
	parent = [s for s in spans if s["name"] == step]
	assert len(parent) == 1, parent
	parent = parent[0]
	kids = [s for s in spans if s["parent"] == parent["span_id"]]
	assert [k["name"] for k in kids] == [child], kids
	k = kids[0]
	assert k["status"] == status, k
	assert parent["start"] <= k["start"] <= k["end"] <= parent["end"], (parent, k)
	assert k["end"] > k["start"], k
	assert k["scope"] == "ccbuild" and k["kind"] == 1, k
	for s in spans:  # every span but the root has a parent in the trace
	    assert s["parent"] is None or s["parent"] in ids, s
	print(json.dumps({"message": k["message"], "attributes": k["attributes"]}))
	PY
}

cleanup_ () {
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; } &&
	{ docker volume rm "${P}_data" >/dev/null 2>&1 || true; } &&
	test_remove_images "$P"
}

test_expect_success 'setup: a built service with a healthcheck; traces on; a receiver' '
	base_image_ensure >/dev/null &&
	test -f "$PROTO/opentelemetry/proto/trace/v1/trace.proto" &&
	mkdir -p web tr &&
	printf "FROM %s\nRUN echo %s >/f\n" "$BASE_IMAGE" "$P" >web/Dockerfile &&
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	observability:
	  traces: tr
	backups:
	  data:
	    source: volume:${P}_data
	    quiesce:
	      exec:
	        service: web
	        command: [sh, -c, "echo \"\$TRACEPARENT\" >/data/tp"]
	    destinations: [{path: repo}]
	syncs:
	  cfg:
	    from: cfgsrc
	    to: volume:data/cfg
	profiles:
	  dev:
	    up: true
	  bk: {backups: [data]}
	  sy: {syncs: [cfg]}
	EOF
	mkdir cfgsrc && echo "$P" >cfgsrc/a.conf &&
	cat >docker-compose.yml <<-EOF &&
	services:
	  web:
	    build: web
	    image: $P/web:latest
	    command: ["sh", "-c", "trap \"exit 0\" TERM; sleep 1; touch /ready; while :; do sleep 1; done"]
	    healthcheck:
	      test: ["CMD", "test", "-e", "/ready"]
	      interval: 1s
	      timeout: 2s
	      retries: 5
	    volumes: [data:/data]
	volumes:
	  data: {}
	EOF
	{ $CHECK serve "$PROTO" port received & echo $! >receiver.pid; } &&
	for i in $(seq 100); do test -s port && break; sleep 0.1; done &&
	test -s port
'

test_expect_success 'build and up: engine.build under build:web, deploy.health_wait under up:web' '
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) "$CCBUILD" dev 2>err &&
	! grep -i "warning: traces" err &&
	test $(wc -l <received) = 1 && ! grep "\"error\"" received &&
	tail -1 received >got &&
	$CHECK file "$PROTO" tr/traces.jsonl >from-file &&
	children got build:web engine.build 1 >build.out && cat build.out &&
	children from-file build:web engine.build 1 &&
	grep "\"ccbuild.build.sent_bytes\": [1-9]" build.out &&
	children got up:web deploy.health_wait 1 >wait.out && cat wait.out &&
	grep "\"ccbuild.wait.started\": true" wait.out &&
	python3 -c "
import json
s = {x[\"name\"]: x for x in json.load(open(\"got\"))[\"spans\"]}
w = s[\"deploy.health_wait\"]
assert w[\"end\"] - w[\"start\"] >= 900 * 10**6, w  # the healthcheck needs a second
"
'

test_expect_success 'backup: engine.archive.get under backup:data; its quiesce exec hook gets TRACEPARENT' '
	TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01 "$CCBUILD" bk 2>err &&
	cat err && ! grep -i "warning: traces" err &&
	docker exec "$(docker ps -q --filter label=com.docker.compose.project=$P)" cat /data/tp >tp &&
	cat tp &&
	tail -1 tr/traces.jsonl >last &&
	python3 -c "
import json
t = json.load(open(\"last\"))[\"resourceSpans\"][0][\"scopeSpans\"][0][\"spans\"]
s = [x for x in t if x[\"name\"] == \"backup:data\"][0]
want = \"00-%s-%s-01\" % (s[\"traceId\"], s[\"spanId\"])
got = open(\"tp\").read().strip()
assert got == want, (got, want)
" &&
	$CHECK file "$PROTO" last >bk.sum &&
	children bk.sum backup:data engine.archive.get 1 >get.out && cat get.out &&
	grep "\"ccbuild.archive.entries\": [1-9]" get.out
'

test_expect_success 'sync into a volume: its archive transfers are child spans of sync:cfg' '
	"$CCBUILD" sy 2>err && cat err &&
	tail -1 tr/traces.jsonl >last &&
	$CHECK file "$PROTO" last >sy.sum &&
	python3 - sy.sum <<-\PY
	import json, sys
	spans = json.load(open(sys.argv[1]))["spans"]
	p = [s for s in spans if s["name"] == "sync:cfg"][0]
	kids = [s for s in spans if s["parent"] == p["span_id"]]
	names = [k["name"] for k in kids]
	print(names)
	assert "engine.archive.get" in names and "engine.archive.put" in names, names
	for k in kids:
	    assert k["status"] == 1, k
	    assert p["start"] <= k["start"] <= k["end"] <= p["end"], (p, k)
	put = [k for k in kids if k["name"] == "engine.archive.put"][0]
	assert put["attributes"]["ccbuild.archive.bytes"] > 0, put
	PY
'

test_expect_success 'a failed build: its engine.build child span has status ERROR and the error' '
	cleanup_ &&
	printf "FROM %s\nRUN exit 3\n" "$BASE_IMAGE" >web/Dockerfile &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) test_expect_code 1 "$CCBUILD" dev 2>err &&
	! grep -i "warning: traces" err &&
	test $(wc -l <received) = 2 && ! grep "\"error\"" received &&
	tail -1 received >got &&
	children got build:web engine.build 2 >build.out && cat build.out &&
	grep "\"message\": \".*3" build.out &&
	python3 -c "
import json
s = {x[\"name\"]: x for x in json.load(open(\"got\"))[\"spans\"]}
assert s[\"build:web\"][\"status\"] == 2, s[\"build:web\"]
assert \"deploy.health_wait\" not in s, s
"
'

test_expect_success 'push: engine.push under push:img' '
	mkdir -p sh/img sh/tr &&
	printf "FROM %s\nRUN echo %s-push >/f\n" "$BASE_IMAGE" "$P" >sh/img/Dockerfile &&
	cat >sh/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: ${P}s
	registry: 127.0.0.1:5000/${P}s
	images:
	  img: {context: img}
	observability: {traces: tr}
	profiles:
	  prod: {push: true}
	EOF
	"$CCBUILD" -C sh prod 2>err && cat err &&
	$CHECK file "$PROTO" sh/tr/traces.jsonl >sh.sum &&
	children sh.sum push:img engine.push 1 &&
	children sh.sum build:img engine.build 1
'

test_expect_success 'cleanup' '
	test_remove_images "${P}s" &&
	kill $(cat receiver.pid) &&
	cleanup_
'

test_done
