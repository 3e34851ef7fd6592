#!/bin/bash
# Registry credentials from the docker config: a second, real
# docker-registry on a loopback port with htpasswd (Basic) auth.  Pushes
# (X-Registry-Auth to the engine), the registry cache's HEAD, retags and
# prune (ccbuild's own registry calls) all need them; a credential helper
# gives them as well as "auths" does.
. "$(dirname "$0")/test-lib.sh"
test_description 'registry credentials: auths, credential helpers, no credentials'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

if ! command -v htpasswd >/dev/null || ! command -v docker-registry >/dev/null; then
	test_skip_all_ 'htpasswd (apache2-utils) or docker-registry not installed'
fi

P=t0320p$TEST_ID
free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# registry_yml DATA ADDR: a registry config, up to its auth: key
registry_yml () {
	printf "version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n" "$1"
	printf "  delete: {enabled: true}\nhttp: {addr: %s}\nauth:\n" "$2"
}
REG=127.0.0.1:$(free_port)
export CI=1
unset DOCKER_CONFIG

registry_pid=
stop_registry () { test -n "$registry_pid" && kill "$registry_pid" 2>/dev/null; registry_pid=; }
trap stop_registry EXIT

test_expect_success 'setup: a registry that wants a password, a project that pushes to it' '
	htpasswd -Bbn ci s3cret >htpasswd &&
	{ registry_yml "$TRASH/registry-data" $REG &&
	  echo "  htpasswd: {realm: ccbuild-test, path: $TRASH/htpasswd}"; } >registry.yml &&
	(docker-registry serve registry.yml >registry.log 2>&1 & echo $! >registry.pid) &&
	for i in $(seq 50); do
		code=$(curl -s -o /dev/null -w "%{http_code}" "http://$REG/v2/") && test "$code" = 401 && break
		sleep 0.2
	done &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://$REG/v2/")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -u ci:s3cret "http://$REG/v2/")" = 200 &&
	base_image_ensure >/dev/null &&
	mkdir -p web &&
	printf "FROM %s\nCOPY index.html /srv/\nUSER 1000\n" "$BASE_IMAGE" >web/Dockerfile &&
	echo "hello $P" >web/index.html &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  web: {context: web, tags: [latest, v1]}
	profiles:
	  dev: {}
	  prod: {push: true}
	YAML
'
registry_pid=$(cat "$TRASH/registry.pid" 2>/dev/null)

tags_of () {
	curl -fsS -u ci:s3cret "http://$REG/v2/$1/tags/list" |
		python3 -c 'import sys, json; print(" ".join(sorted(json.load(sys.stdin).get("tags") or [])))'
}

test_expect_success 'without credentials the push fails with the registry named, exit 1' '
	export HOME=$TRASH/nohome &&
	test_expect_code 1 "$CCBUILD" prod 2>err &&
	cat err &&
	grep -q "push:web" err &&
	grep -qi "unauthorized\|authentication required\|no basic auth" err &&
	! curl -fsS -u ci:s3cret "http://$REG/v2/$P/web/tags/list" 2>/dev/null | grep -q latest
'

test_expect_success 'auths in $DOCKER_CONFIG/config.json: pushed under every tag' '
	mkdir -p cfg &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$REG" "$(printf ci:s3cret | base64)" >cfg/config.json &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" --json prod >ev &&
	grep -q "\"step\":\"push:web\",\"kind\":\"push\",\"status\":\"done\"" ev &&
	test "$(tags_of $P/web)" = "$(printf "ccb-%s latest v1" "$(grep "step_end\",\"step\":\"build:web" ev | sed "s/.*\"hash\":\"\([0-9a-f]*\)\".*/\1/")" | tr " " "\n" | sort | tr "\n" " " | sed "s/ $//")"
'

test_expect_success 'fresh runner: the registry cache authenticates, nothing is built or pulled' '
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P-" | xargs -r docker rmi -f >/dev/null &&
	rm -rf .ccbuild &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" --json prod >ev &&
	grep "step_end\",\"step\":\"build:web" ev | grep -q "\"status\":\"up-to-date\".*is in the registry" &&
	! grep -q "\"kind\":\"build\",\"status\":\"done\"" ev &&
	test -z "$(docker images -q $P-web)"
'

test_expect_success 'the same fresh runner without credentials cannot see the cache and says so' '
	rm -rf .ccbuild &&
	test_expect_code 1 "$CCBUILD" prod 2>err &&
	cat err &&
	grep -q "registry $REG: needs credentials (docker login $REG) (registry cache not used)" err &&
	grep -q "pushing $REG/$P/web:latest: no basic auth credentials" err
'

