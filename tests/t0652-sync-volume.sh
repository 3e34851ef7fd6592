#!/bin/bash
# syncs: into a volume (to: volume:NAME/SUBDIR) through the engine only: a
# helper container created from the image of the service that mounts the
# volume, never started, removed after with its anonymous volumes; owners
# and modes kept; only changed files move (a no-op
# makes no archive call); deletes run rm in a second helper; a file changed
# in the volume behind ccbuild's back is found by content on the next sync
# that runs; a sync killed with SIGKILL leaves no torn file and the next
# run converges; up:SERVICE runs after sync:NAME.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: host directory to a volume'
. "$SRCROOT/tests/lib/deploy.sh"
. "$SRCROOT/tests/lib/sync.sh"

test_need_docker
P=t0652p$TEST_ID
S=cfg$TEST_ID
VOL=${P}_data
helpers () { docker ps -aq --filter "label=dev.ccbuild.sync.helper" --filter "name=ccbuild-sync-$S-"; }
trap 'helpers | xargs -r docker rm -f >/dev/null; deploy_cleanup $P >/dev/null 2>&1' EXIT
# in_vol CMD... — run CMD (busybox sh -c) with the volume at /d
in_vol () { docker run --rm --network none -v "$VOL:/d" ccbuild-test/busybox:latest sh -c "$*"; }

write_manifest () {
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	syncs:
	  $S:
	    from: src
	    to: volume:data/cfg
	    exclude: ["*.log"]
	    delete: true
	    rewrite:
	      - files: ["*.json"]
	        replace: {"/Users/me/": "${1:-/root/}"}
	profiles:
	  dev:
	    compose: [compose.yaml]
	    syncs: [$S]
	EOF
	cat >compose.yaml <<-EOF
	services:
	  app:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "600"]
	    volumes:
	      - data:/srv/data
	  other:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "600"]
	volumes:
	  data: {}
	EOF
}

test_expect_success 'a first sync creates the volume and copies the tree: modes, links, rewrites' '
	mkdir -p src/sub &&
	echo hello >src/a.txt && chmod 640 src/a.txt &&
	echo "{\"home\": \"/Users/me/w\"}" >src/c.json &&
	echo deep >src/sub/d && chmod 750 src/sub && echo noise >src/x.log && chown 1234:5678 src/sub/d &&
	ln -s a.txt src/l &&
	write_manifest &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:$S .*done.*4 copied, 0 deleted" out &&
	test "$(docker volume inspect -f "{{index .Labels \"com.docker.compose.project\"}}" $VOL)" = $P &&
	in_vol "cat /d/cfg/a.txt; stat -c %a /d/cfg/a.txt /d/cfg/sub; readlink /d/cfg/l; cat /d/cfg/c.json" >got &&
	printf "hello\n640\n750\na.txt\n{\"home\": \"/root/w\"}\n" >want &&
	test_cmp want got &&
	in_vol "test ! -e /d/cfg/x.log" &&
	test "$(in_vol "stat -c %u:%g /d/cfg/sub/d")" = 1234:5678 &&
	test -f .ccbuild/sync/$S.json && test -f .ccbuild/sync/$S.target &&
	test -z "$(helpers)"
'

test_expect_success 'a second sync is up to date and makes no archive call, nor any change' '
	sync_through_proxy sync dev &&
	sync_expect_noop $S
'

test_expect_success 'one changed source file is the only one written (the others keep their inode)' '
	a=$(in_vol "stat -c %i /d/cfg/a.txt") &&
	echo deeper >src/sub/d &&
	sync_through_proxy sync dev &&
	grep "1 copied, 0 deleted" out &&
	test $(grep -c "^PUT .*/archive" proxy/requests) = 1 &&
	grep -q "^DELETE .*/containers/.*v=1" proxy/requests &&
	test "$(in_vol "cat /d/cfg/sub/d")" = deeper &&
	test "$(in_vol "stat -c %i /d/cfg/a.txt")" = "$a" &&
	test -z "$(helpers)"
'

test_expect_success 'delete removes what left the source (with rm in a helper); an excluded file stays' '
	in_vol "echo mine >/d/cfg/keep.log" &&
	rm src/sub/d && rm src/l &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "0 copied, 2 deleted" out &&
	in_vol "test ! -e /d/cfg/sub/d && test ! -e /d/cfg/l && test -e /d/cfg/keep.log && test -d /d/cfg/sub" &&
	test -z "$(helpers)"
'

test_expect_success 'a changed rewrite rule re-syncs the rewritten file' '
	write_manifest /home/u/ &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "1 copied" out &&
	test "$(in_vol "cat /d/cfg/c.json")" = "{\"home\": \"/home/u/w\"}"
'

test_expect_success 'a file changed in the volume behind ccbuild is found by content and replaced, named' '
	in_vol "echo evil >/d/cfg/a.txt" &&
	echo more >src/b.txt &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "2 copied" out &&
	grep "warning: sync $S: 1 file in volume:data/cfg was not as the last sync left it.*: a.txt" out &&
	test "$(in_vol "cat /d/cfg/a.txt")" = hello
'

test_expect_success 'a recreated volume is synced again whole' '
	docker volume rm $VOL >/dev/null &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "running (volume:data/cfg is not the destination of the last sync" out &&
	test "$(in_vol "cat /d/cfg/b.txt")" = more
'

# The kill comes from a container that shares the host's pid namespace and
# watches the volume: the moment the staging directory appears (the PUT is
# being extracted), it sends SIGKILL to ccbuild.
kill_on_staging () {
	killer=$(docker run -d --pid host --network none -v "$VOL:/d" ccbuild-test/busybox:latest \
		sh -c "until test -d /d/cfg/.ccbuild-sync; do :; done; kill -9 $1")
}
test_expect_success 'killed with SIGKILL while writing: no torn file, and the next sync converges' '
	killer= &&
	sync_killed_mid_write in_vol /d/cfg kill_on_staging; rc=$?; docker rm -f $killer >/dev/null &&
	test $rc = 0 &&
	test -z "$(helpers)" &&
	"$CCBUILD" sync dev >out 2>&1 && grep "sync:$S .*up-to-date" out
'

test_expect_success 'up:SERVICE of a service that mounts the volume runs after sync:NAME' '
	echo again >src/b.txt &&
	"$CCBUILD" up dev >out 2>&1 && cat out &&
	s=$(grep -n "sync:$S .*done" out | cut -d: -f1) && u=$(grep -n "up:app: running" out | cut -d: -f1) &&
	test "$s" -lt "$u" &&
	test "$(docker exec $P-app-1 cat /srv/data/cfg/b.txt)" = again &&
	"$CCBUILD" down dev >/dev/null 2>&1
'

test_expect_success 'no service mounts the volume and no helper_image: an error naming the sync' '
	sed -i "s|to: volume:data/cfg|to: volume:elsewhere|" ccbuild.yaml &&
	test_must_fail "$CCBUILD" sync dev >out 2>&1; cat out &&
	grep "sync $S: no service of the compose project mounts volume elsewhere.*set helper_image:" out &&
	test_must_fail docker volume inspect elsewhere >/dev/null 2>&1
'

test_expect_success 'a helper_image: that is not on the engine is named' '
	sed -i "s|    delete: true|    delete: true\n    helper_image: $P/absent:1|" ccbuild.yaml &&
	test_must_fail "$CCBUILD" sync dev >out 2>&1; cat out &&
	grep "sync $S: the helper image $P/absent:1 is not on the engine" out &&
	test -z "$(helpers)"
'

test_done
