#!/bin/bash
# ccbuild PROFILE against the real engine: order, parallelism, only what
# changed, failures, interruptions, broken state, why.
. "$(dirname "$0")/test-lib.sh"
test_description 'running a profile builds only what changed'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0200p$TEST_ID
export CI=1  # plain lines, no terminal control

test_expect_success 'setup: a base image and two images FROM it' '
	base_image_ensure >/dev/null &&
	mkdir -p base/etc api/src worker &&
	printf "FROM %s\nCOPY etc/ /etc/app/\n" "$BASE_IMAGE" >base/Dockerfile &&
	echo "one $P $(date +%s%N)" >base/etc/a.conf &&
	printf "FROM $P-base:latest AS prod\nRUN sleep 1\nCOPY src/ /srv/\nFROM prod AS dev\nENV MODE=dev\n" >api/Dockerfile &&
	echo "print(1)" >api/src/app.py &&
	echo "notes" >api/src/notes.txt &&
	printf "**/*.txt\n" >api/.dockerignore &&
	printf "FROM $P-base:latest\nRUN sleep 1\nCOPY run.sh /run.sh\n" >worker/Dockerfile &&
	echo "echo hi" >worker/run.sh &&
	cat >ccbuild.yaml <<-YAML
	ccbuild: 1
	project: $P
	images:
	  base: {context: base}
	  api: {context: api, target: dev}
	  worker: {context: worker}
	profiles:
	  dev: {}
	YAML
'

# status STEP EVENTS-FILE: the step_end status of STEP
status () {
	grep "\"event\":\"step_end\",\"step\":\"$1\"" "$2" | sed "s/.*\"status\":\"\([^\"]*\)\".*/\1/"
}

test_expect_success 'cold build: base first, then api and worker in parallel' '
	"$CCBUILD" -j 2 --json dev >ev &&
	test "$(status build:base ev)" = done &&
	test "$(status build:api ev)" = done &&
	test "$(status build:worker ev)" = done &&
	grep -n "" ev | grep "step_end\",\"step\":\"build:base" | cut -d: -f1 >base_end &&
	grep -n "" ev | grep "step_start\",\"step\":\"build:api" | cut -d: -f1 >api_start &&
	test "$(cat base_end)" -lt "$(cat api_start)" &&
	first_end=$(grep -n "step_end\",\"step\":\"build:\(api\|worker\)" ev | head -1 | cut -d: -f1) &&
	test $(head -n "$first_end" ev | grep -c "step_start\",\"step\":\"build:\(api\|worker\)") = 2 &&
	docker image inspect $P-api:latest --format "{{.Config.Env}}" | grep -q MODE=dev &&
	grep -q "\"event\":\"summary\",\"built\":3" ev
'

test_expect_success 'no-op: everything up to date, nothing built' '
	"$CCBUILD" --json dev >ev &&
	test "$(status build:base ev)" = up-to-date &&
	test "$(status build:api ev)" = up-to-date &&
	test "$(status build:worker ev)" = up-to-date
'

test_expect_success 'touching every file builds nothing' '
	find base api worker -exec touch -d "+1 hour" {} + &&
	"$CCBUILD" --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'editing an ignored file builds nothing' '
	echo more >>api/src/notes.txt &&
	"$CCBUILD" --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'one file changed rebuilds exactly that image' '
	echo "print(2)" >>api/src/app.py &&
	"$CCBUILD" --json dev >ev &&
	test "$(status build:api ev)" = done &&
	test "$(status build:base ev)" = up-to-date &&
	test "$(status build:worker ev)" = up-to-date &&
	grep "step\":\"build:api" ev | grep -q "src/app.py changed"
'

test_expect_success 'a base file changed rebuilds it and the images built FROM it' '
	echo two >>base/etc/a.conf &&
	"$CCBUILD" --dry-run dev >plan &&
	grep -q "build:base *would run: etc/a.conf changed" plan &&
	grep -q "build:api *would run: base build:base changed" plan &&
	"$CCBUILD" --json dev >ev &&
	test "$(status build:base ev)" = done &&
	test "$(status build:api ev)" = done &&
	test "$(status build:worker ev)" = done
'

test_expect_success 'why names the changed file, arg and Dockerfile line' '
	echo "print(3)" >>api/src/app.py &&
	echo "ENV EXTRA=1" >>api/Dockerfile &&
	"$CCBUILD" why dev api >why &&
	grep -q "build:api: would run" why &&
	grep -q "changed: src/app.py" why &&
	grep -q "Dockerfile line 6: + ENV EXTRA=1" why &&
	"$CCBUILD" why dev base >why &&
	grep -q "inputs unchanged" why
'

test_expect_success 'a failing Dockerfile shows its log, exits 1, keeps the other state' '
	"$CCBUILD" -q dev &&
	cp worker/Dockerfile worker/Dockerfile.ok &&
	printf "RUN echo about-to-fail && ls /nonexistent\n" >>worker/Dockerfile &&
	echo "print(4)" >>api/src/app.py &&
	test_expect_code 1 "$CCBUILD" -j 2 dev >out 2>&1 &&
	grep -q "build:worker *failed" out &&
	grep -q "build failed at .*RUN echo about-to-fail" out &&
	grep -q "| about-to-fail" out &&
	grep -q "No such file or directory" out &&
	grep -q "build:api *done" out &&
	mv worker/Dockerfile.ok worker/Dockerfile &&
	"$CCBUILD" --json dev >ev &&
	test "$(status build:api ev)" = up-to-date &&
	test "$(status build:worker ev)" = up-to-date
'

test_expect_success 'a moved tag is put back without rebuilding' '
	docker tag $P-base:latest $P-api:latest &&
	"$CCBUILD" --json dev >ev &&
	test "$(status build:api ev)" = up-to-date &&
	grep "step\":\"build:api" ev | grep -q retagged &&
	docker image inspect $P-api:latest --format "{{.Config.Env}}" | grep -q MODE=dev