test_expect_success 'a credential helper (credHelpers) gives the credentials' '
	mkdir -p bin cfg2 &&
	cat >bin/docker-credential-cctest <<-\EOF &&
	#!/bin/sh
	test "$1" = get || exit 1
	read -r server
	echo "$server" >>"$TRASH/helper.log"
	printf "{\"ServerURL\": \"%s\", \"Username\": \"ci\", \"Secret\": \"s3cret\"}\n" "$server"
	EOF
	chmod +x bin/docker-credential-cctest &&
	printf "{\"credHelpers\": {\"%s\": \"cctest\"}}\n" "$REG" >cfg2/config.json &&
	echo "changed" >>web/index.html &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg2 "$CCBUILD" --json prod >ev &&
	grep -q "\"step\":\"push:web\",\"kind\":\"push\",\"status\":\"done\"" ev &&
	grep -qx "$REG" helper.log &&
	test "$(tags_of $P/web | wc -w)" = 4
'

test_expect_success 'a profile that does not push never runs the credential helper' '
	before=$(wc -l <helper.log) &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg2 "$CCBUILD" -q dev &&
	test "$(wc -l <helper.log)" = "$before"
'

test_expect_success 'prune authenticates too (dry run lists the old ccb- tag)' '
	cat >>ccbuild.yaml <<-YAML &&
	retention: {keep: 1, keep_tags: [latest, v1]}
	YAML
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" prune prod --dry-run >out 2>&1 &&
	cat out &&
	grep -q "^would delete $REG/$P/web:ccb-" out &&
	test_expect_code 1 "$CCBUILD" prune prod --dry-run 2>err &&
	cat err
'

test_expect_success 'a base in the private registry is pulled with the credentials before the build' '
	docker tag "$BASE_IMAGE" $REG/$P/base:1 &&
	DOCKER_CONFIG=$TRASH/cfg docker push -q $REG/$P/base:1 >/dev/null &&
	docker rmi $REG/$P/base:1 >/dev/null &&
	mkdir -p pb/app &&
	printf "FROM $REG/$P/base:1\nRUN echo private >/x\n" >pb/app/Dockerfile &&
	printf "ccbuild: 1\nproject: ${P}pb\nimages:\n  app: {context: app}\nprofiles: {dev: {}}\n" >pb/ccbuild.yaml &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pb --json dev >ev &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm ${P}pb-app cat /x)" = private &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pb --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'without credentials that build fails saying the registry wants them' '
	{ docker rmi $REG/$P/base:1 >/dev/null 2>&1 || :; } &&
	echo more >>pb/app/Dockerfile &&
	test_expect_code 1 "$CCBUILD" -C pb dev 2>err &&
	cat err &&
	grep -q "build:app" err &&
	grep -q "credentials" err
'

base_image_multiarch >/dev/null 2>&1 ||
	test_skip "no arm64 emulation or arm64 base here (bash scripts/setup.sh --multiarch)"
test_expect_success 'a multi-platform build FROM a private multi-platform base gets each platform' '
	mkdir -p pm/base pm/app &&
	printf "FROM %s:latest\nRUN echo \$(uname -m) v1 >/base-arch\n" "$BASE_IMAGE_REMOTE" >pm/base/Dockerfile &&
	printf "FROM $REG/$P/pmbase:latest\nRUN cat /base-arch >/seen\n" >pm/app/Dockerfile &&
	cat >pm/base.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	registry: $REG/$P
	images:
	  pmbase: {context: base, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  prod: {push: true}
	YAML
	cat >pm/ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: ${P}pm
	images:
	  app: {context: app, platforms: [linux/amd64, linux/arm64]}
	profiles:
	  dev: {}
	YAML
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pm -f base.yaml -q prod &&
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$REG/$P/pmbase\|^$P-pmbase" | xargs -r docker rmi -f >/dev/null &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pm --json dev >ev &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm ${P}pm-app:latest-linux-arm64 cat /seen)" = "aarch64 v1" &&
	test "$(docker run --rm ${P}pm-app:latest-linux-amd64 cat /seen)" = "x86_64 v1" &&
	test "$(docker image inspect $REG/$P/pmbase:latest --format "{{len .RepoDigests}}")" = 1 &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pm --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'the private base moves on in the registry: every platform rebuilds FROM the new one' '
	sed -i "s/ v1 / v2 /" pm/base/Dockerfile &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pm -f base.yaml -q prod &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pm --json dev >ev &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm ${P}pm-app:latest-linux-arm64 cat /seen)" = "aarch64 v2" &&
	test "$(docker run --rm ${P}pm-app:latest-linux-amd64 cat /seen)" = "x86_64 v2"
