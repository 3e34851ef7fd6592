#!/bin/bash
# Compose's build.no_cache, build.pull and build.ulimits (and the manifest's
# images: keys of the same names) against the real dockerd: no_cache makes a
# build ccbuild decides to run skip BuildKit's cache, and unchanged inputs
# are still a no-op; ulimits reach a RUN (dockerd 20.10's BuildKit ignores
# them, so such a build goes to the classic builder) and are in the hash;
# pull=1 makes BuildKit resolve a base in its registry (a base only the
# engine has cannot be pulled: the error says so), and the base's identity
# is what that registry has now, so a moved tag rebuilds.  entitlements,
# privileged and cache_to are refused at their position, saying why.
. "$(dirname "$0")/test-lib.sh"
test_description 'compose build options: no_cache, pull, ulimits'
test_need_docker

. "$SRCROOT/tests/lib/base-image.sh"
P=t0415p$TEST_ID
REG=127.0.0.1:5000/ccbuild-test/t0415-$TEST_ID
export CI=1

# push_base: push $REG:latest and note its digest (for cleanup).
push_base () {
	docker push -q $REG:latest >/dev/null &&
	curl -sfI -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"http://127.0.0.1:5000/v2/ccbuild-test/t0415-$TEST_ID/manifests/latest" |
		sed -n "s/^Docker-Content-Digest: *//Ip" | tr -d "\r" >>"$TRASH/digests"
}

# built: how many builds the last --json run (in ev) made.
built () {
	sed -n 's/.*"event":"summary","built":\([0-9]*\).*/\1/p' ev
}

test_expect_success 'setup: a RUN that records each time it runs, one that records its limits' '
	mkdir -p nc plain ul &&
	for d in nc plain; do
		printf "FROM %s\nRUN echo %s && cat /proc/sys/kernel/random/uuid >/run-id\nCOPY f /f\n" \
			"$BASE_IMAGE" $d >$d/Dockerfile &&
		echo one >$d/f || return 1
	done &&
	printf "FROM %s\nRUN echo \$(ulimit -n) \$(ulimit -Hn) >/limits\n" "$BASE_IMAGE" >ul/Dockerfile &&
	cat >compose.yaml <<-YAML &&
	services:
	  nc:
	    image: $P-nc
	    build: {context: nc, no_cache: true}
	  plain:
	    image: $P-plain
	    build: {context: plain}
	  ul:
	    image: $P-ul
	    build:
	      context: ul
	      ulimits:
	        nofile: {soft: 1024, hard: 2048}
	YAML
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	compose: [compose.yaml]
	images:
	  m: {context: ul, image: $P-m, no_cache: true, ulimits: {nofile: 1536}}
	profiles:
	  dev: {}
	YAML
'

test_expect_success 'the first run builds all four' '
	"$CCBUILD" --json dev >ev 2>err &&
	test "$(built)" = 4 &&
	docker run --rm $P-nc cat /run-id >nc.1 &&
	docker run --rm $P-plain cat /run-id >plain.1
'

test_expect_success 'no_cache: unchanged inputs are still a no-op' '
	"$CCBUILD" --json dev >ev 2>err &&
	test "$(built)" = 0 &&
	docker run --rm $P-nc cat /run-id >nc.2 &&
	test_cmp nc.1 nc.2
'

test_expect_success 'no_cache: a changed input rebuilds, and the RUN runs again (BuildKit has it cached)' '
	echo two >nc/f &&
	echo two >plain/f &&
	"$CCBUILD" --json dev >ev 2>err &&
	test "$(built)" = 2 &&
	docker run --rm $P-nc cat /run-id >nc.3 &&
	docker run --rm $P-plain cat /run-id >plain.3 &&
	! cmp -s nc.1 nc.3 &&
	test_cmp plain.1 plain.3 &&
	test "$(docker run --rm $P-nc cat /f)" = two
'

test_expect_success 'ulimits reach the RUN: compose {soft, hard}, a manifest image the single form' '
	test "$(docker run --rm $P-ul cat /limits)" = "1024 2048" &&
	test "$(docker run --rm $P-m cat /limits)" = "1536 1536"
'

test_expect_success 'ulimits are in the hash: a changed limit rebuilds that image alone' '
	sed -i "s/soft: 1024/soft: 1000/" compose.yaml &&
	"$CCBUILD" --json dev >ev 2>err &&
	test "$(built)" = 1 &&
	grep -q "\"step\":\"build:ul\".*\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-ul cat /limits)" = "1000 2048"
'

test_expect_success 'ulimits with build secrets (BuildKit only) on a daemon whose BuildKit ignores them: refused' '
	mkdir -p sec/app &&
	printf "FROM %s\nRUN true\n" "$BASE_IMAGE" >sec/app/Dockerfile &&
	echo t >sec/tok &&
	cat >sec/compose.yaml <<-YAML &&
	services:
	  app:
	    image: $P-sec
	    build:
	      context: app
	      secrets: [tok]
	      ulimits: {nofile: 1024}
	secrets:
	  tok: {file: ./tok}
	YAML
	printf "ccbuild: 1\nproject: %s-sec\ncompose: [compose.yaml]\nprofiles:\n  dev: {}\n" $P >sec/ccbuild.yaml &&
	api=$(docker version --format "{{.Server.APIVersion}}") &&
	if test "${api#1.}" -lt 42; then
		test_must_fail "$CCBUILD" -C sec dev 2>err &&
		grep -q "ulimits: this daemon (API $api) does not pass build ulimits to BuildKit" err
	else
		"$CCBUILD" -C sec dev 2>err
	fi
