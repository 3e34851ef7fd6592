#!/bin/bash
# ccbuild ps, logs and down on a project that the real Docker Compose v2
# brought up (`docker compose -p P up -d`): they find its containers,
# networks and volumes by compose's labels, show what compose shows
# (logs the same lines and prefixes, ps the same containers and states), stop in
# reverse dependency order, keep named volumes unless --volumes, and
# never remove an external volume.  One-off (run) containers are left out
# of ps and logs and removed by down.
. "$(dirname "$0")/test-lib.sh"
test_description 'down, ps and logs on what docker compose up made'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0620p$TEST_ID

if ! docker compose version >/dev/null 2>&1; then
	test_skip "no Docker Compose v2 (docker compose) here"
fi

# compose ARGS...: the real Docker Compose v2 on this project.
compose () {
	docker compose -p "$P" -f docker-compose.yml "$@"
}

# A quiet container in a shell loop that ends on TERM.
test_expect_success 'setup: a three-service chain, a named and an external volume' '
	base_image_ensure >/dev/null &&
	docker volume create --label com.docker.compose.project=$P $P-ext >/dev/null &&
	cat >docker-compose.yml <<-EOF &&
	services:
	  db:
	    image: $BASE_IMAGE
	    command: ["sh", "-c", "echo db-start; echo db-err >&2; trap \"exit 0\" TERM; while :; do sleep 1; done"]
	    healthcheck: {test: ["CMD", "true"], interval: 1s}
	    volumes: [data:/data, ext:/ext]
	  web:
	    image: $BASE_IMAGE
	    command: ["sh", "-c", "echo web-line-1; echo web-line-2; exec httpd -f -p 80"]
	    depends_on: {db: {condition: service_healthy}}
	    ports: ["127.0.0.1::80"]
	  api:
	    image: $BASE_IMAGE
	    command: ["sh", "-c", "echo api-up; trap \"exit 0\" TERM; while :; do if [ -f /go ]; then echo go-seen; rm /go; fi; sleep 0.2; done"]
	    depends_on: [web]
	volumes:
	  data: {}
	  ext: {external: true, name: $P-ext}
	EOF
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: docker-compose.yml
	profiles:
	  dev: {}
	EOF
	compose up -d --wait &&
	compose run -d --name $P-oneoff web sleep 300
'

test_expect_success 'ps: the service containers compose lists, with state, health and ports' '
	"$CCBUILD" ps dev >out &&
	cat out &&
	head -n 1 out | grep -q "^SERVICE  *CONTAINER  *STATE  *HEALTH  *PORTS  *DEPLOY HASH  *AGE$" &&
	tail -n +2 out | awk "{print \$1, \$2, \$3}" >actual &&
	compose ps --format "{{.Service}} {{.Name}} {{.State}}" | sort >expect &&
	test_cmp expect actual &&
	grep -q "^db  *$P-db-1  *running  *healthy  *-  *-  *[0-9]*s$" out &&
	port=$(docker port $P-web-1 80/tcp | head -n 1) &&
	grep -q "^web  *$P-web-1  *running  *-  *$port->80/tcp  *-  " out &&
	! grep -q oneoff out
'

test_expect_success 'ps --json: one object per container, no deploy hash on what compose made' '
	"$CCBUILD" ps dev --json >out &&
	test $(wc -l <out) = 3 &&
	python3 -c "
