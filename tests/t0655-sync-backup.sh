#!/bin/bash
# syncs: backup: NAME — the backups: entry runs inside the sync step,
# after the sync found something to change and before it writes; an
# up-to-date sync backs nothing up, an unchanged backup source makes no
# snapshot, and the destination's old files come back with ccbuild restore.
. "$(dirname "$0")/test-lib.sh"
test_description 'sync: backup before a changing sync'

snapshots () { ls "$1/snapshots/staged" 2>/dev/null | wc -l; }
snapshots2 () { ls repo3/snapshots/staged2 2>/dev/null | wc -l; }

test_expect_success 'setup' '
	mkdir -p src && echo v1 >src/settings.txt && echo keep >src/other.txt &&
	cat >ccbuild.yaml <<-\EOF
	ccbuild: 1
	project: t0655
	syncs:
	  cfg:
	    from: src
	    to: staging
	    delete: true
	    backup: staged
	  two:
	    from: src2
	    to: staging2
	    direction: both
	    backup: staged2
	backups:
	  staged:
	    source: path:staging
	    destinations: [{path: repo1}, {path: repo2}]
	  staged2:
	    source: path:staging2
	    destinations: [{path: repo3}]
	profiles:
	  dev:
	    syncs: [cfg]
	  both:
	    syncs: [two]
	EOF
	"$CCBUILD" lint
'

test_expect_success 'a backup: that names no backups: entry is an error at its line' '
	sed "s/backup: staged$/backup: nowhere/" ccbuild.yaml >bad.yaml &&
	test_must_fail "$CCBUILD" -f bad.yaml lint 2>err; cat err &&
	grep "bad.yaml:8:13: syncs.cfg.backup: .nowhere. is not in backups:" err
'

test_expect_success 'the first sync has nothing to back up yet' '
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done.*2 copied" out && test $(snapshots repo1) = 0 &&
	test "$(cat staging/settings.txt)" = v1
'

test_expect_success 'an up-to-date sync backs nothing up' '
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*up-to-date" out && test $(snapshots repo1) = 0
'

test_expect_success 'a changing sync backs the destination up first, to every destination' '
	echo v2 >src/settings.txt && rm src/other.txt &&
	"$CCBUILD" --json sync dev >out 2>&1 && cat out &&
	grep "\"step\": *\"sync:cfg\"" out | grep "backed up first" &&
	test $(snapshots repo1) = 1 && test $(snapshots repo2) = 1 &&
	test "$(cat staging/settings.txt)" = v2 && test ! -e staging/other.txt
'

test_expect_success 'the files the sync replaced and deleted are restorable' '
	"$CCBUILD" restore dev staged --to path:$TRASH/restored >out 2>&1 && cat out &&
	test "$(cat restored/settings.txt)" = v1 && test "$(cat restored/other.txt)" = keep
'

test_expect_success 'a backup whose source is as last backed up makes no snapshot' '
	"$CCBUILD" backup dev staged >out 2>&1; cat out &&
	test $(snapshots repo1) = 2 &&
	echo v3 >src/settings.txt &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	grep "sync:cfg.*done.*backup up to date" out && test $(snapshots repo1) = 2 &&
	test "$(cat staging/settings.txt)" = v3
'

test_expect_success 'direction both: a backup before a sync that changes something, none before a no-op' '
	mkdir -p src2 staging2 && echo a >src2/f && echo old >staging2/g &&
	"$CCBUILD" sync both >out 2>&1 && cat out &&
	grep "sync:two.*done.*backed up first" out && test $(snapshots2) = 1 &&
	"$CCBUILD" sync both >out 2>&1 && cat out &&
	grep "sync:two.*up-to-date" out && test $(snapshots2) = 1
'

test_done
