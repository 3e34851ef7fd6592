#!/bin/sh
# Compare ccbuild's .dockerignore walk with what the real Docker CLI sends.
#
# For each case a context is generated, built by the legacy builder
# (DOCKER_BUILDKIT=0: the CLI applies .dockerignore itself) with
# `COPY . /ctx` + `find /ctx`, and the list read back from the image is
# compared with `tests/unit/test-ignore --list --classic` (which also drops
# the Dockerfile/.dockerignore the classic daemon deletes when ignored).
# Needs a running dockerd; builds ccbuild-test/busybox:latest when absent
# (never pulls).  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
lister="${CCBUILD_BUILD_DIR:-$top}/tests/unit/test-ignore"
work=$(mktemp -d /tmp/ccb-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT
export DOCKER_BUILDKIT=0 LC_ALL=C
n=0 failed=0

ensure_base() {
	docker image inspect ccbuild-test/busybox:latest >/dev/null 2>&1 && return 0
	mkdir -p "$work/base" && cp /bin/busybox "$work/base/busybox" &&
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' \
		>"$work/base/Dockerfile" &&
	docker build -q -t ccbuild-test/busybox:latest "$work/base" >/dev/null
}

# mk PATH [CONTENT]: a file (parents created); CONTENT may hold \n escapes.
mk() { mkdir -p "$(dirname "$1")"; printf "${2:-x}" >"$1"; }

case_basic() {
	mk .dockerignore '*.log\n!keep.log\nbuild/\n**/node_modules\n'
	mk a.log; mk keep.log; mk build/out.o; mk src/main.c; mk src/node_modules/m/i.js
	mk node_modules/x.js; mk src/deep/b.log
}
case_rescue() {
	mk .dockerignore 'docs\n!docs/keep.md\n!docs/sub\n'
	mk docs/keep.md; mk docs/other.md; mk docs/sub/deep.txt; mk docs/sub2/no.txt
}
case_pruned() {
	mk .dockerignore 'docs\n!**/keep.md\n'
	mk docs/keep.md; mk keep.md; mk other/keep.md
}
case_forced() {
	mk .dockerignore '*\n!src\n'
	mk src/a.c; mk README; mk .hidden
}
case_classes() {
	mk .dockerignore '[a-c]*.txt\n?.md\n\\*star\n[^x]y\n\303\251*\n'
	mk a1.txt; mk d1.txt; mk b.md; mk bb.md; mk '*star'; mk 'xstar'; mk ay; mk xy
	mk "$(printf '\303\251t\303\251')"; mk "$(printf '\303\250')"; mk "$(printf '\303\251y')"
}
case_globstar() {
	printf '\357\273\277# comment\n  **/*.tmp  \r\na/**/b\ndir/**\n/abs\n #x\n' >.dockerignore
	mk x.tmp; mk q/r/y.tmp; mk a/b; mk a/1/2/b/f; mk a/bc; mk dir/in; mk abs/f; mk '#x'
	mk sub/abs
}
case_symlinks() {
	mk .dockerignore 'skip\n'
	mk real/f; ln -s real link; ln -s nowhere dangling; ln -s real skip; mk skipdir/skip
}
case_parent() {
	mk .dockerignore 'a*\n!abc/def/x\n*/tmp\n'
	mk abc/def/x; mk abc/def/y; mk abz; mk b/tmp/z; mk b/c/tmp; mk tmp
}
case_ignored_dockerfile() {
	mk .dockerignore 'Dockerfile\n.dockerignore\n*.md\n'
	mk a.md; mk b.txt
}

run_case() {
	name=$1 dir="$work/$1" img="ccbuild-ignore-compare:$1"
	mkdir -p "$dir" && (cd "$dir" && "case_$name") &&
	printf 'FROM ccbuild-test/busybox:latest\nCOPY . /ctx\nRUN find /ctx | sort > /list\n' \
		>"$dir/Dockerfile"
	n=$((n + 1))
	if ! docker build -q -t "$img" "$dir" >"$work/$name.build" 2>&1; then
		echo "not ok $n - $name: docker build failed"; sed 's/^/# /' "$work/$name.build"
		failed=$((failed + 1)); return
	fi
	docker run --rm "$img" cat /list | sed -n 's|^/ctx/||p' | sort >"$work/$name.docker"
	docker rmi -f "$img" >/dev/null 2>&1
	"$lister" --list --classic "$dir" | sort -u >"$work/$name.ccbuild"
	if cmp -s "$work/$name.docker" "$work/$name.ccbuild"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"; failed=$((failed + 1))
		diff "$work/$name.docker" "$work/$name.ccbuild" | sed 's/^/# /'
	fi
}

if ! docker info >/dev/null 2>&1; then
	echo "1..0 # SKIP no docker daemon"; exit 0
fi
ensure_base || { echo "Bail out! cannot build ccbuild-test/busybox:latest"; exit 1; }
for c in basic rescue pruned forced classes globstar symlinks parent ignored_dockerfile; do
	run_case $c
done
echo "1..$n"
[ $failed -eq 0 ]
