#!/bin/bash
# bench/run.sh — ccbuild against its peers on one generated tree, in one run.
#
#   bash bench/run.sh [--services N] [--files F] [--big-mb M] [--runs R]
#                     [--tools "ccbuild bake compose2 compose1"] [--keep]
#
# Generates (under /var/tmp) a git repository of N services, each with F
# small files (100 B - 4 KB, in 100 directories) and one M MB file, a
# Dockerfile (FROM the local busybox base, COPY . /app), a .dockerignore,
# a docker-compose.yml and a ccbuild.yaml that names it.  Then measures,
# as the median of R rounds, the wall time of each tool's cold build (no
# images of the tree, BuildKit cache pruned, no .ccbuild/), no-op, and
# one small file of service 0 changed:
#   ccbuild      ccbuild dev (BuildKit through the Engine API, a session)
#   bake         docker buildx bake -f docker-compose.yml (buildx's docker
#                driver: dockerd's BuildKit, a session)
#   compose2     docker compose build (Compose v2, the same BuildKit)
#   compose1     docker-compose build (Debian's 1.29, classic builder)
# and git status --porcelain on the same tree, the floor for "what
# changed".  The one-file round also records the context bytes each
# BuildKit tool sent (ccbuild's --report; the others' "transferring
# context" progress lines).  Prints the table and the ratios, and writes
# them as JSON in bench/results/.  Defaults: 4 services x 10,000 files +
# 50 MB, 3 rounds.  bake and compose2 are Debian 13's packages
# (scripts/setup.sh --peers installs them); a missing tool is left out.
# It prunes the BuildKit cache: run it on an engine no one else is using.
# Not a test: nothing here passes or fails.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=4 F=10000 M=50 R=3 keep= tools="ccbuild bake compose2 compose1"
while test $# -gt 0; do
	case $1 in
	--services) N=$2; shift ;;
	--files) F=$2; shift ;;
	--big-mb) M=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	--tools) tools=$2; shift ;;
	--no-peers) tools=ccbuild ;;
	*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
CCBUILD=$top/ccbuild
test -x "$CCBUILD" || make -s
BASE=ccbuild-test/busybox:latest
docker image inspect $BASE >/dev/null 2>&1 || bash scripts/setup.sh >/dev/null
work=$(mktemp -d /var/tmp/ccbuild-bench.XXXXXX)
tag=bench$$
cleanup () {
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$tag" | xargs -r docker rmi -f >/dev/null 2>&1 || true
	test -n "$keep" || rm -rf "$work"
	rm -f "$work.out"
}
trap cleanup EXIT

echo "bench: generating $N services x $F files + ${M} MB in $work"
python3 - "$work" "$N" "$F" "$M" "$BASE" "$tag" <<'PY'
import os, random, sys
work, n, f, m, base, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
rnd = random.Random(42)
compose = ["services:"]
for s in range(n):
    svc = os.path.join(work, f"svc{s}")
    for i in range(f):
        d = os.path.join(svc, "src", f"d{i % 100:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}.txt"), "wb") as fh:
            fh.write(rnd.randbytes(rnd.randint(100, 4096)))
    with open(os.path.join(svc, "big.bin"), "wb") as fh:
        for _ in range(m):
            fh.write(rnd.randbytes(1 << 20))
    with open(os.path.join(svc, "Dockerfile"), "w") as fh:
        fh.write(f"FROM {base}\nCOPY . /app\n")
    with open(os.path.join(svc, ".dockerignore"), "w") as fh:
        fh.write("*.tmp\ncache/\n")
    compose += [f"  svc{s}:", f"    build: svc{s}", f"    image: {tag}-svc{s}:latest"]
open(os.path.join(work, "docker-compose.yml"), "w").write("\n".join(compose) + "\n")
open(os.path.join(work, "ccbuild.yaml"), "w").write(
    f"ccbuild: 1\nproject: {tag}\ncompose: [docker-compose.yml]\nprofiles:\n  dev: {{}}\n")
open(os.path.join(work, ".gitignore"), "w").write(".ccbuild/\n")
PY
(cd "$work" && git init -q . && git add -A && git -c gc.auto=0 -c user.name=b -c user.email=b@b commit -qm tree)
du -sh "$work" | sed 's/^/bench: tree size /'

. "$top/bench/lib.sh"
fresh () {
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$tag" | xargs -r docker rmi -f >/dev/null 2>&1 || true
	docker builder prune -af >/dev/null 2>&1 || true
	rm -rf "$work/.ccbuild"
}
touch_one () { echo "change $1" >>"$work/svc0/src/d00/f0.txt"; }

