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
