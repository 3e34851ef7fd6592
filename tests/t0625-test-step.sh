#!/bin/bash
# test:SERVICE steps (a profile's tests:) on the real engine: the service
# runs to completion as `docker compose run --rm` runs it (a one-off
# container with compose's labels, no published port, removed after),
# its output is kept (stdout and stderr as the engine's log has them: two
# pipes, so their relative order is not fixed), a non-zero exit fails the step and the push after it
# does not happen; it reruns only when its image, its configuration or
# what it depends on changed (why names the field), or --no-cache-tests.
. "$(dirname "$0")/test-lib.sh"
test_description 'test steps: run to completion, only when what they test changed'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

P=t0625p$TEST_ID
REG=127.0.0.1:5000/$P
export CI=1

# status STEP EVENTS-FILE: the step_end status of STEP
status () {
	grep "\"event\":\"step_end\",\"step\":\"$1\"" "$2" | sed "s/.*\"status\":\"\([^\"]*\)\".*/\1/"
}

test_expect_success 'setup: a built test service that publishes a port' '
	base_image_ensure >/dev/null &&
	mkdir app &&
	printf "FROM %s\nCOPY t.sh /t.sh\n" "$BASE_IMAGE" >app/Dockerfile &&
	printf "echo testing \$MODE; echo to-stderr >&2; sleep \${PAUSE:-0}; exit \${CODE:-0}\n" >app/t.sh &&
	cat >docker-compose.yml <<-EOF &&
	services:
	  unit:
	    build: app
	    image: $REG/unit:latest
	    command: ["sh", "/t.sh"]
	    environment: {MODE: one}
	    ports: ["127.0.0.1::80"]
	    restart: always
	EOF
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	registry: $REG
	compose: docker-compose.yml
	profiles:
	  dev:
	    tests: [unit]
	  prod:
	    tests: unit
	    push: true
	EOF
'

test_expect_success 'graph: the test after its build, the push after the test' '
	"$CCBUILD" graph prod >out &&
	grep -qx "test:unit  <- build:unit" out &&
	grep -q "^push:unit  <- .*test:unit" out
'

test_expect_success 'first run: the test runs in a one-off container, its output kept' '
	sed -i "s/MODE: one}/MODE: one, PAUSE: \"2\"}/" docker-compose.yml &&
	("$CCBUILD" dev --json >ev; echo $? >rc) &
	for i in $(seq 100); do
		id=$(docker ps -q --filter label=com.docker.compose.project=$P \
			--filter label=com.docker.compose.oneoff=True --filter label=com.docker.compose.service=unit)
		test -n "$id" && break
		sleep 0.1
	done &&
	test -n "$id" &&
	docker inspect $id --format "{{.Name}} {{json .HostConfig.PortBindings}} {{.HostConfig.RestartPolicy.Name}}" >c &&
	cat c &&
	grep -q "^/$P-unit-run-[0-9a-f]\{12\} \(null\|{}\) no$" c &&
	for i in $(seq 100); do test -e rc && break; sleep 0.1; done &&
	test "$(cat rc)" = 0 &&
	test "$(status test:unit ev)" = done &&
	printf "testing one\nto-stderr\n" >expect &&
	sort .ccbuild/tests/unit.log >actual &&
	test_cmp expect actual &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_expect_success 'second run: up to date, nothing started' '
	"$CCBUILD" dev --json >ev &&
	test "$(status test:unit ev)" = up-to-date &&
	grep -q "passed with this image, configuration and dependencies" ev
'

test_expect_success 'a changed variable reruns it; why names the field' '
	sed -i "s/MODE: one/MODE: two/" docker-compose.yml &&
	"$CCBUILD" why dev test:unit >why &&
	cat why &&
	grep -q "environment.MODE: \"one\" -> \"two\"" why &&
	"$CCBUILD" dev --json >ev &&
	test "$(status test:unit ev)" = done &&
	grep -q "environment.MODE changed" ev &&
	grep -qx "testing two" .ccbuild/tests/unit.log
'

test_expect_success 'a rebuilt image reruns it' '
	echo "# $TEST_ID" >>app/t.sh &&
	"$CCBUILD" dev --json >ev &&
	test "$(status build:unit ev)" = done &&
	test "$(status test:unit ev)" = done &&
	grep "step_end\",\"step\":\"test:unit" ev | grep -q "image_id changed"
'

test_expect_success '--no-cache-tests runs it anyway' '
	"$CCBUILD" dev --json >ev &&
	test "$(status test:unit ev)" = up-to-date &&
	"$CCBUILD" dev --no-cache-tests --json >ev &&
	test "$(status test:unit ev)" = done &&
	grep -q "no-cache-tests" ev
'

test_expect_success 'a failing test fails the run, with its output; the push does not happen' '
	sed -i "s/MODE: two/MODE: two, CODE: \"3\"/" docker-compose.yml &&
	test_expect_code 1 "$CCBUILD" prod --junit junit.xml >out 2>&1 &&
	cat out &&
	grep -q "test unit exited 3; its last lines:" out &&
	grep -q "^testing two$" out &&
	grep -q "push:unit  *cancelled" out &&
	test_must_fail curl -sf http://127.0.0.1:5000/v2/$P/unit/tags/list -o /dev/null &&
	grep -q "<testcase classname=\"ccbuild.test.tests\" name=\"unit\"" junit.xml &&
	grep -q "<failure message=\"test unit exited 3" junit.xml &&
	grep -q "<system-out>.*\(testing two\|to-stderr\)" junit.xml &&
	grep -qx "testing two" junit.xml &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_expect_success 'back to what passed: up to date again, and the push goes' '
	sed -i "s/, CODE: \"3\"//" docker-compose.yml &&
	"$CCBUILD" prod --json --junit junit.xml >ev &&
	test "$(status test:unit ev)" = up-to-date &&
	test "$(status push:unit ev)" = done &&
	curl -sf http://127.0.0.1:5000/v2/$P/unit/tags/list | grep -q latest &&
	grep -q "<testcase classname=\"ccbuild.test.tests\" name=\"unit\"" junit.xml &&
	! grep -q "<failure" junit.xml
'

test_expect_success 'tests: must name a service; a test does not depend on a test' '
	cat >>docker-compose.yml <<-EOF &&
	  db:
	    image: $BASE_IMAGE
	  needs-db:
	    image: $BASE_IMAGE
	    depends_on: [db]
	EOF
	cat >>ccbuild.yaml <<-EOF &&
	  bad:
	    tests: [nosuch]
	  both:
	    tests: [needs-db, db]
	EOF
	test_expect_code 2 "$CCBUILD" plan bad 2>err &&
	grep -q "ccbuild.yaml:[0-9]*:[0-9]*: profile bad tests .nosuch., which is no service" err &&
	test_expect_code 2 "$CCBUILD" plan both 2>err &&
	grep -q "profile both tests .needs-db., which depends on .db., a test too" err
'

test_expect_success 'cleanup: containers, the default network and images' '
	deploy_cleanup "$P"
'

test_done
