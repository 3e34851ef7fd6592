#!/bin/bash
# scripts/setup.sh — prepare a Debian 12 machine (as root) for building,
# testing and demonstrating ccbuild:
#   1. apt-get install the packages below, skipped when all are installed
#      (CCBUILD_SKIP_APT=1 skips it regardless);
#   2. start dockerd and the loopback registry 127.0.0.1:5000 unless they
#      already answer (tests/lib/services.sh; they keep running afterwards);
#      with DOCKER_HOST=unix:///PATH.sock, on that engine instead, which
#      must then answer already: setup starts dockerd only on
#      /var/run/docker.sock, and says so and fails for any other socket;
#   3. build the local base image ccbuild-test/busybox:latest on that
#      engine if absent;
#      with --multiarch also its arm64 variant, and push both to the
#      registry as the manifest list 127.0.0.1:5000/ccbuild-test/busybox
#      (adds the arm64 dpkg architecture to fetch arm64 busybox-static).
#   --peers instead installs only the peer tools the tests compare with:
#      Docker Compose v2 and buildx, the `docker-compose` and `docker-buildx`
#      packages of Debian 13 (trixie) from the machine's own Debian mirror,
#      through a separate sources list and lists directory under
#      ${CCBUILD_PEERS_APT:-/var/cache/ccbuild-peers} (the bookworm apt setup
#      is untouched), unpacked into ~/.docker/cli-plugins/; and restic 0.18
#      (trixie) as /usr/local/libexec/ccbuild-peers/restic, the oracle of
#      the backup retention test (t0620; Debian 12's restic 0.14 is older).
# Idempotent: running it again on a ready machine changes nothing.
# Nothing is pulled from any image hub; apt is the only network use.
set -u
cd "$(dirname "$0")/.." || exit 1

PACKAGES="build-essential pkg-config libyaml-dev libcurl4-openssl-dev
libjansson-dev libgit2-dev libssl-dev libarchive-dev libnghttp2-dev libzstd-dev docker.io
docker-registry docker-compose busybox-static debootstrap graphviz qemu-user-static
binfmt-support python3-yaml python3-jsonschema curl git ca-certificates
openssl openssh-client apache2-utils clang clang-format libclang-rt-14-dev llvm iproute2
prometheus prometheus-node-exporter python3-protobuf protobuf-compiler lz4 restic
podman netavark aardvark-dns"

missing_packages () {
	local p
	for p in $PACKAGES; do
		dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
			printf '%s ' "$p"
	done
}

install_packages () {
	local missing
	missing=$(missing_packages)
	if test -z "$missing"; then
		echo "setup: all packages installed"
		return 0
	fi
	if test "$(id -u)" != 0; then
		echo "setup: missing packages: $missing; run as root to install them" >&2
		return 1
	fi
	echo "setup: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q &&
		apt-get install -y -q --no-install-recommends $missing
}

# debian_mirror — the first Debian archive URL of the system's apt sources.
debian_mirror () {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^ *#' |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security |
		head -n 1 | tr -d ' '
}

# install_peers — docker compose v2 and buildx as CLI plugins; nothing to do
# when both already answer at the packaged version.
install_peers () {
	local dir=${CCBUILD_PEERS_APT:-/var/cache/ccbuild-peers}
	local plug=$HOME/.docker/cli-plugins mirror opts p arch
	if "$plug/docker-compose" version 2>/dev/null | grep -q ' 2\.26\.' &&
		"$plug/docker-buildx" version 2>/dev/null | grep -q ' 0\.13\.' &&
		/usr/local/libexec/ccbuild-peers/restic version 2>/dev/null | grep -q ' 0\.18\.'; then
		echo "setup: peers installed: $("$plug/docker-compose" version)"
		return 0
	fi
	arch=$(dpkg --print-architecture) && mirror=$(debian_mirror)
	test -n "$mirror" || { echo "setup: no Debian mirror in /etc/apt" >&2; return 1; }
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/deb" "$plug" ||
		return 1
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" \
		>"$dir/sources.list"
	opts="-o Dir::Etc::sourcelist=$dir/sources.list -o Dir::Etc::sourceparts=-
	      -o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache
	      -o APT::Sandbox::User=root"
	apt-get $opts -q update >/dev/null &&
		(cd "$dir/deb" && rm -f ./*.deb &&
			apt-get $opts -q download "docker-compose:$arch" "docker-buildx:$arch" "restic:$arch") ||
		return 1
	rm -rf "$dir/x"
	for p in "$dir"/deb/*.deb; do dpkg -x "$p" "$dir/x" || return 1; done
	for p in docker-compose docker-buildx; do
		install -m 755 "$dir/x/usr/libexec/docker/cli-plugins/$p" "$plug/$p" ||
			return 1
	done
	install -D -m 755 "$dir/x/usr/bin/restic" /usr/local/libexec/ccbuild-peers/restic || return 1
	echo "setup: peers installed: $(docker compose version)"
}

# install_otel_proto — the opentelemetry-proto definitions the trace tests
# decode with (tests/lib/otlp-check.py): Debian 13's opentelemetry-proto
# package (data only) through the same trixie lists as the peers, unpacked
# into $dir/otel-proto; nothing to do when they are there.
install_otel_proto () {
	local dir=${CCBUILD_PEERS_APT:-/var/cache/ccbuild-peers} mirror opts
	test -f "$dir/otel-proto/usr/include/opentelemetry/proto/trace/v1/trace.proto" && return 0
	mirror=$(debian_mirror)
	test -n "$mirror" || { echo "setup: no Debian mirror in /etc/apt" >&2; return 1; }
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/otel" || return 1
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" \
		>"$dir/sources.list"
	opts="-o Dir::Etc::sourcelist=$dir/sources.list -o Dir::Etc::sourceparts=-
	      -o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache
	      -o APT::Sandbox::User=root"
	apt-get $opts -q update >/dev/null &&
		(cd "$dir/otel" && rm -f ./*.deb && apt-get $opts -q download opentelemetry-proto) &&
		dpkg -x "$dir"/otel/opentelemetry-proto_*.deb "$dir/otel-proto" &&
		echo "setup: opentelemetry-proto in $dir/otel-proto"
}

if test "${1:-}" = --peers; then
	install_peers
	exit
fi

if test "${CCBUILD_SKIP_APT:-0}" != 1; then
	install_packages || exit 1
	install_otel_proto || exit 1
fi

. tests/lib/services.sh
. tests/lib/base-image.sh
services_start || exit 1
echo "setup: the engine answers on $SERVICES_SOCK, registry on $SERVICES_REGISTRY"
base_image_ensure || exit 1
echo "setup: base image $BASE_IMAGE ready"
# --service-image: the Debian image with PostgreSQL, Redis and nginx for the
# deploy tests (tests/lib/service-image.sh; debootstrap once per machine,
# the rootfs tarball cached in /var/cache/ccbuild).
case " $* " in *" --service-image "*)
	. tests/lib/service-image.sh
	service_image_ensure || exit 1
	echo "setup: service image $SERVICE_IMAGE ready"
	;;
esac
if test "${1:-}" = --multiarch; then
	base_image_multiarch || exit 1
	echo "setup: manifest list $BASE_IMAGE_REMOTE:latest (amd64, arm64) pushed"
fi
