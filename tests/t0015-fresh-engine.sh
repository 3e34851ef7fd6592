#!/bin/bash
# The path a fresh machine takes, on every run: the base image built from
# Debian's busybox-static, then scripts/setup.sh and scripts/demo.sh on an
# engine that has no images.  That engine is a second dockerd beside the main
# one, started here with its own data root, exec root, pidfile, unix socket,
# containerd namespaces and bridge, and reached through DOCKER_HOST.  With
# its own exec root it starts its own containerd (sockets below it, state in
# its data root), unless a system containerd answers on
# /run/containerd/containerd.sock: dockerd 20.10 then uses that one, and its
# own namespaces keep the two engines apart there.  It shares the loopback
# registry 127.0.0.1:5000 (the daemon pushes from the host's network).
# Everything it started is stopped by pid at the end, also when a test fails.
. "$(dirname "$0")/test-lib.sh"
test_description 'a fresh engine: base image, setup and the demo from nothing'
test_need_docker
. "$SRCROOT/tests/lib/services.sh"
. "$SRCROOT/tests/lib/base-image.sh"

P=t0015p$TEST_ID
# The second engine.  Short paths: its containerd's sockets live below the
# exec root and a unix socket path has at most 107 bytes.
E=/tmp/ccbe-$TEST_ID
BR=ccb${TEST_ID: -8}
E_HOST=unix://$E/docker.sock

test_expect_success 'the base image builds from busybox-static under a per-run tag (as setup builds it)' '
	base_image_ensure ccbuild-t0015/busybox:$TEST_ID 2>err &&
	grep -q "building ccbuild-t0015/busybox:$TEST_ID from /.*busybox" err &&
	test "$(docker run --rm --network none ccbuild-t0015/busybox:$TEST_ID sh -c "echo \$((6 * 7))")" = 42 &&
	base_image_ensure ccbuild-t0015/busybox:$TEST_ID 2>err2 &&
	test_must_fail grep -q building err2 &&
	docker rmi ccbuild-t0015/busybox:$TEST_ID >/dev/null
'

test_expect_success 'setup with a DOCKER_HOST that does not answer fails, saying so, and starts no dockerd' '
	mkdir -p state &&
	test_must_fail env DOCKER_HOST=unix://$TRASH/none.sock SERVICES_STATE=$TRASH/state \
		CCBUILD_SKIP_APT=1 bash "$SRCROOT/scripts/setup.sh" >out 2>&1 &&
	grep -q "DOCKER_HOST=unix://$TRASH/none.sock names an engine that does not answer on $TRASH/none.sock; not starting one" out &&
	test_must_fail grep -q "starting dockerd" out &&
	! test -e state/dockerd.pid
'

test_expect_success 'setup with a DOCKER_HOST that is not a unix socket fails, naming it' '
	test_must_fail env DOCKER_HOST=tcp://127.0.0.1:1 SERVICES_STATE=$TRASH/state \
		CCBUILD_SKIP_APT=1 bash "$SRCROOT/scripts/setup.sh" >out 2>&1 &&
	grep -q "DOCKER_HOST=tcp://127.0.0.1:1: .*unix socket only" out &&
	! test -e state/dockerd.pid
'

# report_pushed_ REPORT: the repositories of the push steps done, sorted.
report_pushed_ () {
	python3 - "$1" <<-\EOF
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["exit_code"] == 0, r["exit_code"]
	print("\n".join(sorted(s["details"]["repository"] for s in r["steps"] if s["kind"] == "push" and s["status"] == "done")))
	EOF
}

# registry_delete_repo_ REPO: delete every tagged manifest of REPO on the
# shared registry (the repositories this run pushed).
registry_delete_repo_ () {
	local url=http://127.0.0.1:5000/v2/$1 tag digest accept
	accept="application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
	accept="$accept, application/vnd.docker.distribution.manifest.list.v2+json"
	accept="$accept, application/vnd.docker.distribution.manifest.v2+json"
	for tag in $(registry_tags_ "$url"); do
		# Tags of one manifest go with the first: no digest for the others.
		digest=$(curl -sfI -H "Accept: $accept" "$url/manifests/$tag" |
			sed -n "s/^Docker-Content-Digest: *//Ip" | tr -d "\r")
		test -z "$digest" || curl -sf -X DELETE "$url/manifests/$digest" || return 1
	done
	test -z "$(registry_tags_ "$url")"
}

registry_tags_ () {
	curl -sf "$1/tags/list" 2>/dev/null |
		python3 -c "import json, sys; print(*(json.load(sys.stdin).get(\"tags\") or []))"
}

# --- the second engine ------------------------------------------------------

# alive_ PID: running (a zombie whose parent does not reap it is not).
alive_ () {
	test -r "/proc/$1/status" && ! grep -q "^State:.*Z" "/proc/$1/status"
}

# engine_procs_: pids of live processes that the second engine started
# (dockerd, its containerd, shims, runc): their command lines name $E, or
# its containerd namespace (shims of a system containerd).
engine_procs_ () {
	local f pid cmd
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		cmd=$(tr "\0" " " <"$f" 2>/dev/null)
		case $cmd in
		dockerd\ *"$E/"* | containerd*"$E/"* | runc\ *"$E/"* | containerd-shim*" $P "*)
			alive_ "$pid" && echo "$pid" ;;
		esac
	done
}

