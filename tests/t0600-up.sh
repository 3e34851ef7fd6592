#!/bin/bash
# up:SERVICE steps (step-up.c): `ccbuild dev` with up: true deploys the
# compose services through the Engine API, waits for their health through
# the events stream, and a second run recreates nothing; a changed
# environment recreates that service only; a service stopped by hand is
# started again; an orphan is removed; an unhealthy dependency fails with
# its health output and its dependant is not started; Docker Compose v2
# sees what ccbuild deployed.  Containers, network and image carry $P.
. "$(dirname "$0")/test-lib.sh"
test_description 'up steps: deploy, converge, wait for health'

test_need_docker
P=t0600p$TEST_ID

cid_ () {
	docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$P" \
		--filter "label=com.docker.compose.service=$1"
}

health_ () {
	docker inspect -f "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}" "$(cid_ "$1")"
}

cleanup_ () {
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P") &&
	{ test -z "$ids" || docker rm -f $ids >/dev/null; } &&
	{ docker network rm "${P}_default" >/dev/null 2>&1 || true; } &&
	test_remove_images "$P"
}

test_expect_success 'a project of two services: db healthy first, then web' '
	mkdir -p proj/web &&
	cat >proj/ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	profiles:
	  dev:
	    up: true
	  ci: {}
	EOF
	cat >proj/web/Dockerfile <<-\EOF &&
	FROM ccbuild-test/busybox:latest
	RUN mkdir /www && echo hello >/www/index.html
	EOF
	cat >proj/docker-compose.yml <<-EOF &&
	services:
	  db:
	    image: ccbuild-test/busybox:latest
	    command: ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1; done"]
	    healthcheck:
	      test: ["CMD", "true"]
	      interval: 1s
	      timeout: 2s
	      retries: 2
	  web:
	    build: web
	    image: $P/web:latest
	    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
	    stop_grace_period: 1s
	    environment:
	      DEBUG: "false"
	    depends_on:
	      db:
	        condition: service_healthy
	    secrets: [db_password]
	    healthcheck:
	      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
	      interval: 1s
	      timeout: 2s
	      retries: 3
	secrets:
	  db_password:
	    file: ./db_password.txt
	EOF
	echo s3cret >proj/db_password.txt &&
	"$CCBUILD" -C proj plan dev >plan &&
	grep -q "up:db" plan && grep -q "up:web" plan &&
	"$CCBUILD" -C proj plan ci >plan-ci &&
	test_must_fail grep -q "up:" plan-ci
'

test_expect_success 'first run: both created, running and healthy' '
	date +%s >t0 &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "2 deployed" out &&
	test "$(health_ db)" = "running healthy" &&
	test "$(health_ web)" = "running healthy" &&
	cid_ db >db-1 && cid_ web >web-1 &&
	test $(wc -l <db-1) = 1 && test $(wc -l <web-1) = 1 &&
	docker inspect -f "{{index .Config.Labels \"com.docker.compose.project\"}} {{.Name}}" "$(cid_ web)" >name &&
	echo "$P /$P-web-1" >expect && test_cmp expect name
'

test_expect_success 'the dependant started after the dependency was healthy' '
	docker events --since "$(cat t0)" --until "$(($(date +%s) + 1))" --filter "label=com.docker.compose.project=$P" \
		--format "{{.Action}} {{.Actor.Attributes.name}}" >events &&
	healthy=$(grep -n "^health_status: healthy $P-db-1$" events | head -n 1 | cut -d: -f1) &&
	started=$(grep -n "^start $P-web-1$" events | head -n 1 | cut -d: -f1) &&
	test -n "$healthy" && test -n "$started" &&
	test "$healthy" -lt "$started"
'

test_expect_success 'second run: nothing recreated, both up to date' '
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "0 built, 3 up to date, 0 failed" out &&
	grep "up:web" out | grep -q "up-to-date" &&
	cid_ db >db-2 && cid_ web >web-2 &&
	test_cmp db-1 db-2 && test_cmp web-1 web-2
'

# A proxy in front of the engine that logs each request line
# (tests/lib/engine-log-proxy.py): the no-op run makes one container call,
# the filtered list.
test_expect_success 'the no-op run makes one container API call: the filtered list' '
	python3 "$SRCROOT/tests/lib/engine-log-proxy.py" "$(engine_sock)" "$TRASH/proxy.sock" "$TRASH/requests" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$TRASH.proxy.pid" &&
	for i in $(seq 50); do test -S "$TRASH/proxy.sock" && break; sleep 0.1; done &&
	DOCKER_HOST=unix://$TRASH/proxy.sock "$CCBUILD" -C proj dev >out 2>&1 &&
	kill "$(cat "$TRASH.proxy.pid")" &&
	grep -q "0 built, 3 up to date, 0 failed" out &&
	grep "/containers" "$TRASH/requests" >calls &&
	test $(wc -l <calls) = 1 &&
	grep -q "^GET /v[0-9.]*/containers/json?all=1&filters=" calls
