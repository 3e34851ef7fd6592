# service-image.sh — sourced; a local Debian image with real services
# (PostgreSQL 15, Redis, nginx) for the deploy and backup tests.
#
#   service_image_ensure [TAG]  $SERVICE_IMAGE (ccbuild-test/services:bookworm,
#                         or $CCBUILD_SERVICE_IMAGE; or TAG) on
#                         the engine, built only if absent or built from an
#                         older recipe; status 2 when this machine cannot
#                         build it (no root, no debootstrap, no archive),
#                         1 on any other failure
#   service_image_uri     print the first bookworm main URI of the
#                         machine's own apt sources
#
# Nothing is pulled from an image hub.  The root file system comes from
# `debootstrap --variant=minbase` against the machine's own Debian archive
# and is kept as a tarball in $CCBUILD_CACHE_DIR (/var/cache/ccbuild), once
# per machine: a second engine on the same machine only imports it (`docker
# import`, a few seconds) and adds the commands below with a Dockerfile
# build FROM the imported image.  The docker CLI is used throughout, so
# DOCKER_HOST selects the engine as it does for ccbuild and tests/lib/engine.sh
# (unix://PATH, else /var/run/docker.sock).
#
# In the image (PATH has /usr/lib/postgresql/15/bin; STOPSIGNAL SIGINT):
#   ccb-postgres [ARGS]  initdb into $PGDATA (/var/lib/postgresql/data) when
#       it is empty, then postgres in the foreground as user postgres,
#       listening on all addresses.  POSTGRES_USER (postgres),
#       POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, POSTGRES_DB ($POSTGRES_USER)
#       and POSTGRES_HOST_AUTH_METHOD (trust without a password, else
#       scram-sha-256) as in the postgres images; local connections trust.
#   ccb-redis [ARGS]     redis-server in the foreground as user redis, on
#       all addresses, protected mode off, data in $REDIS_DATA (/var/lib/redis).
#   ccb-nginx [ARGS]     nginx in the foreground, logs on stdout/stderr.
#       The site is /etc/nginx/conf.d/default.conf (mount one; the image's
#       serves /usr/share/nginx/html on port 80); CCB_NGINX_SITE, the text
#       of http-level directives (server blocks), replaces it; CCB_NGINX_CONF
#       names a whole nginx.conf instead (without a daemon directive).
#   bash                 the default command.

SERVICE_IMAGE=${CCBUILD_SERVICE_IMAGE:-ccbuild-test/services:bookworm}
SERVICE_IMAGE_SUITE=bookworm
SERVICE_IMAGE_PACKAGES=postgresql-15,redis-server,nginx-light
# The rootfs recipe: what debootstrap installs and what is trimmed after
# (bump the last word when service_image_trim_ changes).
SERVICE_IMAGE_ROOTFS_RECIPE="$SERVICE_IMAGE_SUITE minbase $SERVICE_IMAGE_PACKAGES trim-2"

# service_image_uri — the first URI of a "deb" source for bookworm with the
# main component: /etc/apt/sources.list, then sources.list.d/*.list
# (one-line format) and *.sources (deb822) in name order, as apt reads them.
# CCBUILD_DEBIAN_MIRROR overrides.
service_image_uri () {
	local f uri
	if test -n "${CCBUILD_DEBIAN_MIRROR:-}"; then
		echo "$CCBUILD_DEBIAN_MIRROR"
		return 0
	fi
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
		test -f "$f" || continue
		case $f in
		*.list) uri=$(service_image_uri_oneline_ "$f") ;;
		*.sources) uri=$(service_image_uri_deb822_ "$f") ;;
		*) continue ;;
		esac
		if test -n "$uri"; then
			echo "$uri"
			return 0
		fi
	done
	echo "service-image: no deb source for $SERVICE_IMAGE_SUITE main in /etc/apt/sources.list{,.d/*.list,.d/*.sources}" >&2
	return 1
}

# service_image_uri_oneline_ FILE — "deb [OPTIONS] URI SUITE COMPONENT..."
service_image_uri_oneline_ () {
	sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$1" | awk -v suite="$SERVICE_IMAGE_SUITE" '
		$1 == "deb" && $3 == suite && $2 ~ /^(https?|file):/ {
			for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit }
		}'
}

