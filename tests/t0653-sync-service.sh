#!/bin/bash
# syncs: into a running service's container (to: service:NAME:/PATH),
# found by compose's labels: sync:NAME runs after up:SERVICE; only changed
# files move (a no-op makes no archive call); deletes run rm through exec;
# an image without rm is named; a service that is not running is named; a
# recreated container is synced again; a SIGKILL mid-write leaves no torn
# file and the next run converges.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: host directory into a running container'
. "$SRCROOT/tests/lib/deploy.sh"
. "$SRCROOT/tests/lib/sync.sh"

test_need_docker
P=t0653p$TEST_ID
S=live$TEST_ID
trap 'deploy_cleanup $P >/dev/null 2>&1' EXIT
in_app () { docker exec $P-app-1 sh -c "$*"; }

test_expect_success 'setup: a profile that deploys app and syncs into it' '
	mkdir -p src/sub norm &&
	echo hello >src/a.txt && chmod 640 src/a.txt && echo deep >src/sub/d && ln -s a.txt src/l &&
	printf "FROM ccbuild-test/busybox:latest\nRUN rm /bin/rm\n" >norm/Dockerfile &&
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	syncs:
	  $S:
	    from: src
	    to: service:app:/etc/live
	    delete: true
	  norm$TEST_ID:
	    from: src
	    to: service:norm:/etc/live
	    delete: true
	profiles:
	  dev:
	    compose: [compose.yaml]
	    syncs: [$S]
	  norm:
	    compose: [compose.yaml]
	    syncs: [norm$TEST_ID]
	EOF
	cat >compose.yaml <<-EOF
	services:
	  app:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "600"]
	    pid: host
	  norm:
	    build: norm
	    image: $P/norm:1
	    command: ["sleep", "600"]
	EOF
'

test_expect_success 'a service that is not running is named' '
	test_must_fail "$CCBUILD" sync dev >out 2>&1; cat out &&
	grep "sync $S: service app is not running (no container); start it first" out
'

test_expect_success 'up deploys the service, then the sync copies into its container' '
	"$CCBUILD" up dev app >out 2>&1 && cat out &&
	u=$(grep -n "up:app .*done" out | cut -d: -f1) && s=$(grep -n "sync:$S: running" out | cut -d: -f1) &&
	test "$u" -lt "$s" &&
	grep "sync:$S .*done.*3 copied, 0 deleted" out &&
	in_app "cat /etc/live/a.txt; stat -c %a /etc/live/a.txt; readlink /etc/live/l; cat /etc/live/sub/d" >got &&
	printf "hello\n640\na.txt\ndeep\n" >want && test_cmp want got
'

test_expect_success 'a second sync is up to date: one container list, no archive call' '
	sync_through_proxy sync dev &&
	sync_expect_noop $S
'

test_expect_success 'one changed file is the only one written; a removed one goes (rm through exec)' '
	a=$(in_app "stat -c %i /etc/live/a.txt") &&
	echo deeper >src/sub/d && rm src/l &&
	sync_through_proxy sync dev &&
	grep "1 copied, 1 deleted" out &&
	test $(grep -c "^PUT .*/archive" proxy/requests) = 1 &&
	grep -q "^POST .*/exec" proxy/requests &&
	test "$(in_app "cat /etc/live/sub/d")" = deeper &&
	test "$(in_app "stat -c %i /etc/live/a.txt")" = "$a" &&
	in_app "test ! -e /etc/live/l"
'

test_expect_success 'a file changed in the container behind ccbuild is found by content on the next sync' '
	in_app "echo evil >/etc/live/a.txt" &&
	echo b >src/b.txt &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "warning: sync $S: 1 file in service:app:/etc/live was not as the last sync left it.*: a.txt" out &&
	test "$(in_app "cat /etc/live/a.txt")" = hello
'

test_expect_success 'a recreated container is synced again' '
	docker rm -f $P-app-1 >/dev/null &&
	"$CCBUILD" up dev app >out 2>&1 && cat out &&
	grep "sync:$S: running (service:app:/etc/live is not the destination of the last sync" out &&
	test "$(in_app "cat /etc/live/b.txt")" = b
'

# app shares the host's pid namespace, so a loop in it that watches the
# destination sends the SIGKILL the moment the staging directory appears.
kill_on_staging () {
	docker exec $P-app-1 sh -c "until test -d /etc/live/.ccbuild-sync; do :; done; kill -9 $1"
}
test_expect_success 'killed with SIGKILL while writing: no torn file, and the next sync converges' '
	sync_killed_mid_write in_app /etc/live kill_on_staging
'

test_expect_success 'an image without rm: delete says so, naming the service' '
	"$CCBUILD" up norm norm >out 2>&1; cat out &&
	grep "sync:norm$TEST_ID .*done" out &&
	rm src/b.txt &&
	test_must_fail "$CCBUILD" sync norm >out 2>&1; cat out &&
	grep "sync norm$TEST_ID: removing from service norm:/etc/live: delete: true needs rm in the container, and service norm has none: 1 path not removed (the first: b.txt)" out
'

test_done