'
kill "$(cat "$TRASH.proxy.pid")" 2>/dev/null
rm -f "$TRASH.proxy.pid" "$TRASH/proxy.sock" "$TRASH/requests"

test_expect_success 'Docker Compose v2 lists what ccbuild deployed' '
	docker compose -p "$P" ps --format "{{.Service}} {{.State}}" | sort >ps &&
	printf "db running\nweb running\n" >expect &&
	test_cmp expect ps
'

test_expect_success 'a changed environment recreates that service only; why names the field' '
	sed -i "s/DEBUG: \"false\"/DEBUG: \"true\"/" proj/docker-compose.yml &&
	"$CCBUILD" -C proj why dev up:web >why &&
	grep "DEBUG" why | grep -q "\"false\" -> \"true\"" &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "1 deployed" out &&
	grep "up:web" out | grep -q "DEBUG" &&
	cid_ db >db-3 && cid_ web >web-3 &&
	test_cmp db-1 db-3 &&
	! test_cmp web-1 web-3 >/dev/null &&
	test $(wc -l <web-3) = 1 &&
	test "$(health_ web)" = "running healthy" &&
	docker exec "$(cid_ web)" env >env &&
	grep -q "^DEBUG=true$" env
'

test_expect_success 'a rebuilt image recreates its service: image rebuilt' '
	cid_ web >web-a &&
	echo "RUN echo v2 >/www/v2" >>proj/web/Dockerfile &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "^1 built, 1 deployed" out &&
	grep "up:web" out | grep -q "image rebuilt" &&
	cid_ web >web-b && ! test_cmp web-a web-b >/dev/null &&
	docker exec "$(cid_ web)" cat /www/v2 >v2 &&
	echo v2 >expect && test_cmp expect v2
'

test_expect_success 'a changed secret file recreates its service; why and the reason name it' '
	cid_ web >web-a &&
	echo n3w >proj/db_password.txt &&
	"$CCBUILD" -C proj why dev up:web >why &&
	grep -q "changed: secret db_password" why &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep "up:web" out | grep -q "secret db_password changed" &&
	cid_ web >web-3 && ! test_cmp web-a web-3 >/dev/null &&
	cid_ db >db-4 && test_cmp db-1 db-4 &&
	docker exec "$(cid_ web)" cat /run/secrets/db_password >secret &&
	echo n3w >expect && test_cmp expect secret
'

test_expect_success 'a container stopped by hand is started again, not recreated' '
	docker stop -t 1 "$(cid_ web)" >/dev/null &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep "up:web" out | grep -q "starting it" &&
	cid_ web >web-4 && test_cmp web-3 web-4 &&
	test "$(health_ web)" = "running healthy"
'

test_expect_success 'a service removed from the model is removed as an orphan' '
	docker run -d --name "$P-old-1" --label "com.docker.compose.project=$P" \
		--label com.docker.compose.service=old --label com.docker.compose.oneoff=False \
		ccbuild-test/busybox:latest sleep 300 >/dev/null &&
	"$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "removed orphan container old ($P-old-1)" out &&
	test -z "$(cid_ old)" &&
	cid_ web >web-5 && test_cmp web-3 web-5
'

test_expect_success 'ccbuild up deploys a profile without up: true, and only what was named' '
	docker rm -f "$(cid_ web)" >/dev/null &&
	"$CCBUILD" -C proj --state-dir "$TRASH/ci-state" up ci db >out 2>&1 &&
	test_must_fail grep -q "up:web" out &&
	test -z "$(cid_ web)" &&
	cid_ db >db-6 && test_cmp db-1 db-6
'

test_expect_success 'an unhealthy dependency fails with its health output; the dependant is not started' '
	sed -i "s/\[\"CMD\", \"true\"\]/[\"CMD-SHELL\", \"echo db is broken; exit 1\"]/" proj/docker-compose.yml &&
	grep -q "db is broken" proj/docker-compose.yml &&
	test_expect_code 1 "$CCBUILD" -C proj dev >out 2>&1 &&
	grep -q "service db is unhealthy" out &&
	grep -q "db is broken" out &&
	grep "up:web" out | grep -q cancelled &&
	test -z "$(cid_ web)"
'

test_expect_success 'clean up' '
	cleanup_
'

test_done
