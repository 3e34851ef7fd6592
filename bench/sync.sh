#!/bin/bash
# bench/sync.sh — `ccbuild sync` against rsync on the same trees.
#
#   bash bench/sync.sh [--files F] [--mb M] [--runs R] [--keep]
#
# Generates (under /var/tmp) a source tree of F files (default 10,000 in
# 100 directories) totalling about M MB (default 200), a few JSON files
# naming host paths among them, and a ccbuild.yaml with one sync of it
# (delete: true).  Then for ccbuild sync, `rsync -a --delete` and
# `rsync -a --delete --checksum` (Debian's rsync), each into its own
# destination:
#   cold      empty destination
#   no-op     nothing changed: R runs, the median
#   one file  one file changed, then synced
# Prints a table and writes the figures as JSON in bench/results/.  Not a
# test.  ccbuild fsyncs every file it writes and reads each back to verify
# it; rsync does neither, so the cold figures are not like for like.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
F=10000 M=200 R=5 keep=
while test $# -gt 0; do
	case $1 in
	--files) F=$2; shift ;;
	--mb) M=$2; shift ;;
	--runs) R=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "bench/sync.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
command -v rsync >/dev/null || { echo "bench/sync.sh: needs rsync (apt-get install rsync)" >&2; exit 2; }
W=$(mktemp -d /var/tmp/ccbuild-bench-sync.XXXXXX)
test -n "$keep" || trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src"
python3 - "$W/src" "$F" "$M" <<-\PY
	import os, sys
	root, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	size = mb * 1024 * 1024 // n
	for i in range(n):
	    d = os.path.join(root, "d%03d" % (i % 100))
	    os.makedirs(d, exist_ok=True)
	    name = "f%05d.json" % i if i % 1000 == 0 else "f%05d.bin" % i
	    with open(os.path.join(d, name), "wb") as f:
	        if name.endswith(".json"):
	            f.write(b'{"path": "/Users/me/projects/x"}\n' * max(1, size // 34))
	        else:
	            f.write(os.urandom(size))
	PY
printf '%s\n' 'ccbuild: 1' 'project: benchsync' 'syncs:' '  tree: {from: src, to: dst-ccbuild, delete: true}' \
	'profiles:' '  dev: {syncs: [tree]}' >"$W/ccbuild.yaml"
. "$top/bench/lib.sh"
run_ccbuild () { "$top/ccbuild" -C "$W" sync dev; }
run_rsync () { rsync -a --delete "$W/src/" "$W/dst-rsync/"; }
run_rsyncc () { rsync -a --delete --checksum "$W/src/" "$W/dst-rsyncc/"; }
declare -A cold noop one
for t in ccbuild rsync rsyncc; do
	cold[$t]=$(ms_quiet run_$t)
	noop[$t]=$(for i in $(seq "$R"); do ms_quiet run_$t; done | median)
done
for t in ccbuild rsync rsyncc; do
	echo "changed $t $(date +%s%N)" >>"$W/src/d001/f00001.bin"
	one[$t]=$(ms_quiet run_$t)
	if test $t = ccbuild && ! diff -r "$W/src" "$W/dst-ccbuild" >/dev/null; then
		echo "bench/sync.sh: the ccbuild destination differs from the source!" >&2
	fi
done
printf '%-32s %10s %10s %10s\n' "$F files, $M MB" cold no-op "one file"
for t in ccbuild rsync rsyncc; do
	case $t in ccbuild) n="ccbuild sync" ;; rsync) n="rsync -a --delete" ;; *) n="rsync -a --delete --checksum" ;; esac
	printf '%-32s %7s ms %7s ms %7s ms\n' "$n" "${cold[$t]}" "${noop[$t]}" "${one[$t]}"
done
awk -v c="${noop[ccbuild]}" -v r="${noop[rsync]}" 'BEGIN { if (r > 0) printf "no-op: ccbuild / rsync -a = %.2fx\n", c / r }'
mkdir -p "$top/bench/results"
printf '{"files": %s, "mb": %s, "runs": %s, "ccbuild": {"cold_ms": %s, "noop_ms": %s, "one_ms": %s}, "rsync": {"cold_ms": %s, "noop_ms": %s, "one_ms": %s}, "rsync_checksum": {"cold_ms": %s, "noop_ms": %s, "one_ms": %s}}\n' \
	"$F" "$M" "$R" "${cold[ccbuild]}" "${noop[ccbuild]}" "${one[ccbuild]}" "${cold[rsync]}" "${noop[rsync]}" \
	"${one[rsync]}" "${cold[rsyncc]}" "${noop[rsyncc]}" "${one[rsyncc]}" >"$top/bench/results/sync-$(date +%Y%m%d-%H%M%S).json"
