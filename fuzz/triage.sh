#!/bin/bash
# fuzz/triage.sh — group the findings of fuzz/run.sh by cause.
#
#   fuzz/triage.sh [--work DIR] [--bin DIR] [NAME...]
#
# Runs every reproducer in WORK/findings/NAME/ (default build/fuzz, all
# harnesses) once and prints, per distinct cause, how many reproducers
# show it, the sanitizer's summary, the first frames in src/ and one
# reproducer.  Read-only: nothing is removed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
work=$top/build/fuzz
bin=$top/build/fuzz
while test $# -gt 0; do
	case $1 in
	--work) work=$2; shift ;;
	--bin) bin=$2; shift ;;
	-*) echo "fuzz/triage.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
names=("$@")
if test ${#names[@]} = 0; then
	for d in "$work"/findings/*/; do
		test -d "$d" && names+=("$(basename "$d")")
	done
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccfuzz-triage.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for name in "${names[@]}"; do
	for f in "$work/findings/$name"/*; do
		test -f "$f" || continue
		out=$( cd "$tmp" && env -u DOCKER_CONFIG HOME="$tmp" TMPDIR="$tmp" \
			ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
			timeout 60 "$bin/fuzz-$name" -timeout=10 -rss_limit_mb=2048 "$f" 2>&1 </dev/null )
		summary=$(printf '%s\n' "$out" | grep -m1 -E '^SUMMARY|runtime error|ERROR: libFuzzer' |
			sed -E -e 's/==[0-9]+==//' -e 's/\(BuildId: [0-9a-f]+\)//' -e 's/ 0x[0-9a-f]+//g' \
				-e 's/[0-9]+ (byte|allocation|second|Mb)/N \1/g' -e 's/used: [0-9]+Mb/used: N Mb/' -e 's/^ +//' \
				-e ':a' -e 's/(runtime error: .*[^0-9N])[0-9]+/\1N/' -e 'ta')
		frames=$(printf '%s\n' "$out" | grep -E '^ +#[0-9]+ .* in [^ ]+ .*/src/(lib/[a-z]+/|cmd/)?[a-z_-]+\.c' |
			grep -v -E '/util\.c|/lists\.c|/arena\.c' | head -n 3 |
			sed -E -e 's/.* in ([^ ]+) .*\/(src\/[^ ]+)/\1 \2/' -e 's/:[0-9]+$//' | tr '\n' ';')
		test -n "$frames" || frames="(no frame in src/)"
		test -n "$summary" || summary="no longer reproduces"
		printf '%s\t%s\t%s\t%s\n' "$name" "$summary" "$frames" "$f"
	done
done | sort | awk -F'\t' '{ key = $1 "\t" $2 "\t" $3; n[key]++; if (!(key in ex)) ex[key] = $4 }
	END { for (k in n) { split(k, a, "\t"); printf "%s: %d x %s\n    at %s\n    e.g. %s\n", a[1], n[k], a[2], a[3], ex[k] } }' |
	sed 's/;$//' | paste -d'\v' - - - | sort | tr '\v' '\n'