import json, sys
rows = [json.loads(l) for l in open(\"out\")]
assert [r[\"service\"] for r in rows] == [\"api\", \"db\", \"web\"], rows
assert all(r[\"hash\"] is None and r[\"state\"] == \"running\" for r in rows), rows
assert rows[1][\"health\"] == \"healthy\" and rows[1][\"container\"] == \"$P-db-1\", rows
assert rows[2][\"ports\"].startswith(\"127.0.0.1:\"), rows
assert all(0 <= r[\"age_seconds\"] < 600 for r in rows), rows
"
'

test_expect_success 'ps SERVICE: only that service; an unknown one is a usage error' '
	"$CCBUILD" ps dev web >out &&
	test $(wc -l <out) = 2 &&
	grep -q "^web " out &&
	test_expect_code 2 "$CCBUILD" ps dev nosuch 2>err &&
	grep -q "no such service: nosuch" err &&
	test_expect_code 2 "$CCBUILD" ps dev --bogus
'

# compose prints "\e[2K" before each line even into a pipe, and pads the
# prefix to the longest name among the containers whose output has begun
# (so it varies from run to run): compare without the padding.
compose_logs () {
	compose logs --no-color "$@" | sed "s/\x1b\[2K//g"
}
unpad () {
	sed "s/^\([^ ]*\)  *|/\1 |/" "$@"
}

test_expect_success 'logs: the lines compose prints, with its prefixes' '
	"$CCBUILD" logs dev >out &&
	cat out &&
	compose_logs >expect.raw &&
	unpad out | sort >actual && unpad expect.raw | sort >expect &&
	test_cmp expect actual &&
	grep -qx "web-1  | web-line-2" out &&
	grep -qx "db-1   | db-err" out &&
	! grep -q sleep out
'

test_expect_success 'logs SERVICE --tail N: the last N lines of that service, as compose' '
	"$CCBUILD" logs dev web --tail 1 >out &&
	compose_logs --tail 1 web >expect &&
	test_cmp expect out &&
	echo "web-1  | web-line-2" >expect &&
	test_cmp expect out &&
	"$CCBUILD" logs dev --tail=0 >out &&
	test ! -s out &&
	test_expect_code 2 "$CCBUILD" logs dev --tail -3 &&
	test_expect_code 2 "$CCBUILD" logs dev --tail &&
	test_expect_code 2 "$CCBUILD" logs dev nosuch
'

test_expect_success 'logs -f: a new line shows while following; it ends when the container stops' '
	("$CCBUILD" -f ccbuild.yaml logs dev api -f >follow 2>&1; echo $? >follow.rc) &
	echo $! >follow.pid &&
	for i in $(seq 50); do grep -q api-up follow && break; sleep 0.1; done &&
	docker exec $P-api-1 touch /go &&
	for i in $(seq 50); do grep -q "^api-1  | go-seen$" follow && break; sleep 0.1; done &&
	grep -qx "api-1  | go-seen" follow &&
	test ! -e follow.rc &&
	docker stop -t 5 $P-api-1 >/dev/null &&
	for i in $(seq 50); do test -e follow.rc && break; sleep 0.1; done &&
	test "$(cat follow.rc)" = 0 &&
	docker start $P-api-1 >/dev/null
'

test_expect_success 'no engine: exit 3' '
	DOCKER_HOST=unix://$TRASH/none.sock test_expect_code 3 "$CCBUILD" ps dev &&
	DOCKER_HOST=unix://$TRASH/none.sock test_expect_code 3 "$CCBUILD" down dev
'

# Names of the containers that die from now on, in order, into died
# (the daemon keeps only its last 256 events: watch live, not afterwards).
watch_deaths () {
	docker events --filter "label=com.docker.compose.project=$P" --filter event=die \
		--format "{{.Actor.Attributes.name}}" >died &
	echo $! >watch.pid
	sleep 0.5
}

test_expect_success 'down: dependants stop first; containers and network go, named volumes stay' '
	test_expect_code 2 "$CCBUILD" down dev --timeout x &&
	test_expect_code 2 "$CCBUILD" down dev extra &&
	compose up -d --wait &&
	watch_deaths &&
	"$CCBUILD" down dev >out &&
	cat out &&
	for i in $(seq 30); do test $(wc -l <died) -ge 4 && break; sleep 0.1; done &&
	kill $(cat watch.pid) &&
	cat died &&
	grep -n "" died | grep ":$P-api-1$" | cut -d: -f1 >api &&
	grep -n "" died | grep ":$P-web-1$" | cut -d: -f1 >web &&
	grep -n "" died | grep ":$P-db-1$" | cut -d: -f1 >db &&
	test "$(cat api)" -lt "$(cat web)" && test "$(cat web)" -lt "$(cat db)" &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)" &&
	grep -qx "Container $P-oneoff  Removed" out &&
	grep -qx "Network ${P}_default  Removed" out &&
	! docker network inspect ${P}_default >/dev/null 2>&1 &&
	docker volume inspect ${P}_data >/dev/null &&
	docker volume inspect $P-ext >/dev/null
'

test_expect_success 'down on nothing: nothing to do, exit 0' '
	"$CCBUILD" down dev >out &&
	test ! -s out &&
	"$CCBUILD" ps dev >out &&
	test $(wc -l <out) = 1
'

test_expect_success 'down --volumes --timeout 1: named volumes go, the external one stays' '
	compose up -d --wait &&
	start=$(date +%s) &&
	"$CCBUILD" down dev --volumes --timeout 1 --json >out &&
	test $(( $(date +%s) - start )) -lt 15 &&
	grep -q "\"object\":\"volume\",\"name\":\"${P}_data\",\"action\":\"Removed\"" out &&
	! docker volume inspect ${P}_data >/dev/null 2>&1 &&
	docker volume inspect $P-ext >/dev/null &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_expect_success 'cleanup' '
	{ test ! -e watch.pid || kill $(cat watch.pid) 2>/dev/null; } ;
	{ test ! -e follow.pid || kill $(cat follow.pid) 2>/dev/null; } ;
	compose down -v --timeout 1 >/dev/null 2>&1
	docker rm -f $P-oneoff >/dev/null 2>&1
	docker volume rm $P-ext >/dev/null &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_done
