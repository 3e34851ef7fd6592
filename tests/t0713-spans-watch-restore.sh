#!/bin/bash
# Traces for ccbuild watch and ccbuild restore (obs.h, obs_trace_*): each
# watch round is a trace "ccbuild watch PROFILE" whose actions are spans
# (watch.sync with its engine.archive.put, watch.restart with
# engine.container.stop/start, watch.rebuild), and a rebuild's profile run
# is a trace line of its own whose root span has the watch.rebuild span as
# parent (same trace id).  Each restore is a trace "ccbuild restore NAME"
# with its engine calls as children: a restore into a new volume writes
# (engine.archive.put) and reads back (engine.archive.get); one over the
# volume in use also runs the swap containers and stops and starts the
# service; a failed one is ERROR.  Written to traces.jsonl and sent to the
# OTLP receiver of t0711/t0712, decoded with the official protos.
. "$(dirname "$0")/test-lib.sh"
test_description 'traces: spans for watch actions and restores'
. "$SRCROOT/tests/lib/watch.sh"
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0713p$TEST_ID
PROTO=${CCBUILD_OTEL_PROTO:-/var/cache/ccbuild-peers/otel-proto/usr/include}
CHECK="/usr/bin/python3 $SRCROOT/tests/lib/otlp-check.py"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL \
	OTEL_EXPORTER_OTLP_TRACES_PROTOCOL OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_TRACES_HEADERS TRACEPARENT

cid_ () {
	docker ps -q --no-trunc --filter "label=com.docker.compose.project=$P" \
		--filter "label=com.docker.compose.service=web"
}

# traces_ NAME: the summaries of traces.jsonl's traces whose root span is NAME.
traces_ () {
	$CHECK file "$PROTO" proj/tr/traces.jsonl >all.sum &&
	python3 - "$1" <<-\PY
	import json, sys
	for line in open("all.sum"):
	    t = json.loads(line)
	    roots = [s for s in t["spans"] if s["parent"] is None]
	    if roots and roots[0]["name"] == sys.argv[1]:
	        print(line.strip())
	PY
}

# tree_ SUMMARY ACTION CHILD...: the last trace of SUMMARY has one span
# ACTION under its root, whose children are exactly CHILD... (in order),
# all OK and within their parents' times; prints ACTION's span id.
tree_ () {
	python3 - "$@" <<-\PY
	import json, sys
	t = json.loads(open(sys.argv[1]).read().splitlines()[-1])
	spans = t["spans"]
	ids = {s["span_id"] for s in spans}
	assert len(ids) == len(spans), "span ids not unique"
	root = [s for s in spans if s["parent"] is None]
	assert len(root) == 1, root
	root = root[0]
	for s in spans:
	    assert s["parent"] is None or s["parent"] in ids, s
	    assert s["scope"] == "ccbuild" and s["kind"] == 1, s
	act = [s for s in spans if s["parent"] == root["span_id"] and s["name"] == sys.argv[2]]
	assert len(act) == 1, (sys.argv[2], spans)
	act = act[0]
	assert root["start"] <= act["start"] <= act["end"] <= root["end"], (root, act)
	kids = [s for s in spans if s["parent"] == act["span_id"]]
	assert [k["name"] for k in kids] == sys.argv[3:], [k["name"] for k in kids]
	for k in kids + [act, root]:
	    assert k["status"] == 1, k
	for k in kids:
	    assert act["start"] <= k["start"] <= k["end"] <= act["end"], (act, k)
	print(act["span_id"])
	PY
}

cleanup_ () {
	{ ! test -f watch.pid || kill -9 "$(cat watch.pid)" 2>/dev/null; true; } &&
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; } &&
	for v in "${P}_data" "${P}_copy"; do docker volume rm "$v" >/dev/null 2>&1 || true; done &&
	test_remove_images "$P"
}

