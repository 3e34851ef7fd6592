#!/bin/bash
# DOCKER_HOST=tcp:// with and without TLS (DOCKER_TLS_VERIFY,
# DOCKER_CERT_PATH), against the real engine: tests/lib/engine-proxy.py
# relays loopback TCP (TLS with client certificates, like dockerd
# --tlsverify) to the engine's unix socket byte for byte.
. "$(dirname "$0")/test-lib.sh"
test_description 'engine over tcp:// and TLS'
test_need_docker
. "$SRCROOT/tests/lib/base-image.sh"

P=t0210p$TEST_ID
export CI=1
SOCK=${SERVICES_SOCK:-/var/run/docker.sock}

# The relays run until the script ends (test bodies are subshells, so
# their pids go through a file).
trap 'kill $(cat "$TRASH.proxies" 2>/dev/null) 2>/dev/null; rm -f "$TRASH.proxies"' EXIT

# proxy NAME [CERTDIR]: start a relay; its port lands in NAME.port
proxy () {
	python3 "$SRCROOT/tests/lib/engine-proxy.py" "$SOCK" "$TRASH/$1.port" ${2:+"$2"} >/dev/null 2>"$TRASH/$1.log" &
	echo $! >>"$TRASH.proxies"
	for _ in $(seq 50); do
		test -s "$TRASH/$1.port" && return 0
		sleep 0.1
	done
	return 1
}

# certs DIR CN: a CA, a server certificate for 127.0.0.1 and a client one
certs () {
	mkdir -p "$1" && (
	cd "$1" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2 CA" \
		-keyout ca-key.pem -out ca.pem &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout server-key.pem -out server.csr &&
	printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" >server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-days 2 -extfile server.ext -out server-cert.pem &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=client" -keyout key.pem -out client.csr &&
	printf "extendedKeyUsage=clientAuth\n" >client.ext &&
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-days 2 -extfile client.ext -out cert.pem
	) >/dev/null 2>&1
}

test_expect_success 'setup: an image, certificates, a plain and a TLS relay' '
	base_image_ensure >/dev/null &&
	mkdir -p web &&
	printf "FROM %s\nCOPY index.html /srv/\n" "$BASE_IMAGE" >web/Dockerfile &&
	echo "tcp $P" >web/index.html &&
	cat >ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  web: {context: web}
	profiles:
	  dev: {}
	YAML
	certs tls good && certs other impostor &&
	proxy plain && proxy tls "$TRASH/tls"
'

test_expect_success 'tcp:// builds through the engine' '
	DOCKER_HOST=tcp://127.0.0.1:$(cat plain.port) "$CCBUILD" --json dev >ev &&
	grep -q "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	docker image inspect $P-web:latest >/dev/null
'

test_expect_success 'tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: no-op, then a rebuild' '
	port=$(cat tls.port) &&
	DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TRASH/tls \
		"$CCBUILD" --json dev >ev &&
	grep -q "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"up-to-date\"" ev &&
	echo more >>web/index.html &&
	DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$TRASH/tls \
		"$CCBUILD" --json dev >ev &&
	grep -q "\"step\":\"build:web\",\"kind\":\"build\",\"status\":\"done\"" ev &&
	test "$(docker run --rm $P-web:latest cat /srv/index.html | tail -1)" = more
'

test_expect_success 'a server certificate from another CA: exit 3, the TLS failure named' '
	echo again >>web/index.html &&
	test_expect_code 3 env DOCKER_HOST=tcp://127.0.0.1:$(cat tls.port) DOCKER_TLS_VERIFY=1 \
		DOCKER_CERT_PATH=$TRASH/other "$CCBUILD" dev 2>err &&
	grep -q "127.0.0.1:$(cat tls.port)" err &&
	grep -qi "certificate\|SSL" err
'

test_expect_success 'plain tcp:// to a TLS port fails cleanly (exit 3)' '
	test_expect_code 3 env DOCKER_HOST=tcp://127.0.0.1:$(cat tls.port) "$CCBUILD" dev 2>err &&
	grep -q "127.0.0.1:$(cat tls.port)" err
'

test_expect_success 'an ssh:// DOCKER_HOST (not supported) is a usage error (exit 2) naming it' '
	test_expect_code 2 env DOCKER_HOST=ssh://me@host "$CCBUILD" dev 2>err &&
	grep -q "ssh://me@host" err
'

test_expect_success 'cleanup' '
	test_remove_images "$P"
'

test_done
