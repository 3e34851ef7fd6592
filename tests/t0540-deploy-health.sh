#!/bin/bash
# Waiting for depends_on conditions, on tests/fixtures/deploy-orch: an
# unhealthy dependency fails `ccbuild dev` (exit 1) naming it, with its
# last health check output, and what depends on it is not started; a
# dependency that exits fails with its last log lines; one that never
# becomes healthy fails at --wait-timeout, in bounded time.
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy: unhealthy, exited and slow dependencies'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0540p$TEST_ID
service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "no service image: $(grep -m1 '^service-image: ' "$TRASH/ensure.log")"
fi
trap 'for s in a b c; do deploy_cleanup $P$s >/dev/null 2>&1; done' EXIT

# not_started_ NAME SERVICE... — no container of SERVICE ever ran
not_started_ () {
	local name=$1 s c
	shift
	for s in "$@"; do
		c=$(deploy_id $name $s)
		test -z "$c" && continue
		test "$(docker inspect -f "{{.State.StartedAt}}" $c)" = 0001-01-01T00:00:00Z || {
			echo "$s was started" >&2
			return 1
		}
	done
}

test_expect_success 'the service image is there' '
	test $ensure_rc = 0 || { cat ensure.log; false; }
'

test_expect_success 'an unhealthy database fails the run with its health output; backend and nginx never start' '
	deploy_fixture a ${P}a &&
	sed -i -e "s/pg_isready -U app/pg_isready -p 5999 -U app/" -e "s/retries: 60/retries: 3/" a/docker-compose.yml &&
	grep -q "pg_isready -p 5999" a/docker-compose.yml &&
	start=$(date +%s) &&
	test_expect_code 1 "$CCBUILD" -C a dev >out 2>&1 &&
	cat out &&
	test $(($(date +%s) - start)) -lt 100 &&
	grep -q "database" out &&
	grep -q "unhealthy" out &&
	grep -q "5999 - no response" out &&
	not_started_ ${P}a backend nginx
'

test_expect_success 'a database that exits fails the run with its last log lines' '
	deploy_fixture b ${P}b &&
	sed -i "s/command: \\[\"ccb-postgres\"\\]/command: [\"bash\", \"-c\", \"echo fatal: no cluster $TEST_ID; exit 3\"]/" \
		b/docker-compose.yml &&
	grep -q "no cluster $TEST_ID" b/docker-compose.yml &&
	test_expect_code 1 "$CCBUILD" -C b dev >out 2>&1 &&
	cat out &&
	grep -q "database" out &&
	grep -q "fatal: no cluster $TEST_ID" out &&
	not_started_ ${P}b backend nginx
'

test_expect_success 'a database that stays starting fails at --wait-timeout' '
	deploy_fixture c ${P}c &&
	sed -i -e "s/pg_isready -U app/pg_isready -p 5999 -U app/" \
		-e "s/retries: 60/retries: 60\n      start_period: 600s/" c/docker-compose.yml &&
	start=$(date +%s) &&
	test_expect_code 1 "$CCBUILD" -C c dev --wait-timeout 5 >out 2>&1 &&
	cat out &&
	test $(($(date +%s) - start)) -lt 60 &&
	grep -q "database" out &&
	not_started_ ${P}c backend nginx
'

test_expect_success 'cleanup: nothing of this run is left' '
	for s in a b c; do
		"$CCBUILD" -C $s down dev --volumes >/dev/null 2>&1
		deploy_cleanup $P$s || return 1
	done
'

test_done
