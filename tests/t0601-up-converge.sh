#!/bin/bash
# up:SERVICE steps, the rest of converging (step-up.c): replicas (one
# container per number, scaled down by removing the surplus), start-first
# (the new container is healthy before the old one stops), shared
# namespaces (network_mode: service:X recreated with X), a job a
# dependant waits to complete (service_completed_successfully, then left
# alone), and --wait-timeout.  Everything carries $P.
. "$(dirname "$0")/test-lib.sh"
test_description 'up steps: replicas, start-first, shared namespaces, jobs, wait timeout'

test_need_docker
P=t0601p$TEST_ID

ids_ () {
	docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$P" \
		--filter "label=com.docker.compose.service=$1" | sort
}

cleanup_ () {
	{ test ! -e events.pid || kill $(cat events.pid) 2>/dev/null; rm -f events.pid; } ;
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; }
}

test_expect_success 'a project: replicas, start-first, a sidecar, a job' '
	mkdir proj &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	profiles:
	  dev:
	    up: true
	EOF
	cat >proj/docker-compose.yml <<-EOF
	x-health: &health
	  test: ["CMD", "true"]
	  interval: 1s
	  timeout: 2s
	  retries: 2
	services:
	  app:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "3600"]
	    init: true
	    stop_grace_period: 1s
	    deploy:
	      replicas: 2
	    healthcheck: *health
	  svc:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "3600"]
	    init: true
	    stop_grace_period: 1s
	    environment:
	      V: "1"
	    deploy:
	      update_config:
	        order: start-first
	    healthcheck: *health
	  side:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "3600"]
	    init: true
	    stop_grace_period: 1s
	    network_mode: "service:svc"
	  migrate:
	    image: ccbuild-test/busybox:latest
	    command: ["echo", "migrated"]
	  after:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "3600"]
	    init: true
	    stop_grace_period: 1s
	    depends_on:
	      migrate:
	        condition: service_completed_successfully
	  slow:
	    image: ccbuild-test/busybox:latest
	    command: ["sh", "-c", "sleep 5 && touch /ready && exec sleep 3600"]
	    init: true
	    stop_grace_period: 1s
	    healthcheck:
	      test: ["CMD", "test", "-e", "/ready"]
	      interval: 1s
	      timeout: 2s
	      retries: 30
	  late:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "3600"]
	    init: true
	    stop_grace_period: 1s
	    depends_on:
	      slow:
	        condition: service_healthy
	EOF
'

test_expect_success 'first run: two app containers, the job completed before its dependant started' '
	"$CCBUILD" -C proj up dev app svc side migrate after >out 2>&1 &&
	grep -q "5 deployed" out &&
	docker ps --filter "label=com.docker.compose.project=$P" --filter "label=com.docker.compose.service=app" \
		--format "{{.Names}} {{.Status}}" | sort >apps &&
	test $(wc -l <apps) = 2 &&
	grep -q "^$P-app-1 Up .*(healthy)" apps &&
	grep -q "^$P-app-2 Up .*(healthy)" apps &&
	docker inspect -f "{{.State.Status}} {{.State.ExitCode}}" $P-migrate-1 >job &&
	echo "exited 0" >expect && test_cmp expect job &&
	test "$(docker inspect -f "{{.State.FinishedAt}}" $P-migrate-1 | cut -c1-23)" \
		"<" "$(docker inspect -f "{{.State.StartedAt}}" $P-after-1 | cut -c1-23)" &&
	ids_ app >app-1 && ids_ svc >svc-1 && ids_ side >side-1 && ids_ migrate >migrate-1
'

test_expect_success 'second run: all up to date, the completed job is not run again' '
	"$CCBUILD" -C proj up dev app svc side migrate after >out 2>&1 &&
	grep -q "0 built, 5 up to date, 0 failed" out &&
	grep "up:migrate" out | grep -q completed &&
	ids_ app >app-2 && test_cmp app-1 app-2 &&
	ids_ migrate >migrate-2 && test_cmp migrate-1 migrate-2