'

test_expect_success 'manifest ulimits: a soft limit above the hard one, a bad form, at their positions' '
	mkdir bad &&
	cat >bad/ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P-bad
	images:
	  a: {context: ., ulimits: {nofile: {soft: 10, hard: 5}, core: lots}}
	profiles:
	  dev: {}
	YAML
	test_expect_code 2 "$CCBUILD" -C bad lint 2>err &&
	grep -q "ccbuild.yaml:4:37: images.a.ulimits.nofile: soft limit 10 is above hard limit 5" err &&
	grep -q "ccbuild.yaml:4:64: images.a.ulimits.core must be a number" err
'

test_expect_success 'pull: a base that exists only in the engine cannot be pulled, and the error says so' '
	mkdir -p local/app &&
	printf "FROM %s\nRUN true\n" "$BASE_IMAGE" >local/app/Dockerfile &&
	printf "services:\n  app:\n    image: %s-local\n    build: {context: app, pull: true}\n" $P >local/compose.yaml &&
	printf "ccbuild: 1\nproject: %s-local\ncompose: [compose.yaml]\nprofiles:\n  dev: {}\n" $P >local/ccbuild.yaml &&
	test_must_fail "$CCBUILD" -C local dev 2>err &&
	grep -q "ccbuild-test/busybox" err &&
	grep -q "build:app has build.pull: BuildKit resolves every FROM in its registry" err
'

# In the registry: a base with /marker "new"; in the engine, the same tag
# names the plain base (no /marker).
test_expect_success 'setup: the registry and the engine disagree about a base tag' '
	mkdir -p reg/pull reg/nopull mk &&
	printf "FROM %s\nRUN echo new >/marker\n" "$BASE_IMAGE" >mk/Dockerfile &&
	docker build -q -t $REG:latest mk >/dev/null &&
	push_base &&
	docker tag "$BASE_IMAGE" $REG:latest &&
	for d in pull nopull; do
		printf "FROM %s:latest\nRUN cat /marker >/seen 2>/dev/null || echo none >/seen\n" $REG >reg/$d/Dockerfile ||
			return 1
	done &&
	cat >reg/compose.yaml <<-YAML &&
	services:
	  pull:
	    image: $P-pull
	    build: {context: pull, pull: true}
	  nopull:
	    image: $P-nopull
	    build: {context: nopull}
	YAML
	printf "ccbuild: 1\nproject: %s-reg\ncompose: [compose.yaml]\nprofiles:\n  dev: {}\n" $P >reg/ccbuild.yaml
'

test_expect_success 'pull: BuildKit takes the registry base; without it, the engine one' '
	"$CCBUILD" -C reg --json dev >ev 2>err &&
	test "$(built)" = 2 &&
	test "$(docker run --rm $P-pull cat /seen)" = new &&
	test "$(docker run --rm $P-nopull cat /seen)" = none
'

test_expect_success 'pull: a second run is a no-op' '
	"$CCBUILD" -C reg --json dev >ev 2>err &&
	test "$(built)" = 0
'

test_expect_success 'pull: the tag moved in the registry: that image rebuilds, the other does not' '
	sed -i "s/echo new/echo newer/" mk/Dockerfile &&
	docker build -q -t $REG:latest mk >/dev/null &&
	push_base &&
	docker tag "$BASE_IMAGE" $REG:latest &&
	"$CCBUILD" -C reg --json dev >ev 2>err &&
	test "$(built)" = 1 &&
	grep -q "\"step\":\"build:pull\".*\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-pull cat /seen)" = newer
'

test_expect_success 'entitlements, privileged and cache_to are refused at their positions, saying why' '
	mkdir -p refused/app &&
	cat >refused/compose.yaml <<-YAML &&
	services:
	  app:
	    build:
	      context: app
	      entitlements: [security.insecure]
	      privileged: true
	      cache_to: [type=local,dest=/tmp/c]
	YAML
	printf "ccbuild: 1\nproject: %s-refused\ncompose: [compose.yaml]\nprofiles:\n  dev: {}\n" $P >refused/ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" -C refused lint 2>err &&
	grep -q "compose.yaml:5:21: service .app.: build.entitlements: dockerd.s /build API cannot grant BuildKit entitlements" err &&
	grep -q "compose.yaml:6:19: service .app.: build.privileged: dockerd.s /build API cannot grant" err &&
	grep -q "compose.yaml:7:17: service .app.: build.cache_to: dockerd.s /build API has no cache exporters" err
'

test_expect_success 'cleanup: the images and the registry manifests' '
	for d in $(sort -u "$TRASH/digests" 2>/dev/null); do
		curl -sf -X DELETE "http://127.0.0.1:5000/v2/ccbuild-test/t0415-$TEST_ID/manifests/$d" || return 1
	done &&
	test_remove_images $P &&
	test_remove_images t0415-$TEST_ID
'

test_done
