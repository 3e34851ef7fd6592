#!/bin/bash
# syncs: as sync:NAME steps, host directory -> host directory: only what
# changed moves, the destination is checked against the record of the last
# sync, hand changes are kept, files land atomically, the lock is shared.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: host directory to host directory'

# ino PATH: the inode number (a file not rewritten keeps it).
ino () { stat -c %i "$1"; }

write_manifest () {
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: t0600
	syncs:
	  cfg:
	    from: src
	    to: staging/cfg
	    exclude: [projects/*/cache/, "*.log"]
	    delete: true
	    lock: lockfile
	    lock_timeout: 1
	    rewrite:
	      - files: ["*.json"]
	        replace: {"/Users/me/": "${1:-/root/}"}
	  back:
	    from: src
	    to: staging/cfg
	    direction: out
	profiles:
	  dev:
	    syncs: [cfg, back]
	EOF
}

test_expect_success 'a first sync copies the tree: excludes, rewrites, modes, links as links' '
	mkdir -p src/sub src/projects/a/cache outside &&
	echo hello >src/a.txt && chmod 600 src/a.txt &&
	echo "{\"home\": \"/Users/me/work\"}" >src/c.json &&
	echo noise >src/x.log && echo cached >src/projects/a/cache/f &&
	echo deep >src/sub/d && chmod 751 src/sub &&
	ln -s ../outside src/out && ln -s /etc/passwd src/pw &&
	write_manifest &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done.*copied" out &&
	test "$(cat staging/cfg/a.txt)" = hello &&
	test "$(stat -c %a staging/cfg/a.txt)" = 600 &&
	test "$(stat -c %a staging/cfg/sub)" = 751 &&
	test "$(cat staging/cfg/c.json)" = "{\"home\": \"/root/work\"}" &&
	grep -q /Users/me/ src/c.json &&
	test ! -e staging/cfg/x.log && test ! -e staging/cfg/projects/a/cache &&
	test "$(readlink staging/cfg/out)" = ../outside &&
	test "$(readlink staging/cfg/pw)" = /etc/passwd &&
	test -f .ccbuild/sync/cfg.json
'

test_expect_success 'a second sync is up to date and writes nothing' '
	before=$(ino staging/cfg/a.txt) &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*up-to-date.*as synced" out &&
	test "$(ino staging/cfg/a.txt)" = "$before"
'

test_expect_success 'a no-op compares the destination with the fingerprint beside the record, not the record' '
	test -s .ccbuild/sync/cfg.json.fp &&
	cp .ccbuild/sync/cfg.json rec.keep &&
	echo "{not json" >.ccbuild/sync/cfg.json &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*up-to-date.*as synced" out &&
	test_must_fail grep -q malformed out &&
	cp rec.keep .ccbuild/sync/cfg.json
'

test_expect_success 'one changed source file is the only one copied' '
	a=$(ino staging/cfg/a.txt) && d=$(ino staging/cfg/sub/d) &&
	echo deeper >src/sub/d &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "running (1 entry changed in the source)" out &&
	grep "1 copied, 0 deleted" out &&
	test "$(cat staging/cfg/sub/d)" = deeper &&
	test "$(ino staging/cfg/a.txt)" = "$a" && test "$(ino staging/cfg/sub/d)" != "$d"
'

test_expect_success 'delete mirrors a removal; an excluded destination file stays' '
	echo mine >staging/cfg/keep.log &&
	rm src/sub/d &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	test ! -e staging/cfg/sub/d && test -e staging/cfg/keep.log
'

test_expect_success 'a destination file changed by hand is detected, kept, then replaced' '
	echo "my edit" >staging/cfg/a.txt &&
	"$CCBUILD" plan dev >plan 2>&1; cat plan &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "running (a.txt was changed in the destination)" out &&
	grep "warning: sync cfg: 1 destination file was changed.*kept in .*cfg.kept/.*: a.txt" out &&
	test "$(cat staging/cfg/a.txt)" = hello &&
	test "$(cat .ccbuild/sync/cfg.kept/*/a.txt)" = "my edit"
'

test_expect_success 'a corrupted destination file with its size and mtime restored is detected' '
	cp -p staging/cfg/a.txt ref && printf HELLO >staging/cfg/a.txt && echo >>staging/cfg/a.txt &&
	touch -r ref staging/cfg/a.txt &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "a.txt was changed in the destination" out &&
	test "$(cat staging/cfg/a.txt)" = hello
'

test_expect_success 'a changed rewrite rule re-syncs the rewritten files' '
	write_manifest /home/u/ &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done" out &&
	test "$(cat staging/cfg/c.json)" = "{\"home\": \"/home/u/work\"}"
'

test_expect_success 'a symlink in the destination is never written through' '
	mkdir -p elsewhere && rm -rf staging/cfg/sub && ln -s ../../elsewhere staging/cfg/sub &&
	echo new >src/sub/n &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	test -d staging/cfg/sub && test ! -L staging/cfg/sub &&
	test "$(cat staging/cfg/sub/n)" = new && test -z "$(ls elsewhere)"
'

test_expect_success 'a held lock makes the sync wait, then fail naming the holder' '
	echo more >>src/a.txt &&
	{ flock -o lockfile sleep 5 & } && holder=$! && sleep 0.3 &&
	test_must_fail "$CCBUILD" sync dev >out 2>&1; cat out &&
	grep "lock .*lockfile: still held by pid $holder after 1s" out &&
	kill $holder && wait $holder 2>/dev/null; true
'

test_expect_success 'a released lock lets the sync go on' '
	{ flock -o lockfile sleep 0.5 & } && sleep 0.1 &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done" out && wait
'

test_expect_success '--out runs the direction: out syncs only' '
	echo "from the container" >staging/cfg/new.txt &&
	"$CCBUILD" sync dev --out >out 2>&1 && cat out &&
	grep "sync:back.*done" out && ! grep "sync:cfg" out &&
	test "$(cat src/new.txt)" = "from the container" &&
	test_must_fail "$CCBUILD" sync dev cfg --out 2>err && grep "direction: in; run it without --out" err
'

test_expect_success 'a profile run has the sync:NAME step of its direction: in syncs' '
	"$CCBUILD" graph dev >g && grep "sync:cfg" g && ! grep "sync:back" g
'

test_expect_success 'a source that is missing is an error naming it' '
	mv src src.away &&
	test_must_fail "$CCBUILD" sync dev 2>err; cat err &&
	grep "sync cfg: .*src does not exist" err &&
	mv src.away src
'
test_expect_success 'kill -9 mid-sync leaves no torn file, and the next sync finishes the job' '
	mkdir -p big/d && cat >big.yaml <<-EOF &&
	ccbuild: 1
	project: t0600
	syncs:
	  big: {from: big, to: bigdst, delete: true}
	profiles:
	  dev: {syncs: [big]}
	EOF
	for i in $(seq 1 150); do head -c 131072 /dev/urandom >big/d/f$i; done &&
	sha256sum big/d/* | cut -d" " -f1 >versions &&
	for delay in 0.05 0.1 0.2; do
		"$CCBUILD" -f big.yaml sync dev >/dev/null 2>&1 & pid=$! &&
		sleep $delay && kill -9 $pid; wait $pid 2>/dev/null
		# every destination file is some whole version of its source
		for f in bigdst/d/f*; do
			test -e "$f" || continue
			grep -qx "$(sha256sum <"$f" | cut -d" " -f1)" versions || echo "torn: $f" >>torn
		done
		for i in $(seq 1 150); do head -c 131072 /dev/urandom >big/d/f$i; done
		sha256sum big/d/* | cut -d" " -f1 >>versions
	done &&
	test ! -e torn &&
	"$CCBUILD" -f big.yaml sync dev >out 2>&1 && cat out &&
	diff -r big bigdst && ! ls -a bigdst/d | grep ccbuild- &&
	"$CCBUILD" -f big.yaml sync dev >out 2>&1 && grep "up-to-date" out
'

test_expect_success 'a reader of the destination never sees a torn file' '
	mkdir -p rsrc && head -c 4000000 /dev/zero | tr "\0" a >A && head -c 4000000 /dev/zero | tr "\0" b >B &&
	cat >rd.yaml <<-EOF &&
	ccbuild: 1
	project: t0600
	syncs:
	  r: {from: rsrc, to: rdst}
	profiles:
	  dev: {syncs: [r]}
	EOF
	cp A rsrc/f && "$CCBUILD" -f rd.yaml sync dev 2>/dev/null &&
	( while test ! -e stop; do cmp -s rdst/f A || cmp -s rdst/f B || { echo torn >torn; break; }; done ) &
	reader=$! &&
	for i in 1 2 3 4 5 6 7 8; do
		cp B rsrc/f && "$CCBUILD" -f rd.yaml sync dev 2>/dev/null &&
		cp A rsrc/f && "$CCBUILD" -f rd.yaml sync dev 2>/dev/null || break
	done; touch stop; wait $reader &&
	test ! -e torn && cmp rdst/f A
'
test_expect_success 'a destination inside the source is refused' '
	printf "%s\n" "ccbuild: 1" "project: t0600" "syncs:" "  in: {from: src, to: src/copy}" \
		"profiles:" "  dev: {syncs: [in]}" >nest.yaml &&
	test_must_fail "$CCBUILD" -f nest.yaml sync dev 2>err; cat err &&
	grep "lie inside one another" err && test ! -e src/copy
'

test_expect_success 'ccbuild PROFILE runs the sync:NAME step with the rest of the pipeline' '
	test_need_docker &&
	echo "run" >src/run.txt &&
	"$CCBUILD" dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done" out && test "$(cat staging/cfg/run.txt)" = run &&
	"$CCBUILD" dev >out 2>&1 && grep "sync:cfg.*up-to-date" out
'
test_done
