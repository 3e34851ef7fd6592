#!/bin/bash
# The source tree keeps its shape (docs/architecture.md): no .c under src/
# but main.c, unique basenames, a header for every library .c, no two
# files calling each other.  scripts/check-layout.sh on this tree, and on
# small trees that break each rule.
. "$(dirname "$0")/test-lib.sh"
test_description 'source layout'

check=$SRCROOT/scripts/check-layout.sh

# A tree with one library area: a.c/a.h calling b.c/b.h, built to objects.
mktree () {
	mkdir -p "$1/src/lib/x" &&
	echo 'int main(void) { return 0; }' >"$1/src/main.c" &&
	printf 'int b(void);\nint a(void) { return b(); }\n' >"$1/src/lib/x/a.c" &&
	printf 'int b(void) { return 0; }\n' >"$1/src/lib/x/b.c" &&
	: >"$1/src/lib/x/a.h" && : >"$1/src/lib/x/b.h"
}
build () {
	for f in "$1"/src/main.c "$1"/src/lib/*/*.c; do
		cc -c -o "${f%.c}.o" "$f" || return 1
	done
}

test_expect_success 'this tree keeps the layout' '
	"$check" "$SRCROOT" "$CCBUILD_BUILD_DIR" >out 2>&1 &&
	grep -q "^layout: ok" out && ! grep -q "call graph not checked" out
'

test_expect_success 'a good small tree passes' '
	mktree good && build good &&
	"$check" good >out && grep -q "^layout: ok" out
'

test_expect_success 'a .c directly under src/ fails' '
	mktree flat && echo "int f(void);" >flat/src/extra.c &&
	test_must_fail "$check" flat >out &&
	grep -q "^src/extra.c: a .c directly under src/" out
'

test_expect_success 'two files of the same basename fail' '
	mktree twice && mkdir twice/src/lib/y && : >twice/src/lib/y/a.h &&
	test_must_fail "$check" twice >out &&
	grep -q "^basename a.h used 2 times: src/lib/x/a.h src/lib/y/a.h" out
'

test_expect_success 'a library .c without a header fails, unless its first comment names one' '
	mktree nohdr && rm nohdr/src/lib/x/b.h &&
	test_must_fail "$check" nohdr >out &&
	grep -q "^src/lib/x/b.c: no header of its own" out &&
	{ printf "/* b: part of a.h */\n"; cat nohdr/src/lib/x/b.c; } >b.c && mv b.c nohdr/src/lib/x/b.c &&
	"$check" nohdr >out && grep -q "^layout: ok" out &&
	printf "/* b: no header named */\n/* a.h later does not count */\nint b(void) { return 0; }\n" \
		>nohdr/src/lib/x/b.c &&
	test_must_fail "$check" nohdr
'

test_expect_success 'two files calling each other fail, naming a symbol each way' '
	mktree circle &&
	printf "int a(void);\nint c;\nint b(void) { return c ? a() : 0; }\n" >circle/src/lib/x/b.c &&
	build circle &&
	test_must_fail "$check" circle >out &&
	grep -q "^circle: src/lib/x/a.c calls src/lib/x/b.c (b) and src/lib/x/b.c calls src/lib/x/a.c (a)" out
'

test_expect_success 'objects may live in another directory (BUILD=)' '
	mktree objs &&
	printf "int a(void);\nint b(void) { return a(); }\n" >objs/src/lib/x/b.c &&
	mkdir -p objdir/src/lib/x &&
	cc -c -o objdir/src/lib/x/a.o objs/src/lib/x/a.c && cc -c -o objdir/src/lib/x/b.o objs/src/lib/x/b.c &&
	"$check" objs >plain && grep -q "call graph not checked" plain &&
	test_must_fail "$check" objs objdir >res && grep -q "^circle:" res
'

test_done