# service_image_uri_deb822_ FILE — stanzas separated by blank lines, fields
# Types, URIs, Suites, Components, Enabled (names case-insensitive).
service_image_uri_deb822_ () {
	awk -v suite="$SERVICE_IMAGE_SUITE" '
		function has(list, word,   n, a, i) {
			n = split(list, a, /[ \t]+/)
			for (i = 1; i <= n; i++) if (a[i] == word) return 1
			return 0
		}
		function stanza(   n, a, i) {
			if (!done && has(f["types"], "deb") && has(f["suites"], suite) &&
			    has(f["components"], "main") && tolower(f["enabled"]) != "no") {
				n = split(f["uris"], a, /[ \t]+/)
				for (i = 1; i <= n; i++) if (a[i] ~ /^(https?|file):/) { print a[i]; done = 1; exit }
			}
			delete f
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { stanza(); next }
		/^[^ \t]/ {
			key = tolower($0); sub(/:.*/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			f[key] = val; next
		}
		{ val = $0; sub(/^[ \t]+/, "", val); f[key] = f[key] " " val }
		END { stanza() }' "$1"
}

service_image_cache_ () {
	echo "${CCBUILD_CACHE_DIR:-/var/cache/ccbuild}"
}

# service_image_rootfs_key_ — names this rootfs recipe on this architecture.
service_image_rootfs_key_ () {
	printf '%s %s' "$SERVICE_IMAGE_ROOTFS_RECIPE" "$(dpkg --print-architecture)" |
		sha256sum | cut -c1-12
}

# service_image_tarball_ — the cached rootfs of this recipe.
service_image_tarball_ () {
	echo "$(service_image_cache_)/services-$SERVICE_IMAGE_SUITE-$(dpkg --print-architecture)-$(service_image_rootfs_key_).tar"
}

# service_image_trim_ ROOT — what the image does not need: apt's downloads
# and lists, documentation and translations, the cluster Debian's postinst
# made (ccb-postgres makes its own in $PGDATA), and PostgreSQL's JIT with
# the LLVM and Z3 libraries only it loads (155 of 380 MB; without
# llvmjit.so the server runs without JIT, and ccb-postgres sets jit=off).
# The files go behind dpkg's back: apt in a container would reinstall them.
service_image_trim_ () {
	local r=$1
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin \
		"$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/* \
		"$r"/usr/share/info/* "$r"/usr/share/locale/* \
		"$r"/var/lib/postgresql/15/main "$r"/etc/postgresql/15/main \
		"$r"/usr/lib/postgresql/15/lib/llvmjit* "$r"/usr/lib/postgresql/15/lib/bitcode \
		"$r"/usr/lib/*-linux-gnu/libLLVM-* "$r"/usr/lib/*-linux-gnu/libz3.so*
}

# service_image_unmount_ DIR — unmount what a failed debootstrap left
# mounted below DIR (proc, sys), deepest first, before it is removed.
service_image_unmount_ () {
	local m
	for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" || return 1
	done
}

service_image_can_debootstrap_ () {
	local uri=$1
	if test "$(id -u)" != 0; then
		echo "service-image: debootstrap needs root (no cached rootfs at $(service_image_tarball_))" >&2
		return 2
	fi
	if ! command -v debootstrap >/dev/null; then
		echo "service-image: needs Debian's debootstrap (apt-get install debootstrap)" >&2
		return 2
	fi
	case $uri in
	file:*) test -r "${uri#file:}/dists/$SERVICE_IMAGE_SUITE/Release" && return 0 ;;
	*) curl -sfL --max-time 20 -o /dev/null "$uri/dists/$SERVICE_IMAGE_SUITE/Release" && return 0 ;;
	esac
	echo "service-image: the Debian archive $uri does not answer ($uri/dists/$SERVICE_IMAGE_SUITE/Release)" >&2
	return 2
}

# service_image_drop_stale_ TARBALL — remove the tarballs of older recipes.
service_image_drop_stale_ () {
	local f
	for f in "$(service_image_cache_)/services-$SERVICE_IMAGE_SUITE-$(dpkg --print-architecture)-"*.tar; do
		test "$f" = "$1" || test ! -f "$f" || rm -f "$f"
	done
}

