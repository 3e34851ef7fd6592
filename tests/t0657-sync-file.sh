#!/bin/bash
# syncs: a single regular file as from: (sync-single.h).  to: names the
# destination file, or a directory when it ends in '/' (the file keeps its
# name); host paths, volume: and service: destinations; atomic replace,
# read back, a no-op when unchanged, rewrites, direction: out; delete:
# deletes nothing (the destination's siblings are never looked at, as
# rsync does for a file source); a directory or a symlink where the file
# should go is an error naming it; direction: both and exclude: are
# errors at the sync's FILE:LINE:COL.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: a single file as from:'
. "$SRCROOT/tests/lib/deploy.sh"
. "$SRCROOT/tests/lib/sync.sh"

test_need_docker
P=t0657p$TEST_ID
VOL=${P}_data
# The engine-side syncs carry $TEST_ID: their helper containers are named for them.
V=vol$TEST_ID VR=volroot$TEST_ID VD=voldir$TEST_ID SV=svc$TEST_ID SD=svcdir$TEST_ID SL=svclink$TEST_ID
helpers () { docker ps -aq --filter "label=dev.ccbuild.sync.helper" --filter "name=ccbuild-sync-vol$TEST_ID-" \
	--filter "name=ccbuild-sync-volroot$TEST_ID-" --filter "name=ccbuild-sync-voldir$TEST_ID-"; }
trap 'helpers | xargs -r docker rm -f >/dev/null; deploy_cleanup $P >/dev/null 2>&1' EXIT
ino () { stat -c %i "$1"; }

write_manifest () {
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: $P
	syncs:
	  conf:
	    from: ./config/app.conf
	    to: staging/etc/main.conf
	    delete: true
	    rewrite:
	      - files: ["*.conf"]
	        replace: {"/Users/me/": "/root/"}
	  keep:
	    from: config/app.conf
	    to: staging/keep/
	  back:
	    from: config/back.conf
	    to: staging/keep/
	    direction: out
	  isdir:
	    from: config/app.conf
	    to: staging/adir
	  islink:
	    from: config/app.conf
	    to: staging/alink
	  both:
	    from: config/app.conf
	    to: staging/both.conf
	    direction: both
	  excl:
	    from: config/app.conf
	    to: staging/excl.conf
	    exclude: ["*.log"]
	  $V:
	    from: config/app.conf
	    to: volume:data/cfg/main.conf
	  $VR:
	    from: config/app.conf
	    to: volume:data
	  $VD:
	    from: config/app.conf
	    to: volume:data/cfg
	  $SV:
	    from: config/app.conf
	    to: service:app:/etc/main.conf
	  $SD:
	    from: config/app.conf
	    to: service:app:/etc/
	  $SL:
	    from: config/app.conf
	    to: service:app:/etc/mtab
	profiles:
	  host: {syncs: [conf, keep]}
	  isdir: {syncs: [isdir]}
	  islink: {syncs: [islink]}
	  both: {syncs: [both]}
	  excl: {syncs: [excl]}
	  vol: {compose: [compose.yaml], syncs: [$V, $VR]}
	  voldir: {compose: [compose.yaml], syncs: [$VD]}
	  svc: {compose: [compose.yaml], syncs: [$SV, $SD]}
	  svclink: {compose: [compose.yaml], syncs: [$SL]}
	EOF
	cat >compose.yaml <<-EOF
	services:
	  app:
	    image: ccbuild-test/busybox:latest
	    command: ["sleep", "600"]
	    volumes:
	      - data:/srv/data
	volumes:
	  data: {}
	EOF
}

test_expect_success 'a file lands under the name to: gives, rewritten; its siblings are left alone' '
	mkdir -p config staging/etc &&
	echo "home=/Users/me/w" >config/app.conf && chmod 640 config/app.conf &&
	echo mine >staging/etc/other && echo untouched >config/sibling &&
	write_manifest &&
	"$CCBUILD" sync host >out 2>&1 && cat out &&
	grep "sync:conf .*done.*1 copied, 0 deleted" out &&
	echo "home=/root/w" >want && test_cmp want staging/etc/main.conf &&
	test "$(stat -c %a staging/etc/main.conf)" = 640 &&
	echo "home=/Users/me/w" >want && test_cmp want config/app.conf &&
	echo mine >want && test_cmp want staging/etc/other &&
	test ! -e staging/etc/app.conf && test ! -e staging/etc/sibling