'

test_expect_success 'start-first: the new svc is healthy before the old one stops; its sidecar follows' '
	old=$(cat svc-1) &&
	sed -i "s/V: \"1\"/V: \"2\"/" proj/docker-compose.yml &&
	{ docker events --filter "label=com.docker.compose.project=$P" --format "{{.Actor.ID}} {{.Action}}" \
		>events 2>/dev/null & echo $! >events.pid; } &&
	sleep 1 &&
	"$CCBUILD" -C proj up dev app svc side migrate after >out 2>&1 &&
	sleep 1 && kill $(cat events.pid) && rm -f events.pid &&
	grep -q "2 deployed" out &&
	grep "up:side" out | grep -q "svc recreated" &&
	ids_ svc >svc-2 && ! test_cmp svc-1 svc-2 >/dev/null && test $(wc -l <svc-2) = 1 &&
	new=$(cat svc-2) &&
	ids_ side >side-2 && ! test_cmp side-1 side-2 >/dev/null &&
	healthy=$(grep -n "^$new health_status: healthy$" events | head -n 1 | cut -d: -f1) &&
	stopped=$(grep -n "^$old \(kill\|die\|stop\)$" events | head -n 1 | cut -d: -f1) &&
	test -n "$healthy" && test -n "$stopped" &&
	test "$healthy" -lt "$stopped" &&
	docker inspect -f "{{.HostConfig.NetworkMode}}" "$(cat side-2)" >mode &&
	{ echo "container:$P-svc-1" >expect && test_cmp expect mode ||
		{ echo "container:$new" >expect && test_cmp expect mode; }; }
'

test_expect_success 'scaled down to one replica: the surplus container is removed' '
	sed -i "s/replicas: 2/replicas: 1/" proj/docker-compose.yml &&
	"$CCBUILD" -C proj up dev app >out 2>&1 &&
	docker ps -a --filter "label=com.docker.compose.project=$P" --filter "label=com.docker.compose.service=app" \
		--format "{{.Names}}" >apps &&
	echo "$P-app-1" >expect && test_cmp expect apps
'

test_expect_success 'Ctrl-C while waiting for health: exit 130 at once, the dependant not started; the next run converges' '
	"$CCBUILD" -C proj up dev late >out 2>&1 &
	pid=$! &&
	for i in $(seq 100); do test -n "$(ids_ slow)" && break; sleep 0.1; done &&
	test -n "$(ids_ slow)" &&
	sleep 0.5 &&
	kill -INT $pid &&
	t=$(date +%s%N) &&
	{ wait $pid; rc=$?; } &&
	test $rc = 130 &&
	test $((($(date +%s%N) - t) / 1000000)) -lt 2000 &&
	test -z "$(ids_ late)" &&
	ids_ slow >slow-1 &&
	"$CCBUILD" -C proj up dev late >out 2>&1 &&
	ids_ slow >slow-2 && test_cmp slow-1 slow-2 &&
	test -n "$(ids_ late)" &&
	"$CCBUILD" -C proj up dev late >out 2>&1 &&
	grep -q "0 built, 2 up to date, 0 failed" out
'

test_expect_success '--wait-timeout: a service that never turns healthy fails in time, naming it' '
	sed -i "s/test: \[\"CMD\", \"true\"\]/test: [\"CMD-SHELL\", \"sleep 60\"]/; s/timeout: 2s/timeout: 90s/" \
		proj/docker-compose.yml &&
	start=$(date +%s) &&
	test_expect_code 1 "$CCBUILD" -C proj --wait-timeout 3 up dev app >out 2>&1 &&
	test $(($(date +%s) - start)) -lt 30 &&
	grep -q "service app is not healthy after 3 s" out
'

test_expect_success 'clean up' '
	cleanup_
'

test_done
