#!/bin/bash
# fuzz/run.sh — run the libFuzzer harnesses (make fuzz builds them).
#
#   fuzz/run.sh [-j N] [--campaign] [--work DIR] [--bin DIR] SECONDS [NAME...]
#   fuzz/run.sh --check       is clang's libFuzzer runtime installed?
#   fuzz/run.sh --list        the harness names
#
# Each harness NAME (fuzz/fuzz-NAME.c; default: all) runs SECONDS seconds
# on a seed corpus built from the tests' inputs (tests/compose-cases,
# tests/grammar, examples/, the unit tests' string literals, fuzz/seeds/NAME)
# plus fuzz/regressions/NAME (reproducers of fixed bugs: they run first),
# with a dictionary of the string literals of the sources it reaches.
# -j N runs N harnesses at once (default 1).  An input slower than 10 s, a
# process above 2 GB, a sanitizer report or a leak is a failure: its
# reproducer is left in WORK/findings/NAME/ (crash-*, timeout-*, oom-*,
# leak-*), the log in WORK/logs/NAME.log; reproduce with
# `build/fuzz/fuzz-NAME FILE`.  Without --campaign a harness stops at its
# first failure; with it the run goes on (libFuzzer's -fork=1 and
# -ignore_crashes, never in CI) and collects every finding.  The corpus the
# fuzzer grows is kept in WORK/corpus/NAME for the next run.  WORK is
# build/fuzz by default, and so is --bin, where the binaries are (a copy
# keeps a long campaign apart from rebuilds).  Exit status: 0 when no harness found anything.
#
# Needs clang with its sanitizer and libFuzzer runtimes; on Debian 12:
#   apt-get install clang libclang-rt-14-dev   (the runtime is only a
# Recommends of clang), and llvm for llvm-symbolizer (source lines in
# stacks, which fuzz/triage.sh groups by); python3 for the seeds and
# dictionaries taken from C string literals (without it: files only).
set -u

top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$top" || exit 1
bin=build/fuzz
work=build/fuzz
jobs=1
campaign=
TIMEOUT=10
RSS_MB=2048
MAX_LEN=32768

check_toolchain () {
	local tmp rc
	if ! command -v clang >/dev/null; then
		echo "fuzz: clang is not installed; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2
		return 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccfuzz-check.XXXXXX") || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$tmp/t.c"
	clang -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >"$tmp/log" 2>&1
	rc=$?
	if test $rc != 0; then
		echo "fuzz: clang cannot link -fsanitize=fuzzer,address,undefined (its runtime is missing);" \
			"on Debian 12: apt-get install libclang-rt-14-dev" >&2
		sed 's/^/fuzz:   /' "$tmp/log" | head -n 5 >&2
	fi
	rm -rf "$tmp"
	test $rc = 0 && ! command -v llvm-symbolizer >/dev/null &&
		echo "fuzz: warning: no llvm-symbolizer, stacks will not name source lines (apt-get install llvm)" >&2
	return $rc
}

