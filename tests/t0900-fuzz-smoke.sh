#!/bin/bash
# Every libFuzzer harness (fuzz/fuzz-*.c) builds with `make fuzz` and runs
# a few seconds on its seed corpus (and fuzz/regressions/NAME) without a
# crash, sanitizer report, leak, hang or OOM.  Skipped, visibly, when clang's
# fuzzer runtime is missing (Debian 12: clang, libclang-rt-14-dev).
# FUZZ_SMOKE_SECONDS sets the time per harness (default 5).
. "$(dirname "$0")/test-lib.sh"
test_description 'fuzz harnesses: make fuzz and a short smoke run each'

secs=${FUZZ_SMOKE_SECONDS:-5}
if ! bash "$SRCROOT/fuzz/run.sh" --check 2>"$TRASH.check"; then
	test_skip "$(head -n 1 "$TRASH.check" | sed 's/^fuzz: //')"
fi
rm -f "$TRASH.check"

test_expect_success 'make fuzz builds every harness' '
	make -C "$SRCROOT" -j2 fuzz >make.log 2>&1 || { tail -n 40 make.log; false; }
'

for name in $(bash "$SRCROOT/fuzz/run.sh" --list); do
	test_expect_success "fuzz-$name: $secs s without a finding" '
		bash "$SRCROOT/fuzz/run.sh" --work "$TRASH/work" "$secs" "$name"
	'
done

test_done
