#!/bin/bash
# The code is as `make fmt` (clang-format with .clang-format) writes it:
# `make fmt-check` passes on this tree and fails on a file it would change.
. "$(dirname "$0")/test-lib.sh"
test_description 'source format'

if ! command -v clang-format >/dev/null; then
	if test "${CCBUILD_REQUIRE_DOCKER:-0}" = 1; then
		test_bug_ "clang-format is not installed (scripts/setup.sh installs it)"
	fi
	test_skip "clang-format is not installed (apt-get install clang-format)"
fi

test_expect_success 'make fmt-check passes on this tree' '
	make -s -C "$SRCROOT" fmt-check >out 2>&1 || { head -n 20 out; false; }
'

test_expect_success 'a file clang-format would change fails the check' '
	cp "$SRCROOT/.clang-format" . &&
	printf "int  f( void ){return 0;}\n" >bad.c &&
	! clang-format --dry-run --Werror bad.c 2>/dev/null &&
	clang-format -i bad.c &&
	clang-format --dry-run --Werror bad.c
'

test_done
