#!/bin/bash
# bench/scale.sh — how the up-to-date check scales with the context size.
#
#   bash bench/scale.sh [--files F] [--runs R] [--keep]
#
# Generates (under /var/tmp) one build context of F small files (default
# 1,000,000, in 1,000 directories, 16-64 bytes each) with a Dockerfile and
# a ccbuild.yaml, then measures `ccbuild plan dev`, which walks the context,
# applies .dockerignore, consults the stat cache and computes the input
# hash exactly as a run's check does, without building 1,000,000 files into
# an image:
#   cold    no .ccbuild/: every file is read and hashed
#   no-op   the stat cache is warm: R runs, the median, and the max RSS
# plus `git status --porcelain` on the same tree (a repository is made of
# it first) as the floor.  Prints the figures and writes them as JSON in
# bench/results/.  Needs no engine (plan says it could not check images
# when none answers).  Not a test.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
F=1000000 R=3 keep=
while test $# -gt 0; do
	case $1 in
	--files) F=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "bench/scale.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
CCBUILD=$top/ccbuild
test -x "$CCBUILD" || make -s
work=$(mktemp -d /var/tmp/ccbuild-scale.XXXXXX)
cleanup () { test -n "$keep" || rm -rf "$work"; rm -f "$work.rss"; }
trap cleanup EXIT

echo "scale: generating $F files in $work"
python3 - "$work" "$F" <<'PY'
import os, random, sys
work, f = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
for i in range(f):
    d = os.path.join(work, "app", f"d{i % 1000:03d}")
    if i < 1000:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}"), "wb") as fh:
        fh.write(rnd.randbytes(rnd.randint(16, 64)))
open(os.path.join(work, "app", "Dockerfile"), "w").write("FROM scratch\nCOPY . /app\n")
open(os.path.join(work, "app", ".dockerignore"), "w").write("*.tmp\n")
open(os.path.join(work, "ccbuild.yaml"), "w").write(
    "ccbuild: 1\nproject: scale\nimages:\n  app: {context: app}\nprofiles:\n  dev: {}\n")
open(os.path.join(work, ".gitignore"), "w").write(".ccbuild/\n")
PY

# plan: "MS KB", wall time and max RSS of one `ccbuild plan dev`
plan () {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$work.rss" "$CCBUILD" -C "$work" --offline plan dev >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(tail -1 "$work.rss")"
}
. "$top/bench/lib.sh"

# A plan uses the state directory a first run leaves but never creates
# one; make the empty one here, as the first `ccbuild dev` would.
mkdir -p "$work/.ccbuild/statcache"
read -r cold cold_kb < <(plan)
echo "scale: cold $cold ms, max RSS $cold_kb KB"
n=() k=()
for i in $(seq "$R"); do
	read -r ms kb < <(plan)
	n+=("$ms") k+=("$kb")
done
noop=$(printf '%s\n' "${n[@]}" | median)
noop_kb=$(printf '%s\n' "${k[@]}" | sort -n | tail -1)
echo "scale: no-op ${n[*]} ms, max RSS $noop_kb KB"

(cd "$work" && git init -q . && git add -A && git -c gc.auto=0 -c user.name=b -c user.email=b@b commit -qm tree)
g=()
for i in $(seq "$R"); do
	t0=$(date +%s%N); git -C "$work" status --porcelain >/dev/null; t1=$(date +%s%N)
	g+=("$(((t1 - t0) / 1000000))")
done
git_ms=$(printf '%s\n' "${g[@]}" | median)
echo "scale: git status ${g[*]} ms"

printf '\n%s files: ccbuild cold %s ms, no-op %s ms (max RSS %s MB), git status %s ms, no-op / git status %s\n' \
	"$F" "$cold" "$noop" "$((noop_kb / 1024))" "$git_ms" \
	"$(awk -v a="$noop" -v b="$git_ms" 'BEGIN { printf "%.2f", a / b }')"
mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S)-scale-$F.json
cat >"$out" <<JSON
{"date": "$(date -Iseconds)", "files": $F, "runs": $R,
 "ccbuild_plan": {"cold_ms": $cold, "cold_max_rss_kb": $cold_kb, "noop_ms": $noop, "noop_max_rss_kb": $noop_kb},
 "git_status_ms": $git_ms}
JSON
echo "scale: results in $out"
