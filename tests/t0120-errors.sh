#!/bin/bash
# The one error path: reasons kept, write errors reported, exit codes.
. "$(dirname "$0")/test-lib.sh"

write_project () {
	mkdir -p base
	cat >ccbuild.yaml <<-\YAML
	ccbuild: 1
	project: errs
	images:
	  base: {context: base}
	profiles:
	  dev: {}
	YAML
	printf 'FROM busybox:1.36\n' >base/Dockerfile
}

test_expect_success 'an unreadable Dockerfile keeps its reason' '
	write_project &&
	rm base/Dockerfile && mkdir base/Dockerfile &&
	test_expect_code 2 "$CCBUILD" plan dev 2>err &&
	grep -q "image .base.: cannot read Dockerfile base/Dockerfile: not a regular file (a directory)" err &&
	rmdir base/Dockerfile && printf "FROM busybox:1.36\n" >base/Dockerfile
'

test_expect_success 'an unreadable -f manifest keeps its reason' '
	test_expect_code 2 "$CCBUILD" -f none.yaml plan dev 2>err &&
	grep -q "none.yaml: cannot read the manifest: No such file or directory" err
'

test_expect_success 'a graph that cannot be written is an error (exit 1)' '
	test_expect_code 1 "$CCBUILD" graph dev --format dot >/dev/full 2>err &&
	grep -q "ccbuild: error: writing the graph: No space left on device" err &&
	test_expect_code 1 "$CCBUILD" graph dev --format json >/dev/full 2>err &&
	grep -q "No space left on device" err
'

test_expect_success 'any output that cannot be written is an error (exit 1)' '
	test_expect_code 1 "$CCBUILD" plan dev >/dev/full 2>err &&
	grep -q "ccbuild: error: writing standard output: No space left on device" err &&
	test_expect_code 1 "$CCBUILD" help >/dev/full 2>err
'

test_expect_success 'compose warnings are shown, each once, by plan, config and lint' '
	mkdir -p cw/app &&
	cat >cw/ccbuild.yaml <<-\YAML &&
	ccbuild: 1
	project: cw
	compose: [docker-compose.yml]
	profiles: {dev: {}, prod: {}}
	YAML
	cat >cw/docker-compose.yml <<-\YAML &&
	services:
	  app:
	    build: app
	    environment: {A: "${CCB_UNSET_VAR}", B: "x${CCB_UNSET_VAR}"}
	YAML
	printf "FROM busybox:1.36\n" >cw/app/Dockerfile &&
	unset CCB_UNSET_VAR &&
	msg="ccbuild: warning: The CCB_UNSET_VAR variable is not set. Defaulting to a blank string." &&
	"$CCBUILD" -C cw plan dev 2>err >/dev/null &&
	test "$(grep -cxF "$msg" err)" = 1 &&
	"$CCBUILD" -C cw config dev 2>err >/dev/null &&
	test "$(grep -cxF "$msg" err)" = 1 &&
	"$CCBUILD" -C cw lint 2>err >/dev/null &&
	grep -qxF "ccbuild: warning: profile dev: The CCB_UNSET_VAR variable is not set. Defaulting to a blank string." err &&
	grep -qxF "ccbuild: warning: profile prod: The CCB_UNSET_VAR variable is not set. Defaulting to a blank string." err
'

test_need_docker

# A link to /dev/full, not /dev/full itself: a binary that replaces the
# report file by rename (as before) then replaces the link, not the device.
# The run has no steps: nothing reaches the engine but the ping.
test_expect_success '--report and --junit to a device that is full: exit 1 and why' '
	cat >none.yaml <<-\YAML &&
	ccbuild: 1
	project: nothing
	profiles:
	  dev: {}
	YAML
	ln -s /dev/full full &&
	test_expect_code 1 "$CCBUILD" -f none.yaml --report full dev 2>err &&
	grep -q "ccbuild: error: writing full: No space left on device" err &&
	test -c full &&
	test_expect_code 1 "$CCBUILD" -f none.yaml --junit full dev 2>err &&
	grep -q "No space left on device" err &&
	ln -s /dev/stdout so &&
	"$CCBUILD" -f none.yaml --report so dev | grep "\"exit_code\": 0" >out &&
	test -L so && test -s out
'

test_done