# service_image_rootfs_ TARBALL — debootstrap into a directory beside
# TARBALL, trim, tar, and rename into place (never a partial tarball).
service_image_rootfs_ () {
	local tarball=$1 uri dir rc start
	uri=$(service_image_uri) || return 2
	service_image_can_debootstrap_ "$uri" || return
	dir=$(mktemp -d "$tarball.XXXXXX") || return 1
	start=$(date +%s)
	echo "service-image: debootstrap $SERVICE_IMAGE_SUITE from $uri into $dir (a few minutes)" >&2
	debootstrap --variant=minbase --include="$SERVICE_IMAGE_PACKAGES" \
		"$SERVICE_IMAGE_SUITE" "$dir/root" "$uri" >"$dir.log" 2>&1 &&
		service_image_trim_ "$dir/root" &&
		tar -C "$dir/root" --numeric-owner -cf "$dir/rootfs.tar" . &&
		mv "$dir/rootfs.tar" "$tarball"
	rc=$?
	if test $rc = 0; then
		echo "service-image: $tarball: $(du -m "$tarball" | cut -f1) MB in $(($(date +%s) - start)) s" >&2
		service_image_drop_stale_ "$tarball"
	else
		echo "service-image: debootstrap failed; its log:" >&2
		tail -n 20 "$dir.log" >&2
		tail -n 20 "$dir/root/debootstrap/debootstrap.log" 2>/dev/null >&2
	fi
	service_image_unmount_ "$dir" && rm -rf --one-file-system "$dir" "$dir.log"
	return $rc
}

# service_image_import_ TARBALL REF — the rootfs as image REF.
service_image_import_ () {
	docker import \
		--change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'ENV LANG=C.UTF-8' \
		--change 'CMD ["bash"]' \
		--change "LABEL ccbuild.service-image.rootfs=$(service_image_rootfs_key_)" \
		--message "debootstrap $SERVICE_IMAGE_ROOTFS_RECIPE" \
		"$1" "$2" >/dev/null
}

# service_image_context_ DIR FROM — the build context that adds the ccb-*
# commands to the imported rootfs FROM.
service_image_context_ () {
	local dir=$1 from=$2
	cat >"$dir/ccb-postgres" <<-\EOF
	#!/bin/sh
	# ccb-postgres [POSTGRES-ARGS] — initdb into an empty $PGDATA, then
	# postgres in the foreground as user postgres, on all addresses.
	set -eu
	PGDATA=${PGDATA:-/var/lib/postgresql/data}
	export PGDATA
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$PGDATA" /run/postgresql
		chown postgres:postgres "$PGDATA" /run/postgresql
		chmod 700 "$PGDATA"
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		user=${POSTGRES_USER:-postgres}
		pw=${POSTGRES_PASSWORD:-}
		if [ -z "$pw" ] && [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
			pw=$(cat "$POSTGRES_PASSWORD_FILE")
		fi
		method=trust
		[ -n "$pw" ] && method=scram-sha-256
		method=${POSTGRES_HOST_AUTH_METHOD:-$method}
		pwfile=$(mktemp)
		printf '%s\n' "${pw:-postgres}" >"$pwfile"
		initdb --username="$user" --pwfile="$pwfile" --encoding=UTF8 \
			--locale=C.UTF-8 --auth-local=trust --auth-host="$method" >/dev/null
		rm -f "$pwfile"
		echo "host all all all $method" >>"$PGDATA/pg_hba.conf"
		db=${POSTGRES_DB:-$user}
		if [ "$db" != postgres ]; then
			echo "CREATE DATABASE \"$db\"" | postgres --single -D "$PGDATA" postgres >/dev/null
		fi
		echo "ccb-postgres: initialised $PGDATA (user $user, database $db, host auth $method)"
	fi
	exec postgres -D "$PGDATA" -c listen_addresses='*' -c jit=off "$@"
	EOF
	cat >"$dir/ccb-redis" <<-\EOF
	#!/bin/sh
	# ccb-redis [REDIS-ARGS] — redis-server in the foreground as user redis.
	set -eu
	dir=${REDIS_DATA:-/var/lib/redis}
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$dir"
		chown redis:redis "$dir"
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi
	exec redis-server --bind '* -::*' --protected-mode no --dir "$dir" "$@"
	EOF
	cat >"$dir/ccb-nginx" <<-\EOF
	#!/bin/sh
	# ccb-nginx [NGINX-ARGS] — nginx in the foreground: the site in
	# /etc/nginx/conf.d/, or the text of CCB_NGINX_SITE, or the whole
	# nginx.conf CCB_NGINX_CONF.
	set -eu
	conf=${CCB_NGINX_CONF:-/etc/nginx/nginx.conf}
	if [ -n "${CCB_NGINX_SITE:-}" ]; then
		run=$(mktemp -d)
		conf=$run/nginx.conf
		cat >"$conf" <<-EOC
		user www-data;
		worker_processes 1;
		pid $run/nginx.pid;
		error_log stderr;
		events { worker_connections 256; }
		http {
		    include /etc/nginx/mime.types;
		    access_log /dev/stdout;
		$CCB_NGINX_SITE
		}
		EOC
	fi
	exec nginx -c "$conf" -g 'daemon off;' "$@"
	EOF
	cat >"$dir/default.conf" <<-\EOF
	server {
	    listen 80 default_server;
	    listen [::]:80 default_server;
	    root /usr/share/nginx/html;
	    index index.html;
	}
	EOF
	chmod 755 "$dir"/ccb-*
	cat >"$dir/Dockerfile" <<-EOF
	# rootfs $(service_image_rootfs_key_)
	FROM $from
	COPY ccb-postgres ccb-redis ccb-nginx /usr/local/bin/
	COPY default.conf /etc/nginx/conf.d/default.conf
	RUN rm -f /etc/nginx/sites-enabled/default && \\
	    ln -sf /dev/stdout /var/log/nginx/access.log && \\
	    ln -sf /dev/stderr /var/log/nginx/error.log && \\
	    install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data
	ENV PGDATA=/var/lib/postgresql/data
	STOPSIGNAL SIGINT
	EXPOSE 80 5432 6379
	EOF
}

# service_image_recipe_ DIR — the hash of the build context, kept in the
# image's label so that a changed recipe rebuilds.
service_image_recipe_ () {
	(cd "$1" && cat Dockerfile ccb-postgres ccb-redis ccb-nginx default.conf) |
		sha256sum | cut -c1-16
}

# service_image_label_ REF NAME — the label ccbuild.service-image.NAME of REF.
service_image_label_ () {
	docker image inspect --format "{{index .Config.Labels \"ccbuild.service-image.$2\"}}" "$1" 2>/dev/null
}

# service_image_rootfs_ref_ TAG — the imported rootfs beside TAG
# (ccbuild-test/services:bookworm-rootfs), kept so a recipe change only
# rebuilds the small layer.
service_image_rootfs_ref_ () {
	case ${1##*/} in
	*:*) echo "$1-rootfs" ;;
	*) echo "$1:rootfs" ;;
	esac
}

