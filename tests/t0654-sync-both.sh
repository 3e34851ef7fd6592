#!/bin/bash
# syncs: direction both (sync-twoway.c) and direction out at `ccbuild down`:
# a change on one side moves that way, a change on both sides is a conflict
# with both versions kept on both sides and nothing lost, a deletion moves
# only with delete and when the other side did not change the file, the
# rewrite is undone on the way back.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: direction in, out and both'

write_manifest () {
	cat >ccbuild.yaml <<-EOF
	ccbuild: 1
	project: t0654
	syncs:
	  two:
	    from: src
	    to: staging/two
	    delete: ${1:-true}
	    direction: both
	    rewrite:
	      - files: ["*.json"]
	        replace: {"/Users/me/": "/root/"}
	  in:
	    from: src
	    to: staging/in
	  back:
	    from: home-out
	    to: staging/out
	    direction: out
	profiles:
	  dev:
	    syncs: [two, in, back]
	EOF
}

test_expect_success 'a first two-way sync copies the from side, rewriting' '
	mkdir -p src/sub home-out staging/out &&
	echo one >src/a.txt && echo deep >src/sub/d && echo gone >src/g.txt &&
	echo "{\"home\": \"/Users/me/work\"}" >src/c.json &&
	write_manifest &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:two.*done.*5 in, 0 out" out && grep "sync:in.*done" out && ! grep "sync:back" out &&
	test "$(cat staging/two/a.txt)" = one &&
	test "$(cat staging/two/c.json)" = "{\"home\": \"/root/work\"}" &&
	"$CCBUILD" sync dev >out 2>&1 && grep "sync:two.*up-to-date" out
'

test_expect_success 'a change on the to side moves back, the rewrite undone; then up to date' '
	echo "{\"home\": \"/root/other\"}" >staging/two/c.json &&
	echo "made in the container" >staging/two/new.txt &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:two.*done.*0 in, 2 out" out &&
	test "$(cat src/c.json)" = "{\"home\": \"/Users/me/other\"}" &&
	test "$(cat src/new.txt)" = "made in the container" &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out && grep "sync:two.*up-to-date" out
'

test_expect_success 'a change on the from side moves in' '
	echo two >src/a.txt &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out &&
	grep "sync:two.*done.*1 in, 0 out" out && test "$(cat staging/two/a.txt)" = two
'

test_expect_success 'a deletion on either side moves with delete: true' '
	rm src/g.txt staging/two/sub/d &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out &&
	test ! -e staging/two/g.txt && test ! -e src/sub/d && test -e src/a.txt
'

test_expect_success 'without delete, a file deleted on one side is copied back' '
	write_manifest false &&
	rm staging/two/a.txt &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out &&
	test "$(cat staging/two/a.txt)" = two && test "$(cat src/a.txt)" = two &&
	write_manifest
'

test_expect_success 'a change on both sides is a conflict: both versions kept on both sides, the step fails' '
	echo "from side" >src/a.txt && echo "to side" >staging/two/a.txt &&
	test_must_fail "$CCBUILD" sync dev two >out 2>&1; cat out &&
	grep "1 file was changed on both sides: a.txt (both versions kept" out &&
	test "$(cat src/a.txt)" = "from side" && test "$(cat staging/two/a.txt)" = "to side" &&
	for side in src staging/two; do
		test "$(cat $side/a.txt.conflict-from-*)" = "from side" &&
		test "$(cat $side/a.txt.conflict-to-*)" = "to side" || return 1
	done
'

test_expect_success 'a rerun keeps failing without making more copies, until both sides agree' '
	test_must_fail "$CCBUILD" sync dev two >out 2>&1; cat out &&
	test $(ls src/a.txt.conflict-* | wc -l) = 2 && test $(ls staging/two/a.txt.conflict-* | wc -l) = 2 &&
	cp staging/two/a.txt src/a.txt &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out && grep "sync:two.*done" out &&
	"$CCBUILD" sync dev two >out 2>&1 && grep "sync:two.*up-to-date" out
'

test_expect_success 'a to-side change the reverse rewrite cannot give back exactly fails naming the file' '
	echo "{\"home\": \"/Users/me/literal\"}" >staging/two/c.json &&
	test_must_fail "$CCBUILD" sync dev two >out 2>&1; cat out &&
	grep "c.json: changed on the to side, but its rewrite cannot be undone exactly" out &&
	test "$(cat src/c.json)" = "{\"home\": \"/Users/me/other\"}" &&
	echo "{\"home\": \"/root/other\"}" >staging/two/c.json
'

test_expect_success 'a changed rewrite rule rewrites the to side again' '
	sed -i "s|\"/root/\"}|\"/home/u/\"}|" ccbuild.yaml &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out &&
	test "$(cat staging/two/c.json)" = "{\"home\": \"/home/u/other\"}" &&
	write_manifest &&
	"$CCBUILD" sync dev two >out 2>&1 && cat out &&
	test "$(cat staging/two/c.json)" = "{\"home\": \"/root/other\"}" &&
	test "$(cat src/c.json)" = "{\"home\": \"/Users/me/other\"}"
'

test_expect_success 'rewrite with direction both and an empty replacement is refused at load' '
	sed -i "s|replace: {\"/Users/me/\": \"/root/\"}|replace: {\"/Users/me/\": \"\"}|" ccbuild.yaml &&
	test_must_fail "$CCBUILD" lint 2>err; cat err &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: syncs.two.rewrite\[0\]: rewrite with direction both: ./Users/me/. is replaced by an empty string" err &&
	write_manifest &&
	sed -i "s|replace: {\"/Users/me/\": \"/root/\"}|replace: {\"/Users/me/.a/\": \"/root/.a/\", \"/Users/me/\": \"/root/\"}|" ccbuild.yaml &&
	test_must_fail "$CCBUILD" lint 2>err; cat err &&
	grep "rewrite with direction both: ./root/. lies inside another replacement" err &&
	write_manifest
'

test_expect_success 'direction: out and both syncs run at down, before anything is stopped' '
	echo "written by the container" >staging/out/result.txt &&
	echo "late edit" >staging/two/late.txt &&
	"$CCBUILD" down dev >out 2>&1; cat out &&
	grep "sync:back.*done" out && grep "sync:two.*done" out && ! grep "sync:in" out &&
	test "$(cat home-out/result.txt)" = "written by the container" &&
	test "$(cat src/late.txt)" = "late edit"
'

test_expect_success 'down --no-sync does not sync' '
	echo again >staging/out/result.txt &&
	"$CCBUILD" down dev --no-sync >out 2>&1; cat out &&
	! grep "sync:" out && test "$(cat home-out/result.txt)" = "written by the container"
'

test_done