'
test_expect_success 'a private multi-platform base pinned by digest: each platform from that index' '
	digest=$(curl -fsS -u ci:s3cret -o /dev/null -D - \
		-H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
		-H "Accept: application/vnd.oci.image.index.v1+json" \
		"http://$REG/v2/$P/pmbase/manifests/latest" | tr -d "\r" | sed -n "s/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p") &&
	test -n "$digest" &&
	mkdir -p pd/app &&
	printf "FROM $REG/$P/pmbase@$digest\nRUN cat /base-arch >/seen\n" >pd/app/Dockerfile &&
	sed "s/project: ${P}pm/project: ${P}pd/" pm/ccbuild.yaml >pd/ccbuild.yaml &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pd --json dev >ev &&
	grep -q "\"step\":\"build:app\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm ${P}pd-app:latest-linux-arm64 cat /seen)" = "aarch64 v2" &&
	test "$(docker run --rm ${P}pd-app:latest-linux-amd64 cat /seen)" = "x86_64 v2" &&
	DOCKER_CONFIG=$TRASH/cfg "$CCBUILD" -C pd --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'
test_skip ""

# The same through Bearer tokens: a registry with `auth: token:` trusting
# tests/lib/token-server.py, a token issuer as the distribution spec has it.
TPORT=$(free_port)
TREG=127.0.0.1:$(free_port)
token_pids=
stop_token () { test -n "$token_pids" && kill $token_pids 2>/dev/null; token_pids=; }
trap 'stop_registry; stop_token' EXIT

test_expect_success 'setup: a registry that wants a Bearer token from an issuer' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout tok.key -out tok.crt -days 2 \
		-subj /CN=ccbuild-test-issuer 2>/dev/null &&
	{ registry_yml "$TRASH/tokreg-data" $TREG &&
	  printf "  token:\n    realm: http://127.0.0.1:%s/token\n    service: ccbuild-test\n" $TPORT &&
	  printf "    issuer: ccbuild-test-issuer\n    rootcertbundle: %s\n" "$TRASH/tok.crt"; } >tokreg.yml &&
	(python3 "$SRCROOT/tests/lib/token-server.py" $TPORT tok.key tok.crt ci:s3cret ccbuild-test-issuer \
		ccbuild-test >token.log 2>&1 & echo $! >token.pid) &&
	(docker-registry serve tokreg.yml >tokreg.log 2>&1 & echo $! >tokreg.pid) &&
	for i in $(seq 50); do
		curl -s -D hdr -o /dev/null "http://$TREG/v2/" && grep -qi "^www-authenticate: Bearer" hdr &&
			curl -fs -o /dev/null "http://127.0.0.1:$TPORT/token?service=ccbuild-test" && break
		sleep 0.2
	done &&
	tok=$(curl -fsS -u ci:s3cret "http://127.0.0.1:$TPORT/token?service=ccbuild-test&scope=registry:catalog:*" |
		python3 -c "import sys, json; print(json.load(sys.stdin)[\"token\"])") &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" "http://$TREG/v2/")" = 200 &&
	mkdir -p tok/web &&
	cp web/Dockerfile web/index.html tok/web/ &&
	sed -e "s|$REG|$TREG|" ccbuild.yaml >tok/ccbuild.yaml &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$TREG" "$(printf ci:s3cret | base64)" >tok/config.json
'
token_pids="$(cat "$TRASH/token.pid" "$TRASH/tokreg.pid" 2>/dev/null | tr "\n" " ")"

test_expect_success 'Bearer: push, then a fresh runner finds it through a token' '
	DOCKER_CONFIG=$TRASH/tok "$CCBUILD" -C tok --json prod >ev &&
	grep -q "\"step\":\"push:web\",\"kind\":\"push\",\"status\":\"done\"" ev &&
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$P-" | xargs -r docker rmi -f >/dev/null &&
	rm -rf tok/.ccbuild &&
	DOCKER_CONFIG=$TRASH/tok "$CCBUILD" -C tok --json prod >ev &&
	grep "step_end\",\"step\":\"build:web" ev | grep -q "\"status\":\"up-to-date\".*is in the registry" &&
	! grep -q "\"kind\":\"build\",\"status\":\"done\"" ev &&
	grep -q "^GET /token user=ci$" token.log
'

test_expect_success 'Bearer: wrong credentials are an error naming the token request' '
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$TREG" "$(printf ci:wrong | base64)" >tok/config.json &&
	rm -rf tok/.ccbuild &&
	test_expect_code 1 env DOCKER_CONFIG=$TRASH/tok "$CCBUILD" -C tok prod 2>err &&
	cat err &&
	grep -q "registry $TREG: token request to http://127.0.0.1:$TPORT/token failed (HTTP 401)" err
'

test_expect_success 'credentials that are not UTF-8: the push says which file and registry (was a crash)' '
	mkdir -p badcfg &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$REG" "$(printf "\377:pw" | base64)" >badcfg/config.json &&
	test_expect_code 1 env DOCKER_CONFIG=$TRASH/badcfg "$CCBUILD" prod 2>err &&
	cat err &&
	grep -q "badcfg/config.json: the credentials for $REG are not UTF-8" err
'

test_expect_success 'cleanup' '
	stop_registry
	stop_token
	test_remove_images "$P"
'

test_done
