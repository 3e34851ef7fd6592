#!/bin/bash
# The deploy tests' fixture (tests/fixtures/deploy-orch) is known-good
# under the real Docker Compose v2, so that a deploy test that fails
# blames ccbuild and not the project: `docker compose up -d --wait` makes
# it healthy, curl through nginx answers, the test service passes (and
# fails on a bad query), `down` keeps the named volume and its rows.  And
# the zero-downtime probe can fail: a swap done by hand the start-first
# way (new backend healthy before the old one stops) loses no request
# through nginx, while Compose's own stop-first recreate of the backend
# loses some — the loop of requests detects downtime.
. "$(dirname "$0")/test-lib.sh"
test_description 'the deploy fixture under Docker Compose v2'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0510p$TEST_ID
if ! docker compose version >/dev/null 2>&1; then
	test_skip "no Docker Compose v2 (scripts/setup.sh --peers)"
fi
service_image_ensure >"$TRASH/ensure.log" 2>&1 || {
	test_skip "no service image: $(grep -m1 '^service-image: ' "$TRASH/ensure.log")"
	test "${CCBUILD_REQUIRE_DOCKER:-}" = 1 && test_skip ""
}
trap 'deploy_cleanup $P >/dev/null 2>&1' EXIT
deploy_fixture "$TRASH/orch" $P
compose () { (cd "$TRASH/orch" && docker compose -p $P "$@"); }

test_expect_success 'compose v2: up -d --wait --build makes every service healthy' '
	compose up -d --wait --build >up.log 2>&1 || { cat up.log; false; } &&
	compose ps --format "{{.Service}} {{.Health}}" | sort >health &&
	printf "backend healthy\ndatabase healthy\nnginx healthy\n" >expect &&
	test_cmp expect health
'

test_expect_success 'curl through nginx on 127.0.0.1 reaches the backend' '
	test "$(deploy_get http://127.0.0.1:$HTTP_PORT/api/)" = "backend v1" &&
	deploy_get http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env | grep -q "^mode=development host="
'

test_expect_success 'the test service passes, and fails on a bad query' '
	compose run --rm api-test >run.log 2>&1 &&
	grep -q "api-test: passed" run.log &&
	(cd orch && test_must_fail env TEST_QUERY="SELECT * FROM nosuch" \
		docker compose -p $P run --rm api-test) >bad.log 2>&1 &&
	grep -q "relation \"nosuch\" does not exist" bad.log
'

test_expect_success 'a swap done start-first (by hand) loses no request through nginx' '
	c=$(deploy_id $P backend) &&
	deploy_loop_start http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env loop &&
	sleep 1 &&
	docker run -d --name $P-swap --network ${P}_orchestrator --network-alias backend \
		-e APP_MODE=swapped --health-cmd "wget -q -O /dev/null http://127.0.0.1:8080/health.txt" \
		--health-interval 1s $P/backend:latest >/dev/null &&
	deploy_wait_healthy $P-swap &&
	sleep 1 &&
	docker stop $c >/dev/null &&
	sleep 2 &&
	deploy_loop_stop loop &&
	grep -q "^ok mode=development" loop &&
	grep -q "^ok mode=swapped" loop &&
	docker rm -f $P-swap >/dev/null &&
	docker start $c >/dev/null &&
	deploy_wait_healthy $c
'

test_expect_success 'the probe detects downtime: compose recreates the backend stop-first' '
	deploy_get http://127.0.0.1:$HTTP_PORT/api/ >/dev/null &&
	deploy_loop_start http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env loop &&
	sleep 1 &&
	(cd orch && APP_MODE=changed docker compose -p $P up -d --wait backend >../up2.log 2>&1) &&
	sleep 2 &&
	test_must_fail deploy_loop_stop loop >summary &&
	cat summary &&
	grep -q "^FAIL" loop &&
	grep -q "^ok mode=changed" loop
'

test_expect_success 'compose v2 down keeps the named volume, whose rows survive the next up' '
	compose exec -T database psql -U app -d orchestrator -qc \
		"CREATE TABLE kept (v text); INSERT INTO kept VALUES ($(printf "\047row-%s\047" $TEST_ID))" &&
	compose down >down.log 2>&1 &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)" &&
	test -z "$(docker network ls -q --filter label=com.docker.compose.project=$P)" &&
	docker volume inspect ${P}_pgdata >/dev/null &&
	compose up -d --wait >up3.log 2>&1 &&
	test "$(compose exec -T database psql -U app -d orchestrator -Atc "SELECT v FROM kept")" = row-$TEST_ID
'

test_expect_success 'cleanup: down -v, and nothing of this run is left' '
	compose down -v >down.log 2>&1 &&
	test -z "$(docker volume ls -q --filter label=com.docker.compose.project=$P)" &&
	deploy_cleanup $P
'

test_done
