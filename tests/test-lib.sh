# test-lib.sh — sourced by tests/tNNNN-name.sh; a small git-style TAP library.
#
#   . "$(dirname "$0")/test-lib.sh"
#   test_description 'what this script covers'
#   test_expect_success 'title' 'body'    body must succeed
#   test_expect_failure 'title' 'body'    known breakage (TAP "# TODO")
#   test_expect_code N 'title' 'body'     body must exit with status N
#   test_done                             plan line, cleanup, exit status
#
#   test_skip REASON                      skip what follows (test_skip "" ends it)
#
# Inside a body: test_must_fail CMD..., test_expect_code N CMD...,
# test_cmp EXPECTED ACTUAL, test_need_docker (also valid at top level),
# test_remove_images STRING (a cleanup that fails when something is left).
#
# Each script runs in its own empty trash directory $TRASH (under
# ${TMPDIR:-/tmp}), removed when every test passed and kept otherwise.
# Bodies run with $TRASH as the working directory; their output is hidden
# unless a test fails (then it is shown as TAP "#" comments) or
# TEST_VERBOSE=1 / -v is given.  $CCBUILD is the ./ccbuild under test,
# $SRCROOT the repository root.  $TEST_ID is unique to this run of this
# script (pid and random hex, lowercase): use it in every image, project
# and registry repository name, since the engine and the registry outlive
# a run and pids repeat on a machine that boots the same way every time.

SRCROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
CCBUILD=${CCBUILD_BUILD_DIR:-$SRCROOT}/ccbuild  # tests/run sets the build directory
TEST_ID=$$$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
export SRCROOT CCBUILD TEST_ID

case " $* " in *" -v "* | *" --verbose "*) TEST_VERBOSE=1 ;; esac

test_name_=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-$test_name_.XXXXXX") || exit 1
# Bodies' output goes beside the trash directory, never inside it, so tests
# that list or hash $TRASH see only what they made.
test_log_=$TRASH.log
export TRASH
cd "$TRASH" || exit 1

test_count_=0
test_failed_=0
test_fixed_=0
test_broken_=0
test_skip_reason_=
test_in_body_=

test_description () {
	test_description_=$1
	echo "# $test_name_: $1"
}

# Run one body in this shell (so it may set variables for later tests) with
# output to the log; the caller's status is the body's.
test_run_ () {
	test_in_body_=1
	if test -n "$TEST_VERBOSE"; then
		eval "$1" 2>&1 | tee "$test_log_" >&2
		test_status_=${PIPESTATUS[0]}
	else
		eval "$1" >"$test_log_" 2>&1 </dev/null
		test_status_=$?
	fi
	test_in_body_=
	cd "$TRASH" || exit 1
	return $test_status_
}

test_show_log_ () {
	printf '%s\n' "$1" | sed -e '/^[[:space:]]*$/d' -e 's/^/#   > /'
	sed -e 's/^/#   /' "$test_log_"
}

test_skipped_ () {
	test -z "$test_skip_reason_" && return 1
	test_count_=$((test_count_ + 1))
	echo "ok $test_count_ - $1 # SKIP $test_skip_reason_"
}

test_ok_ () {
	test_count_=$((test_count_ + 1))
	echo "ok $test_count_ - $1"
}

test_not_ok_ () {
	test_count_=$((test_count_ + 1))
	test_failed_=$((test_failed_ + 1))
	echo "not ok $test_count_ - $1"
	test_show_log_ "$2"
}

test_expect_success () {
	test $# = 2 || test_bug_ "test_expect_success wants 2 arguments, got $#"
	test_skipped_ "$1" && return 0
	if test_run_ "$2"; then test_ok_ "$1"; else test_not_ok_ "$1" "$2"; fi
}

test_expect_failure () {
	test $# = 2 || test_bug_ "test_expect_failure wants 2 arguments, got $#"
	test_skipped_ "$1" && return 0
	test_count_=$((test_count_ + 1))
	if test_run_ "$2"; then
		test_fixed_=$((test_fixed_ + 1))
		echo "ok $test_count_ - $1 # TODO known breakage vanished"
	else
		test_broken_=$((test_broken_ + 1))
		echo "not ok $test_count_ - $1 # TODO known breakage"
	fi
}

