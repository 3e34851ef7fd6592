#!/bin/bash
# bench/backup.sh — ccbuild backup against restic and `tar | zstd` on one
# generated directory, in one run.
#
#   bash bench/backup.sh [--mb M] [--files F] [--text] [--keep] [--ccbuild PATH]
#
# Generates (under /var/tmp) M MB of random data in F files (one of them a
# 10 MB "segment"), then times, for each tool:
#   cold       the first backup into an empty repository
#   no-op      a second backup, nothing changed
#   one-10MB   the 10 MB file rewritten (new random bytes), backup again
#   restore    the newest snapshot into an empty directory
# ccbuild runs twice, plain and with encrypt: (ccbuild+enc, its own
# repository and key), and prints wall time, max RSS, and the repository's bytes after each step.
# restic is Debian's (0.14; RESTIC=PATH for another), repository format 2
# with its default compression; tar | zstd -3 writes a whole archive each
# time (what docker-volume-backup does).  "Cold" means an empty repository,
# not an empty page cache (the data was just written).  --text writes
# log-like lines (compressible, about 4:1 with zstd -3) instead of random
# bytes, for compression; the 10 MB segment stays random.  Defaults: 1024 MB
# in 20,000 files (the issue's shape).  Not a test.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
MB=1024 FILES=20000 keep= text=0 CCBUILD=$top/ccbuild RESTIC=${RESTIC:-restic}
while test $# -gt 0; do
	case $1 in
	--mb) MB=$2; shift ;;
	--files) FILES=$2; shift ;;
	--keep) keep=1 ;;
	--text) text=1 ;;
	--ccbuild) CCBUILD=$2; shift ;;
	*) echo "usage: bench/backup.sh [--mb M] [--files F] [--text] [--keep] [--ccbuild PATH]" >&2; exit 2 ;;
	esac
	shift
done
W=$(mktemp -d /var/tmp/ccbuild-bench-backup.XXXXXX)
test -n "$keep" || trap 'rm -rf "$W"' EXIT
export RESTIC_PASSWORD=bench TZ=UTC

python3 - "$W/data" "$MB" "$FILES" "$text" <<'PY'
import os, random, sys
root, mb, files, text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
def content(n):
    if not text:
        return os.urandom(n)
    out, t, size = [], 1796000000 + rnd.randrange(10**6), 0
    while size < n:
        t += rnd.randrange(5)
        out.append(b"%d level=%s req=%08x path=/api/v1/items/%d status=%d took=%dms\n" % (
            t, rnd.choice([b"info", b"warn", b"debug"]), rnd.getrandbits(32), rnd.randrange(5000),
            rnd.choice([200, 200, 200, 404, 500]), rnd.randrange(900)))
        size += len(out[-1])
    return b"".join(out)[:n]
rnd = random.Random(15)
total = mb * 1048576 - 10 * 1048576
os.makedirs(f"{root}/db")
with open(f"{root}/db/segment", "wb") as f:
    f.write(os.urandom(10 * 1048576))
weights = [rnd.paretovariate(1.2) for _ in range(files - 1)]
scale = total / sum(weights)
for i, w in enumerate(weights):
    d = f"{root}/d{i % 200:03d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:05d}", "wb") as f:
        f.write(content(max(1, int(w * scale))))
PY
cat >"$W/ccbuild.yaml" <<EOF
ccbuild: 1
project: bench
profiles:
  b:
    backups: [data, enc]
backups:
  data:
    source: path:data
    destinations: [{path: repo-ccbuild}]
  enc:
    source: path:data
    destinations: [{path: repo-ccbuild-enc}]
    encrypt: {key_file: backup.key}
EOF
"$CCBUILD" backup init-key "$W/backup.key" >/dev/null

bytes () { du -sb "$1" 2>/dev/null | cut -f1; }
# measure NAME REPO CMD...: one line of figures for the current $step
measure () {
	local name=$1 repo=$2 t rss
	shift 2
	/usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out" 2>&1 || { cat "$W/out"; exit 1; }
	read -r t rss <"$W/time"
	printf "%-11s %-9s %8.2f s %8d KB RSS %14s bytes stored\n" "$name" "$step" "$t" "$rss" "$(bytes "$repo")"
}

change () { python3 -c "import os; open('$W/data/db/segment', 'r+b').write(os.urandom(10 * 1048576))"; }

echo "data: $(bytes "$W/data") bytes in $(find "$W/data" -type f | wc -l) files"
cd "$W"
"$RESTIC" -r repo-restic init -q >/dev/null
for step in cold no-op one-10MB restore; do
	test $step = one-10MB && change
	if test $step = restore; then
		measure ccbuild repo-ccbuild "$CCBUILD" restore b data --to path:$W/r-ccbuild
		measure ccbuild+enc repo-ccbuild-enc "$CCBUILD" restore b enc --to path:$W/r-ccbuild-enc
		measure restic repo-restic "$RESTIC" -r repo-restic restore latest --target r-restic -q
		measure tar+zstd tar.zst sh -c "mkdir -p r-tar && zstd -dc tar.zst | tar -C r-tar -xf -"
	else
		measure ccbuild repo-ccbuild "$CCBUILD" backup b data
		measure ccbuild+enc repo-ccbuild-enc "$CCBUILD" backup b enc
		measure restic repo-restic "$RESTIC" -r repo-restic backup -q data
		measure tar+zstd tar.zst sh -c "tar -C data -cf - . | zstd -q -3 -T0 -o tar.zst -f"
	fi
done
cmp <(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum) \
	<(cd r-ccbuild && find . -type f -print0 | sort -z | xargs -0 sha256sum) && echo "ccbuild restore: byte-identical"
cmp <(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum) \
	<(cd r-ccbuild-enc && find . -type f -print0 | sort -z | xargs -0 sha256sum) &&
	echo "ccbuild+enc restore: byte-identical"
