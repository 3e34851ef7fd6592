#!/bin/sh
# compare.sh CCBUILD NAME: `docker-compose -f ... config` against
# `CCBUILD config dev` for the case directory NAME (its `files` lists the
# -f order; its ccbuild.yaml names the same files).  Byte-for-byte first;
# when that differs, both are loaded as YAML and compared as data, and the
# case passes as "normalised" only if those are equal.
# Exit 0 on a match, 1 on a difference (diff on stdout), 2 on usage.
set -u
[ $# -eq 2 ] || { echo "usage: $0 CCBUILD NAME" >&2; exit 2; }
ccbuild=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$(dirname "$0")/$2" && pwd) || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

set --
while read -r f; do
	[ -n "$f" ] && set -- "$@" -f "$dir/$f"
done <"$dir/files"
(cd "$dir" && docker-compose --project-directory "$dir" "$@" config) >"$tmp/expected" 2>"$tmp/expected.err"
erc=$?
(cd "$dir" && "$ccbuild" config dev) >"$tmp/actual" 2>"$tmp/actual.err"
arc=$?
if [ $erc -ne 0 ] || [ $arc -ne 0 ]; then
	if [ $erc -ne 0 ] && [ $arc -ne 0 ]; then
		echo "both failed: docker-compose: $(cat "$tmp/expected.err")"
		echo "             ccbuild: $(cat "$tmp/actual.err")"
		exit 0
	fi
	echo "docker-compose rc=$erc: $(cat "$tmp/expected.err")"
	echo "ccbuild rc=$arc: $(cat "$tmp/actual.err")"
	exit 1
fi
cmp -s "$tmp/expected" "$tmp/actual" && { echo "identical"; exit 0; }
if python3 -c 'import sys, yaml
a, b = (yaml.safe_load(open(p)) for p in sys.argv[1:])
sys.exit(a != b)' "$tmp/expected" "$tmp/actual"; then
	echo "normalised (same data, different text):"
	diff -u "$tmp/expected" "$tmp/actual"
	exit 0
fi
diff -u "$tmp/expected" "$tmp/actual"
exit 1
