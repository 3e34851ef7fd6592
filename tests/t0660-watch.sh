#!/bin/bash
# ccbuild watch PROFILE (cmd-watch.c) against the real engine: the first
# round deploys, then a develop.watch sync edit reaches the running
# container (no step runs), sync+restart restarts it (StartedAt changes),
# a rebuild entry rebuilds and recreates (new container id, new content),
# a sync source re-runs its sync: step, an edit that .dockerignore or the
# entry's ignore covers does nothing (no event at all), a deleted file is
# removed in the container; a change made while no watch ran is found on
# start; plan gives the same answer with a watcher running as without;
# SIGINT exits 130 and SIGTERM 143, promptly.  Latency: bench/watch.sh.
. "$(dirname "$0")/test-lib.sh"
test_description 'watch: develop.watch sync, sync+restart, rebuild; ignores; signals'
. "$SRCROOT/tests/lib/watch.sh"

test_need_docker
P=t0660p$TEST_ID

cid_ () {
	docker ps -q --no-trunc --filter "label=com.docker.compose.project=$P" \
		--filter "label=com.docker.compose.service=web"
}

# stop_watch_ SIG: signal the watcher, which must be gone within 5 s;
# its exit status in $rc.
stop_watch_ () {
	kill -s "$1" "$(cat watch.pid)" || return 1
	for i in $(seq 50); do test -f watch.rc && break; sleep 0.1; done
	if ! test -f watch.rc; then
		kill -9 "$(cat watch.pid)"; echo "still running 5 s after SIG$1"; return 1
	fi
	rc=$(cat watch.rc)
	rm -f watch.pid
}

cleanup_ () {
	{ ! test -f watch.pid || kill -9 "$(cat watch.pid)" 2>/dev/null; true; } &&
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; } &&
	test_remove_images "$P"
}

test_expect_success 'setup: a service with develop.watch sync, sync+restart, rebuild; a sync' '
	mkdir -p proj/app/src proj/app/conf proj/app/pkg proj/cfg &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	syncs:
	  cfg:
	    from: cfg
	    to: staging/cfg
	    exclude: ["*.bak"]
	profiles:
	  dev:
	    up: true
	    syncs: [cfg]
	EOF
	printf "FROM ccbuild-test/busybox:latest\nCOPY . /app\n" >proj/app/Dockerfile &&
	printf "*.log\nsrc/*.log\n" >proj/app/.dockerignore &&
	echo v1 >proj/app/src/a.txt && echo gone >proj/app/src/old.txt &&
	echo c1 >proj/app/conf/c.txt && echo p1 >proj/app/pkg/p.txt &&
	echo k1 >proj/cfg/k.conf &&
	cat >proj/docker-compose.yml <<-EOF &&
	services:
	  web:
	    build: app
	    image: $P/web:latest
	    command: ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1; done"]
	    stop_grace_period: 1s
	    develop:
	      watch:
	        - path: ./app/src
	          action: sync
	          target: /app/src
	          ignore: ["*.tmp"]
	        - path: ./app/conf
	          action: sync+restart
	          target: /app/conf
	        - path: ./app/pkg
	          action: rebuild
	EOF
	"$CCBUILD" -C proj plan dev >plan && grep -q "up:web" plan && grep -q "sync:cfg" plan
'

test_expect_success 'usage errors: an extra argument, a bad --debounce' '
	test_expect_code 2 "$CCBUILD" -C proj watch dev extra 2>err &&
	grep -q "unexpected argument .extra." err &&
	test_expect_code 2 "$CCBUILD" -C proj watch dev --debounce 0 2>err &&
	grep -q "debounce needs milliseconds" err
'

test_expect_success 'the first round builds, deploys and syncs, then it watches' '
	start_watch_ &&
	grep -aq "\"step\":\"build:web\".*\"status\":\"done\"" watch.out &&
	grep -aq "\"step\":\"up:web\".*\"status\":\"done\"" watch.out &&
	test "$(cat proj/staging/cfg/k.conf)" = k1 &&
	test -n "$(cid_)" &&
	test "$(docker exec "$(cid_)" cat /app/src/a.txt)" = v1
'

test_expect_success 'a sync edit reaches the container, and no step runs' '
	lines=$(wc -l <watch.out) &&
	id=$(cid_) &&
	echo v2 >proj/app/src/a.txt &&
	wait_rounds_ 1 &&
	test "$(docker exec "$id" cat /app/src/a.txt)" = v2 &&
	last_round_ | grep -q "\"synced\":{\"web\":1}" &&
	last_round_ | grep -q "\"ran\":false" &&
	tail -n +$((lines + 1)) watch.out >new &&
	! grep -q "step_start" new &&
	test "$(cid_)" = "$id"
'

test_expect_success 'a new directory and a deleted file are synced too' '
	mkdir -p proj/app/src/deep/er && echo n >proj/app/src/deep/er/n.txt &&
	rm proj/app/src/old.txt &&
	wait_rounds_ 2 &&
	for i in $(seq 50); do
		docker exec "$(cid_)" test -f /app/src/deep/er/n.txt &&
		! docker exec "$(cid_)" test -e /app/src/old.txt && break
		sleep 0.1
	done &&
	test "$(docker exec "$(cid_)" cat /app/src/deep/er/n.txt)" = n &&
	test_must_fail docker exec "$(cid_)" test -e /app/src/old.txt
'

