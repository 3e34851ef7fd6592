#!/bin/bash
# bench/deploy.sh — deploying one generated project: ccbuild against
# Docker Compose v2 and docker-compose 1.29, in one run.
#
#   bash bench/deploy.sh [--services N] [--runs R] [--keep] [--no-peers]
#                        [--no-ccbuild] [--ccbuild PATH]
#
# Generates (under /var/tmp) a compose project of N services (default 20):
# busybox httpd on the local base image, each with a healthcheck (1 s
# interval), a published port on 127.0.0.1 and an environment; service i
# depends on service i-1 with condition service_healthy (a chain), and a
# ccbuild.yaml whose dev profile deploys (`up: true`).  Then, for each tool,
# R rounds (default 3) of:
#   cold      nothing of the project on the engine, no .ccbuild/
#   no-op     the same command again, nothing changed (3 samples a round)
#   one env   one environment value of the middle service changed
# timing the whole command:
#   ccbuild dev                 (ccbuild's dev profile deploys and waits)
#   docker compose up -d --wait (Compose v2, scripts/setup.sh --peers)
#   docker-compose up -d        (Debian's 1.29; it does not wait for the
#                                last services' health, only for what a
#                                depends_on condition names)
# After every timed command (untimed) every service must answer on its
# port, so no tool is credited for work it has not finished.  Between
# rounds and tools everything of the project is removed by compose's
# project label, which all three set.  Medians are reported, and the
# ratios the issue targets (no-op <= 0.1 x Compose v2, cold and one env no
# slower than Compose v2), also as JSON in bench/results/.  Needs dockerd
# and the base image (bash scripts/setup.sh).  Not a test: nothing here
# passes or fails.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=20 R=3 keep= peers=1 own=1 CCBUILD=$top/ccbuild
while test $# -gt 0; do
	case $1 in
	--services) N=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	--no-peers) peers= ;;
	--no-ccbuild) own= ;;
	--ccbuild) CCBUILD=$2; shift ;;
	*) echo "bench/deploy.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
test -z "$own" || test -x "$CCBUILD" || make -s
BASE=ccbuild-test/busybox:latest
docker image inspect $BASE >/dev/null 2>&1 || bash scripts/setup.sh >/dev/null
have_v2=false have_v1=false
if test -n "$peers"; then
	docker compose version >/dev/null 2>&1 && have_v2=true
	command -v docker-compose >/dev/null && have_v1=true
	$have_v2 || echo "bench: no Docker Compose v2 (bash scripts/setup.sh --peers): not measured" >&2
	$have_v1 || echo "bench: no docker-compose 1.29 (apt-get install docker-compose): not measured" >&2
fi
work=$(mktemp -d /var/tmp/ccbuild-bench-deploy.XXXXXX)
name=benchdeploy$$
# ports PORT0 .. PORT0+N-1 on 127.0.0.1, free now
port0=$(python3 - "$N" <<'PY'
import socket, sys
n = int(sys.argv[1])
for base in range(20000, 60000, 100):
    try:
        socks = []
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
PY
)
remove_all () {
	docker ps -aq --filter "label=com.docker.compose.project=$name" | xargs -r docker rm -f >/dev/null 2>&1 || true
	docker network ls -q --filter "label=com.docker.compose.project=$name" | xargs -r docker network rm >/dev/null 2>&1 || true
	rm -rf "$work/.ccbuild"
}
cleanup () {
	remove_all
	test -n "$keep" || rm -rf "$work"
	rm -f "$work.out"
}
trap cleanup EXIT

python3 - "$work" "$N" "$BASE" "$name" "$port0" <<'PY'
import os, sys
work, n, base, name, port0 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
out = ["services:"]
for s in range(n):
    out += [f"  svc{s}:",
            f"    image: {base}",
            "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM INT; mkdir -p /www; "
            "echo $$SVC >/www/index.html; httpd -f -p 8080 -h /www & wait\"]",
            "    environment:",
            f"      SVC: svc{s}",
            "      CHANGE: \"0\"",
            "    ports:",
            f"      - \"127.0.0.1:{port0 + s}:8080\"",
            "    healthcheck:",
            "      test: [\"CMD\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:8080/\"]",
            "      interval: 1s",
            "      timeout: 3s",
            "      retries: 30"]
    if s:
        out += ["    depends_on:", f"      svc{s - 1}:", "        condition: service_healthy"]
open(os.path.join(work, "docker-compose.yml"), "w").write("\n".join(out) + "\n")
open(os.path.join(work, "ccbuild.yaml"), "w").write(
    f"ccbuild: 1\nproject: {name}\ncompose: [docker-compose.yml]\nprofiles:\n  dev:\n    up: true\n")
