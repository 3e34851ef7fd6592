# base-image.sh — sourced; local base images for tests and the demo.
#
#   base_image_ensure     ccbuild-test/busybox:latest, built only if absent
#   base_image_multiarch  amd64 + arm64 variants pushed to the test registry
#                         and joined into the manifest list
#                         127.0.0.1:5000/ccbuild-test/busybox:latest
#
# Nothing is ever pulled: the image is FROM scratch plus the statically
# linked busybox of Debian's busybox-static, built through the Engine API
# (curl over the unix socket, BuildKit with the context as a tar body).

BASE_IMAGE=ccbuild-test/busybox:latest
BASE_IMAGE_REMOTE=127.0.0.1:5000/ccbuild-test/busybox
BASE_IMAGE_SOCK=/var/run/docker.sock

base_image_api_ () {
	curl -s --unix-socket "$BASE_IMAGE_SOCK" "$@"
}

# base_image_exists_ REF
base_image_exists_ () {
	base_image_api_ -f -o /dev/null "http://localhost/v1.41/images/$1/json"
}

# base_image_build_ CONTEXT-DIR TAG [PLATFORM] — the build's JSON stream goes
# to $CONTEXT-DIR.log; success is judged by the image existing afterwards.
base_image_build_ () {
	local dir=$1 tag=$2 query
	query="version=2&rm=1&forcerm=1&t=$(printf %s "$tag" | sed 's,/,%2F,g; s,:,%3A,g')"
	test -n "$3" && query="$query&platform=$(printf %s "$3" | sed 's,/,%2F,g')"
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
	local bb tmp rc
	base_image_exists_ "$BASE_IMAGE" && return 0
	bb=$(base_image_busybox_) || return 1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-base.XXXXXX") || return 1
	cp "$bb" "$tmp/busybox" &&
		cat >"$tmp/Dockerfile" <<-\EOF
		FROM scratch
		COPY busybox /bin/busybox
		RUN ["/bin/busybox", "--install", "-s", "/bin"]
		EOF
	echo "base-image: building $BASE_IMAGE from $bb" >&2
	base_image_build_ "$tmp" "$BASE_IMAGE"
	rc=$?
	rm -rf "$tmp" "$tmp.log"
	return $rc
}
