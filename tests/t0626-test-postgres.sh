#!/bin/bash
# A test service that queries a real PostgreSQL (the service image): the
# profile does not deploy (no up:), yet its test's depends_on come up
# first (up:db, up:backend) and the test waits for db to be healthy; it
# passes, is not rerun by a second run, reruns when the backend's image
# changes (why: the deploy of up:backend), and when it fails the push
# after it does not happen.  Then ps, logs and down on what ccbuild made.
. "$(dirname "$0")/test-lib.sh"
test_description 'a test against PostgreSQL: run when what it tests changed'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"
. "$SRCROOT/tests/lib/service-image.sh"

P=t0626p$TEST_ID
REG=127.0.0.1:5000/$P
IMG=$SERVICE_IMAGE
export CI=1

service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "$(grep -m1 '^service-image: ' "$TRASH/ensure.log" | sed 's/^service-image: //')"
fi

status () {
	grep "\"event\":\"step_end\",\"step\":\"$1\"" "$2" | sed "s/.*\"status\":\"\([^\"]*\)\".*/\1/"
}

# digest of the backend's pushed tag, or nothing
pushed () {
	curl -sf -o /dev/null -D - -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		http://127.0.0.1:5000/v2/$P/backend/manifests/latest | tr -d "\r" | sed -n "s/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p"
}

test_expect_success 'setup: db (PostgreSQL, pg_isready), a built backend, a test that queries db' '
	test $ensure_rc = 0 || { cat ensure.log; false; } &&
	base_image_ensure >/dev/null &&
	mkdir backend &&
	printf "FROM %s\nRUN mkdir /www && echo v1 >/www/index.html\n" "$BASE_IMAGE" >backend/Dockerfile &&
	cat >docker-compose.yml <<-EOF &&
	services:
	  db:
	    image: $IMG
	    command: ccb-postgres
	    environment: {POSTGRES_DB: app}
	    healthcheck:
	      test: ["CMD-SHELL", "pg_isready -U postgres -d app"]
	      interval: 1s
	      timeout: 5s
	      retries: 60
	    volumes: [pgdata:/var/lib/postgresql/data]
	  backend:
	    build: backend
	    image: $REG/backend:latest
	    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
	    depends_on: {db: {condition: service_healthy}}
	    stop_grace_period: 1s
	  web-test:
	    image: $IMG
	    command: ["sh", "-c", "psql -h db -U postgres -d app -v ON_ERROR_STOP=1 -Atc \"\$\${QUERY:-SELECT 40 + 2}\""]
	    depends_on:
	      db: {condition: service_healthy}
	      backend: {condition: service_started}
	volumes:
	  pgdata: {}
	EOF
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	registry: $REG
	compose: docker-compose.yml
	profiles:
	  ci:
	    tests: [web-test]
	    push: true
	EOF
'

test_expect_success 'graph: the test after up:db and up:backend, the push after the test' '
	"$CCBUILD" graph ci >out &&
	cat out &&
	grep -q "^test:web-test  <- .*up:backend" out &&
	grep -q "^test:web-test  <- .*up:db" out &&
	grep -q "^push:backend  <- .*test:web-test" out &&
	! grep -q "^up:web-test" out
'

test_expect_success 'first run: db healthy, the test queries it and passes, then the push' '
	"$CCBUILD" ci --json >ev &&
	test "$(status up:db ev)" = done &&
	test "$(status test:web-test ev)" = done &&
	test "$(status push:backend ev)" = done &&
	test "$(cat .ccbuild/tests/web-test.log)" = 42 &&
	test -n "$(pushed)" &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P --filter label=com.docker.compose.oneoff=True)"
'

test_expect_success 'second run: the test is not rerun' '
	"$CCBUILD" ci --json >ev &&
	test "$(status test:web-test ev)" = up-to-date
'

test_expect_success 'a new backend image: the test reruns, why names its deploy' '
	sed -i "s/echo v1/echo v2/" backend/Dockerfile &&
	"$CCBUILD" ci --json >ev &&
	test "$(status build:backend ev)" = done &&
	test "$(status up:backend ev)" = done &&
	test "$(status test:web-test ev)" = done &&
	grep "step_end\",\"step\":\"test:web-test" ev | grep -q "deploy up:backend changed" &&
	"$CCBUILD" why ci test:web-test >why &&
	grep -q "up to date\|inputs unchanged" why
'

test_expect_success 'a failing test: the push after it does not happen' '
	before=$(pushed) &&
	test -n "$before" &&
	sed -i "s/echo v2/echo v3/" backend/Dockerfile &&
	sed -i "/^  web-test:\$/a\\    environment: {QUERY: \"SELECT * FROM missing\"}" docker-compose.yml &&
	grep -A1 "^  web-test:" docker-compose.yml &&
	test_expect_code 1 "$CCBUILD" ci --json >ev &&
	test "$(status test:web-test ev)" = failed &&
	grep "step_end\",\"step\":\"test:web-test" ev | grep -q "missing" &&
	test "$(status push:backend ev)" = cancelled &&
	test "$(pushed)" = "$before"
'

test_expect_success 'ps and logs on what ccbuild deployed; down keeps the data volume, --volumes removes it' '
	"$CCBUILD" ps ci >out &&
	cat out &&
	grep -q "^db  *$P-db-1  *running  *healthy  .*/tcp  *[0-9a-f]\{12\}  " out &&
	! grep -q web-test out &&
	"$CCBUILD" logs ci db >out &&
	grep -q "^db-1  | " out &&
	"$CCBUILD" down ci --timeout 5 >out &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)" &&
	docker volume inspect ${P}_pgdata >/dev/null &&
	"$CCBUILD" down ci --volumes >out &&
	! docker volume inspect ${P}_pgdata >/dev/null 2>&1
'

test_expect_success 'cleanup' '
	ids=$(docker ps -aq --filter label=com.docker.compose.project=$P)
	{ test -z "$ids" || docker rm -f $ids >/dev/null; }
	docker volume rm ${P}_pgdata >/dev/null 2>&1
	docker network rm ${P}_default >/dev/null 2>&1
	test_remove_images "$P"
'

test_done
