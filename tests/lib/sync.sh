# Helpers for the sync tests that reach the engine (t0652, t0653, t0657);
# source tests/lib/deploy.sh first.

# sync_through_proxy ARGS...: run "$CCBUILD" ARGS against a logging proxy
# of the engine (deploy_proxy_start proxy), so that proxy/requests lists
# its calls; the output goes to ./out and is shown; ccbuild's status.
sync_through_proxy () {
	local host rc
	host=$(deploy_proxy_start proxy) || return 1
	DOCKER_HOST=$host "$CCBUILD" "$@" >out 2>&1
	rc=$?
	deploy_proxy_stop proxy
	cat out
	return $rc
}

# sync_expect_noop NAME: in the run sync_through_proxy made, sync:NAME was
# up to date, with no archive call and no engine call that writes.
sync_expect_noop () {
	cat proxy/requests &&
	grep "sync:$1 .*up-to-date" out &&
	test_must_fail grep -q "/archive" proxy/requests &&
	test_must_fail grep -Eq "^(POST|PUT|DELETE) " proxy/requests
}

# sync_killed_mid_write IN DEST KILLER: "ccbuild sync dev" of a new 128 MiB
# src/big over a synced one, killed with SIGKILL by "KILLER PID" (a
# function that has PID killed once DEST/.ccbuild-sync, the staging
# directory, appears; it may return before).  IN CMD runs a shell command
# where DEST is.  Checks that ccbuild died of the signal, that DEST/big is
# the old file or the new one, never torn, and that the next sync writes
# the new one (its hash left in $new) and the staging name ends a file.
sync_killed_mid_write () {
	local in=$1 dest=$2 kill_fn=$3 old got pid rc
	head -c 134217728 /dev/urandom >src/big && "$CCBUILD" sync dev >out 2>&1 &&
	old=$(sha256sum <src/big) &&
	head -c 134217728 /dev/urandom >src/big && new=$(sha256sum <src/big) || return 1
	"$CCBUILD" sync dev >killed 2>&1 &
	pid=$!
	"$kill_fn" $pid
	wait $pid
	rc=$?
	cat killed
	test $rc = 137 &&
	$in "ls -la $dest $dest/.ccbuild-sync; test -d $dest/.ccbuild-sync" &&
	got=$($in "sha256sum <$dest/big") &&
	{ test "$got" = "$old" || test "$got" = "$new"; } &&
	"$CCBUILD" sync dev >out 2>&1 && cat out &&
	test "$($in "sha256sum <$dest/big")" = "$new" &&
	$in "test -f $dest/.ccbuild-sync"
}
