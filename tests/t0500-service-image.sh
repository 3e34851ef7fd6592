#!/bin/bash
# The local Debian image with real services (tests/lib/service-image.sh):
# the apt source it is bootstrapped from, the image itself (built once per
# machine from the cached debootstrap tarball; a per-run tag proves the
# import path a fresh engine takes), then PostgreSQL (healthy through
# pg_isready, queried over the socket and over the network, password auth,
# data kept across a recreate on one named volume), Redis and nginx.
# Without root, debootstrap or the Debian archive the image cannot be made
# and the engine tests skip, naming why; under CCBUILD_REQUIRE_DOCKER=1 that
# fails instead.  Only what this run made is removed; the image stays.
. "$(dirname "$0")/test-lib.sh"
test_description 'the service image: PostgreSQL, Redis and nginx from debootstrap'
. "$SRCROOT/tests/lib/service-image.sh"
. "$SRCROOT/tests/lib/deploy.sh" # deploy_wait_healthy

test_expect_success 'apt sources, one-line format: the first deb line for bookworm main' '
	cat >a.list <<-\EOF &&
	# deb http://commented.example/debian bookworm main
	deb-src http://src.example/debian bookworm main
	deb http://other.example/debian bookworm-updates main
	deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm contrib main
	deb http://late.example/debian bookworm main
	EOF
	test "$(service_image_uri_oneline_ a.list)" = http://mirror.example/debian &&
	printf "deb http://x.example/debian bookworm contrib\n" >b.list &&
	test -z "$(service_image_uri_oneline_ b.list)"
'

test_expect_success 'apt sources, deb822: Types, Suites, Components, Enabled, several URIs' '
	cat >a.sources <<-\EOF &&
	Types: deb
	URIs: http://off.example/debian
	Suites: bookworm
	Components: main
	Enabled: no

	# a comment between stanzas
	Types: deb-src deb
	uris: http://security.example/debian-security
	Suites: bookworm-security
	Components: main

	Types: deb
	URIs: cdrom:[Debian]/ https://first.example/debian
	  http://second.example/debian
	Suites: bookworm
	  bookworm-updates
	Components: main contrib
	EOF
	test "$(service_image_uri_deb822_ a.sources)" = https://first.example/debian &&
	test "$(CCBUILD_DEBIAN_MIRROR=http://forced.example/d service_image_uri)" = http://forced.example/d &&
	service_image_uri >uri &&
	test $(wc -l <uri) = 1 &&
	grep -Eq "^(https?|file):" uri
'

test_need_docker
P=t0500p$TEST_ID
IMG=$SERVICE_IMAGE

# Make sure the image exists before anything times a container; the first
# run on a machine debootstraps (minutes), later ones find it.
service_image_ensure >"$TRASH/ensure.log" 2>&1
ensure_rc=$?
if test $ensure_rc = 2 && test "${CCBUILD_REQUIRE_DOCKER:-}" != 1; then
	test_skip "$(grep -m1 '^service-image: ' "$TRASH/ensure.log" | sed 's/^service-image: //')"
fi

test_expect_success "the service image $IMG is there (built once per machine)" '
	test $ensure_rc = 0 || { cat ensure.log; false; } &&
	service_image_ensure 2>again &&
	test_must_fail grep -q . again &&
	test "$(docker run --rm --network none "$IMG" sh -c "echo \$((6 * 7)); id -un postgres redis www-data")" = "42
postgres
redis
www-data"
'
test $ensure_rc = 0 || test_skip "no service image $IMG (see the first failure)"

test_expect_success 'a second tag on this engine imports the cached rootfs: no debootstrap' '
	service_image_ensure $P/services:bookworm 2>err &&
	grep -q "importing .*services-bookworm-.*\.tar as $P/services:bookworm-rootfs" err &&
	test_must_fail grep -q debootstrap err &&
	docker run --rm --network none $P/services:bookworm pg_isready --version | grep -q "(PostgreSQL) 15\." &&
	docker rmi $P/services:bookworm $P/services:bookworm-rootfs >/dev/null
'

# run_pg_ NAME ARGS... — PostgreSQL on the test network with a pg_isready
# healthcheck.
run_pg_ () {
	local name=$1
	shift
	docker run -d --name "$name" --network $P-net "$@" \
		--health-cmd 'pg_isready -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-postgres}"' \
		--health-interval 1s --health-timeout 5s --health-retries 30 \
		"$IMG" ccb-postgres >/dev/null
}

cleanup_ () {
	docker rm -f $P-pg $P-pgpw $P-redis $P-web $P-site >/dev/null 2>&1
	docker volume rm $P-pgdata >/dev/null 2>&1
	docker network rm $P-net >/dev/null 2>&1
	docker rmi $P/services:bookworm $P/services:bookworm-rootfs >/dev/null 2>&1
	return 0
}
trap cleanup_ EXIT

test_expect_success 'postgres initialises the named volume and becomes healthy, as user postgres' '
	docker network create $P-net >/dev/null &&
	run_pg_ $P-pg -v $P-pgdata:/var/lib/postgresql/data -e POSTGRES_DB=app &&
	deploy_wait_healthy $P-pg &&
	test "$(docker exec $P-pg stat -c %U /proc/1)" = postgres &&
	docker logs $P-pg 2>&1 | grep -q "initialised /var/lib/postgresql/data (user postgres, database app, host auth trust)"
