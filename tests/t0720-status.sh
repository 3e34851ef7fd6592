#!/bin/bash
# ccbuild status PROFILE [--json] (issue #17): the last run of each step,
# deploy health as last seen, the newest snapshot per backup, the last sync
# per sync — from the state directory alone, so it answers with no engine.
# And the figures of those kinds in the metrics file (promtool accepts it):
# sync files/bytes/verify failures, backup new/total bytes, dedup ratio,
# verify results, last success; up containers created/recreated and the
# health wait.
. "$(dirname "$0")/test-lib.sh"
test_description 'status: what the last runs left, from the state alone'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0720p$TEST_ID
export CI=1

# field JSONFILE EXPR: a Python expression over the document d, as JSON.
field () {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}

test_expect_success 'setup: an image, a sync and a backup' '
	base_image_ensure >/dev/null &&
	mkdir -p a src dst prom &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >a/Dockerfile &&
	echo "$P" >a/f && echo hello >src/x && echo world >src/y &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	images:
	  a: {context: a}
	syncs:
	  cfg: {from: src, to: dst/cfg}
	backups:
	  data:
	    source: path:src
	    destinations: [{path: repo}]
	    verify: 100%
	observability:
	  metrics: prom
	profiles:
	  dev:
	    syncs: [cfg]
	    backups: [data]
	YAML
'

