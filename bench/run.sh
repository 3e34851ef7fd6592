#!/bin/bash
# bench/run.sh — ccbuild against its peers on one generated tree, in one run.
#
#   bash bench/run.sh [--services N] [--files F] [--big-mb M] [--runs R]
#                     [--keep] [--no-peers]
#
# Generates (under /var/tmp) a git repository of N services, each with F
# small files (100 B - 4 KB, in 100 directories) and one M MB file, a
# Dockerfile (FROM the local busybox base, COPY . /app), a .dockerignore,
# a docker-compose.yml and a ccbuild.yaml.  Then measures, as the median
# of R runs each, wall time of:
#   ccbuild dev              cold (no .ccbuild, no images, empty BuildKit
#                            cache), no-op, one file changed; and the
#                            no-op's max RSS
#   docker-compose build     the same three (Debian's 1.29)
#   docker build loop        one `docker build` per service, the same three
#   git status --porcelain   on the same tree: the floor for "what changed"
# and prints the table and the ratios, also as JSON in bench/results/.
# Defaults: 4 services x 10,000 files + 50 MB, 3 runs (the issue's target).
# Needs dockerd and the base image (bash scripts/setup.sh).  Not a test:
# nothing here passes or fails.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=4 F=10000 M=50 R=3 keep= peers=1
while test $# -gt 0; do
	case $1 in
	--services) N=$2; shift ;;
	--files) F=$2; shift ;;
	--big-mb) M=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	--no-peers) peers= ;;
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

# ms of "$@" (output discarded); a failure stops the benchmark
ms () {
	local t0 t1
	t0=$(date +%s%N)
	if ! "$@" >"$work.out" 2>&1; then
		echo "bench: $* failed:" >&2
		tail -5 "$work.out" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median () { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fresh () {
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$tag" | xargs -r docker rmi -f >/dev/null 2>&1 || true
	docker builder prune -af >/dev/null 2>&1 || true
	rm -rf "$work/.ccbuild"
}
touch_one () { echo "change $1" >>"$work/svc0/src/d00/f0.txt"; }

run_ccbuild () { "$CCBUILD" -C "$work" -q dev; }
# Debian's docker CLI has no buildx, so DOCKER_BUILDKIT=1 `docker build`
# refuses to run; both peers use what works out of the box here: the
# classic builder (docker-compose 1.29 through the Engine API, the loop
# through the CLI).  Each still sends its whole context on every build.
run_compose () { (cd "$work" && COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0 docker-compose build -q); }
run_loop () {
	local s
	for s in $(seq 0 $((N - 1))); do
		DOCKER_BUILDKIT=0 docker build -q -t "$tag-svc$s:latest" "$work/svc$s" || return 1
	done
}

# measure NAME FUNC [NOOPS]: cold, no-op, one-file medians into
# $NAME_cold etc.  After a cold build dockerd keeps working for a while
# (exporting, garbage collection after the prune); a settle pause keeps
# that out of the no-op.  NOOPS no-op samples per round (default 1; cheap
# tools take 3, since one 150 ms sample on a 2-core VM is mostly noise).
measure () {
	local name=$1 fn=$2 noops=${3:-1} i k c=() n=() o=()
	for i in $(seq "$R"); do
		fresh
		c+=("$(ms $fn)")
		sleep 5
		for k in $(seq "$noops"); do n+=("$(ms $fn)"); done
		touch_one "$name$i"
		o+=("$(ms $fn)")
	done
	eval "${name}_cold=$(printf '%s\n' "${c[@]}" | median)"
	eval "${name}_noop=$(printf '%s\n' "${n[@]}" | median)"
	eval "${name}_one=$(printf '%s\n' "${o[@]}" | median)"
	echo "bench: $name cold ${c[*]} ms, no-op ${n[*]} ms, one file ${o[*]} ms"
}

git -C "$work" status --porcelain >/dev/null
git -C "$work" status --porcelain >/dev/null
g=()
for i in $(seq $((R * 3))); do g+=("$(ms git -C "$work" status --porcelain)"); done
git_noop=$(printf '%s\n' "${g[@]}" | median)
echo "bench: git status ${g[*]} ms"

measure ccbuild run_ccbuild 3
rss=$( { /usr/bin/time -f '%M' "$CCBUILD" -C "$work" -q dev >/dev/null; } 2>&1 | tail -1)
if test -n "$peers"; then
	measure compose run_compose
	measure loop run_loop
else
	compose_cold=0 compose_noop=0 compose_one=0 loop_cold=0 loop_noop=0 loop_one=0
fi

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '\n%-24s %10s %10s %12s\n' "$N x $F files + ${M} MB" cold no-op "one file"
printf '%-24s %8s ms %8s ms %10s ms\n' ccbuild "$ccbuild_cold" "$ccbuild_noop" "$ccbuild_one"
if test -n "$peers"; then
	printf '%-24s %8s ms %8s ms %10s ms\n' "docker-compose build" "$compose_cold" "$compose_noop" "$compose_one"
	printf '%-24s %8s ms %8s ms %10s ms\n' "docker build loop" "$loop_cold" "$loop_noop" "$loop_one"
fi
printf '%-24s %8s    %8s ms\n' "git status" - "$git_noop"
printf '\nccbuild no-op / git status          %s\n' "$(ratio "$ccbuild_noop" "$git_noop")"
if test -n "$peers"; then
	printf 'docker-compose no-op / ccbuild no-op %s\n' "$(ratio "$compose_noop" "$ccbuild_noop")"
	printf 'docker build loop no-op / ccbuild    %s\n' "$(ratio "$loop_noop" "$ccbuild_noop")"
	printf 'docker-compose one file / ccbuild one file %s\n' "$(ratio "$compose_one" "$ccbuild_one")"
	printf 'docker build loop one file / ccbuild one file %s\n' "$(ratio "$loop_one" "$ccbuild_one")"
fi
printf 'ccbuild one file - no-op (the one image rebuilt): %s ms\n' "$((ccbuild_one - ccbuild_noop))"
printf 'ccbuild no-op max RSS %s KB\n' "$rss"

mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S)-${N}x${F}.json
cat >"$out" <<JSON
{"date": "$(date -Iseconds)", "services": $N, "files": $F, "big_mb": $M, "runs": $R,
 "ccbuild": {"cold_ms": $ccbuild_cold, "noop_ms": $ccbuild_noop, "one_file_ms": $ccbuild_one, "noop_max_rss_kb": $rss},
 "docker_compose": {"cold_ms": $compose_cold, "noop_ms": $compose_noop, "one_file_ms": $compose_one},
 "docker_build_loop": {"cold_ms": $loop_cold, "noop_ms": $loop_noop, "one_file_ms": $loop_one},
 "git_status_ms": $git_noop}
JSON
echo "bench: results in $out"
