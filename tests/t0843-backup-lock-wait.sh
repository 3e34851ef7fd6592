#!/bin/bash
# A repository's lock: a second backup fails at once naming the holder
# (host, pid, since) unless --retry-lock DURATION lets it wait (restic's
# flag and default); it then succeeds once the holder is gone, and says
# how long it waited for whom.  A wait that runs out names the holder; a
# record left by a run that died is reported and replaced (the kernel's
# flock was already released: nothing is broken); backup forget waits too.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: --retry-lock, the lock holder named'
. "$SRCROOT/tests/lib/backup.sh"

# wait_locked: until someone holds repo1's flock (30 s at most)
wait_locked () {
	for i in $(seq 1 600); do
		flock -n repo1/lock true || return 0
		sleep 0.05
	done
	return 1
}

# wait_record: until a ccbuild holds repo1's lock, by its record (probing
# with flock -n would take the lock for an instant, and a holder starting
# then would fail; 60 s at most)
wait_record () {
	for i in $(seq 1 1200); do
		test -s repo1/lock && return 0
		sleep 0.05
	done
	return 1
}

# wait_gone PID: until PID (not a child of this body) has exited (60 s)
wait_gone () {
	for i in $(seq 1 1200); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

test_expect_success 'setup; a finished run leaves no holder record' '
	mkdir -p src && echo small >src/small &&
	BACKUP_DESTS=repo1 backup_path_manifest "retention: {keep_last: 2}" &&
	"$CCBUILD" backup dev >out &&
	grep "backup:data  snapshot" out &&
	test ! -s repo1/lock
'

# A sparse file reads as zeros: seconds of hashing under the lock.
test_expect_success 'without --retry-lock a held lock fails at once, naming host, pid and since' '
	truncate -s 8G src/sparse.bin &&
	{ "$CCBUILD" backup dev >holder.out 2>&1 & } && echo $! >holder.pid &&
	wait_record && grep "\"pid\":$(cat holder.pid)," repo1/lock &&
	start=$(date +%s) &&
	test_expect_code 1 "$CCBUILD" backup dev >out 2>err &&
	test $(($(date +%s) - start)) -lt 10 &&
	grep "repo1: locked by another ccbuild backup running now (host $(hostname), pid $(cat holder.pid), since 20[0-9-]*T[0-9:]*Z)" err
'

test_expect_success 'with --retry-lock the second run waits, then succeeds once the holder is gone' '
	holder=$(cat holder.pid) &&
	{ "$CCBUILD" backup dev --retry-lock 5m >waiter.out 2>&1 & } && waiter=$! &&
	sleep 2 && kill -0 $waiter && test ! -s waiter.out &&
	kill -9 $holder && wait_gone $holder &&
	wait $waiter &&
	cat waiter.out &&
	grep "backup:data  snapshot" waiter.out &&
	grep "repo1: waited [0-9.]* s for its lock (host $(hostname), pid $holder, since" waiter.out &&
	grep "the lock record of host $(hostname), pid $holder, .* (a run that died: that pid is gone) was replaced" waiter.out &&
	test ! -s repo1/lock &&
	rm src/sparse.bin
'

test_expect_success 'a wait that runs out names the holder and the limit' '
	{ flock repo1/lock sleep 6 & } && locker=$! &&
	wait_locked && echo again >>src/small &&
	start=$(date +%s) &&
	test_expect_code 1 "$CCBUILD" backup dev --retry-lock 2s 2>err &&
	test $(($(date +%s) - start)) -ge 2 &&
	grep "repo1: locked by another ccbuild backup running now (pid [0-9]*, which left no record); gave up after --retry-lock 2s" err &&
	wait $locker
'

test_expect_success 'a holder that lets go in time: the run goes ahead and says whom it waited for' '
	{ flock repo1/lock sleep 2 & } &&
	wait_locked &&
	"$CCBUILD" backup dev --retry-lock 1m >out &&
	cat out &&
	grep "backup:data  snapshot" out &&
	grep "repo1: waited [0-9.]* s for its lock (pid [0-9]*, which left no record)" out
'

test_expect_success 'backup forget waits for the lock as well' '
	test $(ls repo1/snapshots/data | wc -l) = 2 &&
	sed -i "s/keep_last: 2/keep_last: 1/" ccbuild.yaml &&
	{ flock repo1/lock sleep 2 & } &&
	wait_locked &&
	test_expect_code 1 "$CCBUILD" backup forget dev 2>err &&
	grep "locked by another ccbuild backup running now" err &&
	"$CCBUILD" backup forget dev --retry-lock 1m >out &&
	grep "waited [0-9.]* s for its lock" out && grep "^  forget " out &&
	test $(ls repo1/snapshots/data | wc -l) = 1
'

test_expect_success 'the record of a run that died is reported and replaced' '
	sleep 0 & dead=$! && wait $dead &&
	printf "{\"host\":\"%s\",\"pid\":%d,\"since\":\"2026-01-01T00:00:00Z\"}\n" "$(hostname)" $dead >repo1/lock &&
	echo fourth >>src/small &&
	"$CCBUILD" backup dev >out &&
	grep "the lock record of host $(hostname), pid $dead, since 2026-01-01T00:00:00Z (a run that died: that pid is gone) was replaced" out &&
	test ! -s repo1/lock
'

test_expect_success '--retry-lock takes a duration' '
	test_expect_code 2 "$CCBUILD" backup dev --retry-lock soon 2>err &&
	grep "retry-lock needs a duration such as 30s" err &&
	test_expect_code 2 "$CCBUILD" backup dev --retry-lock 2>err
'

test_expect_success 'retry_lock: in the manifest: a profile run (ccbuild dev) waits for the holder too' '
	echo "    retry_lock: 1m" >>ccbuild.yaml &&
	{ flock repo1/lock sleep 4 & } && locker=$! &&
	wait_locked && echo fifth >>src/small &&
	"$CCBUILD" dev >out 2>err &&
	cat out err &&
	grep "backup:data .*done" out err &&
	# the holder had ended (gone, or a zombie not yet reaped) when the run did
	{ ! test -d /proc/$locker || grep -q "^State:.*Z" /proc/$locker/status; } &&
	wait $locker
'

test_expect_success 'retry_lock: sets what backup waits without --retry-lock; --retry-lock 0 overrides it' '
	{ flock repo1/lock sleep 2 & } && locker=$! &&
	wait_locked && echo sixth >>src/small &&
	test_expect_code 1 "$CCBUILD" backup dev --retry-lock 0 2>err &&
	grep "locked by another ccbuild backup running now" err &&
	"$CCBUILD" backup dev >out &&
	grep "waited [0-9.]* s for its lock" out &&
	wait $locker
'

test_expect_success 'retry_lock: takes a duration, or is an error at its line' '
	sed -i "s/retry_lock: 1m/retry_lock: soon/" ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" backup dev 2>err &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: backup .data.: retry_lock must be a duration such as 30s" err
'

test_done