# engine_subnet_: a free 10.X.Y.0/24 (no address or route of this machine in
# it), taken under a lock so parallel runs never pick the same one.
engine_subnet_ () {
	local i x y
	for i in $(seq 50); do
		x=$((200 + RANDOM % 50)) y=$((RANDOM % 256))
		ip -4 -o addr | grep -q " 10\.$x\.$y\." && continue
		test -n "$(ip -4 route show root 10.$x.$y.0/24)" && continue
		ip -4 route show match 10.$x.$y.0/24 | grep -vq "^default" && continue
		echo 10.$x.$y
		return 0
	done
	return 1
}

engine_bridge_ () {
	local net
	(
		flock 9 &&
		net=$(engine_subnet_) &&
		ip link add "$BR" type bridge &&
		echo "$BR" >"$E/bridge" &&
		ip addr add "$net.1/24" dev "$BR" &&
		ip link set "$BR" up
	) 9>/tmp/ccbuild-t0015-subnet.lock
}

# engine_start: dockerd on $E_HOST, detached (it is reaped by init, not by a
# test body's shell); its pid from its --pidfile.
engine_start () {
	mkdir -p "$E" && echo "{}" >"$E/daemon.json" &&
	engine_bridge_ || return 1
	(setsid dockerd --config-file="$E/daemon.json" --data-root="$E/data" \
		--exec-root="$E/exec" --pidfile="$E/dockerd.pid" -H "$E_HOST" \
		--containerd-namespace="$P" --containerd-plugins-namespace="$P-plugins" \
		--bridge="$BR" --iptables=false --ip-masq=false --ip-forward=false \
		>"$E/dockerd.log" 2>&1 </dev/null &)
	local i
	for i in $(seq 150); do
		DOCKER_HOST=$E_HOST engine_api -f --max-time 2 http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "the second dockerd did not answer within 30 s; its log:"
	tail -n 30 "$E/dockerd.log"
	return 1
}

# engine_stop: TERM the second dockerd (it stops its containerd), wait, then
# end by pid whatever it started that still runs (and fail); remove its
# bridge and its directories (not across a mount left behind).
engine_stop () {
	local pid rc=0 i nets
	pid=$(cat "$E/dockerd.pid" 2>/dev/null)
	# Its user networks' bridges (br-ID) outlive it: left behind, they use
	# up the main engine's address pools.
	nets=$(docker -H "$E_HOST" network ls -q --filter driver=bridge 2>/dev/null)
	if test -n "$pid" && tr "\0" " " <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^dockerd .*$E/"; then
		kill "$pid"
		for i in $(seq 150); do alive_ "$pid" || break; sleep 0.2; done
	fi
	for i in $(seq 50); do test -z "$(engine_procs_)" && break; sleep 0.2; done
	for pid in $(engine_procs_); do
		echo "still running after the second dockerd stopped: $pid $(tr "\0" " " <"/proc/$pid/cmdline")"
		kill -9 "$pid"
		rc=1
	done
	engine_namespaces_ || rc=1
	test -s "$E/bridge" && { ip link del "$(cat "$E/bridge")" || rc=1; }
	for i in $nets; do
		! ip link show "br-$i" >/dev/null 2>&1 || ip link del "br-$i" || rc=1
	done
	grep -o " $E/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$E"
	return $rc
}

# engine_namespaces_: when the second dockerd used a system containerd (it
# started none of its own), remove the namespaces it had there.
engine_namespaces_ () {
	local sys=/run/containerd/containerd.sock ns
	test -s "$E/exec/containerd/containerd.pid" && return 0
	test -S "$sys" || return 0
	for ns in $(ctr --address "$sys" namespaces ls -q); do
		case $ns in "$P" | "$P-plugins") ctr --address "$sys" namespaces rm "$ns" >/dev/null || return 1 ;; esac
	done
	! ctr --address "$sys" namespaces ls -q | grep -qx -e "$P" -e "$P-plugins"
}

engine_cleanup_ () {
	test -d "$E" || return 0
	engine_stop >"$TRASH.engine-stop.log" 2>&1 ||
		sed "s/^/# engine cleanup: /" "$TRASH.engine-stop.log"
	rm -f "$TRASH.engine-stop.log"
}
trap engine_cleanup_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

edocker () {
	DOCKER_HOST=$E_HOST docker "$@"
}

# What the second engine needs that a machine may lack; CI requires it.
fresh_missing=
test "$(id -u)" = 0 || fresh_missing="not root (a second dockerd and its bridge need root)"
for c in dockerd ip flock setsid; do
	command -v $c >/dev/null || fresh_missing="$fresh_missing${fresh_missing:+; }no $c"
