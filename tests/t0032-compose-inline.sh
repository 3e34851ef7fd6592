#!/bin/bash
# compose v2's build.dockerfile_inline: the text is the Dockerfile,
# hashed as one (docs/hashing.md), sent as the build's Dockerfile; the
# context's own Dockerfile, if any, is only a context file.
. "$(dirname "$0")/test-lib.sh"
test_description 'build.dockerfile_inline is built'

P=t0032p$TEST_ID
export CI=1

test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

# inline TEXT: a service built from the inline Dockerfile TEXT.
inline () {
	printf "services:\n  web:\n    image: $P/web\n    build:\n      context: ./ctx\n      dockerfile_inline: |\n" >app/compose.yaml &&
	printf "%s\n" "$@" | sed "s/^/        /" >>app/compose.yaml
}

test_expect_success 'setup' '
	base_image_ensure >/dev/null &&
	mkdir -p app/ctx &&
	printf "ccbuild: 1\nproject: $P\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >app/ccbuild.yaml &&
	echo "FROM scratch-is-not-used" >app/ctx/Dockerfile &&
	echo data >app/ctx/file &&
	inline "FROM $BASE_IMAGE" "COPY file /file" "RUN echo one >/which"
'

test_expect_success 'lint and plan accept it; plan says the Dockerfile is inline' '
	"$CCBUILD" -C app lint >out 2>err &&
	"$CCBUILD" -C app plan dev >out 2>err &&
	cat out err &&
	grep -q "$P/web from dockerfile_inline" out
'

test_expect_success 'a run builds the inline Dockerfile, not the context one' '
	"$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/web:latest cat /which)" = one &&
	test "$(docker run --rm $P/web:latest cat /file)" = data
'

test_expect_success 'the same text is up to date; another text rebuilds' '
	"$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":0" ev &&
	echo "FROM scratch-changed" >app/ctx/Dockerfile &&
	"$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	inline "FROM $BASE_IMAGE" "COPY file /file" "RUN echo two >/which" &&
	"$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/web:latest cat /which)" = two
'

test_expect_success 'dockerfile and dockerfile_inline together are an error, as in compose v2' '
	printf "      dockerfile: Dockerfile\n" >>app/compose.yaml &&
	! (cd app && docker compose config >/dev/null 2>&1) &&
	test_expect_code 2 "$CCBUILD" -C app config dev 2>err &&
	grep -q "compose.yaml:6:26: service \"web\" declares mutualy exclusive dockerfile and dockerfile_inline" err
'

test_expect_success 'cleanup: the images this script made' '
	docker rmi "$P/web:latest" >/dev/null
'

test_done
