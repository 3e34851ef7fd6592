#!/bin/bash
# Named contexts (compose's build.additional_contexts) against the real
# dockerd, whose BuildKit 0.8 has none: a directory is built as an image
# of its own (FROM scratch + COPY . /, tagged ccbuild-ctx/...:HASH) and the
# service's Dockerfile is sent with the name replaced; docker-image://REF
# and service:NAME are that image.  The same through --no-session.
. "$(dirname "$0")/test-lib.sh"
test_description 'named contexts: additional_contexts'
test_need_docker

. "$SRCROOT/tests/lib/base-image.sh"
P=t0438p$TEST_ID
export CI=1

# tree IMAGE: the files of an image without a shell (FROM a context).
tree () {
	docker create --name "$P-c" "$1" none >/dev/null &&
	docker export "$P-c" | tar -t | grep -v -e "^\.dockerenv" -e "^dev/" -e "^etc/" -e "^proc/" -e "^sys/" |
		sed "s|/$||" | sort
	docker rm "$P-c" >/dev/null
}

test_expect_success 'setup: a context dir outside the main context, four services' '
	mkdir -p app assets/sub stagewins fromctx base &&
	echo one >assets/a.txt &&
	echo deep >assets/sub/b.txt &&
	echo skipped >assets/skip.log &&
	printf "*.log\n" >assets/.dockerignore &&
	echo main >app/main.txt &&
	cat >app/Dockerfile <<-EOF &&
	FROM $BASE_IMAGE
	COPY . /app/
	COPY --from=assets / /ctx/
	COPY --from=img /bin/busybox /img-busybox
	COPY --from=b /base.txt /base.txt
	RUN --mount=from=assets,target=/m cat /m/a.txt >/mounted.txt
	EOF
	printf "FROM assets\n" >fromctx/Dockerfile &&
	cat >stagewins/Dockerfile <<-EOF &&
	FROM $BASE_IMAGE AS assets
	RUN echo stage >/stage.txt
	FROM $BASE_IMAGE
	COPY --from=assets /stage.txt /s.txt
	EOF
	printf "FROM %s\nRUN echo base >/base.txt\n" "$BASE_IMAGE" >base/Dockerfile &&
	cat >compose.yaml <<-EOF &&
	services:
	  web:
	    build:
	      context: app
	      additional_contexts:
	        assets: ./assets
	        img: docker-image://$BASE_IMAGE
	        b: service:base
	  fromctx:
	    build:
	      context: fromctx
	      additional_contexts: [assets=./assets]
	  stagewins:
	    build:
	      context: stagewins
	      additional_contexts: {assets: ./assets}
	  base:
	    build: base
	EOF
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	compose: [compose.yaml]
	profiles:
	  dev: {}
	EOF
'

test_expect_success 'COPY --from=NAME and RUN --mount from=NAME see the directory, .dockerignore applied' '
	"$CCBUILD" dev >out 2>&1 &&
	docker run --rm $P-web find /ctx | sort >got &&
	printf "/ctx\n/ctx/.dockerignore\n/ctx/a.txt\n/ctx/sub\n/ctx/sub/b.txt\n" >want &&
	test_cmp want got &&
	test "$(docker run --rm $P-web cat /mounted.txt)" = one
'

test_expect_success 'a file outside the main context is there only through the named context' '
	docker run --rm $P-web find /app | sort >got &&
	printf "/app\n/app/Dockerfile\n/app/main.txt\n" >want &&
	test_cmp want got
'

test_expect_success 'FROM NAME is the directory itself, nothing added' '
	tree $P-fromctx >got &&
	printf ".dockerignore\na.txt\nsub\nsub/b.txt\n" >want &&
	test_cmp want got
'

test_expect_success 'docker-image://REF and service:NAME are those images (service: is a graph edge)' '
	docker run --rm $P-web cmp /bin/busybox /img-busybox &&
	test "$(docker run --rm $P-web cat /base.txt)" = base &&
	"$CCBUILD" graph dev >graph &&
	grep "build:web .*build:base" graph