'

test_expect_success "to: ending in / keeps the file's name" '
	echo "home=/Users/me/w" >want && test_cmp want staging/keep/app.conf &&
	test "$(ls -A staging/keep)" = app.conf
'

test_expect_success 'an unchanged file is up to date' '
	"$CCBUILD" sync host >out 2>&1 && cat out &&
	grep "sync:conf .*up-to-date.*staging/etc/main.conf is as synced (1 entries)" out &&
	grep "sync:keep .*up-to-date" out
'

test_expect_success 'a changed source replaces the file atomically (a new inode); delete: removes no sibling' '
	before=$(ino staging/etc/main.conf) &&
	echo "home=/Users/me/v2" >config/app.conf &&
	"$CCBUILD" sync host conf >out 2>&1 && cat out &&
	grep "sync:conf .*done.*1 copied, 0 deleted" out &&
	echo "home=/root/v2" >want && test_cmp want staging/etc/main.conf &&
	test "$(ino staging/etc/main.conf)" != "$before" &&
	echo mine >want && test_cmp want staging/etc/other
'

test_expect_success 'a hand change to the destination file is found, kept, and replaced' '
	echo "by hand" >staging/etc/main.conf &&
	"$CCBUILD" sync host conf >out 2>&1 && cat out &&
	grep "sync:conf: running (main.conf was changed in the destination)" out &&
	grep "versions are kept in .*: main.conf" out &&
	echo "home=/root/v2" >want && test_cmp want staging/etc/main.conf &&
	echo "by hand" >want && test_cmp want .ccbuild/sync/conf.kept/*/main.conf
'

test_expect_success 'a temporary a killed sync left beside the file is removed' '
	echo torn >staging/etc/.main.conf.ccbuild-0123456789abcdef &&
	echo "home=/Users/me/v3" >config/app.conf &&
	"$CCBUILD" sync host conf >out 2>&1 && cat out &&
	test ! -e staging/etc/.main.conf.ccbuild-0123456789abcdef &&
	echo "home=/root/v3" >want && test_cmp want staging/etc/main.conf
'

test_expect_success 'a source that went away is an error, and the destination stays' '
	mv config/app.conf config/app.conf.away &&
	test_must_fail "$CCBUILD" sync host conf >out 2>&1; cat out &&
	grep "sync conf: .*config/app.conf does not exist" out &&
	echo "home=/root/v3" >want && test_cmp want staging/etc/main.conf &&
	mv config/app.conf.away config/app.conf
'

test_expect_success 'direction: out writes the from: file from the to: side' '
	echo "from the staging side" >staging/keep/back.conf &&
	"$CCBUILD" sync host back --out >out 2>&1 && cat out &&
	grep "sync:back .*done.*1 copied" out &&
	echo "from the staging side" >want && test_cmp want config/back.conf &&
	"$CCBUILD" sync host back --out >out 2>&1 && grep "sync:back .*up-to-date" out
'

test_expect_success 'a directory where the file should go is an error naming it' '
	mkdir -p staging/adir && echo inside >staging/adir/f &&
	test_must_fail "$CCBUILD" sync isdir >out 2>&1; cat out &&
	grep "sync isdir: staging/adir is a directory, not a file" out &&
	echo inside >want && test_cmp want staging/adir/f
'

test_expect_success 'a symlink where the file should go is an error, and what it points to is untouched' '
	echo target >outside && ln -s ../outside staging/alink &&
	test_must_fail "$CCBUILD" sync islink >out 2>&1; cat out &&
	grep "sync islink: staging/alink is a symlink, not a file" out &&
	echo target >want && test_cmp want outside && test -L staging/alink
'

test_expect_success 'direction: both and exclude: with a file are errors at FILE:LINE:COL' '
	test_must_fail "$CCBUILD" sync both >out 2>&1; cat out &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: syncs.both: from: is a single file, and direction: both is not supported" out &&
	test_must_fail "$CCBUILD" sync excl >out 2>&1; cat out &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: syncs.excl: from: is a single file, and exclude: has nothing to exclude" out &&
	test ! -e staging/both.conf && test ! -e staging/excl.conf
'

in_vol () { docker run --rm --network none -v "$VOL:/d" ccbuild-test/busybox:latest sh -c "$*"; }
in_app () { docker exec $P-app-1 sh -c "$*"; }

test_expect_success 'into a volume: the named file, and a bare volume:NAME keeps the name' '
	echo "home=/Users/me/vol" >config/app.conf &&
	"$CCBUILD" sync vol $VR >out 2>&1 && cat out &&
	grep "sync:$VR .*done.*1 copied" out &&
	"$CCBUILD" sync vol $V >out 2>&1 && cat out &&
	grep "sync:$V .*done.*1 copied" out &&
	in_vol "cat /d/cfg/main.conf /d/app.conf; stat -c %a /d/cfg/main.conf" >got &&
	printf "home=/Users/me/vol\nhome=/Users/me/vol\n640\n" >want && test_cmp want got &&
	in_vol "test ! -e /d/cfg/app.conf"
'

# $VR first: a write at the volume's root changes the volume's CreatedAt
# (the engine reports its root's mtime), which sync-engine takes for the
# volume's identity, and $V's next run would not be a no-op.
test_expect_success 'into a volume: unchanged is up to date, a change is copied' '
	sync_through_proxy sync vol $V &&
	sync_expect_noop $V &&
	echo "home=/Users/me/vol2" >config/app.conf &&
	"$CCBUILD" sync vol $V >out 2>&1 && cat out &&
	grep "sync:$V .*done.*1 copied" out &&
	test "$(in_vol "cat /d/cfg/main.conf")" = "home=/Users/me/vol2"
'

test_expect_success 'into a volume: a directory where the file should go is an error, and it stays' '
	test_must_fail "$CCBUILD" sync voldir >out 2>&1; cat out &&
	grep "sync $VD: volume $VOL:/srv/data/cfg is a directory, not a file" out &&
	test "$(in_vol "cat /d/cfg/main.conf")" = "home=/Users/me/vol2"
'

test_expect_success 'into a running container: the named file and a directory ending in /' '
	"$CCBUILD" up svc >out 2>&1 && cat out &&
	grep "sync:$SV .*done.*1 copied" out && grep "sync:$SD .*done.*1 copied" out &&
	test "$(in_app "cat /etc/main.conf")" = "home=/Users/me/vol2" &&
	test "$(in_app "cat /etc/app.conf")" = "home=/Users/me/vol2" &&
	in_app "echo mine >/etc/mine" &&
	sync_through_proxy sync svc &&
	sync_expect_noop $SV && sync_expect_noop $SD &&
	echo "home=/Users/me/svc" >config/app.conf &&
	"$CCBUILD" sync svc $SV >out 2>&1 && cat out &&
	grep "sync:$SV .*done.*1 copied" out &&
	test "$(in_app "cat /etc/main.conf")" = "home=/Users/me/svc" &&
	test "$(in_app "cat /etc/mine")" = mine
'

test_expect_success 'into a running container: a symlink where the file should go is an error' '
	in_app "echo secret >/etc/target && ln -sf /etc/target /etc/mtab" &&
	test_must_fail "$CCBUILD" sync svclink >out 2>&1; cat out &&
	grep "sync $SL: service app:/etc/mtab is a symlink, not a file" out &&
	test "$(in_app "readlink /etc/mtab")" = /etc/target && test "$(in_app "cat /etc/target")" = secret
'

test_expect_success 'cleanup leaves nothing of the project, and no helper' '
	test -z "$(helpers)" &&
	deploy_cleanup $P
'

test_done
