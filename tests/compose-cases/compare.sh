#!/bin/sh
# compare.sh CCBUILD NAME: Docker Compose v2's `docker compose -f ... config`
# (the oracle) against `CCBUILD config dev` for the case directory NAME
# (its `files` lists the -f order; its ccbuild.yaml names the same files).
# Byte-for-byte first ("identical"); when that differs, both are loaded as
# YAML and compared as data, with the lists compose v2 merges as sets
# (ports, volumes, secrets, configs: order carries no meaning there) sorted first: equal is
# "semantic" (diff shown), anything else a difference.  Both rejecting is
# "both failed" (a match); only one rejecting is a difference.
# With V1=1 the oracle is docker-compose 1.29 instead.
# compare.sh --same EXPECTED ACTUAL: only that comparison, of two files.
# Exit 0 on a match, 1 on a difference (diff on stdout), 2 on usage.
set -u

# same EXPECTED ACTUAL: the comparison above; prints its verdict.
same () {
	cmp -s "$1" "$2" && { echo "identical"; return 0; }
	if python3 -c 'import sys, json, yaml
def norm(d):
    for s in ((d or {}).get("services") or {}).values():
        for k in ("ports", "volumes", "secrets", "configs"):
            if isinstance(s.get(k), list):
                s[k] = sorted(s[k], key=lambda v: json.dumps(v, sort_keys=True))
    return d
a, b = (norm(yaml.safe_load(open(p))) for p in sys.argv[1:])
sys.exit(a != b)' "$1" "$2"; then
		echo "semantic (same data, different text):"
		diff -u "$1" "$2"
		return 0
	fi
	diff -u "$1" "$2"
	return 1
}

if [ $# -eq 3 ] && [ "$1" = --same ]; then
	same "$2" "$3"
	exit
fi
[ $# -eq 2 ] || { echo "usage: $0 CCBUILD NAME" >&2; exit 2; }
ccbuild=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$(dirname "$0")/$2" && pwd) || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

set --
while read -r f; do
	[ -n "$f" ] && set -- "$@" -f "$dir/$f"
done <"$dir/files"
if [ "${V1:-0}" = 1 ]; then
	oracle="docker-compose"
else
	oracle="docker compose"
fi
# The manifest's project: names the compose project, as -p does.
project=$(sed -n 's/^project: *//p' "$dir/ccbuild.yaml")
(cd "$dir" && $oracle -p "$project" --project-directory "$dir" "$@" config) >"$tmp/expected" 2>"$tmp/expected.err"
erc=$?
(cd "$dir" && "$ccbuild" config dev) >"$tmp/actual" 2>"$tmp/actual.err"
arc=$?
if [ $erc -ne 0 ] || [ $arc -ne 0 ]; then
	if [ $erc -ne 0 ] && [ $arc -ne 0 ]; then
		echo "both failed: $oracle: $(cat "$tmp/expected.err")"
		echo "             ccbuild: $(cat "$tmp/actual.err")"
		exit 0
	fi
	echo "$oracle rc=$erc: $(cat "$tmp/expected.err")"
	echo "ccbuild rc=$arc: $(cat "$tmp/actual.err")"
	exit 1
fi
same "$tmp/expected" "$tmp/actual"