harnesses () {
	local f
	for f in fuzz/fuzz-*.c; do
		f=${f#fuzz/fuzz-}
		echo "${f%.c}"
	done
}

# --- seeds ----------------------------------------------------------------
# seed_file OUT SRC: SRC copied into the corpus OUT.
seed_file () {
	local name=${2#./}
	cp "$2" "$1/$(printf '%s' "$name" | tr '/ ' '__')"
}

# seed_project OUT DIR FIRST: one multi-file input (harness.h): DIR/FIRST,
# then every other small text file of DIR under its relative name.
seed_project () {
	local out=$1 dir=$2 first=$3
	local f rel
	{
		cat "$dir/$first"
		find "$dir" -type f -size -16k ! -name '*.py' ! -name '*.js' ! -name '*.json' \
			! -name '*.md' ! -name '*.txt' ! -name '*.html' ! -name '*.svg' -print | LC_ALL=C sort |
			while read -r f; do
				rel=${f#"$dir"/}
				test "$rel" = "$first" && continue
				printf '\n%%%%\n%s\n' "$rel"
				cat "$f"
			done
	} >"$out/project_$(printf '%s' "${dir#./}" | tr '/' '_')_$first"
}

# seed_strings OUT PREFIX FILE...: every C string literal of the unit
# tests (adjacent literals joined, escapes decoded), PREFIX put before it.
seed_strings () {
	local out=$1 prefix=$2
	shift 2
	command -v python3 >/dev/null || return 0
	python3 fuzz/literals.py seeds "$out" "$prefix" "$@"
}

# dict_for NAME OUT: a dictionary of the literals of the sources NAME
# reaches; fails when there is none.
dict_for () {
	local name=$1 out=$2
	command -v python3 >/dev/null || return 1
	case $name in
	compose) python3 fuzz/literals.py dict "$out" src/lib/compose/*.c src/lib/model/ynode*.c ;;
	manifest) python3 fuzz/literals.py dict "$out" src/lib/model/manifest.c src/lib/scan/scanpolicy.c src/lib/model/project.c \
		src/lib/compose/*.c src/lib/model/dockerfile.c ;;
	ynode | dockerfile | envfile | interp | buildstream | tagtmpl | state | registry | retention)
		python3 fuzz/literals.py dict "$out" src/lib/*/"$name".c ;;
	ignore | goregex) python3 fuzz/literals.py dict "$out" src/lib/inputs/ignore.c src/lib/base/goregex.c ;;
	*) return 1 ;;
	esac
}

files_named () {
	find tests examples "$@" -type f -size -64k 2>/dev/null | LC_ALL=C sort
}

seeds_for () {
	local name=$1 out=$2 d f
	case $name in
	ynode)
		files_named \( -name '*.yml' -o -name '*.yaml' \) | while read -r f; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-ynode.c ;;
	compose)
		for d in tests/compose-cases/*/ examples/*/; do
			d=${d%/}
			test -f "$d/docker-compose.yml" && seed_project "$out" "$d" docker-compose.yml
		done
		files_named -name 'docker-compose*.yml' | while read -r f; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-compose.c ;;
	manifest)
		for d in tests/compose-cases/*/ examples/*/; do
			d=${d%/}
			test -f "$d/ccbuild.yaml" && seed_project "$out" "$d" ccbuild.yaml
		done
		for f in tests/grammar/good/* tests/grammar/bad/*; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-manifest.c ;;
	ignore)
		files_named -name '*.dockerignore' | while read -r f; do seed_file "$out" "$f"; done
		files_named -name '.dockerignore' | while read -r f; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-ignore.c ;;
	goregex)
		seed_strings "$out" '' tests/unit/test-ignore.c tests/unit/test-retention.c ;;
	dockerfile)
		files_named -name 'Dockerfile*' | while read -r f; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-dockerfile.c ;;
	envfile)
		files_named \( -name '.env' -o -name '*.env' \) | while read -r f; do seed_file "$out" "$f"; done
		seed_strings "$out" '' tests/unit/test-envfile.c ;;
	interp)
		seed_strings "$out" '' tests/unit/test-interp.c
		files_named \( -name '*.yml' -o -name '*.yaml' -o -name '.env' \) | xargs grep -h '\$' 2>/dev/null |
			head -n 200 | while IFS= read -r f; do
				printf '%s' "$f" >"$out/line_$(printf '%s' "$f" | cksum | tr ' ' _)"
			done ;;
	buildstream)
		seed_strings "$out" '\x00\x40' tests/unit/test-engine.c tests/unit/test-engine-fault.c ;;
	bktrace)
		seed_strings "$out" '\x01' tests/unit/test-bktrace.c ;;
	registry | credentials)
		seed_strings "$out" '' tests/unit/test-registry.c ;;
	state | statcache | retention | tagtmpl)
		test -f "tests/unit/test-$name.c" && seed_strings "$out" '' "tests/unit/test-$name.c" ;;
	esac
	if test -d "fuzz/seeds/$name"; then
		for f in "fuzz/seeds/$name"/*; do cp "$f" "$out/"; done
	fi
	# never an empty corpus: libFuzzer then starts from nothing but works
	test -n "$(ls -A "$out")" || printf '\n' >"$out/empty"
}

# --- run ------------------------------------------------------------------
# run_one NAME: one harness; prints its summary line, returns 1 on findings.
run_one () {
	local name=$1
	local exe=$bin/fuzz-$name log=$work/logs/$name.log seeds=$work/seeds/$name
	local corpus=$work/corpus/$name findings=$work/findings/$name regress=fuzz/regressions/$name
	local tmp rc execs found f args=()

	if ! test -x "$exe"; then
		echo "$name: FAILED: $exe is not built (make fuzz)"
		return 1
	fi
	rm -rf "$seeds"
	mkdir -p "$seeds" "$corpus" "$findings" "$work/logs"
	seeds_for "$name" "$seeds"
	tmp=$(mktemp -d "${FUZZ_TMP:-/tmp}/ccfuzz-$name.XXXXXX") || return 1
	args=(-max_total_time="$SECONDS_EACH" -timeout=$TIMEOUT -rss_limit_mb=$RSS_MB -malloc_limit_mb=$RSS_MB
		-max_len=$MAX_LEN -print_final_stats=1 -artifact_prefix="$findings/")
	dict_for "$name" "$work/seeds/$name.dict" && args+=(-dict="$work/seeds/$name.dict")
	test -n "$campaign" && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
	test -d "$regress" && args+=("$top/$regress")
	# The harness sees none of the user's docker config nor the caller's cwd.
	(
		cd "$tmp" && mkdir home &&
		exec env -u DOCKER_CONFIG HOME="$tmp/home" TMPDIR="$tmp" \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
			LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$exe" "${args[@]}" "$corpus" "$seeds" </dev/null
	) >"$log" 2>&1
	rc=$?
	rm -rf "$tmp"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	test -n "$execs" || execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
	found=$(find "$findings" -type f -newer "$log.start" 2>/dev/null | LC_ALL=C sort)
	if test $rc = 0 && test -z "$found"; then
		echo "$name: ok, ${execs:-0} runs in ${SECONDS_EACH} s, corpus $(ls "$corpus" | wc -l) inputs"
		return 0
	fi
	echo "$name: FAILED (exit $rc) after ${execs:-?} runs; log $log"
	for f in $found; do echo "  $f"; done
	grep -E '^(SUMMARY|==[0-9]+==ERROR)|runtime error' "$log" | sed -E 's/==[0-9]+==//; s/ 0x[0-9a-f]+//g' |
		sort | uniq -c | sort -rn | head -n 10 | sed 's/^/  /'
	test -n "$campaign" && echo "  (fuzz/triage.sh --work $work $name groups them by cause)"
	return 1
}

run_marked () {
	: >"$work/logs/$1.log.start"
	sleep 1 # findings are the files newer than this mark
	run_one "$1"
}

case ${1:-} in
--check) check_toolchain; exit ;;
--list) harnesses; exit 0 ;;
esac
while test $# -gt 0; do
	case $1 in
	-j) jobs=$2; shift ;;
	--campaign) campaign=1 ;;
	--work) work=$2; shift ;;
	--bin) bin=$2; shift ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
case ${1:-} in '' | *[!0-9]*) echo "usage: fuzz/run.sh [-j N] [--campaign] [--work DIR] [--bin DIR] SECONDS [NAME...]" >&2; exit 2 ;; esac
SECONDS_EACH=$1
shift
names=("$@")
test ${#names[@]} = 0 && mapfile -t names < <(harnesses)
for n in "${names[@]}"; do
	test -f "fuzz/fuzz-$n.c" || { echo "fuzz/run.sh: no harness $n (fuzz/run.sh --list)" >&2; exit 2; }
done
check_toolchain || exit 1
case $work in /*) ;; *) work=$top/$work ;; esac
case $bin in /*) ;; *) bin=$top/$bin ;; esac
mkdir -p "$work/logs" || exit 1
# tmpfs when there is one: the state and stat cache harnesses fsync
test -d /dev/shm && test -w /dev/shm && FUZZ_TMP=${FUZZ_TMP:-/dev/shm}

running=0
for n in "${names[@]}"; do
	if test "$running" -ge "$jobs"; then
		wait -n
		running=$((running - 1))
	fi
	rm -f "$work/logs/$n.rc"
	(run_marked "$n" >"$work/logs/$n.summary"; echo $? >"$work/logs/$n.rc"; cat "$work/logs/$n.summary") &
	running=$((running + 1))
done
wait
clean=0
for n in "${names[@]}"; do
	test "$(cat "$work/logs/$n.rc" 2>/dev/null)" = 0 && clean=$((clean + 1))
done
echo "--- $clean of ${#names[@]} harnesses without findings"
test $clean = ${#names[@]}
