#!/bin/bash
# The test services every engine test relies on: dockerd, the loopback
# registry, and the locally built base image (tests/run sets them up).
. "$(dirname "$0")/test-lib.sh"
test_description 'dockerd, registry and base image answer'

test_need_docker

test_expect_success 'dockerd answers /_ping with API 1.41 or later' '
	test "$(curl -s --unix-socket /var/run/docker.sock http://localhost/_ping)" = OK &&
	curl -s --unix-socket /var/run/docker.sock http://localhost/version >version.json &&
	python3 -c "import json; v=json.load(open(\"version.json\"))[\"ApiVersion\"].split(\".\"); assert (int(v[0]), int(v[1])) >= (1, 41), v"
'

test_expect_success 'the registry answers the v2 API on 127.0.0.1:5000 without auth' '
	curl -sf http://127.0.0.1:5000/v2/ >v2 &&
	curl -sf http://127.0.0.1:5000/v2/_catalog | grep -q repositories
'

test_expect_success 'the base image exists and runs busybox applets' '
	docker image inspect ccbuild-test/busybox:latest >/dev/null &&
	docker run --rm --network none ccbuild-test/busybox:latest echo ok >out &&
	echo ok >expect &&
	test_cmp expect out &&
	docker run --rm --network none ccbuild-test/busybox:latest sh -c "test -x /bin/wget"
'

test_expect_success 'an image pushed to the registry can be pulled back and deleted' '
	tag=127.0.0.1:5000/ccbuild-test/t0010:$TEST_ID &&
	docker tag ccbuild-test/busybox:latest "$tag" &&
	docker push "$tag" >push.log &&
	curl -sf "http://127.0.0.1:5000/v2/ccbuild-test/t0010/tags/list" | grep -q "\"$TEST_ID\"" &&
	docker rmi "$tag" >/dev/null &&
	docker pull "$tag" >pull.log &&
	docker rmi "$tag" >/dev/null &&
	curl -sfI -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"http://127.0.0.1:5000/v2/ccbuild-test/t0010/manifests/$TEST_ID" >head &&
	digest=$(sed -n "s/^Docker-Content-Digest: *//Ip" head | tr -d "\r") &&
	curl -sf -X DELETE "http://127.0.0.1:5000/v2/ccbuild-test/t0010/manifests/$digest" &&
	test_must_fail curl -sfI "http://127.0.0.1:5000/v2/ccbuild-test/t0010/manifests/$TEST_ID"
'

test_expect_success 'services_start is idempotent and starts nothing twice' '
	(
		. "$SRCROOT/tests/lib/services.sh" &&
		SERVICES_STARTED= &&
		services_start 2>err &&
		test -z "$SERVICES_STARTED" &&
		test_must_fail grep starting err
	)
'

test_done
