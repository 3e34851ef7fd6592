#!/bin/bash
# examples/demo stays a valid project whose images build offline.
. "$(dirname "$0")/test-lib.sh"
test_description 'the demo project lints, plans, and its Dockerfiles build'

demo=$SRCROOT/examples/demo

test_expect_success 'the demo lints clean' '
	"$CCBUILD" -C "$demo" lint >out &&
	grep -q "ok" out
'

test_expect_success 'dev plan has three builds, base first, and deploys api and worker' '
	"$CCBUILD" -C "$demo" --state-dir "$TRASH/state" plan dev >out &&
	grep -q "plan for profile dev: 5 steps" out &&
	grep -n "build:" out | head -1 | grep -q "build:base" &&
	grep -q "up:api" out && grep -q "up:worker" out
'

test_expect_success 'the graph has the FROM edges' '
	"$CCBUILD" -C "$demo" graph dev >out &&
	grep -q "build:api  <- build:base" out &&
	grep -q "build:worker  <- build:base" out
'

command -v docker-compose >/dev/null ||
	test_skip "no docker-compose here (apt-get install docker-compose)"
test_expect_success 'docker-compose accepts the compose files' '
	(cd "$demo" && docker-compose -f docker-compose.yml -f docker-compose.dev.yml config) >config &&
	grep -q "target: dev" config
'
test_skip ""

test_need_docker

. "$SRCROOT/tests/lib/base-image.sh"

test_expect_success 'the demo images build from the local base image only' '
	base_image_exists_ ccbuild-test/busybox:latest &&
	cp -R "$demo" demo &&
	base_image_build_ demo/base ccbuild-demo/base:latest &&
	base_image_build_ demo/api ccbuild-t0020/api:$TEST_ID &&
	base_image_build_ demo/worker ccbuild-t0020/worker:$TEST_ID
'

test_expect_success 'the built images run' '
	docker run --rm --network none ccbuild-t0020/api:$TEST_ID cat /srv/www/health.json >out &&
	grep -q ok out &&
	docker run --rm --network none ccbuild-t0020/worker:$TEST_ID id -u >uid &&
	echo 10001 >expect && test_cmp expect uid
'

test_expect_success 'clean up the test images' '
	docker rmi ccbuild-t0020/api:$TEST_ID ccbuild-t0020/worker:$TEST_ID >/dev/null
'

test_done
