#!/bin/bash
# A private base pulled by BuildKit itself through the session's auth
# service (#16): a docker-registry with htpasswd (Basic) auth holds the
# base; with a session ccbuild does not pre-pull it (privbase.c), BuildKit
# asks the session for the host's credentials (answered from the docker
# config, here a credential helper that logs each question) and pulls it,
# so the engine's image store never gets it.  --no-session keeps the
# pre-pull, which the tar path still needs.
. "$(dirname "$0")/test-lib.sh"
test_description 'private bases through the session auth service'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

if ! command -v htpasswd >/dev/null || ! command -v docker-registry >/dev/null; then
	test_skip_all_ 'htpasswd (apache2-utils) or docker-registry not installed'
fi

P=t0436p$TEST_ID
REG=127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CI=1
unset DOCKER_CONFIG

registry_pid=
stop_registry () { test -n "$registry_pid" && kill "$registry_pid" 2>/dev/null; registry_pid=; }
trap stop_registry EXIT

test_expect_success 'setup: a registry that wants a password holds the base' '
	htpasswd -Bbn ci s3cret >htpasswd &&
	printf "version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n" "$TRASH/data" >registry.yml &&
	printf "http: {addr: %s}\nauth:\n  htpasswd: {realm: t0436, path: %s}\n" $REG "$TRASH/htpasswd" >>registry.yml &&
	(docker-registry serve registry.yml >registry.log 2>&1 & echo $! >registry.pid) &&
	for i in $(seq 50); do
		test "$(curl -s -o /dev/null -w "%{http_code}" "http://$REG/v2/")" = 401 && break
		sleep 0.2
	done &&
	base_image_ensure >/dev/null &&
	mkdir -p cfg helper/bin app/ctx &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$REG" "$(printf ci:s3cret | base64)" >cfg/config.json &&
	docker tag "$BASE_IMAGE" $REG/$P/base:1 &&
	DOCKER_CONFIG=$TRASH/cfg docker push -q $REG/$P/base:1 >/dev/null &&
	docker rmi $REG/$P/base:1 >/dev/null &&
	cat >helper/bin/docker-credential-t0436 <<-\EOF &&
	#!/bin/sh
	test "$1" = get || exit 1
	read -r server
	echo "$server" >>"$TRASH/helper.log"
	printf "{\"ServerURL\": \"%s\", \"Username\": \"ci\", \"Secret\": \"s3cret\"}\n" "$server"
	EOF
	chmod +x helper/bin/docker-credential-t0436 &&
	printf "{\"credHelpers\": {\"%s\": \"t0436\"}}\n" "$REG" >helper/config.json &&
	printf "FROM $REG/$P/base:1\nRUN echo private >/x\n" >app/ctx/Dockerfile &&
	printf "ccbuild: 1\nproject: $P\nimages:\n  app: {context: ctx}\nprofiles: {dev: {}}\n" >app/ccbuild.yaml
'
registry_pid=$(cat "$TRASH/registry.pid" 2>/dev/null)

test_expect_success 'with a session BuildKit pulls the base itself, with the credentials the session gives' '
	: >helper.log &&
	PATH=$TRASH/helper/bin:$PATH DOCKER_CONFIG=$TRASH/helper "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-app cat /x)" = private &&
	test_must_fail docker image inspect $REG/$P/base:1 >/dev/null 2>&1 &&
	grep -qx "$REG" helper.log &&
	! grep -q s3cret ev err
'

test_expect_success 'without credentials the session answers none and the pull fails, the registry named' '
	echo "RUN echo again" >>app/ctx/Dockerfile &&
	test_expect_code 1 env HOME=$TRASH/nohome "$CCBUILD" -C app dev 2>err &&
	cat err &&
	grep -q "build:app" err &&
	grep -q "$REG" err
'

test_expect_success '--no-session: the base is pre-pulled into the image store, as before' '
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C app --no-session --json dev >ev 2>err &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	docker image inspect $REG/$P/base:1 >/dev/null
'

test_expect_success 'cleanup' '
	stop_registry
	docker rmi $REG/$P/base:1 >/dev/null 2>&1
	test_remove_images "$P"
'

test_done