PY
echo "bench: $N services (a service_healthy chain, ports 127.0.0.1:$port0-$((port0 + N - 1))) in $work"

. "$top/bench/lib.sh"
# answering CHANGE: every service answers on its port (at most 60 s), and
# the changed one runs with CHANGE (so a tool that skipped it is caught).
answering () {
	local s n c
	for s in $(seq 0 $((N - 1))); do
		n=240
		until test "$(curl -sf --max-time 2 "http://127.0.0.1:$((port0 + s))/")" = "svc$s"; do
			n=$((n - 1))
			test $n -gt 0 || { echo "bench: svc$s does not answer on $((port0 + s))" >&2; exit 1; }
			sleep 0.25
		done
	done
	c=$(docker ps --filter "label=com.docker.compose.project=$name" \
		--filter "label=com.docker.compose.service=svc$((N / 2))" -q)
	test "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' $c | grep '^CHANGE=')" = "CHANGE=$1" ||
		{ echo "bench: svc$((N / 2)) does not run with CHANGE=$1" >&2; exit 1; }
}
set_change () { sed -i "/^  svc$((N / 2)):/,/^  svc/ s/CHANGE: .*/CHANGE: \"$1\"/" "$work/docker-compose.yml"; }

run_ccbuild () { "$CCBUILD" -C "$work" -q dev; }
run_v2 () { (cd "$work" && docker compose -p "$name" up -d --wait); }
run_v1 () { (cd "$work" && docker-compose -p "$name" up -d); }

# measure NAME FUNC: cold, no-op, one-env medians into $NAME_cold etc.
measure () {
	local tool=$1 fn=$2 i k c=() n=() o=()
	for i in $(seq "$R"); do
		remove_all
		set_change 0
		c+=("$(ms $fn)")
		answering 0
		sleep 2
		for k in 1 2 3; do n+=("$(ms $fn)"); answering 0; done
		set_change "$tool$i"
		o+=("$(ms $fn)")
		answering "$tool$i"
	done
	remove_all
	eval "${tool}_cold=$(printf '%s\n' "${c[@]}" | median)"
	eval "${tool}_noop=$(printf '%s\n' "${n[@]}" | median)"
	eval "${tool}_one=$(printf '%s\n' "${o[@]}" | median)"
	echo "bench: $tool cold ${c[*]} ms, no-op ${n[*]} ms, one env ${o[*]} ms"
}

ccbuild_cold=0 ccbuild_noop=0 ccbuild_one=0 v2_cold=0 v2_noop=0 v2_one=0 v1_cold=0 v1_noop=0 v1_one=0
test -z "$own" || measure ccbuild run_ccbuild
if $have_v2; then measure v2 run_v2; fi
if $have_v1; then measure v1 run_v1; fi

row () { test "$2" = 0 || printf '%-28s %8s ms %8s ms %10s ms\n' "$1" "$2" "$3" "$4"; }
printf '\n%-28s %11s %11s %13s\n' "$N services, R=$R" cold no-op "one env"
row "ccbuild dev" "$ccbuild_cold" "$ccbuild_noop" "$ccbuild_one"
row "docker compose up -d --wait" "$v2_cold" "$v2_noop" "$v2_one"
row "docker-compose up -d (1.29)" "$v1_cold" "$v1_noop" "$v1_one"
printf '\nccbuild / compose v2: cold %s (target <= 1), no-op %s (target <= 0.1), one env %s (target <= 1)\n' \
	"$(ratio "$ccbuild_cold" "$v2_cold" 3)" "$(ratio "$ccbuild_noop" "$v2_noop" 3)" "$(ratio "$ccbuild_one" "$v2_one" 3)"
printf 'ccbuild / docker-compose 1.29: cold %s, no-op %s, one env %s\n' \
	"$(ratio "$ccbuild_cold" "$v1_cold" 3)" "$(ratio "$ccbuild_noop" "$v1_noop" 3)" "$(ratio "$ccbuild_one" "$v1_one" 3)"

mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S)-deploy-$N.json
cat >"$out" <<JSON
{"date": "$(date -Iseconds)", "services": $N, "runs": $R,
 "ccbuild": {"cold_ms": $ccbuild_cold, "noop_ms": $ccbuild_noop, "one_env_ms": $ccbuild_one},
 "compose_v2": {"cold_ms": $v2_cold, "noop_ms": $v2_noop, "one_env_ms": $v2_one},
 "docker_compose_1_29": {"cold_ms": $v1_cold, "noop_ms": $v1_noop, "one_env_ms": $v1_one}}
JSON
echo "bench: results in $out"