test_expect_success 'before any run: nothing recorded, every step never run' '
	"$CCBUILD" status dev >out 2>err && cat out &&
	grep "no run recorded" out &&
	grep "build:a .*never run" out &&
	grep "repository: backup data: no destination can be read" out &&
	"$CCBUILD" status dev --json >s.json &&
	test "$(field s.json "d[\"run\"]")" = null &&
	test "$(field s.json "sorted(set(s[\"status\"] for s in d[\"steps\"]))")" = "[\"never run\"]" &&
	test "$(field s.json "len(d[\"steps\"])")" = 3
'

test_expect_success 'after a run: each step, the run, the backup and the sync' '
	"$CCBUILD" dev >run.out 2>&1 &&
	"$CCBUILD" status dev >out && cat out &&
	grep "last run [0-9]*s ago (ccbuild run), exit code 0" out &&
	grep "build:a .*build  done .*ago .*took" out &&
	grep "sync:cfg .*done" out &&
	grep "backup:data .*done" out &&
	grep "newest snapshot [0-9a-f]\{16\}, [0-9]*s ago (2 files, 12 bytes) in .*repo" out &&
	"$CCBUILD" status dev --json >s.json &&
	test "$(field s.json "[d[\"run\"][\"exit_code\"], d[\"run\"][\"command\"]]")" = "[0, \"run\"]" &&
	test "$(field s.json "{s[\"step\"]: s[\"status\"] for s in d[\"steps\"]}[\"build:a\"]")" = "\"done\"" &&
	test "$(field s.json "d[\"backups\"][0][\"newest\"][\"files\"]")" = 2 &&
	test "$(field s.json "d[\"backups\"][0][\"snapshots\"]")" = 1 &&
	test "$(field s.json "d[\"syncs\"][0][\"step\"][\"status\"]")" = "\"done\"" &&
	test "$(field s.json "d[\"steps\"][0][\"age_seconds\"] < 60")" = true
'

test_expect_success 'status asks no engine: it answers with DOCKER_HOST pointing nowhere' '
	DOCKER_HOST=unix:///nonexistent/docker.sock timeout 10 "$CCBUILD" status dev >out 2>err &&
	grep "build:a .*done" out && ! grep -i engine err
'

test_expect_success 'a failed step: its error, and when it last succeeded' '
	printf "FROM %s\nRUN false\n" "$BASE_IMAGE" >a/Dockerfile &&
	test_must_fail "$CCBUILD" dev >run.out 2>&1 &&
	"$CCBUILD" status dev >out && cat out &&
	grep "exit code 1" out &&
	grep "build:a .*failed .*(last success [0-9]*s ago)" out &&
	grep "      error: " out &&
	"$CCBUILD" status dev --json >s.json &&
	test "$(field s.json "[s for s in d[\"steps\"] if s[\"step\"] == \"build:a\"][0][\"last_success_age_seconds\"] < 120")" = true
'

test_expect_success 'ccbuild sync updates the sync entry, as a run by sync' '
	echo again >src/z &&
	"$CCBUILD" sync dev >/dev/null 2>&1 &&
	"$CCBUILD" status dev --json >s.json &&
	test "$(field s.json "d[\"run\"][\"command\"]")" = "\"sync\"" &&
	test "$(field s.json "d[\"syncs\"][0][\"step\"][\"status\"]")" = "\"done\""
'

test_expect_success 'a damaged record is a warning, and status still answers' '
	echo "{not json" >.ccbuild/lastrun.json &&
	"$CCBUILD" status dev >out 2>err &&
	grep "warning: .*lastrun.json unreadable" err &&
	grep "no run recorded" out &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >a/Dockerfile &&
	"$CCBUILD" dev >run.out 2>&1 &&
	"$CCBUILD" status dev >out && grep "exit code 0" out
'

# metric NAME{LABELS} FILE: the value of that exact series
metric () {
	grep -F "$1 " "$2" | sed "s/.* //"
}

test_expect_success 'sync and backup figures in the metrics file, accepted by promtool' '
	F=prom/ccbuild-$P-dev.prom &&
	promtool check metrics <$F &&
	S="kind=\"sync\",profile=\"dev\",project=\"$P\",step=\"sync:cfg\"" &&
	B="kind=\"backup\",profile=\"dev\",project=\"$P\",step=\"backup:data\"" &&
	test "$(metric "ccbuild_sync_files_total{action=\"copied\",$S}" $F)" = 2 &&
	test "$(metric "ccbuild_sync_files_total{action=\"deleted\",$S}" $F)" = 0 &&
	test "$(metric "ccbuild_sync_bytes_total{$S}" $F)" = 12 &&
	test "$(metric "ccbuild_sync_verify_failures_total{$S}" $F)" = 0 &&
	test "$(metric "ccbuild_backup_snapshot_bytes{$B}" $F)" = 18 &&
	test "$(metric "ccbuild_backup_verify_problems{$B}" $F)" = 0 &&
	test "$(metric "ccbuild_backup_degraded_destinations{$B}" $F)" = 0 &&
	new=$(metric "ccbuild_backup_new_bytes_total{$B}" $F) && test "$new" -ge 18 &&
	stored=$(metric "ccbuild_backup_stored_bytes_total{$B}" $F) && test "$stored" -gt 0 &&
	r=$(metric "ccbuild_backup_dedup_ratio{$B}" $F) && test "$(echo "$r >= 0 && $r <= 1" | bc)" = 1 &&
	test "$(metric "ccbuild_backup_verified_bytes_total{$B}" $F)" -gt 0 &&
	ok=$(metric "ccbuild_backup_last_success_timestamp_seconds{$B}" $F) &&
	now=$(date +%s) && test "${ok%.*}" -le "$now" && test "${ok%.*}" -gt $((now - 120)) &&
	"$CCBUILD" dev >/dev/null 2>&1 &&
	ok2=$(metric "ccbuild_backup_last_success_timestamp_seconds{$B}" $F) &&
	test "$(echo "$ok2 >= $ok" | bc)" = 1
'

test_expect_success 'deploy: containers created, then recreated; health wait; status shows them' '
	D=${P}d &&
	mkdir -p dep/prom &&
	cat >dep/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $D
	compose: [docker-compose.yml]
	observability: {metrics: prom}
	profiles:
	  dev: {up: true}
	EOF
	cat >dep/docker-compose.yml <<-EOF &&
	services:
	  db:
	    image: $BASE_IMAGE
	    command: ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1; done"]
	    environment: {V: "1"}
	    stop_grace_period: 1s
	    healthcheck:
	      test: ["CMD", "true"]
	      interval: 1s
	      timeout: 2s
	      retries: 2
	EOF
	"$CCBUILD" -C dep dev >run.out 2>&1 &&
	F=dep/prom/ccbuild-$D-dev.prom && promtool check metrics <$F &&
	U="kind=\"up\",profile=\"dev\",project=\"$D\",step=\"up:db\"" &&
	test "$(metric "ccbuild_up_containers_created_total{change=\"new\",$U}" $F)" = 1 &&
	w=$(metric "ccbuild_up_health_wait_seconds_total{$U}" $F) && test "$(echo "$w > 0" | bc)" = 1 &&
	sed -i "s/V: \"1\"/V: \"2\"/" dep/docker-compose.yml &&
	"$CCBUILD" -C dep dev >run.out 2>&1 &&
	promtool check metrics <$F &&
	test "$(metric "ccbuild_up_containers_created_total{change=\"recreated\",$U}" $F)" = 1 &&
	"$CCBUILD" -C dep status dev >out && cat out &&
	grep "up:db .*up     done" out &&
	grep "container $D-db-1: running and healthy when last seen" out
'

test_expect_success 'status needs a profile that exists' '
	test_expect_code 2 "$CCBUILD" status 2>err &&
	test_expect_code 2 "$CCBUILD" status nope 2>err && grep nope err
'

test_expect_success 'cleanup' '
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=${P}d") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}d_default" >/dev/null 2>&1 || true; } &&
	test_remove_images "$P"
'

test_done