# test_expect_code N 'title' 'body' at top level; test_expect_code N CMD...
# inside a body.
test_expect_code () {
	local want=$1 got
	shift
	if test -n "$test_in_body_" || test $# != 2; then
		"$@"
		got=$?
		test "$got" = "$want" && return 0
		echo "test_expect_code: wanted exit $want, got $got: $*" >&2
		return 1
	fi
	test_skipped_ "$1" && return 0
	test_run_ "$2"
	got=$?
	if test "$got" = "$want"; then
		test_ok_ "$1"
	else
		echo "wanted exit $want, got $got" >>"$test_log_"
		test_not_ok_ "$1" "$2"
	fi
}

# CMD must fail cleanly: a nonzero exit that is not "not found" (126, 127)
# nor a signal (>128), so a crash never passes for an expected failure.
test_must_fail () {
	"$@"
	local got=$?
	if test $got = 0; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif test $got -gt 128 || test $got = 126 || test $got = 127; then
		echo "test_must_fail: command died with status $got: $*" >&2
		return 1
	fi
	return 0
}

test_cmp () {
	diff -u "$@"
}

# test_remove_images STRING: untag every image reference whose repository
# contains STRING (use $P: names carry $TEST_ID) — tags, then the repository
# digests a push leaves — one at a time (the last reference removes the
# image and with it its other digests), by reference, never by id (an id may
# carry another test's tag too); fails when docker rmi fails.
test_remove_images () {
	local ref n=0
	while ref=$(test_image_refs_ "$1" | head -n 1) && test -n "$ref"; do
		docker rmi "$ref" >/dev/null || return 1
		n=$((n + 1))
		test $n -lt 1000 || return 1
	done
}

test_image_refs_ () {
	docker images --digests --format "{{.Repository}} {{.Tag}} {{.Digest}}" |
		awk -v s="$1" 'index($1, s) {
			if ($2 != "<none>") print $1 ":" $2
			else if ($3 != "<none>") d[$1 "@" $3] = 1
		}
		END { for (r in d) print r }'
}

. "$SRCROOT/tests/lib/engine.sh"

docker_answers_ () {
	engine_api -f --max-time 5 http://localhost/_ping >/dev/null 2>&1 &&
		command -v docker >/dev/null
}

# Skip the rest of this script when no engine answers — except where the
# engine is required (CI sets CCBUILD_REQUIRE_DOCKER=1): then bail out.
test_need_docker () {
	docker_answers_ && return 0
	if test "$CCBUILD_REQUIRE_DOCKER" = 1; then
		echo "Bail out! docker engine required (CCBUILD_REQUIRE_DOCKER=1) but $(engine_sock 2>&1) does not answer"
		test_cleanup_
		exit 1
	fi
	test_skip_all_ "no docker engine on $(engine_sock 2>&1)"
	test -n "$test_in_body_" && return 1
	return 0
}

# test_skip REASON: skip the tests that follow (TAP "# SKIP REASON") until
# test_skip "" — for a group that needs something this machine may lack.
# test_flip_byte FILE OFFSET: replace the byte at OFFSET with its
# complement, so the file always changes (writing a fixed byte leaves
# random data as it was one time in 256).
test_flip_byte () {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d " ") && test -n "$b" &&
	printf "\\$(printf %o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

test_skip () {
	test_skip_reason_=$1
}

test_skip_all_ () {
	if test $test_count_ = 0 && test -z "$test_in_body_"; then
		echo "1..0 # SKIP $1"
		test_cleanup_
		exit 0
	fi
	test_skip_reason_=$1
}

test_bug_ () {
	echo "Bail out! test-lib: $*"
	exit 1
}

test_cleanup_ () {
	cd / && rm -rf "$TRASH" "$test_log_"
}

test_done () {
	echo "1..$test_count_"
	if test $test_failed_ = 0; then
		test_cleanup_
		exit 0
	fi
	echo "# failed $test_failed_ of $test_count_; trash kept: $TRASH"
	exit 1
}
