#!/bin/bash
# bench/observability.sh — what the events log, the metrics file and the
# trace file cost a no-op run (issue #17: target under 5 %), side by side
# in one run.
#
#   bash bench/observability.sh [--services N] [--runs R] [--ccbuild PATH]
#
# Generates (under /var/tmp) a project of N images (FROM the local busybox
# base, a few files each), builds it once, then times R no-op runs of each
# of two manifests that differ only in `observability:` (none, and events +
# metrics + history + traces), interleaved (off, on, off, on...) so drift
# of the machine hits both alike; prints the median wall time of each and
# the overhead.  Needs the engine and ccbuild-test/busybox:latest.  Not a
# test: nothing here passes or fails.  Figures also go to bench/results/.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
N=20 R=21 CCBUILD=$top/ccbuild
while test $# -gt 0; do
	case $1 in
	--services) N=$2; shift ;;
	--runs) R=$2; shift ;;
	--ccbuild) CCBUILD=$2; shift ;;
	*) echo "bench/observability.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
test -x "$CCBUILD" || make -s
work=$(mktemp -d /var/tmp/ccbuild-bench-obs.XXXXXX)
name=benchobs$$
test -n "${KEEP:-}" || trap 'docker image ls --format "{{.Repository}}:{{.Tag}}" | grep "^$name-" | xargs -r docker rmi -f >/dev/null; rm -rf "$work"' EXIT
cd "$work"
{
	echo "ccbuild: 1"
	echo "project: $name"
	echo "images:"
	for i in $(seq "$N"); do
		mkdir -p "s$i"
		printf 'FROM ccbuild-test/busybox:latest\nCOPY . /app\n' >"s$i/Dockerfile"
		for f in $(seq 20); do head -c 2000 /dev/urandom >"s$i/f$f"; done
		echo "  s$i: {context: s$i}"
	done
	echo "profiles:"
	echo "  dev: {}"
} >off.yaml
mkdir -p prom traces
{
	cat off.yaml
	echo "observability:"
	echo "  events: events.jsonl"
	echo "  metrics: prom"
	echo "  history: history.jsonl"
	echo "  traces: traces"
} >on.yaml
"$CCBUILD" -q -f off.yaml dev
"$CCBUILD" -q -f on.yaml dev

. "$top/bench/lib.sh"
ms_us () { # ms_us MANIFEST: wall time of one no-op run
	local t0 t1
	t0=$(date +%s%N)
	"$CCBUILD" -q -f "$1" dev
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) # microseconds
}
: >off.times
: >on.times
for r in $(seq "$R"); do
	ms_us off.yaml >>off.times
	ms_us on.yaml >>on.times
done
off=$(median <off.times) on=$(median <on.times)
echo "no-op run of $N images, median of $R interleaved runs each:"
printf '  without observability  %8.1f ms\n' "$(echo "$off / 1000" | bc -l)"
printf '  events+metrics+traces  %8.1f ms\n' "$(echo "$on / 1000" | bc -l)"
printf '  overhead               %8.1f %%\n' "$(echo "($on - $off) * 100 / $off" | bc -l)"
printf '  written per run: events %s B, metrics %s B, trace %s B\n' \
	$(($(wc -c <events.jsonl) / (R + 1))) "$(wc -c <prom/ccbuild-$name-dev.prom)" \
	$(($(wc -c <traces/traces.jsonl) / (R + 1)))
mkdir -p "$top/bench/results"
printf '{"bench":"observability","images":%s,"runs":%s,"off_us":%s,"on_us":%s}\n' "$N" "$R" "$off" "$on" \
	>"$top/bench/results/observability-$(date +%Y%m%dT%H%M%S).json"
