#!/bin/bash
# ccbuild backup of a host directory to two repositories: incremental by
# content, no snapshot when nothing changed, byte-exact verified restore,
# corruption found and named, a killed backup leaves earlier snapshots.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: path source, restore, verify, crash safety'
. "$SRCROOT/tests/lib/backup.sh"

bytes () { find "$1" -type f -printf "%s\n" | awk "{n += \$1} END {print n + 0}"; }
snapshots () { ls "$1/snapshots/data" 2>/dev/null | wc -l; }

test_expect_success 'setup' '
	mkdir -p src/sub/deep &&
	echo hello >src/a.txt && chmod 640 src/a.txt &&
	head -c 3500000 /dev/urandom >src/sub/big.bin &&
	: >src/empty && chmod 4755 src/empty &&
	ln -s a.txt src/link && ln -s /nowhere src/sub/dangling &&
	chown 1234:5678 src/sub/deep && chmod 700 src/sub/deep &&
	echo deep >src/sub/deep/f &&
	backup_path_manifest "verify: 100%" &&
	backup_listing src >first.lst
'

test_expect_success 'a first backup writes one snapshot to each destination' '
	"$CCBUILD" backup dev >out &&
	grep "backup:data  snapshot" out &&
	test $(snapshots repo1) = 1 && test $(snapshots repo2) = 1 &&
	cmp repo1/snapshots/data/*.json repo2/snapshots/data/*.json &&
	grep "verified" out
'

test_expect_success 'an unchanged source makes no snapshot and reads no file' '
	"$CCBUILD" backup dev >out &&
	grep "backup:data  up to date" out &&
	test $(snapshots repo1) = 1
'

test_expect_success 'one changed file stores only its new chunk and the trees above it' '
	before=$(bytes repo1/objects) &&
	echo more >>src/a.txt &&
	"$CCBUILD" backup dev >out &&
	grep "read 1 files" out &&
	test $(snapshots repo1) = 2 &&
	after=$(bytes repo1/objects) &&
	test $((after - before)) -lt 4096
'

test_expect_success 'restore the first snapshot byte-exact into a new directory' '
	first=$("$CCBUILD" backups dev data | tail -n 1 | awk "{print \$1}") &&
	"$CCBUILD" restore dev data --snapshot $first --to path:$TRASH/restored &&
	backup_listing restored >out.lst &&
	test_cmp first.lst out.lst
'

test_expect_success 'restore over the source swaps in the old content' '
	"$CCBUILD" restore dev data --snapshot $first &&
	backup_listing src >now.lst &&
	test_cmp first.lst now.lst &&
	test ! -e src.ccbuild-restore
'

test_expect_success 'verify --all re-hashes every snapshot in every destination' '
	"$CCBUILD" backup verify dev data --all >out &&
	test $(grep -c ": ok" out) = 4
'

test_expect_success 'a flipped byte is found and names the snapshot and path' '
	obj=$(grep -l . repo1/objects/*/* | while read f; do
		test $(stat -c %s $f) = 1048576 && echo $f; done | head -n 1) &&
	chmod u+w $obj &&
	test_flip_byte $obj 100 &&
	test_expect_code 1 "$CCBUILD" backup verify dev data --all 2>err &&
	grep "repo1: snapshot .*: /sub/big.bin: object .* corrupt" err &&
	! grep "repo2.*corrupt" err
'

test_expect_success 'a restore from a corrupt object fails and leaves the target as it was' '
	backup_listing src >before.lst &&
	test_must_fail "$CCBUILD" restore dev data 2>err &&
	grep corrupt err &&
	backup_listing src >after.lst &&
	test_cmp before.lst after.lst && test ! -e src.ccbuild-restore
'

test_expect_success 'a backup killed at any point leaves the earlier snapshots intact' '
	rm -rf repo1 repo2 .ccbuild && "$CCBUILD" backup dev &&
	snap=$(ls repo1/snapshots/data) &&
	for i in 1 2 3 4 5 6; do
		head -c 20000000 /dev/urandom >src/sub/grow$i.bin &&
		{ "$CCBUILD" backup dev >/dev/null 2>&1 & } &&
		pid=$! && sleep 0.$((i * 15)) && kill -9 $pid; wait $pid
		test -f repo1/snapshots/data/$snap || return 1
		"$CCBUILD" backup verify dev data --all >/dev/null || return 1
	done &&
	"$CCBUILD" backup dev &&
	"$CCBUILD" backup verify dev data --all &&
	test -z "$(ls repo1/tmp)"
