# podman.sh — sourced; Podman's Docker-compatible API on its own socket,
# for the tests that run ccbuild against Podman (DOCKER_HOST=$PODMAN_HOST).
#
#   podman_start          start `podman system service --time=0` on
#                         $PODMAN_SOCK (/run/ccbuild-podman.sock, or
#                         $CCBUILD_PODMAN_SOCK) unless it answers already;
#                         status 2 when this machine cannot (no podman, not
#                         root), 1 when it does not come up (its log is shown)
#   podman_answers        the socket answers GET /_ping
#   podman_load IMAGE...  copy each image from the docker engine into
#                         Podman (docker save | POST /images/load), skipped
#                         when Podman has it under the same ID
#   podman_stop           stop the service podman_start started (by its
#                         pid), nothing when it found one running
#
# The service runs as root with its own storage, run directory, network
# configuration and containers.conf under $PODMAN_DIR
# (/var/lib/ccbuild-podman, or $CCBUILD_PODMAN_DIR), so that nothing of the
# machine's own Podman setup is used or changed, and images loaded once
# stay for the next run.  Networks use netavark with aardvark-dns, so
# containers find each other by service name as on Docker (Debian's podman
# 4.3 would otherwise pick CNI, whose plugins are not installed).  The
# service's log is $PODMAN_DIR/service.log.  One test script at a time
# starts and stops it.

PODMAN_SOCK=${CCBUILD_PODMAN_SOCK:-/run/ccbuild-podman.sock}
PODMAN_HOST=unix://$PODMAN_SOCK
PODMAN_DIR=${CCBUILD_PODMAN_DIR:-/var/lib/ccbuild-podman}
podman_pid_=

podman_answers () {
	test "$(curl -s --max-time 5 --unix-socket "$PODMAN_SOCK" http://d/_ping 2>/dev/null)" = OK
}

# podman_ () — the podman CLI on the service's storage (for what the API
# does not do).
podman_ () {
	CONTAINERS_CONF=$PODMAN_DIR/containers.conf podman --root "$PODMAN_DIR/storage" \
		--runroot "$PODMAN_DIR/run" --network-config-dir "$PODMAN_DIR/networks" "$@"
}

# podman_conf_ NOFILE NPROC — the service's containers.conf; status 1 when
# it was already so (unchanged), 0 when written.  Podman gives every
# container 1048576 open files and as many processes as it may, which
# runc fails to set ("error setting rlimit type 6/7") where the service's
# own hard limits are lower and cannot be raised (no CAP_SYS_RESOURCE;
# Podman itself lowers its process limit to 32768 here): containers get
# the service's hard limits instead.
podman_conf_ () {
	local conf=$PODMAN_DIR/containers.conf new
	mkdir -p "$PODMAN_DIR/storage" "$PODMAN_DIR/run" "$PODMAN_DIR/networks" || return 2
	new=$(cat <<-EOF
	# written by tests/lib/podman.sh
	[containers]
	default_ulimits = ["nofile=$1:$1", "nproc=$2:$2"]
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	events_logfile_path = "$PODMAN_DIR/run/events.log"
	[network]
	network_backend = "netavark"
	network_config_dir = "$PODMAN_DIR/networks"
	EOF
	)
	test "$(cat "$conf" 2>/dev/null)" = "$new" && return 1
	printf '%s\n' "$new" >"$conf"
}

# podman_limit_ PID NAME — the hard limit "Max NAME" of process PID.
podman_limit_ () {
	awk -v n="Max $2" 'index($0, n) == 1 { print ($(NF - 1) == "unlimited" ? 1048576 : $(NF - 1)) }' \
		"/proc/$1/limits"
}

# podman_serve_ — start the service, wait until it answers.
podman_serve_ () {
	local n=80
	rm -f "$PODMAN_SOCK"
	setsid env CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --root "$PODMAN_DIR/storage" \
		--runroot "$PODMAN_DIR/run" --network-config-dir "$PODMAN_DIR/networks" \
		system service --time=0 "$PODMAN_HOST" >"$PODMAN_DIR/service.log" 2>&1 </dev/null &
	podman_pid_=$!
	until podman_answers; do
		n=$((n - 1))
		if test $n = 0 || ! kill -0 "$podman_pid_" 2>/dev/null; then
			echo "podman: the service did not answer on $PODMAN_SOCK; its log:" >&2
			tail -n 20 "$PODMAN_DIR/service.log" >&2
			podman_stop
			return 1
		fi
		sleep 0.25
	done
}

# podman_start — when the limits the running service has are not those
# its containers.conf gives containers, the conf is rewritten and the
# service started again (once per machine: the conf is kept).
podman_start () {
	local nofile nproc
	podman_answers && return 0
	if ! command -v podman >/dev/null; then
		echo "podman: not installed (scripts/setup.sh installs Debian's podman)" >&2
		return 2
	fi
	if test "$(id -u)" != 0; then
		echo "podman: the service on $PODMAN_SOCK needs root" >&2
		return 2
	fi
	test -f "$PODMAN_DIR/containers.conf" || podman_conf_ "$(ulimit -Hn)" 32768 || test $? = 1 || return 1
	podman_serve_ || return 1
	nofile=$(podman_limit_ "$podman_pid_" "open files")
	nproc=$(podman_limit_ "$podman_pid_" processes)
	podman_conf_ "$nofile" "$nproc"
	case $? in
	1) return 0 ;;
	0) podman_stop && podman_serve_ ;;
	*) podman_stop; return 1 ;;
	esac
}

# podman_load IMAGE... — an image whose ID Podman already has is skipped.
podman_load () {
	local img id pid
	for img in "$@"; do
		id=$(docker image inspect -f '{{.Id}}' "$img") || return 1
		pid=$(DOCKER_HOST=$PODMAN_HOST docker image inspect -f '{{.Id}}' "$img" 2>/dev/null)
		test "$pid" = "$id" && continue
		docker save "$img" | DOCKER_HOST=$PODMAN_HOST docker load -q >/dev/null || {
			echo "podman: loading $img failed" >&2
			return 1
		}
	done
}

podman_stop () {
	test -n "$podman_pid_" || return 0
	kill "$podman_pid_" 2>/dev/null
	wait "$podman_pid_" 2>/dev/null
	podman_pid_=
	rm -f "$PODMAN_SOCK"
}
