# Helpers for the `ccbuild watch` tests (t0660, t0661, t0713): a watcher of
# project directory proj, profile dev, run in the background.  Sourced
# after test-lib.sh; each test defines its own $P and cid_.

# start_watch_: start the watcher (pid in watch.pid, exit status in
# watch.rc when it ends, JSON events in watch.out, stderr in watch.err)
# and wait until it is ready (at most 120 s).
start_watch_ () {
	rm -f watch.pid watch.rc watch.out watch.err &&
	( sh -c 'echo $$ >watch.pid; exec "$0" -C proj watch dev --json >watch.out 2>watch.err' "$CCBUILD"
	  echo $? >watch.rc ) >/dev/null 2>&1 &
	for i in $(seq 1200); do
		grep -aq '"event":"watch_ready"' watch.out 2>/dev/null && return 0
		test -f watch.rc && { cat watch.err; return 1; }
		sleep 0.1
	done
	cat watch.err
	return 1
}

# rounds_: how many watch rounds were reported.
rounds_ () {
	grep -ac '"event":"watch"' watch.out
}

# wait_rounds_ N: until N rounds were reported (at most 120 s, less if
# the watcher ends).
wait_rounds_ () {
	for i in $(seq 1200); do
		test "$(rounds_)" -ge "$1" && return 0
		test -f watch.rc && break
		sleep 0.1
	done
	echo "only $(rounds_) rounds, wanted $1"; cat watch.out watch.err
	return 1
}

# last_round_: the last round's event.
last_round_ () {
	grep -a '"event":"watch"' watch.out | tail -n 1
}