'

test_expect_success 'psql in the container, and from another container over the network' '
	docker exec $P-pg psql -U postgres -d app -v ON_ERROR_STOP=1 -qAt \
		-c "CREATE TABLE t (v text)" -c "INSERT INTO t VALUES ($(printf "\047kept-%s\047" $TEST_ID))" &&
	test "$(docker exec $P-pg psql -U postgres -d app -Atc "SELECT v FROM t")" = kept-$TEST_ID &&
	test "$(docker run --rm --network $P-net "$IMG" psql -h $P-pg -U postgres -d app -Atc "SELECT count(*) FROM t")" = 1
'

test_expect_success 'the data survives a stop, remove and recreate on the same volume' '
	docker stop -t 30 $P-pg >/dev/null &&
	docker rm $P-pg >/dev/null &&
	run_pg_ $P-pg -v $P-pgdata:/var/lib/postgresql/data -e POSTGRES_DB=app &&
	deploy_wait_healthy $P-pg &&
	test "$(docker exec $P-pg psql -U postgres -d app -Atc "SELECT v FROM t")" = kept-$TEST_ID &&
	docker logs $P-pg >log 2>&1 &&
	test_must_fail grep -q initialised log
'

test_expect_success 'POSTGRES_PASSWORD_FILE: password auth over the network, on a tmpfs data dir' '
	printf "s3cret-%s\n" $TEST_ID >pw &&
	run_pg_ $P-pgpw --tmpfs /var/lib/postgresql/data -v "$TRASH/pw:/run/secrets/pw:ro" \
		-e POSTGRES_USER=app -e POSTGRES_PASSWORD_FILE=/run/secrets/pw &&
	deploy_wait_healthy $P-pgpw &&
	docker run --rm --network $P-net -e PGPASSWORD=s3cret-$TEST_ID "$IMG" \
		psql -h $P-pgpw -U app -d app -Atc "SELECT current_user" >who &&
	test "$(cat who)" = app &&
	test_must_fail docker run --rm --network $P-net -e PGPASSWORD=wrong "$IMG" \
		psql -h $P-pgpw -U app -d app -Atc "SELECT 1" 2>err &&
	grep -q "password authentication failed" err
'

test_expect_success 'redis answers PING, as user redis' '
	docker run -d --name $P-redis --network $P-net --health-cmd "redis-cli ping | grep -q PONG" \
		--health-interval 1s --health-retries 30 "$IMG" ccb-redis >/dev/null &&
	deploy_wait_healthy $P-redis &&
	test "$(docker exec $P-redis redis-cli ping)" = PONG &&
	test "$(docker run --rm --network $P-net "$IMG" redis-cli -h $P-redis set k v)" = OK &&
	test "$(docker exec $P-redis stat -c %U /proc/1)" = redis
'

# get_ URL — curl until it answers (nginx starts in milliseconds, the port
# proxy a little later), at most 10 s.
get_ () {
	local n=40
	until curl -sf --max-time 2 "$1"; do
		n=$((n - 1))
		test $n -gt 0 || return 1
		sleep 0.25
	done
}

test_expect_success 'nginx serves a mounted file on a published 127.0.0.1 port (CCB_NGINX_SITE)' '
	mkdir html &&
	echo "hello $TEST_ID" >html/index.html &&
	docker run -d --name $P-web -p 127.0.0.1::8080 -v "$TRASH/html:/srv:ro" \
		-e CCB_NGINX_SITE="server { listen 8080; root /srv; }" "$IMG" ccb-nginx >/dev/null &&
	port=$(docker port $P-web 8080/tcp | grep -m1 "^127\.0\.0\.1:") &&
	test "$(get_ http://$port/)" = "hello $TEST_ID" &&
	docker logs $P-web 2>&1 | grep -q "\"GET / HTTP/1.1\" 200"
'

test_expect_success 'nginx with a mounted conf.d/default.conf proxies to a service (the examples shape)' '
	cat >site.conf <<-EOF &&
	server {
	    listen 80;
	    location /api/ { proxy_pass http://$P-files:8080/; }
	    location / { root /usr/share/nginx/html; }
	}
	EOF
	docker network connect --alias $P-files $P-net $P-web &&
	docker run -d --name $P-site --network $P-net -p 127.0.0.1::80 \
		-v "$TRASH/site.conf:/etc/nginx/conf.d/default.conf:ro" "$IMG" ccb-nginx >/dev/null &&
	port=$(docker port $P-site 80/tcp | grep -m1 "^127\.0\.0\.1:") &&
	test "$(get_ http://$port/api/)" = "hello $TEST_ID" &&
	get_ http://$port/ | grep -q "Welcome to nginx"
'

test_expect_success 'cleanup: the containers, volume and network of this run are gone' '
	cleanup_ &&
	test -z "$(docker ps -aq --filter name=$P)" &&
	test -z "$(docker volume ls -q --filter name=$P)" &&
	test -z "$(docker network ls -q --filter name=$P)" &&
	docker image inspect "$IMG" >/dev/null
'

test_done
