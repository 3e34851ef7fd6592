#!/bin/bash
# `ccbuild dev` deploys tests/fixtures/deploy-orch (PostgreSQL with a
# pg_isready healthcheck and a named volume, a busybox backend built by
# ccbuild and waiting for it service_healthy, nginx in front on 127.0.0.1)
# and recreates only what changed: a second run recreates nothing (the
# same container IDs, never restarted); a changed env var recreates that
# service only and `why` names the field; a changed secret file recreates
# its service; a rebuilt image its service; a container stopped by hand is
# started again.  The real Docker Compose v2 sees what ccbuild deployed
# (ps, logs, down).  `ccbuild down` removes everything but the named
# volume, whose row survives the next up; `down --volumes` removes it.
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy: the orchestrator-shaped project, only what changed'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0520p$TEST_ID
service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "no service image: $(grep -m1 '^service-image: ' "$TRASH/ensure.log")"
fi
trap 'deploy_proxy_stop "$TRASH/proxy"; kill $(cat "$TRASH/events.pid" 2>/dev/null) 2>/dev/null; deploy_cleanup $P >/dev/null 2>&1' EXIT
deploy_fixture "$TRASH/orch" $P
dev () { "$CCBUILD" -C "$TRASH/orch" "$@"; }
compose () { (cd "$TRASH/orch" && docker compose -p $P "$@"); }
# started_ NAME — "SERVICE ID STARTED-AT" of the project's containers
started_ () {
	deploy_ids $P | while read -r s id; do
		echo "$s $id $(docker inspect -f '{{.State.StartedAt}}' "$id")"
	done
}
# changed_ BEFORE AFTER — the services whose container changed or was
# restarted (started_ lists)
changed_ () {
	join "$1" "$2" | awk '$2 != $4 || $3 != $5 { print $1 }'
}

test_expect_success 'the service image is there' '
	test $ensure_rc = 0 || { cat ensure.log; false; }
'

test_expect_success 'ccbuild dev from nothing: built, deployed, healthy, curl through nginx answers' '
	docker events --filter label=com.docker.compose.project=$P --filter type=container \
		--format "{{.TimeNano}} {{index .Actor.Attributes \"com.docker.compose.service\"}} {{.Action}}" >events &
	echo $! >events.pid &&
	sleep 0.5 &&
	dev dev >out 2>&1 || { cat out; kill $(cat events.pid); false; } &&
	sleep 0.5 &&
	kill $(cat events.pid) &&
	deploy_ids $P | awk "{print \$1}" >services &&
	printf "backend\ndatabase\nnginx\n" >expect &&
	test_cmp expect services &&
	for s in database backend nginx; do
		test "$(docker inspect -f "{{.State.Status}} {{.State.Health.Status}}" $(deploy_id $P $s))" = "running healthy" ||
			return 1
	done &&
	test "$(curl -sf --max-time 5 http://127.0.0.1:$HTTP_PORT/api/)" = "backend v1" &&
	curl -sf --max-time 5 http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env | grep -q "^mode=development " &&
	docker image inspect $P/backend:latest >/dev/null
'

test_expect_success 'the backend started only once the database was healthy, nginx after the backend' '
	cat events &&
	first_ () { grep -n "^[0-9]* $1 $2\$" events | head -n 1 | cut -d: -f1; } &&
	db=$(first_ database "health_status: healthy") &&
	be=$(first_ backend start) &&
	be_ok=$(first_ backend "health_status: healthy") &&
	ng=$(first_ nginx start) &&
	test -n "$db" && test -n "$be" && test -n "$be_ok" && test -n "$ng" &&
	test "$db" -lt "$be" &&
	test "$be_ok" -lt "$ng"
'

test_expect_success 'compose labels: project, service, number, oneoff, working dir, config files' '
	c=$(deploy_id $P backend) &&
	docker inspect -f "{{json .Config.Labels}}" $c >labels &&
	grep -q "\"com.docker.compose.project\":\"$P\"" labels &&
	grep -q "\"com.docker.compose.service\":\"backend\"" labels &&
	grep -q "\"com.docker.compose.container-number\":\"1\"" labels &&
	grep -q "\"com.docker.compose.oneoff\":\"False\"" labels &&
	grep -q "\"com.docker.compose.project.working_dir\":\"$TRASH/orch\"" labels &&
	grep -q "\"com.docker.compose.project.config_files\":\"$TRASH/orch/docker-compose.yml\"" labels &&
	grep -q "\"com.docker.compose.config-hash\":\"[0-9a-f]" labels &&
	grep -q "\"com.docker.compose.depends_on\":\"database:service_healthy:" labels
'

test_expect_success 'a second run recreates nothing: same IDs, not restarted' '
	started_ >before &&
	dev dev >out 2>&1 &&
	started_ >after &&
	test_cmp before after
'

