#!/bin/bash
# bench/compose-agree.sh — how often `ccbuild config` agrees with Docker
# Compose v2's `docker compose config` (2.26, scripts/setup.sh --peers).
#
#   bash bench/compose-agree.sh [--ccbuild PATH] [--corpus GITDIR]... [--list]
#
# Cases: every tests/compose-cases/ directory (its files, its project), every
# profile of the examples (as t0030 runs them), the mis-typed values of
# t0030 (one small file each), and with --corpus each compose file
# (compose*.y*ml, docker-compose*.y*ml) of a git repository's HEAD, checked
# out whole under /var/tmp so the files it names are there (e.g. a mirror
# of docker/awesome-compose).  For each case both tools run in the same
# directory on the same files; the verdict is one of: identical (byte for
# byte), same-data (equal once loaded, compare.sh), differ, v2-only (ccbuild
# rejects what v2 accepts), ccbuild-only, both-reject.  Prints one line a
# case with --list, and the totals: how many v2 accepts, how many ccbuild
# accepts, how many agree (identical + both-reject).  Not a test: nothing
# here passes or fails.
set -u
cd "$(dirname "$0")/.."
top=$PWD
CCBUILD=$top/ccbuild corpora=() list=
while test $# -gt 0; do
	case $1 in
	--ccbuild) CCBUILD=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
	--corpus) corpora+=("$2"); shift ;;
	--list) list=1 ;;
	*) echo "bench/compose-agree.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
docker compose version >/dev/null 2>&1 || { echo "bench/compose-agree.sh: needs docker compose (v2)" >&2; exit 2; }
test -x "$CCBUILD" || make -s
work=$(mktemp -d /var/tmp/ccbuild-compose-agree.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A count=()
total=0

# verdict NAME ERC ARC: tally and print the verdict of one case whose
# outputs are in $work/expected and $work/actual.
verdict () {
	local v
	if [ "$2" -ne 0 ] && [ "$3" -ne 0 ]; then v=both-reject
	elif [ "$2" -ne 0 ]; then v=ccbuild-only
	elif [ "$3" -ne 0 ]; then v=v2-only
	elif cmp -s "$work/expected" "$work/actual"; then v=identical
	elif "$top/tests/compose-cases/compare.sh" --same "$work/expected" "$work/actual" >/dev/null; then v=same-data
	else v=differ
	fi
	count[$v]=$((${count[$v]:-0} + 1))
	total=$((total + 1))
	test -z "$list" || printf '%-13s %s\n' "$v" "$1"
}

# run NAME DIR MANIFEST PROJECT ARGS...: v2 with ARGS (-f ..., in DIR),
# ccbuild with MANIFEST's profile dev, both in DIR.
run () {
	local name=$1 dir=$2 manifest=$3 project=$4 erc arc
	shift 4
	(cd "$dir" && timeout 60 docker compose -p "$project" --project-directory "$dir" "$@" config) \
		>"$work/expected" 2>/dev/null
	erc=$?
	(cd "$dir" && timeout 60 "$CCBUILD" -f "$manifest" config dev) >"$work/actual" 2>/dev/null
	arc=$?
	verdict "$name" "$erc" "$arc"
}

for d in tests/compose-cases/*/; do
	d=$top/${d%/}
	set --
	while read -r f; do test -z "$f" || set -- "$@" -f "$d/$f"; done <"$d/files"
	run "case $(basename "$d")" "$d" ccbuild.yaml "$(sed -n 's/^project: *//p' "$d/ccbuild.yaml")" "$@"
done

# the examples, every profile, as t0030 runs them (env of the profile).
for ex in examples/*/ccbuild.yaml; do
	d=$top/$(dirname "$ex")
	for prof in $(python3 -c 'import sys, yaml; print(" ".join((yaml.safe_load(open(sys.argv[1])).get("profiles") or {})))' "$ex"); do
		args=$(python3 - "$ex" "$prof" <<-\PY
		import sys, yaml, shlex
		doc = yaml.safe_load(open(sys.argv[1]))
		prof = (doc.get("profiles") or {}).get(sys.argv[2]) or {}
		lst = lambda v: [] if v is None else ([v] if isinstance(v, str) else v)
		env = prof.get("env") or {}
		if isinstance(env, list):
		    env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
		files = lst(doc.get("compose")) + lst(prof.get("compose"))
		envfiles = [f for f in lst(doc.get("env_file")) + lst(prof.get("env_file")) if f != ".env"]
		print(" ".join(shlex.quote(f"{k}={'true' if v is True else 'false' if v is False else v}") for k, v in env.items()),
		      "|", " ".join(shlex.quote(f) for f in envfiles), "|", " ".join("-f " + shlex.quote(f) for f in files),
		      "|", shlex.quote(doc["project"]))
		PY
		)
		IFS='|' read -r envs envfiles files project <<<"$args"
		(cd "$d" && for f in $envfiles; do set -a; . "./$f"; set +a; done
		 eval "env $envs timeout 60 docker compose -p $project --project-directory . $files config") \
			>"$work/expected" 2>/dev/null
		erc=$?
		(cd "$d" && "$CCBUILD" config "$prof") >"$work/actual" 2>/dev/null
		arc=$?
		verdict "example $(basename "$d") $prof" "$erc" "$arc"
	done
done

# t0030's mis-typed values: v2 rejects each one.
sed -n '/^typed_cases () {/,/^}/p' tests/t0030-compose-config.sh | sed -n '/<<-\\CASES/,/^\tCASES/p' | sed '1d;$d' |
	while IFS='|' read -r value _; do printf '%s\n' "$value"; done >"$work/typed"
mkdir -p "$work/typed.d"
printf "ccbuild: 1\nproject: typed\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >"$work/typed.d/ccbuild.yaml"
while IFS= read -r value; do
	value=${value#"${value%%[![:space:]]*}"}
	printf "services:\n  web:\n    image: w\n    %s\n" "$value" >"$work/typed.d/compose.yaml"
	run "typed $value" "$work/typed.d" ccbuild.yaml typed -f compose.yaml
done <"$work/typed"

# --corpus: each compose file of a repository's HEAD.
for repo in "${corpora[@]}"; do
	tree=$work/corpus.$(basename "$(dirname "$repo")")
	mkdir -p "$tree" && git --git-dir="$repo" archive HEAD | tar -x -C "$tree"
	while IFS= read -r f; do
		dir=$tree/$(dirname "$f")
		printf "ccbuild: 1\nproject: corpus\ncompose: [%s]\nprofiles: {dev: {}}\n" "$(basename "$f")" \
			>"$dir/.ccbuild-agree.yaml"
		run "$(basename "$(dirname "$repo")"):$f" "$dir" .ccbuild-agree.yaml corpus -f "$(basename "$f")"
		rm -f "$dir/.ccbuild-agree.yaml"
	done < <(git --git-dir="$repo" ls-tree -r --name-only HEAD |
		grep -E '(^|/)(docker-)?compose[^/]*\.ya?ml$')
done

c () { echo "${count[$1]:-0}"; }
v2=$(($(c identical) + $(c same-data) + $(c differ) + $(c v2-only)))
cc=$(($(c identical) + $(c same-data) + $(c differ) + $(c ccbuild-only)))
echo "compose-agree: $total cases; v2 accepts $v2, ccbuild accepts $cc;" \
	"identical $(c identical), same data $(c same-data), differ $(c differ)," \
	"v2 only $(c v2-only), ccbuild only $(c ccbuild-only), both reject $(c both-reject);" \
	"agree (identical or both reject) $(($(c identical) + $(c both-reject)))"
