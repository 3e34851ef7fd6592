#!/bin/bash
# Test services (`tests:` of a profile) on tests/fixtures/deploy-orch: the
# ci profile builds the backend, deploys, runs api-test (psql against the
# deployed PostgreSQL, an HTTP GET of the backend) to completion, then
# pushes.  A passing test is not run again while nothing it depends on
# changed; it runs again when the backend's image changes (and `why` says
# so) or with --no-cache-tests; --junit has its result; a failing test
# fails the run with its output, and the push after it does not happen.
# Each run of api-test inserts a row (TEST_QUERY), so the runs are counted
# in the database itself.
. "$(dirname "$0")/test-lib.sh"
test_description 'deploy: test services run only when what they test changed'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh"

test_need_docker
P=t0530p$TEST_ID
REG=127.0.0.1:5000/$P/backend
service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "no service image: $(grep -m1 '^service-image: ' "$TRASH/ensure.log")"
fi
# registry_delete_ REPO — delete every tag of REPO (the shared registry
# outlives this run).
registry_delete_ () {
	local url=http://127.0.0.1:5000/v2/$1 tag digest
	for tag in $(curl -sf "$url/tags/list" | python3 -c 'import json, sys
print(" ".join(json.load(sys.stdin).get("tags") or []))' 2>/dev/null); do
		digest=$(registry_digest_ "$1" "$tag")
		test -z "$digest" || curl -sf -X DELETE "$url/manifests/$digest" || return 1
	done
}
# registry_digest_ REPO TAG — the manifest digest TAG names, or nothing
registry_digest_ () {
	curl -sfI -H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json" \
		"http://127.0.0.1:5000/v2/$1/manifests/$2" | sed -n "s/^Docker-Content-Digest: *//Ip" | tr -d "\r"
}
trap 'deploy_cleanup $P >/dev/null 2>&1; registry_delete_ $P/backend >/dev/null 2>&1' EXIT
deploy_fixture "$TRASH/orch" $P
export TEST_QUERY="CREATE TABLE IF NOT EXISTS runs (at timestamptz); INSERT INTO runs VALUES (now()); SELECT count(*) FROM runs"
ci () { "$CCBUILD" -C "$TRASH/orch" "$@"; }
# runs_ — how many times api-test ran against this database
runs_ () {
	docker exec "$(deploy_id $P database)" psql -U app -d orchestrator -Atc "SELECT count(*) FROM runs"
}

test_expect_success 'the service image is there' '
	test $ensure_rc = 0 || { cat ensure.log; false; }
'

test_expect_success 'ci: build, deploy, api-test passes against PostgreSQL, then the push' '
	ci --junit "$TRASH/junit.xml" ci >out 2>&1 || { cat out; false; } &&
	test "$(runs_)" = 1 &&
	test -n "$(registry_digest_ $P/backend latest)" &&
	grep -q "<testcase[^>]*name=\"[^\"]*api-test" junit.xml &&
	test_must_fail grep -q "<failure" junit.xml &&
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P --filter label=com.docker.compose.service=api-test)"
'

test_expect_success 'a second run does not run the unchanged test again' '
	ci ci >out 2>&1 &&
	test "$(runs_)" = 1
'

test_expect_success 'a changed backend image: why names it, the test runs again' '
	echo "backend v2" >orch/backend/www/index.html &&
	ci why ci test:api-test >why 2>&1 &&
	cat why &&
	grep -q backend why &&
	ci ci >out 2>&1 &&
	test "$(runs_)" = 2 &&
	ci ci >out 2>&1 &&
	test "$(runs_)" = 2
'

test_expect_success '--no-cache-tests runs it regardless' '
	ci --no-cache-tests ci >out 2>&1 &&
	test "$(runs_)" = 3
'

test_expect_success 'a failing test fails the run with its output, and the push after it does not happen' '
	registry_digest_ $P/backend latest >before &&
	test -s before &&
	echo "backend v3" >orch/backend/www/index.html &&
	test_expect_code 1 env TEST_QUERY="SELECT * FROM nosuch" "$CCBUILD" -C orch --junit "$TRASH/junit.xml" ci >out 2>&1 &&
	cat out &&
	grep -q "api-test" out &&
	grep -q "relation \"nosuch\" does not exist" out &&
	test "$(registry_digest_ $P/backend latest)" = "$(cat before)" &&
	grep -q "<failure" junit.xml &&
	test "$(runs_)" = 3
'

test_expect_success 'a failed test is not taken for a pass: the same run again runs it again' '
	test_expect_code 1 env TEST_QUERY="SELECT * FROM nosuch" "$CCBUILD" -C orch ci >out 2>&1 &&
	grep -q "relation \"nosuch\" does not exist" out &&
	test "$(registry_digest_ $P/backend latest)" = "$(cat before)"
'

test_expect_success 'fixed, it runs, passes, and the push happens' '
	ci ci >out 2>&1 &&
	test "$(runs_)" = 4 &&
	test "$(registry_digest_ $P/backend latest)" != "$(cat before)"
'

test_expect_success 'cleanup: nothing of this run is left' '
	"$CCBUILD" -C orch down ci --volumes >out 2>&1 &&
	deploy_cleanup $P &&
	registry_delete_ $P/backend
'

test_done
