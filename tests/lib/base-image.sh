# base-image.sh — sourced; local base images for tests and the demo.
#
#   base_image_ensure [TAG]  ccbuild-test/busybox:latest (or TAG), built
#                         only if absent
#   base_image_multiarch  amd64 + arm64 variants pushed to the test registry
#                         and joined into the manifest list
#                         127.0.0.1:5000/ccbuild-test/busybox:latest
#
# Nothing is ever pulled: the image is FROM scratch plus the statically
# linked busybox of Debian's busybox-static, built through the Engine API
# (curl over the engine's unix socket: DOCKER_HOST=unix://PATH or
# /var/run/docker.sock, tests/lib/engine.sh; BuildKit with the context as a
# tar body).

. "$(dirname "${BASH_SOURCE[0]}")/engine.sh"

BASE_IMAGE=ccbuild-test/busybox:latest
BASE_IMAGE_REMOTE=127.0.0.1:5000/ccbuild-test/busybox

base_image_api_ () {
	engine_api "$@"
}

# base_image_exists_ REF
base_image_exists_ () {
	base_image_api_ -f -o /dev/null "http://localhost/v1.41/images/$1/json"
}

# base_image_build_ CONTEXT-DIR TAG [PLATFORM] — the build's JSON stream goes
# to $CONTEXT-DIR.log; success is judged by the image existing afterwards.
base_image_build_ () {
	local dir=$1 tag=$2 platform=${3:-} query
	query="version=2&rm=1&forcerm=1&t=$(printf %s "$tag" | sed 's,/,%2F,g; s,:,%3A,g')"
	test -n "$platform" && query="$query&platform=$(printf %s "$platform" | sed 's,/,%2F,g')"
	tar -C "$dir" -cf - . |
		base_image_api_ -X POST -H 'Content-Type: application/x-tar' \
			--data-binary @- "http://localhost/v1.41/build?$query" >"$dir.log"
	if grep -q '"error"' "$dir.log" || ! base_image_exists_ "$tag"; then
		echo "base-image: building $tag failed:" >&2
		grep -o '"error[^}]*' "$dir.log" >&2
		return 1
	fi
}

base_image_busybox_ () {
	if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
		echo "base-image: needs Debian's busybox-static (apt-get install busybox-static)" >&2
		return 1
	fi
	dpkg-query -L busybox-static | grep -m1 '/busybox$'
}

base_image_ensure () {
	local tag=${1:-$BASE_IMAGE} bb tmp rc
	base_image_exists_ "$tag" && return 0
	bb=$(base_image_busybox_) || return 1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-base.XXXXXX") || return 1
	cp "$bb" "$tmp/busybox" &&
		cat >"$tmp/Dockerfile" <<-\EOF
		FROM scratch
		COPY busybox /bin/busybox
		RUN ["/bin/busybox", "--install", "-s", "/bin"]
		EOF
	echo "base-image: building $tag from $bb" >&2
	base_image_build_ "$tmp" "$tag"
	rc=$?
	rm -rf "$tmp" "$tmp.log"
	return $rc
}

# base_image_arm64_busybox_ DIR — Debian's arm64 busybox-static, unpacked
# into DIR (adds the arm64 dpkg architecture; apt is the only network use).
base_image_arm64_busybox_ () {
	local dir=$1
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64 && apt-get update -q >/dev/null || return 1
	fi
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root busybox-static:arm64 >/dev/null) || {
		apt-get update -q >/dev/null &&
			(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root busybox-static:arm64 >/dev/null)
	} || return 1
	dpkg -x "$dir"/busybox-static_*_arm64.deb "$dir/deb"
}

# The arm64 variant cannot RUN busybox --install without qemu binfmt
# handlers, so its /bin links are made here, named after the applets of the
# host's busybox (same Debian package, same applets), and COPY keeps them.
base_image_arm64_ () {
	local tmp=$1 applet
	base_image_arm64_busybox_ "$tmp" || return 1
	mkdir -p "$tmp/ctx/rootfs/bin" &&
		cp "$tmp/deb/bin/busybox" "$tmp/ctx/rootfs/bin/busybox" || return 1
	for applet in $("$(base_image_busybox_)" --list); do
		test "$applet" = busybox || ln -sf busybox "$tmp/ctx/rootfs/bin/$applet"
	done
	printf 'FROM scratch\nCOPY rootfs/ /\n' >"$tmp/ctx/Dockerfile"
	base_image_build_ "$tmp/ctx" ccbuild-test/busybox:arm64 linux/arm64
}

# base_image_multiarch — push the amd64 and arm64 variants to the test
# registry as :amd64 and :arm64 and join them into the manifest list
# $BASE_IMAGE_REMOTE:latest.  Needs apt access to Debian's arm64 archive and
# the registry on 127.0.0.1:5000 (services_start).
# base_image_binfmt — make sure the kernel runs arm64 binaries through
# qemu-user-static (BuildKit's RUN steps for linux/arm64 need it): mount
# binfmt_misc when absent and enable Debian's qemu-aarch64 entry.
base_image_binfmt () {
	test -e /proc/sys/fs/binfmt_misc/qemu-aarch64 && return 0
	test -e /proc/sys/fs/binfmt_misc/register ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
	update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 ||
		update-binfmts --import qemu-aarch64 >/dev/null 2>&1
	test -e /proc/sys/fs/binfmt_misc/qemu-aarch64 || {
		echo "base-image: cannot register qemu-aarch64 with binfmt_misc" >&2
		return 1
	}
}

base_image_multiarch () {
	local tmp rc=0 r=$BASE_IMAGE_REMOTE
	base_image_ensure || return 1
	base_image_binfmt || return 1
	if ! base_image_exists_ ccbuild-test/busybox:arm64; then
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-base-arm64.XXXXXX") || return 1
		echo "base-image: building ccbuild-test/busybox:arm64" >&2
		base_image_arm64_ "$tmp"
		rc=$?
		rm -rf "$tmp"
		test $rc = 0 || return 1
	fi
	docker tag "$BASE_IMAGE" "$r:amd64" &&
		docker tag ccbuild-test/busybox:arm64 "$r:arm64" &&
		docker push -q "$r:amd64" >/dev/null &&
		docker push -q "$r:arm64" >/dev/null &&
		docker manifest create --insecure --amend "$r:latest" "$r:amd64" "$r:arm64" >/dev/null &&
		docker manifest annotate --arch arm64 "$r:latest" "$r:arm64" &&
		docker manifest push --insecure --purge "$r:latest" >/dev/null
}