'

test_expect_success 'objects a killed run committed without a manifest are collected' '
	"$CCBUILD" backup dev >out && grep "up to date" out &&
	mkdir -p repo1/objects/00 &&
	stray=repo1/objects/00/00$(printf "%062d" 0) &&
	echo stray >$stray &&
	echo again >>src/a.txt && "$CCBUILD" backup dev >out &&
	grep "removed [0-9]* unreferenced" out &&
	test ! -e $stray
'

test_expect_success 'an unwritable destination degrades the run; the next run completes it' '
	echo change >>src/a.txt &&
	mv repo2 repo2.away && echo blocker >repo2 &&
	test_expect_code 1 "$CCBUILD" backup dev >out 2>err &&
	grep "degraded: .*repo2" err &&
	rm repo2 && mv repo2.away repo2 &&
	"$CCBUILD" backup dev >out &&
	cmp repo1/snapshots/data/$(ls -t repo1/snapshots/data | head -n 1) \
	    repo2/snapshots/data/$(ls -t repo1/snapshots/data | head -n 1)
'

test_expect_success 'a second backup at the same time is refused by the lock' '
	exec 9>repo1/lock && flock -n 9 &&
	echo x >>src/a.txt &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err;
	exec 9>&-;
	grep "locked by another ccbuild" err
'

test_expect_success 'a profile run has a backup:NAME step that runs only when the source changed' '
	"$CCBUILD" backup dev && n=$(snapshots repo1) &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*done" out &&
	test $(snapshots repo1) = $n &&
	"$CCBUILD" plan dev >out && grep "backup:data  up to date" out &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*up-to-date" out &&
	echo step >>src/a.txt &&
	"$CCBUILD" plan dev >out && grep "backup:data  would run: source changed" out &&
	n=$(snapshots repo1) && "$CCBUILD" dev >out 2>&1 && grep "backup:data.*done" out &&
	test $(snapshots repo1) = $((n + 1)) &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*up-to-date" out
'

test_expect_success 'a command destination gets its placeholders, no shell, and is retried until it works' '
	mkdir offsite &&
	sed -i "/- path: repo2/a\\      - command: [cp, -r, \"{repo}/.\", \"offsite/{name}/copy\"]" ccbuild.yaml &&
	echo cmd >>src/a.txt &&
	test_expect_code 1 "$CCBUILD" backup dev >out 2>err &&
	grep "degraded: command cp: exit 1" err &&
	mkdir offsite/data &&
	"$CCBUILD" backup dev >out &&
	grep "up to date" out && grep "command cp: delivered snapshot" out &&
	test -f offsite/data/copy/snapshots/data/$(ls -t repo1/snapshots/data | head -n 1) &&
	"$CCBUILD" backup dev >out && ! grep delivered out
'

test_expect_success 'bad backups: entries are errors with positions' '
	mkdir bad && cat >bad/ccbuild.yaml <<-\EOF &&
	ccbuild: 1
	project: bk
	profiles:
	  dev:
	    backups: [nope]
	backups:
	  data:
	    source: disk:/x
	    destinations: []
	    retention: {keep_lats: 3}
	    verify: lots
	EOF
	test_expect_code 2 "$CCBUILD" -C bad lint 2>err &&
	grep "ccbuild.yaml:8:13: backup .data.: source must be path:DIR, volume:NAME or service:NAME, not .disk:/x." err &&
	grep "ccbuild.yaml:9:19: .*destinations must be a list" err &&
	grep "unknown key .keep_lats. .*did you mean .keep_last." err &&
	grep "verify must be a share" err
'

test_expect_success 'backup:NAME waits for up:S of its service: source and of the services its hooks stop' '
	mkdir order && cat >order/docker-compose.yml <<-\EOF &&
	services:
	  db: {image: x, volumes: [data:/data]}
	  worker: {image: x}
	  other: {image: x}
	volumes:
	  data: {}
	EOF
	cat >order/ccbuild.yaml <<-\EOF &&
	ccbuild: 1
	project: order
	compose: [docker-compose.yml]
	backups:
	  data:
	    source: service:db
	    quiesce: [{stop: [worker]}]
	    destinations: [{path: bk}]
	profiles:
	  dev: {up: true, backups: [data]}
	EOF
	"$CCBUILD" -C order graph dev >out &&
	grep -x "backup:data  <- up:db, up:worker" out
'

test_done