test_expect_success 'setup: a service with sync, sync+restart and rebuild entries, a volume backup; a receiver' '
	base_image_ensure >/dev/null &&
	test -f "$PROTO/opentelemetry/proto/trace/v1/trace.proto" &&
	mkdir -p proj/app/src proj/app/conf proj/app/pkg proj/tr &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	observability:
	  traces: tr
	backups:
	  data:
	    source: volume:${P}_data
	    destinations: [{path: repo}]
	profiles:
	  dev:
	    up: true
	  bk: {backups: [data]}
	EOF
	printf "FROM %s\nCOPY . /app\n" "$BASE_IMAGE" >proj/app/Dockerfile &&
	echo v1 >proj/app/src/a.txt && echo c1 >proj/app/conf/c.txt && echo p1 >proj/app/pkg/p.txt &&
	cat >proj/docker-compose.yml <<-EOF &&
	services:
	  web:
	    build: app
	    image: $P/web:latest
	    command: ["sh", "-c", "trap \"exit 0\" TERM; echo d1 >/data/d.txt; while :; do sleep 1; done"]
	    stop_grace_period: 1s
	    volumes: [data:/data]
	    develop:
	      watch:
	        - path: ./app/src
	          action: sync
	          target: /app/src
	        - path: ./app/conf
	          action: sync+restart
	          target: /app/conf
	        - path: ./app/pkg
	          action: rebuild
	volumes:
	  data: {}
	EOF
	{ $CHECK serve "$PROTO" port received & echo $! >receiver.pid; } &&
	for i in $(seq 100); do test -s port && break; sleep 0.1; done &&
	test -s port
'

test_expect_success 'watch: a sync round is a trace: watch.sync with its engine.archive.put' '
	( OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) && export OTEL_EXPORTER_OTLP_ENDPOINT &&
	  start_watch_ ) &&
	echo v2 >proj/app/src/a.txt &&
	wait_rounds_ 1 &&
	traces_ "ccbuild watch dev" >sync.sum &&
	test $(wc -l <sync.sum) = 1 &&
	tree_ sync.sum watch.sync engine.archive.put &&
	python3 -c "
