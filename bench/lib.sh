# bench/lib.sh — timing helpers the benchmarks share (sourced, not run).
#
# A script sets $work (its scratch directory) before calling ms.

# ms CMD...: wall milliseconds of CMD, output kept in $work.out; a failure
# prints the output's tail and stops the benchmark (a figure of a failed
# run would be meaningless).
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

# ms_quiet CMD...: wall milliseconds of CMD, its output and status ignored
# (for commands whose exit status means "different", like diff or rsync -n).
ms_quiet () {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# median: the median of the numbers on stdin, one a line.
median () { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ratio A B [DIGITS]: A / B to DIGITS decimals (default 2), "n/a" unless
# both are positive.
ratio () { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (a > 0 && b > 0) printf "%.*f", d, a / b; else print "n/a" }'; }
