#!/bin/bash
# Zero-downtime updates: the backend of tests/fixtures/deploy-orch has
# deploy.update_config.order: start-first and no published port, so a
# changed backend is started and healthy before the old one stops.  A
# loop of requests through nginx during the recreate loses none, and
# answers first from the old container, last from the new (both while
# they overlap: nginx resolves the name to both).  The backend drains on
# TERM for longer than nginx caches an address (the fixture's README).
# (t0510 shows that the same loop does see Compose's stop-first recreate.)
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy: start-first recreates lose no request'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0550p$TEST_ID
service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "no service image: $(grep -m1 '^service-image: ' "$TRASH/ensure.log")"
fi
trap 'deploy_loop_stop "$TRASH/loop" >/dev/null 2>&1; deploy_cleanup $P >/dev/null 2>&1' EXIT
deploy_fixture "$TRASH/orch" $P
dev () { "$CCBUILD" -C "$TRASH/orch" "$@"; }
URL=http://127.0.0.1:$HTTP_PORT/api/cgi-bin/env

test_expect_success 'the service image is there' '
	test $ensure_rc = 0 || { cat ensure.log; false; }
'

test_expect_success 'deployed and answering through nginx' '
	dev dev >out 2>&1 || { cat out; false; } &&
	deploy_get $URL | grep -q "^mode=development "
'

test_expect_success 'a changed env var, start-first: no failed request during the recreate' '
	old=$(deploy_id $P backend) &&
	nginx=$(deploy_id $P nginx) &&
	deploy_loop_start $URL loop &&
	sleep 1 &&
	APP_MODE=blue dev dev >out 2>&1 &&
	sleep 2 &&
	deploy_loop_stop loop >summary &&
	cat summary &&
	grep -q "^ok mode=development " loop &&
	grep -q "^ok mode=blue " loop &&
	test "$(grep -v "^ok mode=development " loop | grep -c -v "^ok mode=blue ")" = 0 &&
	head -n 1 loop | grep -q "^ok mode=development " &&
	tail -n 1 loop | grep -q "^ok mode=blue " &&
	new=$(deploy_id $P backend) &&
	test "$new" != "$old" &&
	test "$(deploy_ids $P | grep -c "^backend ")" = 1 &&
	test "$(docker inspect -f "{{.Name}}" $new)" = /$P-backend-1 &&
	test "$(deploy_id $P nginx)" = $nginx
'

test_expect_success 'a rebuilt image, start-first: no failed request either' '
	echo "backend v2" >orch/backend/www/index.html &&
	deploy_loop_start http://127.0.0.1:$HTTP_PORT/api/ loop &&
	sleep 1 &&
	APP_MODE=blue dev dev >out 2>&1 &&
	sleep 2 &&
	deploy_loop_stop loop &&
	head -n 1 loop | grep -q "^ok backend v1" &&
	tail -n 1 loop | grep -q "^ok backend v2"
'

test_expect_success 'cleanup: nothing of this run is left' '
	dev down dev --volumes >out 2>&1 &&
	deploy_cleanup $P
'

test_done