import json
t = json.loads(open(\"sync.sum\").read())
s = [x for x in t[\"spans\"] if x[\"name\"] == \"watch.sync\"][0]
assert s[\"attributes\"][\"ccbuild.service\"] == \"web\", s
assert s[\"attributes\"][\"ccbuild.watch.copied\"] == 1, s
r = [x for x in t[\"spans\"] if x[\"parent\"] is None][0]
assert r[\"attributes\"][\"ccbuild.watch.round\"] == 1, r
" &&
	for i in $(seq 100); do grep -q "ccbuild watch dev" received && break; sleep 0.1; done &&
	grep "\"name\": \"ccbuild watch dev\"" received >rx &&
	test $(wc -l <rx) = 1 && ! grep "\"error\"" received &&
	tree_ rx watch.sync engine.archive.put
'

test_expect_success 'watch: sync+restart: watch.sync, then watch.restart with the stop and the start' '
	echo c2 >proj/app/conf/c.txt &&
	wait_rounds_ 2 &&
	traces_ "ccbuild watch dev" >restart.sum &&
	test $(wc -l <restart.sum) = 2 &&
	tree_ restart.sum watch.sync engine.archive.put &&
	tree_ restart.sum watch.restart engine.container.stop engine.container.start
'

test_expect_success 'watch: a rebuild is watch.rebuild, the parent of the run trace it caused' '
	echo p2 >proj/app/pkg/p.txt &&
	wait_rounds_ 3 &&
	grep -a "\"event\":\"watch\"" watch.out | tail -n 1 | grep -q "\"ran\":true" &&
	traces_ "ccbuild watch dev" >rebuild.sum &&
	test $(wc -l <rebuild.sum) = 3 &&
	id=$(tree_ rebuild.sum watch.rebuild) &&
	$CHECK file "$PROTO" proj/tr/traces.jsonl >all.sum &&
	python3 - "$id" <<-\PY
	import json, sys
	traces = [json.loads(l) for l in open("all.sum")]
	w = json.loads(open("rebuild.sum").read().splitlines()[-1])
	runs = [t for t in traces if any(s["parent"] == sys.argv[1] for s in t["spans"])]
	assert len(runs) == 1, runs
	run = runs[0]
	assert run["trace_id"] == w["trace_id"], (run["trace_id"], w["trace_id"])
	root = [s for s in run["spans"] if s["parent"] == sys.argv[1]][0]
	assert root["name"] == "ccbuild dev", root
	rb = [s for s in w["spans"] if s["span_id"] == sys.argv[1]][0]
	assert rb["start"] <= root["start"] <= root["end"] <= rb["end"], (rb, root)
	assert rb["attributes"]["ccbuild.exit_code"] == 0, rb
	build = [s for s in run["spans"] if s["name"] == "build:web"][0]
	assert build["attributes"]["ccbuild.step.status"] == "done", build
	assert [s["name"] for s in run["spans"] if s["parent"] == build["span_id"]] == ["engine.build"]
	PY
'

test_expect_success 'watch ends with SIGINT (130)' '
	kill -s INT "$(cat watch.pid)" &&
	for i in $(seq 100); do test -f watch.rc && break; sleep 0.1; done &&
	test "$(cat watch.rc)" = 130 && rm -f watch.pid
'

test_expect_success 'restore into a new volume: a trace with engine.archive.put, then .get' '
	"$CCBUILD" -C proj bk 2>err && cat err &&
	n=$(grep -c "\"name\": \"ccbuild restore data\"" received || true) &&
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$(cat port) \
		"$CCBUILD" -C proj restore bk data --to volume:${P}_copy 2>err && cat err &&
	! grep -i "warning: traces" err &&
	traces_ "ccbuild restore data" >r1.sum && test $(wc -l <r1.sum) = 1 &&
	python3 - r1.sum <<-\PY &&
	import json, sys
	t = json.loads(open(sys.argv[1]).read())
	root = [s for s in t["spans"] if s["parent"] is None][0]
	kids = [s for s in t["spans"] if s["parent"] == root["span_id"]]
	assert [k["name"] for k in kids] == ["engine.archive.put", "engine.archive.get"], kids
	for k in kids + [root]:
	    assert k["status"] == 1, k
	for k in kids:
	    assert root["start"] <= k["start"] <= k["end"] <= root["end"], (root, k)
	assert kids[0]["attributes"]["ccbuild.volume"].endswith("_copy"), kids[0]
	assert root["attributes"]["ccbuild.backup"] == "data", root
	assert root["attributes"]["ccbuild.restore.entries"] >= 1, root
	PY
	for i in $(seq 100); do
		test "$(grep -c "\"name\": \"ccbuild restore data\"" received)" -gt "$n" && break; sleep 0.1
	done &&
	test "$(grep -c "\"name\": \"ccbuild restore data\"" received)" = $((n + 1))
'

test_expect_success 'restore over the volume in use: the swap containers, the stop and the start are spans' '
	"$CCBUILD" -C proj restore bk data 2>err && cat err &&
	traces_ "ccbuild restore data" >r2.sum && test $(wc -l <r2.sum) = 2 &&
	python3 - r2.sum <<-\PY
	import json, sys
	t = json.loads(open(sys.argv[1]).read().splitlines()[-1])
	root = [s for s in t["spans"] if s["parent"] is None][0]
	names = [s["name"] for s in t["spans"] if s["parent"] == root["span_id"]]
	print(names)
	for want in ("engine.archive.put", "engine.archive.get", "engine.container.stop",
	             "engine.container.run", "engine.container.start"):
	    assert want in names, (want, names)
	assert names.index("engine.container.stop") < names.index("engine.container.run") \
	    < names.index("engine.container.start"), names
	assert all(s["status"] == 1 for s in t["spans"]), t["spans"]
	PY
'

test_expect_success 'a failed restore is an ERROR span' '
	test_expect_code 1 "$CCBUILD" -C proj restore bk data --to volume:${P}_copy 2>err &&
	grep -q "exists already" err &&
	traces_ "ccbuild restore data" >r3.sum && test $(wc -l <r3.sum) = 3 &&
	python3 - r3.sum <<-\PY
	import json, sys
	t = json.loads(open(sys.argv[1]).read().splitlines()[-1])
	root = [s for s in t["spans"] if s["parent"] is None][0]
	assert root["status"] == 2 and "exit code 1" in root["message"], root
	PY
'

test_expect_success 'a dry run leaves no trace' '
	"$CCBUILD" -C proj --dry-run restore bk data >out 2>err && cat out &&
	traces_ "ccbuild restore data" >r4.sum && test $(wc -l <r4.sum) = 3
'

test_expect_success 'cleanup' '
	kill $(cat receiver.pid) &&
	cleanup_
'

test_done