# service_image_build_ TAG — under the cache's lock: the rootfs tarball if
# absent, its import if absent, then the Dockerfile build.
service_image_build_ () {
	local tag=$1 tarball from tmp rc recipe
	tarball=$(service_image_tarball_)
	from=$(service_image_rootfs_ref_ "$tag")
	if test "$(service_image_label_ "$from" rootfs)" != "$(service_image_rootfs_key_)"; then
		if ! test -s "$tarball"; then
			service_image_rootfs_ "$tarball" || return
		fi
		echo "service-image: importing $tarball as $from" >&2
		service_image_import_ "$tarball" "$from" || return 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-services.XXXXXX") || return 1
	service_image_context_ "$tmp" "$from"
	recipe=$(service_image_recipe_ "$tmp")
	if test "$(service_image_label_ "$tag" recipe)" = "$recipe"; then
		rm -rf "$tmp"  # another run built it while this one waited for the lock
		return 0
	fi
	echo "service-image: building $tag (recipe $recipe) FROM $from" >&2
	docker build -q --label "ccbuild.service-image.recipe=$recipe" -t "$tag" "$tmp" >"$tmp.log" 2>&1
	rc=$?
	test $rc = 0 || { echo "service-image: building $tag failed:" >&2; cat "$tmp.log" >&2; }
	rm -rf "$tmp" "$tmp.log"
	return $rc
}

# service_image_current_ TAG — TAG exists and was built from this recipe.
service_image_current_ () {
	local tmp recipe
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccbuild-services.XXXXXX") || return 1
	service_image_context_ "$tmp" "$(service_image_rootfs_ref_ "$1")"
	recipe=$(service_image_recipe_ "$tmp")
	rm -rf "$tmp"
	test "$(service_image_label_ "$1" recipe)" = "$recipe"
}

service_image_ensure () {
	local tag=${1:-$SERVICE_IMAGE} cache
	if ! docker version -f '{{.Server.Version}}' >/dev/null 2>&1; then
		echo "service-image: no engine answers on ${DOCKER_HOST:-unix:///var/run/docker.sock}" >&2
		return 1
	fi
	service_image_current_ "$tag" && return 0
	cache=$(service_image_cache_)
	if ! mkdir -p "$cache" 2>/dev/null || ! test -w "$cache"; then
		if ! test -s "$(service_image_tarball_)"; then
			echo "service-image: cannot write the cache $cache (set CCBUILD_CACHE_DIR)" >&2
			return 2
		fi
		service_image_build_ "$tag"
		return
	fi
	# One builder per machine: the tarball, the import and the build.
	(
		flock 9 || exit 1
		service_image_build_ "$tag"
	) 9>>"$cache/services.lock"
}
