#!/bin/bash
# Build secrets through the BuildKit session's secrets service (#16):
# compose build.secrets from a file and from an environment variable reach
# RUN --mount=type=secret, and the values are nowhere else: not in the
# image, its history, .ccbuild/, --json, --report or the output.  The hash
# takes a secret's id and source, not its value (docs/hashing.md).
. "$(dirname "$0")/test-lib.sh"
test_description 'build secrets reach the RUN and nothing else'

P=t0435p$TEST_ID
export CI=1
FILEVAL="file-s3cret-$TEST_ID-x9"
ENVVAL="env-s3cret-$TEST_ID-y7"

test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

sha () { printf %s "$1" | sha256sum | cut -c1-64; }

test_expect_success 'setup: a service with a file secret and an environment secret' '
	base_image_ensure >/dev/null &&
	mkdir -p app/ctx &&
	printf "ccbuild: 1\nproject: $P\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >app/ccbuild.yaml &&
	cat >app/compose.yaml <<-YAML &&
	services:
	  web:
	    image: $P/web
	    build:
	      context: ./ctx
	      secrets: [tok, {source: envtok, target: env_token}]
	secrets:
	  tok: {file: ./tok.txt}
	  envtok: {environment: T0435_TOKEN}
	YAML
	printf %s "$FILEVAL" >app/tok.txt &&
	# $P in the RUN: BuildKit caches a RUN whatever its secrets hold, so an
	# earlier run of this script (other values) must not be a cache hit.
	printf "FROM %s\n" "$BASE_IMAGE" >app/ctx/Dockerfile &&
	echo "RUN --mount=type=secret,id=tok --mount=type=secret,id=env_token sh -c \"echo $P >/run-id && sha256sum </run/secrets/tok | cut -c1-64 >/tok.sha && sha256sum </run/secrets/env_token | cut -c1-64 >/env.sha\"" >>app/ctx/Dockerfile
'

test_expect_success 'a build: both secrets reach the RUN' '
	T0435_TOKEN=$ENVVAL "$CCBUILD" -C app --json --report report.json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/web:latest cat /tok.sha)" = "$(sha "$FILEVAL")" &&
	test "$(docker run --rm $P/web:latest cat /env.sha)" = "$(sha "$ENVVAL")"
'

test_expect_success 'the values are in no output, report, state, image or history' '
	test -s ev && test -s app/report.json && test -d app/.ccbuild &&
	grep -q "build:web" app/report.json &&
	for v in "$FILEVAL" "$ENVVAL"; do
		! grep -q "$v" ev err app/report.json &&
		! grep -rq "$v" app/.ccbuild &&
		! docker history --no-trunc $P/web:latest | grep -q "$v" &&
		! docker image inspect $P/web:latest | grep -q "$v" &&
		! docker save $P/web:latest | grep -aq "$v" || return 1
	done &&
	test_must_fail docker run --rm $P/web:latest cat /run/secrets/tok
'

test_expect_success 'a changed value does not rebuild; another source does' '
	printf %s "other-$FILEVAL" >app/tok.txt &&
	T0435_TOKEN=changed "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":0" ev &&
	printf %s "$FILEVAL" >app/tok2.txt &&
	sed -i "s|./tok.txt|./tok2.txt|" app/compose.yaml &&
	T0435_TOKEN=$ENVVAL "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev
'

test_expect_success 'a missing secret file is an error naming it, before any build' '
	rm app/tok2.txt &&
	test_expect_code 1 "$CCBUILD" -C app dev >out 2>err &&
	cat err &&
	grep -q "build secret .tok.: .*tok2.txt" err
'

test_expect_success '--no-session: build secrets cannot be served, and it says so' '
	printf %s "$FILEVAL" >app/tok2.txt &&
	echo "# another" >>app/ctx/Dockerfile &&
	T0435_TOKEN=$ENVVAL test_expect_code 1 "$CCBUILD" -C app --no-session dev >out 2>err &&
	grep -q "build secrets (tok) need a BuildKit session" err
'

test_expect_success 'ccbuild.yaml images: secrets: from a file (relative to the manifest) and a variable' '
	mkdir -p man/ctx &&
	printf %s "$FILEVAL" >man/tok.txt &&
	cat >man/ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P-man
	images:
	  api:
	    context: ctx
	    image: $P/man
	    secrets:
	      tok: {file: tok.txt}
	      env_token: {environment: T0435_TOKEN}
	profiles: {dev: {}}
	YAML
	cp app/ctx/Dockerfile man/ctx/Dockerfile &&
	(cd / && T0435_TOKEN=$ENVVAL "$CCBUILD" -f "$TRASH/man/ccbuild.yaml" --json --report "$TRASH/mreport.json" dev >"$TRASH/ev" 2>"$TRASH/err") &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/man:latest cat /tok.sha)" = "$(sha "$FILEVAL")" &&
	test "$(docker run --rm $P/man:latest cat /env.sha)" = "$(sha "$ENVVAL")" &&
	for v in "$FILEVAL" "$ENVVAL"; do
		! grep -q "$v" ev err mreport.json &&
		! grep -rq "$v" man/.ccbuild &&
		! docker history --no-trunc $P/man:latest | grep -q "$v" || return 1
	done
'

test_expect_success 'ccbuild.yaml images: secrets: the same from another cwd is a no-op; a changed value too' '
	printf %s "changed-$FILEVAL" >man/tok.txt &&
	(cd man && T0435_TOKEN=$ENVVAL "$CCBUILD" --json dev >"$TRASH/ev" 2>"$TRASH/err") &&
	grep -q "\"event\":\"summary\",\"built\":0" ev
'

test_expect_success 'ccbuild.yaml images: secrets: both sources, or neither, is an error at its line' '
	sed -i "s|tok: {file: tok.txt}|tok: {file: tok.txt, environment: X}|" man/ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" -f man/ccbuild.yaml plan dev >out 2>err &&
	grep -q "ccbuild.yaml:8:[0-9]*: images.api.secrets.tok: give exactly one of file: or environment:" err &&
	sed -i "s|tok: {file: tok.txt, environment: X}|tok: {}|" man/ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" -f man/ccbuild.yaml plan dev >out 2>err &&
	grep -q "ccbuild.yaml:8:[0-9]*: images.api.secrets.tok: give exactly one" err
'

test_expect_success 'cleanup: the images this script made' '
	docker rmi "$P/web:latest" "$P/man:latest" >/dev/null
'

test_done
