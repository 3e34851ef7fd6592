#!/bin/bash
# The deploy subset against Podman's Docker-compatible API (Debian's
# podman 4.3, `podman system service` on its own socket, tests/lib/podman.sh;
# DOCKER_HOST points at it): `ccbuild dev` builds an image through Podman
# and brings up two services on the project network, the published port
# answers on 127.0.0.1, a second run recreates nothing, `down` removes
# them and keeps the named volume.  Health conditions are left out: Podman
# 4.3 runs healthchecks from systemd timers, and without systemd (this
# machine, CI) a container's health stays "starting".
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy on Podman: up, a no-op second run, down'
. "$SRCROOT/tests/lib/base-image.sh"
. "$SRCROOT/tests/lib/podman.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0560p$TEST_ID
podman_start 2>"$TRASH/podman.err"
podman_rc=$?
if test $podman_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "$(sed 's/^podman: //' "$TRASH/podman.err" | head -n 1)"
fi
pm () { DOCKER_HOST=$PODMAN_HOST "$@"; }
trap 'pm deploy_cleanup $P >/dev/null 2>&1; podman_stop' EXIT
PORT=$(deploy_free_port)
dev () { DOCKER_HOST=$PODMAN_HOST "$CCBUILD" "$@"; }

test_expect_success 'Podman answers on its own socket, with the base image' '
	test $podman_rc = 0 || { cat podman.err; false; } &&
	podman_load $BASE_IMAGE &&
	pm docker version -f "{{range .Server.Components}}{{.Name}};{{end}}" | grep -q "^Podman Engine;"
'

test_expect_success 'setup: a built web service, a worker that depends on it, a named volume' '
	mkdir -p web/www &&
	echo "podman $TEST_ID" >web/www/index.html &&
	cat >web/Dockerfile <<-EOF &&
	FROM $BASE_IMAGE
	COPY www/ /www/
	CMD ["sh", "-c", "trap \"exit 0\" TERM INT; httpd -f -p 8080 -h /www & wait"]
	EOF
	cat >docker-compose.yml <<-EOF &&
	services:
	  web:
	    build: web
	    image: $P/web:latest
	    ports: ["127.0.0.1:$PORT:8080"]
	    volumes: [data:/data]
	  worker:
	    image: $BASE_IMAGE
	    command: ["sh", "-c", "trap \"exit 0\" TERM INT; while :; do wget -q -O /data/last http://web:8080/ 2>/dev/null; sleep 1; done & wait"]
	    environment:
	      MODE: one
	    depends_on:
	      web:
	        condition: service_started
	volumes:
	  data: {}
	EOF
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	compose: [docker-compose.yml]
	profiles:
	  dev:
	    up: true
	EOF
'

test_expect_success 'ccbuild dev on Podman: built, both running, the port answers' '
	dev dev >out 2>&1 || { cat out; false; } &&
	pm deploy_ids $P | awk "{print \$1}" >services &&
	printf "web\nworker\n" >expect &&
	test_cmp expect services &&
	test "$(deploy_get http://127.0.0.1:$PORT/)" = "podman $TEST_ID" &&
	test "$(pm docker inspect -f "{{.State.Status}}" $(pm deploy_id $P worker))" = running
'

test_expect_success 'a second run recreates nothing' '
	pm deploy_ids $P >before &&
	dev dev >out 2>&1 &&
	pm deploy_ids $P >after &&
	test_cmp before after
'

test_expect_success 'a changed env var recreates that service only' '
	sed -i "s/MODE: one/MODE: two/" docker-compose.yml &&
	dev dev >out 2>&1 &&
	pm deploy_ids $P >after &&
	test "$(join before after | awk "\$2 != \$3 {print \$1}")" = worker
'

test_expect_success 'down removes the containers and network, keeps the named volume' '
	dev down dev >out 2>&1 &&
	test -z "$(pm deploy_ids $P)" &&
	test -z "$(pm docker network ls -q --filter label=com.docker.compose.project=$P)" &&
	pm docker volume inspect ${P}_data >/dev/null
'

test_expect_success 'cleanup: nothing of this run is left on Podman' '
	pm docker volume rm ${P}_data >/dev/null &&
	pm deploy_cleanup $P
'

test_done