done
services_registry_ok || fresh_missing="$fresh_missing${fresh_missing:+; }no registry on 127.0.0.1:5000"
if test -n "$fresh_missing"; then
	if test "$CCBUILD_REQUIRE_DOCKER" = 1; then
		test_expect_success "a second engine can run here (CCBUILD_REQUIRE_DOCKER=1)" '
			echo "missing: $fresh_missing"; false
		'
	fi
	test_skip "$fresh_missing"
fi

test_expect_success 'a second dockerd starts beside the main one: empty, own bridge, docker0 intact' '
	engine_start &&
	ip link show docker0 >/dev/null &&
	docker_answers_ &&
	test "$(edocker images -aq | wc -l)" = 0 &&
	test "$(edocker info --format "{{.DockerRootDir}}")" = "$E/data"
'

test_expect_success 'setup on that empty engine builds the base image there and starts nothing' '
	mkdir -p services &&
	DOCKER_HOST=$E_HOST SERVICES_STATE=$TRASH/services CCBUILD_SKIP_APT=1 \
		bash "$SRCROOT/scripts/setup.sh" >out 2>&1 &&
	grep -q "the engine answers on $E/docker.sock" out &&
	grep -q "building ccbuild-test/busybox:latest" out &&
	test_must_fail grep -q "starting" out &&
	test -z "$(ls services)" &&
	edocker image inspect ccbuild-test/busybox:latest >/dev/null &&
	net=$(ip -4 -o addr show "$BR" | sed -n "s/.* inet \([0-9.]*\)\.1\/24 .*/\1/p") &&
	test -n "$net" &&
	edocker run --rm ccbuild-test/busybox:latest ip addr show eth0 >addr &&
	grep -q "inet $net\." addr &&
	DOCKER_HOST=$E_HOST SERVICES_STATE=$TRASH/services CCBUILD_SKIP_APT=1 \
		bash "$SRCROOT/scripts/setup.sh" >out2 2>&1 &&
	test_must_fail grep -q building out2
'

test_expect_success 'the demo on an engine with no images ends with the prod push, exit 0' '
	edocker system prune -af >/dev/null &&
	test "$(edocker images -aq | wc -l)" = 0 &&
	mkdir src tmp &&
	tar -C "$SRCROOT" --exclude=./.git --exclude=./examples/demo/.ccbuild --exclude=./bench/work -cf - . |
		tar -C src -xf - &&
	sed -i "s|^registry: 127.0.0.1:5000/demo$|registry: 127.0.0.1:5000/$P/demo|" src/examples/demo/ccbuild.yaml &&
	grep -q "^registry: 127.0.0.1:5000/$P/demo$" src/examples/demo/ccbuild.yaml &&
	start=$(date +%s%N) &&
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000)) &&
	DOCKER_HOST=$E_HOST SERVICES_STATE=$TRASH/services CCBUILD_SKIP_APT=1 TMPDIR=$TRASH/tmp DEMO_API_PORT=$port \
		bash src/scripts/demo.sh >demo.out 2>&1 &&
	echo $((($(date +%s%N) - start) / 1000000)) >"$TRASH.demo-ms" &&
	grep -q "building ccbuild-test/busybox:latest" demo.out &&
	grep -q "^3 built, 2 deployed, 0 up to date, 0 failed" demo.out &&
	grep -q "^0 built, 5 up to date, 0 failed" demo.out &&
	grep -q "\"status\": *\"ok\"" demo.out &&
	grep -q "^[0-9]* built, 3 pushed, .*0 failed" demo.out &&
	test "$(tail -n 1 demo.out)" = "== done" &&
	report_pushed_ tmp/ccbuild-demo-report.json >pushed &&
	printf "127.0.0.1:5000/$P/demo/%s\n" api base worker >expect &&
	test_cmp expect pushed &&
	(
		for i in base api worker; do
			curl -sf "http://127.0.0.1:5000/v2/$P/demo/$i/tags/list" | grep -q "\"latest\"" &&
			edocker image inspect "127.0.0.1:5000/$P/demo/$i:latest" >/dev/null &&
			test_must_fail docker image inspect "127.0.0.1:5000/$P/demo/$i:latest" >/dev/null 2>&1 ||
			exit 1
		done
	)
'
test -s "$TRASH.demo-ms" && echo "# the demo on the fresh engine took $(cat "$TRASH.demo-ms") ms"
rm -f "$TRASH.demo-ms"

test_expect_success 'stopping the second engine stops its containerd and removes its bridge' '
	cpid=$(cat "$E/exec/containerd/containerd.pid" 2>/dev/null; true) &&
	{ test -z "$cpid" || alive_ "$cpid"; } &&
	engine_stop &&
	{ test -z "$cpid" || ! alive_ "$cpid"; } &&
	test -z "$(engine_procs_)" &&
	test_must_fail ip link show "$BR" >/dev/null 2>&1 &&
	! test -e "$E" &&
	ip link show docker0 >/dev/null &&
	docker_answers_
'
test_skip ""

# The demo's pushes (per-run repositories) are deleted from the shared registry.
test_expect_success 'cleanup: the demo tags pushed under this run are deleted from the registry' '
	registry_delete_repo_ $P/demo/base &&
	registry_delete_repo_ $P/demo/api &&
	registry_delete_repo_ $P/demo/worker
'

test_done
