#!/bin/bash
# The events log of every run (issue #17): observability.events in the
# manifest, --events, $CCBUILD_EVENTS; run_start/run_end; whole lines from
# runs appending at once and from a killed run; rotation; an unwritable
# path warns and the run goes on.
. "$(dirname "$0")/test-lib.sh"
test_description 'every run appends its events to a JSON-lines log'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0600p$TEST_ID
export CI=1

# check_log FILE...: every line of every FILE is a JSON object of format 1
# ending in a newline; prints "RUNS STEP_ENDS" (runs counted by run_start,
# each with the same run_id on all its lines and, unless KILLED=1, a
# run_end).
check_log () {
	python3 - "$@" <<-'PY'
	import json, sys, collections
	runs = collections.defaultdict(list)
	for path in sys.argv[1:]:
	    data = open(path, "rb").read()
	    assert data == b"" or data.endswith(b"\n"), "%s: last line torn" % path
	    for n, line in enumerate(data.split(b"\n")[:-1], 1):
	        ev = json.loads(line)
	        assert ev["v"] == 1 and len(ev["run_id"]) == 32, "%s:%d" % (path, n)
	        assert ev["ts"].endswith("Z")
	        runs[ev["run_id"]].append(ev["event"])
	import os
	killed = os.environ.get("KILLED") == "1"
	for rid, evs in runs.items():
	    assert evs.count("run_start") == 1, (rid, evs)
	    assert killed or evs.count("run_end") == 1, (rid, evs)
	print(len(runs), sum(e.count("step_end") for e in runs.values()))
	PY
}

test_expect_success 'setup: a project of three images' '
	base_image_ensure >/dev/null &&
	mkdir -p a b c &&
	for d in a b c; do
		printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >$d/Dockerfile &&
		echo "$d $P" >$d/f || return 1
	done &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	images:
	  a: {context: a}
	  b: {context: b}
	  c: {context: c}
	observability:
	  events: logs/events.jsonl
	profiles:
	  dev: {}
	YAML
'

test_expect_success 'an unwritable events path warns, names it, and the run goes on' '
	"$CCBUILD" dev 2>err &&
	grep "warning: events log logs/events.jsonl: No such file or directory; this run is not logged" err &&
	! test -e logs/events.jsonl
'

test_expect_success 'the manifest path (relative to the manifest): run_start, steps, run_end' '
	mkdir logs && echo x >>a/f &&
	"$CCBUILD" dev &&
	test "$(check_log logs/events.jsonl)" = "1 3" &&
	head -1 logs/events.jsonl | grep "\"event\":\"run_start\",\"project\":\"$P\",\"profile\":\"dev\",\"user\":\"$(id -un)\",\"host\":\"$(hostname)\"" &&
	tail -1 logs/events.jsonl | grep "\"event\":\"run_end\",\"project\":\"$P\",\"profile\":\"dev\",\"exit_code\":0," &&
	grep "\"event\":\"step_end\",\"step\":\"build:a\",\"kind\":\"build\",\"status\":\"done\"" logs/events.jsonl | grep "\"span_id\":\"[0-9a-f]\{16\}\"" &&
	grep -c "\"status\":\"up-to-date\"" logs/events.jsonl >n && test "$(cat n)" = 2
'

test_expect_success 'the same events as --json prints, in the same order' '
	echo y >>b/f &&
	"$CCBUILD" --json dev >stdout &&
	tail -n +2 logs/events.jsonl | python3 -c "
import json, sys
logged = [json.loads(l) for l in sys.stdin][-1 - $(wc -l <stdout):-1]
printed = [json.loads(l) for l in open(\"stdout\")]
strip = lambda e: {k: v for k, v in e.items() if k not in (\"v\", \"ts\", \"run_id\", \"span_id\")}
assert [strip(e) for e in logged] == printed, (logged, printed)
"
'

test_expect_success '--events and CCBUILD_EVENTS take the place of the manifest path' '
	"$CCBUILD" --events flag.jsonl dev &&
	CCBUILD_EVENTS=env.jsonl "$CCBUILD" dev &&
	CCBUILD_EVENTS=env.jsonl "$CCBUILD" --events flag.jsonl dev &&
	test "$(check_log flag.jsonl)" = "2 6" &&
	test "$(check_log env.jsonl)" = "1 3" &&
	test "$(check_log logs/events.jsonl)" = "2 6"
'

test_expect_success 'a failed step: its error and the exit code are logged' '
	printf "FROM %s\nRUN exit 7\n" "$BASE_IMAGE" >c/Dockerfile &&
	test_expect_code 1 "$CCBUILD" --events fail.jsonl dev &&
	grep "\"step\":\"build:c\",\"kind\":\"build\",\"status\":\"failed\"" fail.jsonl | grep "\"error\":" &&
	tail -1 fail.jsonl | grep "\"exit_code\":1," &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >c/Dockerfile
'

# Two projects (two state directories, so their runs do not wait for each
# other) of 6 images each, 4 runs each at once into one log that rotates
# every 4 KiB, keeping 100 files: every line whole, every run complete.
test_expect_success 'runs appending at once, with rotation, leave only whole lines' '
	for q in q1 q2; do
		mkdir -p $q && (cd $q &&
		for d in 1 2 3 4 5 6; do
			mkdir -p i$d && printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >i$d/Dockerfile &&
			echo "$q $d $P" >i$d/f || exit 1
		done &&
		cat >ccbuild.yaml <<-YAML
		ccbuild: 1
		project: $P-$q
		images: {i1: {context: i1}, i2: {context: i2}, i3: {context: i3}, i4: {context: i4}, i5: {context: i5}, i6: {context: i6}}
		observability:
		  events: {path: $TRASH/shared.jsonl, max_size: 4k, keep: 100}
		profiles:
		  dev: {}
		YAML
		) || return 1
	done &&
	for n in 1 2 3 4; do
		(cd q1 && echo $n >>i$n/f && "$CCBUILD" -j3 dev >/dev/null 2>&1) &
		p1=$!
		(cd q2 && echo $n >>i$n/f && "$CCBUILD" -j3 dev >/dev/null 2>&1) &
		p2=$!
		wait $p1 || return 1
		wait $p2 || return 1
	done &&
	ls shared.jsonl.* >rotated && test $(wc -l <rotated) -ge 2 &&
	test "$(check_log shared.jsonl shared.jsonl.*)" = "8 48"
'

test_expect_success 'a killed run leaves whole lines (and no run_end)' '
	printf "FROM %s\nRUN sleep 5 && echo %s\n" "$BASE_IMAGE" "$P" >c/Dockerfile || return 1
	"$CCBUILD" --events killed.jsonl dev >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 50); do grep -q "step_run\",\"step\":\"build:c" killed.jsonl 2>/dev/null && break; sleep 0.1; done &&
	kill -KILL $pid && { wait $pid; true; } &&
	KILLED=1 check_log killed.jsonl >out && test "$(cat out)" = "1 2" &&
	! grep run_end killed.jsonl
'

test_expect_success 'bad observability settings are manifest errors with their position' '
	cat >bad.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	observability:
	  events: {path: x, max_size: lots, keep: 0}
	  metric: m
	profiles: {dev: {}}
	YAML
	test_expect_code 2 "$CCBUILD" -f bad.yaml lint 2>err &&
	grep "bad.yaml:4:.*max_size: .lots. is not a size" err &&
	grep "bad.yaml:4:.*keep must be a number from 1 to 1000" err &&
	grep "bad.yaml:5:.*unknown key .metric. in observability (did you mean .metrics.?)" err
'

test_expect_success 'cleanup' '
	test_remove_images $P
'

test_done