run_ccbuild () { "$CCBUILD" -C "$work" -q dev --report "$work/report.json"; }
run_bake () { (cd "$work" && docker buildx bake --progress=plain -f docker-compose.yml); }
run_compose2 () { (cd "$work" && docker compose --progress plain build); }
run_compose1 () { (cd "$work" && COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0 docker-compose build -q); }
have () {
	case $1 in
	ccbuild) true ;;
	bake) docker buildx version >/dev/null 2>&1 ;;
	compose2) docker compose version >/dev/null 2>&1 ;;
	compose1) command -v docker-compose >/dev/null ;;
	*) echo "bench/run.sh: unknown tool $1" >&2; exit 2 ;;
	esac
}
# sent TOOL: context bytes the last run sent to BuildKit (summed over
# builds); from ccbuild's report, or the peers' progress lines
# "#12 transferring context: 59B 0.1s done" (buildx's units: B, kB, MB, GB,
# powers of 1000; a vertex prints a running total, so its last line
# counts).  docker-compose 1.29 prints no such line: 0.
sent () {
	if test "$1" = ccbuild; then
		python3 -c 'import json, sys
print(sum(int(f["value"]) for s in json.load(open(sys.argv[1]))["steps"]
          for f in s.get("details", {}).get("facts", [])
          if f.get("metric") == "ccbuild_build_context_bytes_total"))' "$work/report.json"
	else
		python3 -c 'import re, sys
u = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}
last = {}
for m in re.finditer(r"^#([0-9]+) transferring context: ([0-9.]+)([kKMG]?B)", open(sys.argv[1]).read(), re.M):
    last[m.group(1)] = float(m.group(2)) * u[m.group(3)]
print(int(sum(last.values())))' "$work.out"
	fi
}

# measure NAME NOOPS: cold, no-op, one-file medians into $NAME_cold etc.
# After a cold build dockerd keeps working for a while (exporting, garbage
# collection after the prune); a settle pause keeps that out of the
# no-op.  NOOPS no-op samples per round (ccbuild takes 3, since one
# 150 ms sample on a 2-core VM is mostly noise).
measure () {
	local name=$1 noops=${2:-1} i k c=() n=() o=() b=()
	for i in $(seq "$R"); do
		fresh
		c+=("$(ms run_$name)")
		sleep 5
		for k in $(seq "$noops"); do n+=("$(ms run_$name)"); done
		touch_one "$name$i"
		o+=("$(ms run_$name)")
		b+=("$(sent "$name")")
	done
	eval "${name}_cold=$(printf '%s\n' "${c[@]}" | median)"
	eval "${name}_noop=$(printf '%s\n' "${n[@]}" | median)"
	eval "${name}_one=$(printf '%s\n' "${o[@]}" | median)"
	eval "${name}_sent=$(printf '%s\n' "${b[@]}" | median)"
	echo "bench: $name cold ${c[*]} ms, no-op ${n[*]} ms, one file ${o[*]} ms (context sent ${b[*]} B)"
}

git -C "$work" status --porcelain >/dev/null
git -C "$work" status --porcelain >/dev/null
g=()
for i in $(seq $((R * 3))); do g+=("$(ms git -C "$work" status --porcelain)"); done
git_noop=$(printf '%s\n' "${g[@]}" | median)
echo "bench: git status ${g[*]} ms"

ran=
for t in $tools; do
	if ! have "$t"; then
		echo "bench: $t is not installed, left out" >&2
		continue
	fi
	measure "$t" "$(test "$t" = ccbuild && echo 3 || echo 1)"
	ran="$ran $t"
	# the no-op's memory, before a peer replaces the images (after one,
	# ccbuild's next run is a rebuild, not a no-op)
	if test "$t" = ccbuild; then
		rss=$( { /usr/bin/time -f '%M' "$CCBUILD" -C "$work" -q dev >/dev/null; } 2>&1 | tail -1)
	fi
done

label () {
	case $1 in
	ccbuild) echo "ccbuild dev" ;;
	bake) echo "buildx bake" ;;
	compose2) echo "docker compose build" ;;
	compose1) echo "docker-compose 1.29 build" ;;
	esac
}
get () { eval "echo \"\${$1_$2:-0}\""; }
printf '\n%-26s %10s %10s %12s %14s\n' "$N x $F files + ${M} MB" cold no-op "one file" "sent (1 file)"
for t in $ran; do
	printf '%-26s %7s ms %7s ms %9s ms %12s B\n' "$(label "$t")" "$(get "$t" cold)" "$(get "$t" noop)" \
		"$(get "$t" one)" "$(get "$t" sent)"
done
printf '%-26s %7s    %7s ms\n' "git status" - "$git_noop"
printf '\nccbuild / peer (below 1: ccbuild is faster)    cold    no-op  one file\n'
for t in $ran; do
	test "$t" = ccbuild && continue
	printf '  %-42s %6s %8s %8s\n' "$(label "$t")" "$(ratio "$(get ccbuild cold)" "$(get "$t" cold)")" \
		"$(ratio "$(get ccbuild noop)" "$(get "$t" noop)" 3)" "$(ratio "$(get ccbuild one)" "$(get "$t" one)")"
done
printf '  %-42s %6s %8s\n' "git status" - "$(ratio "$(get ccbuild noop)" "$git_noop")"
printf 'ccbuild no-op max RSS %s KB\n' "$rss"

mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S)-${N}x${F}.json
{
	printf '{"date": "%s", "services": %s, "files": %s, "big_mb": %s, "runs": %s,\n' "$(date -Iseconds)" "$N" "$F" "$M" "$R"
	for t in $ran; do
		printf ' "%s": {"cold_ms": %s, "noop_ms": %s, "one_file_ms": %s, "one_file_context_bytes": %s},\n' \
			"$t" "$(get "$t" cold)" "$(get "$t" noop)" "$(get "$t" one)" "$(get "$t" sent)"
	done
	printf ' "ccbuild_noop_max_rss_kb": %s, "git_status_ms": %s}\n' "$rss" "$git_noop"
} >"$out"
echo "bench: results in $out"