'

test_expect_success 'a deleted image is rebuilt' '
	docker rmi -f $P-worker:latest >/dev/null &&
	"$CCBUILD" --json dev >ev &&
	test "$(status build:worker ev)" = done &&
	grep "step\":\"build:worker" ev | grep -q "no longer exists"
'

test_expect_success 'a corrupt or truncated state file is a warning and a rebuild' '
	echo "{not json" >.ccbuild/steps/build%3Aapi.json &&
	: >.ccbuild/steps/build%3Aworker.json &&
	"$CCBUILD" -j 1 dev >out 2>&1 &&
	grep -q "warning: .*build%3Aapi.json: unreadable state" out &&
	grep -q "build:api *done" out &&
	grep -q "build:worker *done" out &&
	"$CCBUILD" --json dev >ev &&
	! grep -q "\"status\":\"done\"" ev
'

test_expect_success 'kill -9 in the middle of a run, then a correct rerun' '
	echo three >>base/etc/a.conf &&
	printf "RUN sleep 5\n" >>worker/Dockerfile &&
	("$CCBUILD" -j 2 --json dev >ev 2>&1 & echo $! >pid; wait) &
	for i in $(seq 100); do grep -q "step_end\",\"step\":\"build:base" ev 2>/dev/null && break; sleep 0.1; done &&
	sleep 1.5 &&
	kill -9 $(cat pid) && wait &&
	test "$(status build:base ev)" = done &&
	! grep -q "step_end\",\"step\":\"build:worker" ev &&
	(for f in .ccbuild/steps/*.json; do python3 -m json.tool "$f" >/dev/null || exit 1; done) &&
	"$CCBUILD" --json dev >ev2 &&
	test "$(status build:base ev2)" = up-to-date &&
	test "$(status build:worker ev2)" = done &&
	"$CCBUILD" --json dev >ev3 &&
	! grep -q "\"status\":\"done\"" ev3
'

test_expect_success 'Ctrl-C aborts the build in flight, keeps what finished, exits 130' '
	echo four >>base/etc/a.conf &&
	printf "RUN sleep 6\n" >>worker/Dockerfile &&
	("$CCBUILD" -j 2 --json dev >ev 2>err & echo $! >pid; wait $!; echo $? >rc) &
	for i in $(seq 100); do grep -q "step_end\",\"step\":\"build:base" ev 2>/dev/null && break; sleep 0.1; done &&
	sleep 2 &&
	kill -INT $(cat pid) &&
	wait &&
	test "$(cat rc)" = 130 &&
	test "$(status build:worker ev)" = cancelled &&
	"$CCBUILD" --json dev >ev2 &&
	test "$(status build:base ev2)" = up-to-date
'

test_expect_success 'a second run waits for the state lock with a message' '
	(flock .ccbuild/lock sleep 2) &
	sleep 0.3 &&
	"$CCBUILD" -q dev 2>err &&
	wait &&
	grep -q "waiting for another ccbuild run" err
'

test_expect_success 'no engine: exit 3 with a clear message' '
	DOCKER_HOST=unix://$TRASH/no.sock test_expect_code 3 "$CCBUILD" dev 2>err &&
	grep -q "no.sock" err
'

test_expect_success 'hard links in a context stay hard links in the image (as the docker CLI sends them)' '
	mkdir -p hl &&
	echo "same $P" >hl/a &&
	ln hl/a hl/b &&
	printf "FROM %s\nCOPY . /h/\n" "$BASE_IMAGE" >hl/Dockerfile &&
	cat >hl.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  hl: {context: hl}
	profiles:
	  dev: {}
	YAML
	"$CCBUILD" -f hl.yaml -q dev &&
	test "$(docker run --rm $P-hl:latest stat -c %h /h/b)" = 2 &&
	test "$(docker run --rm $P-hl:latest cat /h/b)" = "same $P" &&
	docker rmi -f $P-hl:latest >/dev/null
'

test_expect_success 'a file dated before 1970 (with nanoseconds) is sent, not taken for a changed one' '
	mkdir -p old &&
	echo "old $P" >old/f &&
	touch -d "1969-07-20 20:17:40.5" old/f &&
	printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >old/Dockerfile &&
	sed "s/hl: {context: hl}/old: {context: old}/" hl.yaml >old.yaml &&
	"$CCBUILD" -f old.yaml -q dev &&
	test "$(docker run --rm $P-old:latest cat /f)" = "old $P" &&
	docker rmi -f $P-old:latest >/dev/null
'

test_expect_success 'a Dockerfile outside the context brings its own NAME.dockerignore (as BuildKit reads it)' '
	mkdir -p oc/ctx oc/df &&
	echo s >oc/ctx/secret.txt && echo a >oc/ctx/app.txt && echo l >oc/ctx/local.log &&
	printf "secret.txt\n" >oc/ctx/.dockerignore &&
	printf "*.log\n" >oc/df/web.Dockerfile.dockerignore &&
	printf "FROM %s\nCOPY . /x/\n" "$BASE_IMAGE" >oc/df/web.Dockerfile &&
	sed "s|hl: {context: hl}|oc: {context: oc/ctx, dockerfile: ../df/web.Dockerfile}|" hl.yaml >oc.yaml &&
	"$CCBUILD" -f oc.yaml -q dev &&
	docker run --rm $P-oc:latest ls -A /x >got &&
	grep -qx secret.txt got && grep -qx app.txt got && ! grep -q local.log got &&
	docker rmi -f $P-oc:latest >/dev/null
'

test_expect_success 'cleanup: remove the images' '
	test_remove_images "$P"
'

test_done
