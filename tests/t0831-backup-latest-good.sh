#!/bin/bash
# ccbuild restore --latest-good: the newest snapshot that verifies in some
# destination, a corrupt one skipped with a warning naming it; the
# verification state `ccbuild backups` shows; one lock per repository (a
# second backup fails naming it, a kill -9'd holder blocks nothing).
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: restore --latest-good, verification state, locks'
. "$SRCROOT/tests/lib/backup.sh"

# flip FILE: change one byte of a stored object
flip () {
	chmod u+w "$1" &&
	test_flip_byte "$1" 3
}

# object REPO FILE: the stored object holding FILE (one chunk: under 1 MiB)
object () {
	sum=$(sha256sum "$2" | cut -c1-64) &&
	echo "$1/objects/$(echo $sum | cut -c1-2)/$sum"
}

test_expect_success 'setup: three snapshots, each with a file of its own' '
	mkdir -p src &&
	head -c 300000 /dev/urandom >src/base.bin &&
	backup_path_manifest &&
	for i in 1 2 3; do
		echo "version $i" >src/version.txt &&
		head -c 50000 /dev/urandom >src/new$i.bin &&
		backup_listing src >v$i.lst &&
		"$CCBUILD" backup dev >/dev/null || return 1
	done &&
	"$CCBUILD" backups dev data >list &&
	test $(grep -c "in 1,2" list) = 3 &&
	newest=$(sed -n 4p list | awk "{print \$1}") &&
	middle=$(sed -n 5p list | awk "{print \$1}")
'

test_expect_success 'backups: snapshots never verified show it' '
	test $(grep -c "verified 1:- 2:-" list) = 3
'

test_expect_success 'with every snapshot intact, --latest-good restores the newest' '
	"$CCBUILD" restore dev data --latest-good --to path:$TRASH/r0 >out 2>err &&
	grep "snapshot $newest of data verifies in $TRASH/repo1 (the newest)" out &&
	! grep warning err &&
	backup_listing r0 >got.lst && test_cmp v3.lst got.lst
'

test_expect_success 'newest corrupt in one destination only: restored from the other' '
	flip $(object repo1 src/new3.bin) &&
	"$CCBUILD" restore dev data --latest-good --to path:$TRASH/r1 >out 2>err &&
	grep "warning: restore data: skipping $TRASH/repo1: snapshot $newest (.*): /new3.bin: object .* corrupt" err &&
	grep "snapshot $newest of data verifies in $TRASH/repo2" out &&
	backup_listing r1 >got.lst && test_cmp v3.lst got.lst
'

test_expect_success 'newest corrupt everywhere: the previous one, with a warning naming the newest' '
	flip $(object repo2 src/new3.bin) &&
	backup_listing src >before.lst &&
	"$CCBUILD" restore dev data --latest-good >out 2>err &&
	grep "skipping $TRASH/repo1: snapshot $newest" err &&
	grep "skipping $TRASH/repo2: snapshot $newest" err &&
	grep "snapshot $middle of data verifies in $TRASH/repo1 (newer ones do not" out &&
	backup_listing src >got.lst && test_cmp v2.lst got.lst
'

test_expect_success 'plain restore (no --latest-good) of the corrupt newest still fails, target kept' '
	backup_listing src >before.lst &&
	test_must_fail "$CCBUILD" restore dev data 2>err && grep corrupt err &&
	backup_listing src >after.lst && test_cmp before.lst after.lst
'

test_expect_success 'backups shows the verification state --latest-good recorded' '
	"$CCBUILD" backups dev data >list &&
	grep "^  $newest .*verified 1:CORRUPT 2:CORRUPT (" list &&
	grep "^  $middle .*verified 1:ok 2:- (" list
'

test_expect_success 'backup verify records its results too' '
	test_must_fail "$CCBUILD" backup verify dev data --all &&
	"$CCBUILD" backups dev data >list &&
	test $(grep -c "verified 1:ok 2:ok (" list) = 2 &&
	grep "^  $newest .*1:CORRUPT 2:CORRUPT" list
'

test_expect_success 'every snapshot corrupt: an error, the target as it was' '
	flip $(object repo1 src/base.bin) && flip $(object repo2 src/base.bin) &&
	backup_listing src >before.lst &&
	test_expect_code 1 "$CCBUILD" restore dev data --latest-good 2>err &&
	grep "no snapshot verifies in any destination" err &&
	test $(grep -c "skipping" err) = 6 &&
	backup_listing src >after.lst && test_cmp before.lst after.lst
'

test_expect_success '--latest-good and --snapshot together are a usage error' '
	test_expect_code 2 "$CCBUILD" restore dev data --latest-good --snapshot $middle
'

test_expect_success 'restore with no destination that reads: an error, no crash' '
	rm -rf repo1 repo2 &&
	test_expect_code 1 "$CCBUILD" restore dev data 2>err &&
	grep "no destination can be read" err &&
	test_expect_code 1 "$CCBUILD" restore dev data --latest-good 2>err &&
	grep "no destination can be read" err
'

# A sparse file reads as zeros: seconds of hashing, one chunk stored; the
# lock is taken before the source is read.
test_expect_success 'a second backup while one holds the repository lock fails naming it' '
	rm -rf src/* && echo small >src/small &&
	"$CCBUILD" backup dev >/dev/null &&
	truncate -s 6G src/sparse.bin &&
	{ "$CCBUILD" backup dev >holder.out 2>&1 & } && holder=$! &&
	# wait for the holder by its record in the lock file: probing with
	# flock -n would take the lock for an instant, and a holder starting
	# then would fail instead (up to 60 s on a loaded machine)
	for i in $(seq 1 1200); do
		test -s repo1/lock && break
		sleep 0.05
	done &&
	test -s repo1/lock || { cat holder.out; false; } &&
	test_expect_code 1 "$CCBUILD" backup dev >out 2>err &&
	grep "no destination is usable: $TRASH/repo1: locked by another ccbuild backup running now" err
'

test_expect_success 'a kill -9ed holder leaves no stale lock: the next backup runs' '
	kill -9 $holder && { wait $holder; test $? = 137; } &&
	flock -n repo1/lock true && flock -n repo2/lock true &&
	rm src/sparse.bin && echo changed >src/small &&
	"$CCBUILD" backup dev >out &&
	grep "backup:data  snapshot" out &&
	"$CCBUILD" backup verify dev data --all &&
	test -z "$(ls repo1/tmp)"
'

test_expect_success 'backups shows what each command destination last delivered' '
	"$CCBUILD" backups dev data >list &&
	! grep "^  command" list &&
	sed -i "/- path: repo2/a\\      - command: [\"true\", \"{id}\"]" ccbuild.yaml &&
	"$CCBUILD" backups dev data >list &&
	grep "^  command true: never delivered" list &&
	"$CCBUILD" backup dev >out &&
	grep "command true: delivered snapshot" out &&
	id=$(sed -n "s/^  \([0-9a-f]\{16\}\) .*/\1/p" list | head -n 1) &&
	"$CCBUILD" backups dev data >list &&
	grep "^  command true: last delivered snapshot $id" list
'

test_done
