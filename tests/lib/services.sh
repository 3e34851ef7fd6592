# services.sh — sourced; makes sure the Docker engine and a registry answer.
#
#   services_start    the engine (tests/lib/engine.sh: DOCKER_HOST=unix://PATH
#                     or /var/run/docker.sock) and the registry on
#                     127.0.0.1:5000; starts only what does not answer, and
#                     dockerd only on /var/run/docker.sock: an engine that
#                     DOCKER_HOST names but that does not answer is an error
#   services_stop     stop what this shell started (`services_stop all`:
#                     everything any services_start recorded)
#   services_docker_ok, services_registry_ok   probes (curl)
#
# Idempotent: a second services_start finds both answering and does nothing.
# Started daemons outlive the script that started them (setup.sh relies on
# that); their pids are recorded in $SERVICES_STATE so services_stop can later
# stop exactly those and nothing the machine was already running.
# Logs: /tmp/ccbuild-dockerd.log, /tmp/ccbuild-registry.log.
# The registry has no auth and listens on loopback only; it keeps its data in
# /var/tmp/ccbuild-registry, with deletes enabled so tests can clean up.

. "$(dirname "${BASH_SOURCE[0]}")/engine.sh"

SERVICES_SOCK=$(engine_sock 2>/dev/null)
SERVICES_REGISTRY=127.0.0.1:5000
SERVICES_STATE=${SERVICES_STATE:-/tmp/ccbuild-services}
SERVICES_STARTED=${SERVICES_STARTED:-}

services_docker_ok () {
	test "$(curl -s --max-time 5 --unix-socket "$SERVICES_SOCK" http://localhost/_ping 2>/dev/null)" = OK
}

services_registry_ok () {
	curl -sf --max-time 5 -o /dev/null "http://$SERVICES_REGISTRY/v2/" 2>/dev/null
}

# services_wait_ PROBE SECONDS
services_wait_ () {
	local i=0
	while test $i -lt $(($2 * 5)); do
		"$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# services_spawn_ NAME LOG CMD... — detached, so it survives our exit.
services_spawn_ () {
	local name=$1 log=$2
	shift 2
	mkdir -p "$SERVICES_STATE" || return 1
	setsid "$@" >"$log" 2>&1 </dev/null &
	echo $! >"$SERVICES_STATE/$name.pid"
	SERVICES_STARTED="$SERVICES_STARTED $name"
}

services_start_dockerd () {
	SERVICES_SOCK=$(engine_sock) || return 1
	services_docker_ok && return 0
	if ! engine_is_default; then
		echo "services: DOCKER_HOST=$DOCKER_HOST names an engine that does not answer on $SERVICES_SOCK;" \
			"not starting one: only the system dockerd on $ENGINE_DEFAULT_SOCK is started here" \
			"(start that engine, or unset DOCKER_HOST)" >&2
		return 1
	fi
	if ! command -v dockerd >/dev/null; then
		echo "services: dockerd not installed (apt-get install docker.io)" >&2
		return 1
	fi
	echo "services: starting dockerd (log /tmp/ccbuild-dockerd.log)" >&2
	services_spawn_ dockerd /tmp/ccbuild-dockerd.log dockerd || return 1
	services_wait_ services_docker_ok 30 && return 0
	echo "services: dockerd did not answer on $SERVICES_SOCK within 30 s; tail of its log:" >&2
	tail -n 20 /tmp/ccbuild-dockerd.log >&2
	return 1
}

services_registry_config_ () {
	cat <<-EOF
	version: 0.1
	log:
	  level: warn
	storage:
	  filesystem:
	    rootdirectory: /var/tmp/ccbuild-registry
	  delete:
	    enabled: true
	http:
	  addr: $SERVICES_REGISTRY
	EOF
}

services_start_registry () {
	services_registry_ok && return 0
	if ! command -v docker-registry >/dev/null; then
		echo "services: docker-registry not installed (apt-get install docker-registry)" >&2
		return 1
	fi
	mkdir -p "$SERVICES_STATE" /var/tmp/ccbuild-registry || return 1
	services_registry_config_ >"$SERVICES_STATE/registry.yml" || return 1
	echo "services: starting docker-registry on $SERVICES_REGISTRY (log /tmp/ccbuild-registry.log)" >&2
	services_spawn_ registry /tmp/ccbuild-registry.log \
		docker-registry serve "$SERVICES_STATE/registry.yml" || return 1
	services_wait_ services_registry_ok 30 && return 0
	echo "services: registry did not answer on $SERVICES_REGISTRY within 30 s; tail of its log:" >&2
	tail -n 20 /tmp/ccbuild-registry.log >&2
	return 1
}

services_start () {
	services_start_dockerd && services_start_registry
}

# Stop a recorded daemon, but only if that pid is still the program we
# started (pids get reused).
services_stop_one_ () {
	local name=$1 pidfile=$SERVICES_STATE/$1.pid pid prog
	test -f "$pidfile" || return 0
	pid=$(cat "$pidfile")
	prog=dockerd
	test "$name" = registry && prog=docker-registry
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$prog"; then
		echo "services: stopping $name (pid $pid)" >&2
		kill "$pid"
		local i=0
		while kill -0 "$pid" 2>/dev/null && test $i -lt 100; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -f "$pidfile"
}

services_stop () {
	local names=$SERVICES_STARTED name
	test "$1" = all && names="registry dockerd"
	# Reverse order of starting.
	for name in registry dockerd; do
		case " $names " in *" $name "*) services_stop_one_ "$name" ;; esac
	done
	SERVICES_STARTED=
}
