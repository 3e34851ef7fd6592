#!/bin/bash
# ccbuild watch follows a changed configuration (cmd-watch.c,
# session_reload): every file the load read is watched (the manifest, the
# compose files, an override, .env even before it exists).  A develop.watch
# entry added to the compose file while the watch runs applies (an edit
# below it is synced, no step runs); a sync added to the manifest runs and
# its source is watched; breaking the YAML shows its FILE:LINE:COL error
# once and the old rules keep working; fixing it resumes.  A .env created
# then removed changes the service's environment both times (the profile
# runs after each reload and recreates the container).  No timed
# assertions: every wait polls with a bound.
. "$(dirname "$0")/test-lib.sh"
test_description 'watch: reload on a changed manifest, compose file or .env'
. "$SRCROOT/tests/lib/watch.sh"

test_need_docker
P=t0661p$TEST_ID

cid_ () {
	docker ps -q --no-trunc --filter "label=com.docker.compose.project=$P" \
		--filter "label=com.docker.compose.service=web"
}

# in_container_ FILE WANT: until FILE in web's container holds WANT (20 s).
in_container_ () {
	for i in $(seq 200); do
		test "$(docker exec "$(cid_)" cat "$1" 2>/dev/null)" = "$2" && return 0
		sleep 0.1
	done
	echo "$1 holds '$(docker exec "$(cid_)" cat "$1" 2>&1)', wanted '$2'"
	return 1
}

cleanup_ () {
	{ ! test -f watch.pid || kill -9 "$(cat watch.pid)" 2>/dev/null; true; } &&
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; } &&
	test_remove_images "$P"
}

test_expect_success 'setup: a service with one develop.watch sync entry, no .env' '
	mkdir -p proj/app/src proj/app/conf proj/cfg &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	profiles:
	  dev:
	    up: true
	EOF
	printf "FROM ccbuild-test/busybox:latest\nCOPY . /app\n" >proj/app/Dockerfile &&
	echo v1 >proj/app/src/a.txt && echo c1 >proj/app/conf/c.txt && echo k1 >proj/cfg/k.conf &&
	cat >proj/compose.base <<-EOF &&
	services:
	  web:
	    build: app
	    image: $P/web:latest
	    command: ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1; done"]
	    stop_grace_period: 1s
	    environment:
	      T0661_MSG: \${T0661_MSG:-unset}
	    develop:
	      watch:
	        - path: ./app/src
	          action: sync
	          target: /app/src
	EOF
	cp proj/compose.base proj/docker-compose.yml &&
	unset T0661_MSG
'

test_expect_success 'the first round deploys; a sync edit is synced' '
	start_watch_ &&
	test "$(docker exec "$(cid_)" sh -c "echo \$T0661_MSG")" = unset &&
	echo v2 >proj/app/src/a.txt &&
	wait_rounds_ 1 &&
	last_round_ | grep -q "\"synced\":{\"web\":1}" &&
	in_container_ /app/src/a.txt v2
'

test_expect_success 'a develop.watch entry added to the compose file applies' '
	n=$(rounds_) &&
	cat >>proj/docker-compose.yml <<-EOF &&
	        - path: ./app/conf
	          action: sync
	          target: /app/conf
	EOF
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	last_round_ | grep -q "\"ran\":true" &&
	last_round_ | grep -q "\"status\":0" &&
	id=$(cid_) && lines=$(wc -l <watch.out) &&
	echo c2 >proj/app/conf/c.txt &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"synced\":{\"web\":1}" &&
	last_round_ | grep -q "\"ran\":false" &&
	in_container_ /app/conf/c.txt c2 &&
	tail -n +$((lines + 1)) watch.out >new &&
	! grep -q step_start new &&
	test "$(cid_)" = "$id"
'

test_expect_success 'a sync added to the manifest runs, and its source is watched' '
	n=$(rounds_) &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	syncs:
	  cfg:
	    from: cfg
	    to: staging/cfg
	profiles:
	  dev:
	    up: true
	    syncs: [cfg]
	EOF
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	test "$(cat proj/staging/cfg/k.conf)" = k1 &&
	echo k2 >proj/cfg/k.conf &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"ran\":true" &&
	last_round_ | grep -q "\"reload\":null" &&
	test "$(cat proj/staging/cfg/k.conf)" = k2
'

test_expect_success 'broken YAML: its FILE:LINE:COL error is shown once, the old rules still work' '
	n=$(rounds_) &&
	printf "  broken: [unclosed\n" >>proj/docker-compose.yml &&
	wait_rounds_ $((n + 1)) &&
	last_round_ >broken &&
	cat broken &&
	grep -q "\"reload\":\"failed\"" broken &&
	grep -q "\"ran\":false" broken &&
	grep -q "docker-compose.yml:[0-9][0-9]*:[0-9][0-9]*: " broken &&
	echo c3 >proj/app/conf/c.txt && echo v3 >proj/app/src/a.txt &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"synced\":{\"web\":2}" &&
	last_round_ | grep -q "\"errors\":\[\]" &&
	in_container_ /app/conf/c.txt c3 &&
	in_container_ /app/src/a.txt v3 &&
	test "$(grep -c "\"event\":\"message\".*docker-compose.yml:[0-9]*:[0-9]*: " watch.out)" = 1 &&
	kill -0 "$(cat watch.pid)"
'

test_expect_success 'fixing the file resumes: the reload takes the fixed rules' '
	n=$(rounds_) &&
	cp proj/compose.base proj/docker-compose.yml &&
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	last_round_ | grep -q "\"status\":0" &&
	id=$(cid_) &&
	echo c4 >proj/app/conf/c.txt &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"ran\":true" &&
	in_container_ /app/conf/c.txt c4 &&
	test "$(cid_)" != "$id"
'

test_expect_success 'a .env created, then removed: the service is recreated with it, then without' '
	n=$(rounds_) &&
	echo T0661_MSG=hello >proj/.env &&
	wait_rounds_ $((n + 1)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	last_round_ | grep -q "\"status\":0" &&
	test "$(docker exec "$(cid_)" sh -c "echo \$T0661_MSG")" = hello &&
	rm proj/.env &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	test "$(docker exec "$(cid_)" sh -c "echo \$T0661_MSG")" = unset
'

test_expect_success 'a removed compose file: the error names it; restored, the watch resumes' '
	n=$(rounds_) &&
	mv proj/docker-compose.yml proj/compose.saved &&
	wait_rounds_ $((n + 1)) &&
	last_round_ >gone && cat gone &&
	grep -q "\"reload\":\"failed\"" gone &&
	grep -q "docker-compose.yml" gone &&
	mv proj/compose.saved proj/docker-compose.yml &&
	wait_rounds_ $((n + 2)) &&
	last_round_ | grep -q "\"reload\":\"ok\"" &&
	echo v5 >proj/app/src/a.txt &&
	wait_rounds_ $((n + 3)) &&
	in_container_ /app/src/a.txt v5
'

test_expect_success 'SIGINT still ends it with 130' '
	kill -s INT "$(cat watch.pid)" &&
	for i in $(seq 100); do test -f watch.rc && break; sleep 0.1; done &&
	test "$(cat watch.rc)" = 130 &&
	rm -f watch.pid
'

test_expect_success 'cleanup' '
	cleanup_
'

test_done