'

test_expect_success 'a stage named like the context wins, and no context image is built for it' '
	test "$(docker run --rm $P-stagewins cat /s.txt)" = stage &&
	! docker images --format "{{.Repository}}" | grep -x "ccbuild-ctx/$P-stagewins-assets"
'

test_expect_success 'the context image is tagged by content' '
	docker images --format "{{.Repository}}:{{.Tag}}" | grep "^ccbuild-ctx/$P-web-assets:" >tags &&
	test_line_count_ () { test $(wc -l <"$1") = "$2"; } &&
	test_line_count_ tags 1 &&
	grep -E ":[0-9a-f]{16}$" tags
'

test_expect_success 'a changed file in the context dir rebuilds its users; the next run is a no-op' '
	echo two >assets/a.txt &&
	"$CCBUILD" dev >out 2>&1 &&
	grep "build:web .*context:assets changed" out &&
	grep "build:fromctx .*context:assets changed" out &&
	grep "build:stagewins .*up-to-date" out &&
	test "$(docker run --rm $P-web cat /ctx/a.txt)" = two &&
	test "$(docker run --rm $P-web cat /mounted.txt)" = two &&
	"$CCBUILD" dev >out 2>&1 &&
	grep "^0 built, 4 up to date" out
'

test_expect_success 'an ignored file changing rebuilds nothing' '
	echo changed >assets/skip.log &&
	"$CCBUILD" dev >out 2>&1 &&
	grep "^0 built, 4 up to date" out
'

test_expect_success '--no-session: the same files, no Dockerfile or ctx/ in the image' '
	echo three >assets/a.txt &&
	echo new >assets/sub/c.txt &&
	"$CCBUILD" --no-session dev >out 2>&1 &&
	docker run --rm $P-web find /ctx | sort >got &&
	printf "/ctx\n/ctx/.dockerignore\n/ctx/a.txt\n/ctx/sub\n/ctx/sub/b.txt\n/ctx/sub/c.txt\n" >want &&
	test_cmp want got &&
	test "$(docker run --rm $P-web cat /mounted.txt)" = three &&
	tree $P-fromctx >got &&
	printf ".dockerignore\na.txt\nsub\nsub/b.txt\nsub/c.txt\n" >want &&
	test_cmp want got &&
	"$CCBUILD" --no-session dev >out 2>&1 &&
	grep "^0 built, 4 up to date" out
'

# bad VALUE: ccbuild's error for a context assets: VALUE, in bad/.
bad () {
	mkdir -p bad/app && printf "FROM %s\n" "$BASE_IMAGE" >bad/app/Dockerfile &&
	printf "services:\n  web:\n    build:\n      context: app\n      additional_contexts:\n        assets: %s\n" \
		"$1" >bad/compose.yaml &&
	sed "s/^project: .*/project: ${P}bad/" ccbuild.yaml >bad/ccbuild.yaml &&
	test_must_fail "$CCBUILD" -C bad plan dev >bad/out 2>&1 &&
	cat bad/out
}

test_expect_success 'a git or URL context: an error at its position, naming service and context' '
	bad https://github.com/x/y.git >err &&
	grep "compose.yaml:6:17: service .web.: additional context .assets.: https://github.com/x/y.git: only a directory" err &&
	bad "git@github.com:x/y.git" >err &&
	grep "compose.yaml:6:17: .*not a URL or git" err
'

test_expect_success 'target:, service: naming nothing, a missing directory: positioned errors' '
	bad target:foo >err && grep "compose.yaml:6:17: service .web.: additional context .assets.: target:foo: a stage" err &&
	bad service:nope >err && grep "compose.yaml:6:17: .*no service .nope." err &&
	bad service:web >err && grep "compose.yaml:6:17: .*cannot be built from itself" err &&
	bad ./missing >err && grep "compose.yaml:6:17: .*missing: No such file or directory" err
'

test_expect_success 'cleanup: remove the images' '
	test_remove_images "$P" &&
	test -z "$(test_image_refs_ "$P")"
'

test_done