test_expect_success 'an ignored edit (.dockerignore, the entry ignore, a sync exclude) does nothing' '
	n=$(rounds_) && lines=$(wc -l <watch.out) &&
	echo x >proj/app/src/scratch.tmp &&
	echo x >proj/app/debug.log && echo x >proj/app/src/trace.log &&
	echo x >proj/cfg/k.conf.bak &&
	sleep 1.5 &&
	test "$(rounds_)" = "$n" &&
	test "$(wc -l <watch.out)" = "$lines" &&
	test_must_fail docker exec "$(cid_)" test -e /app/src/scratch.tmp &&
	! test -e proj/staging/cfg/k.conf.bak
'

test_expect_success 'sync+restart copies, then restarts the container' '
	n=$(rounds_) && id=$(cid_) &&
	started=$(docker inspect -f "{{.State.StartedAt}}" "$id") &&
	echo c2 >proj/app/conf/c.txt &&
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"restarted\":\[\"web\"\]" &&
	test "$(docker inspect -f "{{.State.StartedAt}}" "$id")" != "$started" &&
	test "$(docker exec "$id" cat /app/conf/c.txt)" = c2 &&
	test "$(cid_)" = "$id"
'

test_expect_success 'a rebuild entry rebuilds the image and recreates the container' '
	n=$(rounds_) && id=$(cid_) &&
	echo p2 >proj/app/pkg/p.txt &&
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"ran\":true" &&
	last_round_ | grep -q "\"status\":0" &&
	test "$(cid_)" != "$id" &&
	test "$(docker exec "$(cid_)" cat /app/pkg/p.txt)" = p2 &&
	grep -aq "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"done\".*pkg/p.txt" watch.out
'

test_expect_success 'a sync source edit re-runs its sync: step, and only that' '
	n=$(rounds_) && id=$(cid_) && lines=$(wc -l <watch.out) &&
	echo k2 >proj/cfg/k.conf &&
	wait_rounds_ $((n + 1)) &&
	test "$(cat proj/staging/cfg/k.conf)" = k2 &&
	tail -n +$((lines + 1)) watch.out >new &&
	grep -q "\"step\":\"sync:cfg\".*\"status\":\"done\"" new &&
	grep -q "\"step\":\"build:web\".*\"status\":\"up-to-date\"" new &&
	grep -q "\"step\":\"up:web\".*\"status\":\"up-to-date\"" new &&
	test "$(cid_)" = "$id"
'

# ask_ TOKEN ROOT RULES: one request to the watcher's socket; its answer.
ask_ () {
	python3 - "$@" <<-\PY
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	s.connect("proj/.ccbuild/watch.sock")
	s.sendall(("ccbuild-watch 1\t%s\t%s\t%s\n" % tuple(sys.argv[1:4])).encode())
	out = b""
	while True:
	    b = s.recv(65536)
	    if not b:
	        break
	    out += b
	sys.stdout.write(out.decode().replace("\0", "|"))
	PY
}

test_expect_success 'the watcher serves its journal on .ccbuild/watch.sock; one watcher per state dir' '
	test -S proj/.ccbuild/watch.sock &&
	root=$(cd proj/app && pwd -P) &&
	ask_ - "$root" x >a1 &&
	grep -q "^rescan	[0-9a-f]\{16\}-[0-9]*	" a1 &&
	tok=$(cut -f2 a1) &&
	ask_ "$tok" "$root" x >a2 && grep -q "^rescan.*ignore rules differ" a2 &&
	ask_ "$tok" /nowhere x >a3 && grep -q "^rescan.*not a watched tree" a3 &&
	ask_ 0123456789abcdef-0 "$root" x >a4 && grep -q "^rescan" a4 &&
	snap=$(ls proj/.ccbuild/statcache/*.walk) &&
	rules=$(head -n 4 "$snap" | sed -n "s/^rules	//p") &&
	stok=$(head -n 4 "$snap" | sed -n "s/^token	//p") &&
	ask_ "$stok" "$root" "$rules" >a5 && grep -q "^ok	" a5 &&
	n=$(rounds_) && echo v9 >proj/app/src/a.txt && wait_rounds_ $((n + 1)) &&
	ask_ "$stok" "$root" "$rules" >a6 && grep -q "^ok	" a6 && grep -q "^$root/src/a.txt|" a6 &&
	test_expect_code 1 "$CCBUILD" -C proj watch dev 2>err &&
	grep -q "another ccbuild watch serves" err
'

test_expect_success 'plan with the watcher running says what plan says without it' '
	n=$(rounds_) &&
	echo p3 >proj/app/pkg/p.txt &&
	wait_rounds_ $((n + 1)) &&
	echo v3 >proj/app/Dockerfile.notes &&
	sleep 0.5 &&
	"$CCBUILD" -C proj plan dev >plan-with &&
	stop_watch_ INT && test "$rc" = 130 &&
	! test -e proj/.ccbuild/watch.sock &&
	"$CCBUILD" -C proj plan dev >plan-without &&
	test_cmp plan-without plan-with &&
	grep -q "build:web" plan-with
'

test_expect_success 'Ctrl-C exited 130 promptly; a change made while no watch ran is found on start' '
	id=$(cid_) &&
	echo p4 >proj/app/pkg/p.txt &&
	start_watch_ &&
	test "$(cid_)" != "$id" &&
	test "$(docker exec "$(cid_)" cat /app/pkg/p.txt)" = p4
'

test_expect_success 'SIGTERM ends a watch with 143, promptly' '
	stop_watch_ TERM && test "$rc" = 143
'

test_expect_success 'cleanup' '
	cleanup_
'

test_done
