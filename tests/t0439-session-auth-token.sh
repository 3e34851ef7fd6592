#!/bin/bash
# A private base behind a Bearer-token registry, pulled by BuildKit itself
# through the session's auth service (#16; t0436 does Basic): a
# docker-registry with `auth: token:` trusts tests/lib/token-server.py, a
# token issuer that wants Basic credentials and records every request
# (user agent, scope, whether credentials came and were right).  With a
# session ccbuild does not pre-pull the base (no /images/create reaches
# the engine, the image store never gets it): BuildKit asks the session
# for the host's credentials and fetches the token itself, so the issuer
# sees dockerd's client (containerd's resolver, not ccbuild) ask for the
# pull scope with the right password.  Wrong or no credentials fail naming
# the registry; no secret or token reaches .ccbuild/, --json or --report.
. "$(dirname "$0")/test-lib.sh"
test_description 'private bases from a token registry through the session auth service'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"
. "$SRCROOT/tests/lib/engine.sh"

if ! command -v docker-registry >/dev/null || ! command -v openssl >/dev/null; then
	test_skip_all_ 'docker-registry or openssl not installed'
fi

P=t0439p$TEST_ID
free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
TPORT=$(free_port)
REG=127.0.0.1:$(free_port)
export CI=1
unset DOCKER_CONFIG

pids=
stop_all () { test -n "$pids" && kill $pids 2>/dev/null; pids=; }
trap stop_all EXIT

# records_by_engine: the issuer's records of requests not made by ccbuild
records_by_engine () { grep -v '"user_agent": "ccbuild"' token.jsonl; }

test_expect_success 'setup: a token registry holds the base, an issuer that wants a password' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout tok.key -out tok.crt -days 2 \
		-subj /CN=t0439-issuer 2>/dev/null &&
	printf "version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n" "$TRASH/data" >registry.yml &&
	printf "http: {addr: %s}\nauth:\n  token:\n    realm: http://127.0.0.1:%s/token\n" $REG $TPORT >>registry.yml &&
	printf "    service: t0439\n    issuer: t0439-issuer\n    rootcertbundle: %s\n" "$TRASH/tok.crt" >>registry.yml &&
	(python3 "$SRCROOT/tests/lib/token-server.py" $TPORT tok.key tok.crt ci:s3cret t0439-issuer t0439 \
		"$TRASH/token.jsonl" >token.log 2>&1 & echo $! >token.pid) &&
	(docker-registry serve registry.yml >registry.log 2>&1 & echo $! >registry.pid) &&
	for i in $(seq 50); do
		curl -s -D hdr -o /dev/null "http://$REG/v2/" && grep -qi "^www-authenticate: Bearer" hdr &&
			curl -fs -o /dev/null "http://127.0.0.1:$TPORT/token?service=t0439" && break
		sleep 0.2
	done &&
	grep -qi "^www-authenticate: Bearer realm=\"http://127.0.0.1:$TPORT/token\"" hdr &&
	base_image_ensure >/dev/null &&
	mkdir -p cfg bad app/ctx &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$REG" "$(printf ci:s3cret | base64)" >cfg/config.json &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$REG" "$(printf ci:bad-pw-t0439 | base64)" >bad/config.json &&
	docker tag "$BASE_IMAGE" $REG/$P/base:1 &&
	DOCKER_CONFIG=$TRASH/cfg docker push -q $REG/$P/base:1 >/dev/null &&
	docker rmi $REG/$P/base:1 >/dev/null &&
	test_must_fail docker image inspect $REG/$P/base:1 >/dev/null 2>&1 &&
	printf "FROM $REG/$P/base:1\nRUN echo private >/x\n" >app/ctx/Dockerfile &&
	printf "ccbuild: 1\nproject: $P\nimages:\n  app: {context: ctx}\nprofiles: {dev: {}}\n" >app/ccbuild.yaml
'
pids="$(cat "$TRASH/token.pid" "$TRASH/registry.pid" 2>/dev/null | tr "\n" " ")"

test_expect_success 'with a session BuildKit fetches the token and pulls the base; no pre-pull' '
	: >token.jsonl &&
	: >requests &&
	(python3 "$SRCROOT/tests/lib/engine-log-proxy.py" "$(engine_sock)" "$TRASH/engine.sock" \
		"$TRASH/requests" </dev/null >/dev/null 2>proxy.err & echo $! >proxy.pid) &&
	pids="$pids $(cat proxy.pid)" &&
	for i in $(seq 50); do test -S engine.sock && break; sleep 0.1; done &&
	DOCKER_HOST=unix://$TRASH/engine.sock DOCKER_CONFIG=$TRASH/cfg \
		"$CCBUILD" -C app --json --report report.json dev >ev 2>err &&
	cat token.jsonl &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	grep -q "^POST /v1\.[0-9]*/session" requests &&
	grep -q "^POST /v1\.[0-9]*/build" requests &&
	! grep -q "/images/create" requests &&
	test_must_fail docker image inspect $REG/$P/base:1 >/dev/null 2>&1 &&
	test "$(docker run --rm $P-app cat /x)" = private &&
	records_by_engine | grep "\"auth\": \"ok\"" | grep -q "\"scope\": \"repository:$P/base:pull\""
'

test_expect_success 'no secret or token in the output, --json, --report or .ccbuild/' '
	test -s ev && test -s app/report.json && test -d app/.ccbuild &&
	for v in s3cret "$(printf ci:s3cret | base64)" eyJ; do
		! grep -rqF "$v" ev err app/report.json app/.ccbuild || return 1
	done
'

# Wrong or no credentials fail in ccbuild's own lookup of the base (its
# digest is an input of the build's hash), before a build reaches BuildKit.
test_expect_success 'wrong credentials: the lookup fails naming the registry and the token request' '
	echo "RUN echo again" >>app/ctx/Dockerfile &&
	: >token.jsonl &&
	: >requests &&
	test_expect_code 1 env DOCKER_HOST=unix://$TRASH/engine.sock DOCKER_CONFIG=$TRASH/bad \
		"$CCBUILD" -C app --json dev >ev 2>err &&
	cat ev err token.jsonl &&
	grep "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"failed\"" ev |
		grep -q "registry $REG: token request to http://127.0.0.1:$TPORT/token failed (HTTP 401)" &&
	grep -q "\"auth\": \"bad\", \"user_agent\": \"ccbuild\"" token.jsonl &&
	test -z "$(records_by_engine)" &&
	! grep -q "/build" requests &&
	! grep -rqF bad-pw-t0439 ev err app/.ccbuild
'

test_expect_success 'no credentials: the lookup fails naming the registry, unauthorized' '
	: >token.jsonl &&
	test_expect_code 1 env HOME=$TRASH/nohome "$CCBUILD" -C app dev 2>err &&
	cat err token.jsonl &&
	grep -q "build:app" err &&
	grep -q "registry $REG: 401: unauthorized: no credentials it accepts in the docker config" err &&
	grep -q "\"auth\": \"none\", \"user_agent\": \"ccbuild\"" token.jsonl &&
	test -z "$(records_by_engine)"
'

test_expect_success '--no-session: the base is pre-pulled into the image store, as before' '
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C app --no-session --json dev >ev 2>err &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	docker image inspect $REG/$P/base:1 >/dev/null
'

test_expect_success 'cleanup' '
	stop_all
	docker rmi $REG/$P/base:1 >/dev/null 2>&1
	test_remove_images "$P"
'

test_done