test_expect_success 'a second run asks the engine one filtered container list and changes nothing' '
	host=$(deploy_proxy_start proxy) &&
	DOCKER_HOST=$host dev dev >out 2>&1 &&
	deploy_proxy_stop proxy &&
	cat proxy/requests &&
	grep "/containers" proxy/requests >containers &&
	test $(wc -l <containers) = 1 &&
	grep -q "^GET /v1\.[0-9]*/containers/json?.*filters=" containers &&
	test_must_fail grep -Eq "^(POST|PUT|DELETE) " proxy/requests
'

test_expect_success 'a changed env var: why names it; that service only is recreated' '
	sed -i "s/APP_MODE:-development/APP_MODE:-production/" orch/docker-compose.yml &&
	dev why dev up:backend >why &&
	grep -q "environment.APP_MODE" why &&
	grep -q "development" why && grep -q "production" why &&
	started_ >before &&
	dev dev >out 2>&1 &&
	started_ >after &&
	test "$(changed_ before after)" = backend &&
	deploy_get http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env | grep -q "^mode=production "
'

test_expect_success 'a changed secret file: why names it; its service only is recreated' '
	echo "s3cret-orch-2" >orch/secrets/db_password.txt &&
	dev why dev up:database >why &&
	cat why &&
	grep -q "secret db_password" why &&
	started_ >before &&
	dev dev >out 2>&1 &&
	started_ >after &&
	test "$(changed_ before after)" = database &&
	test "$(docker exec $(deploy_id $P database) cat /run/secrets/db_password)" = s3cret-orch-2 &&
	deploy_wait_healthy $(deploy_id $P database)
'

test_expect_success 'a rebuilt image: its service only is recreated' '
	echo "backend v2" >orch/backend/www/index.html &&
	started_ >before &&
	dev dev >out 2>&1 &&
	started_ >after &&
	test "$(changed_ before after)" = backend &&
	test "$(deploy_get http://127.0.0.1:$HTTP_PORT/api/)" = "backend v2" &&
	test "$(docker inspect -f "{{.Image}}" $(deploy_id $P backend))" = \
		"$(docker image inspect -f "{{.Id}}" $P/backend:latest)"
'

test_expect_success 'a container stopped by hand is started again, not recreated' '
	c=$(deploy_id $P nginx) &&
	docker stop $c >/dev/null &&
	dev dev >out 2>&1 &&
	test "$(deploy_id $P nginx)" = $c &&
	test "$(docker inspect -f "{{.State.Status}}" $c)" = running &&
	deploy_get http://127.0.0.1:$HTTP_PORT/api/ >/dev/null
'

test_expect_success 'Compose v2 ps and logs see what ccbuild deployed' '
	compose ps --format "{{.Service}} {{.State}} {{.Health}}" | sort >ps &&
	printf "backend running healthy\ndatabase running healthy\nnginx running healthy\n" >expect &&
	test_cmp expect ps &&
	compose logs --no-color database >logs 2>&1 &&
	grep -q "database-1  | .*database system is ready to accept connections" logs &&
	compose logs --no-color nginx >logs 2>&1 &&
	grep -q "nginx-1  | .*\"GET /api/ HTTP/1.1\" 200" logs
'

test_expect_success 'ccbuild down removes the containers and networks, keeps the named volume' '
	docker exec $(deploy_id $P database) psql -U app -d orchestrator -qc \
		"CREATE TABLE kept (v text); INSERT INTO kept VALUES ($(printf "\047row-%s\047" $TEST_ID))" &&
	dev down dev >out 2>&1 &&
	test -z "$(deploy_ids $P)" &&
	test -z "$(docker network ls -q --filter label=com.docker.compose.project=$P)" &&
	docker volume inspect ${P}_pgdata >/dev/null
'

test_expect_success 'the next up finds the row in the kept volume' '
	dev dev >out 2>&1 &&
	test "$(docker exec $(deploy_id $P database) psql -U app -d orchestrator -Atc "SELECT v FROM kept")" = row-$TEST_ID
'

test_expect_success 'Compose v2 down works on what ccbuild deployed (keeps the volume)' '
	compose down >out 2>&1 &&
	test -z "$(deploy_ids $P)" &&
	test -z "$(docker network ls -q --filter label=com.docker.compose.project=$P)" &&
	docker volume inspect ${P}_pgdata >/dev/null
'

test_expect_success 'up again, then ccbuild down --volumes removes the volume too' '
	dev dev >out 2>&1 &&
	test "$(docker exec $(deploy_id $P database) psql -U app -d orchestrator -Atc "SELECT v FROM kept")" = row-$TEST_ID &&
	dev down dev --volumes >out 2>&1 &&
	test -z "$(deploy_ids $P)" &&
	test_must_fail docker volume inspect ${P}_pgdata >/dev/null 2>&1
'

test_expect_success 'cleanup: nothing of this run is left' '
	deploy_cleanup $P
'

test_done
