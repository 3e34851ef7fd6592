#!/bin/bash
# Builds through a BuildKit session (POST /session, h2c, ccbuild serving
# filesync) against the real dockerd: COPY . gets the walked file set, a
# rebuild sends only the changed file, a Dockerfile outside the context is
# not in it; --no-session, CCBUILD_NO_SESSION and a daemon without the
# session endpoint still build with the tar upload; a build killed with
# SIGKILL mid-transfer leaves nothing that stops the next one.
. "$(dirname "$0")/test-lib.sh"
test_description 'builds through a BuildKit session, and the tar fallback'
test_need_docker

. "$SRCROOT/tests/lib/base-image.sh"
P=t0430p$TEST_ID
export CI=1

# sent STEP: the bytes of context the last --report says STEP sent.
sent () {
	python3 -c 'import json, sys
for s in json.load(open("r.json"))["steps"]:
    if s["step"] == sys.argv[1]:
        for f in s["details"]["facts"]:
            if f["metric"] == "ccbuild_build_context_bytes_total":
                print(int(f["value"]))' "$1"
}

# files IMAGE: the image's /app, one path a line, sorted.
files () {
	docker run --rm "$1" find /app | sort
}

test_expect_success 'setup: 300 files, an ignored one, a Dockerfile outside the context' '
	mkdir -p app/sub df other &&
	for i in $(seq 300); do echo "file $i" >app/sub/f$i; done &&
	echo one >app/one &&
	echo secret >app/ignored.key &&
	printf "*.key\n" >app/.dockerignore &&
	printf "FROM %s\nCOPY . /app/\n" "$BASE_IMAGE" >app/Dockerfile &&
	printf "FROM %s\nCOPY . /app/\n" "$BASE_IMAGE" >df/Outside.Dockerfile &&
	echo other >other/file &&
	cat >ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P
	images:
	  app: {context: app}
	  out: {context: other, dockerfile: ../df/Outside.Dockerfile}
	profiles:
	  dev: {}
	YAML
	(cd app && find . -type f ! -name "*.key" | sed "s|^\./||" | sort) >walked
'

test_expect_success 'a session build: COPY . has the walked files, no ignored one' '
	"$CCBUILD" --report r.json dev >out 2>&1 &&
	files $P-app >got &&
	(echo /app; echo /app/sub; sed "s|^|/app/|" walked) | sort >want &&
	test_cmp want got
'

# The walked files' bytes, and a little more: the frontend also pulls the
# Dockerfile (its own local source) and .dockerignore (a call of its own)
# through filesync.  A tar would add 512+ bytes of header per file.
test_expect_success 'BuildKit pulled the files themselves, no tar around them' '
	total=$(cat $(sed "s|^|app/|" walked) | wc -c) &&
	got=$(sent build:app) && echo "sent $got for $total" &&
	test "$got" -ge "$total" && test "$got" -lt $((total + 1000))
'

test_expect_success 'one file changed: the session sends that file alone' '
	echo "changed!" >app/sub/f7 &&
	"$CCBUILD" --report r.json dev >out 2>&1 &&
	test "$(sent build:app)" = 9 &&
	test "$(docker run --rm $P-app cat /app/sub/f7)" = "changed!"
'

test_expect_success 'a Dockerfile outside the context is not in it' '
	files $P-out >got &&
	printf "/app\n/app/file\n" >want-out &&
	test_cmp want-out got
'

test_expect_success '--no-session uploads a tar and builds the same files' '
	echo "tar 1" >app/sub/f8 &&
	"$CCBUILD" --no-session --report r.json dev >out 2>&1 &&
	test "$(sent build:app)" -gt 300000 &&
	test "$(docker run --rm $P-app cat /app/sub/f8)" = "tar 1" &&
	files $P-app >got && test_cmp want got
'

test_expect_success 'CCBUILD_NO_SESSION=1 does the same' '
	echo "tar 2" >app/sub/f8 &&
	CCBUILD_NO_SESSION=1 "$CCBUILD" --report r.json dev >out 2>&1 &&
	test "$(sent build:app)" -gt 300000 &&
	test "$(docker run --rm $P-app cat /app/sub/f8)" = "tar 2"
'

# A daemon without the session endpoint: a proxy on a unix socket that
# answers POST /vX/session with 404 and relays every other connection.
test_expect_success 'setup: a daemon with no /session (a proxy)' '
	cat >nosession.py <<-\PY &&
	import os, socket, sys, threading
	real, path = sys.argv[1], sys.argv[2]
	def pump(a, b):
	    try:
	        while True:
	            d = a.recv(65536)
	            if not d:
	                break
	            b.sendall(d)
	    except OSError:
	        pass
	    for s in (a, b):
	        try: s.shutdown(socket.SHUT_RDWR)
	        except OSError: pass
	def serve(c):
	    head = c.recv(65536)
	    if head.startswith(b"POST ") and b"/session " in head.split(b"\r\n")[0]:
	        c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	                  b"Content-Length: 29\r\nConnection: close\r\n\r\n{\"message\":\"page not found\"}\n")
	        c.close()
	        return
	    u = socket.socket(socket.AF_UNIX)
	    u.connect(real)
	    u.sendall(head)
	    threading.Thread(target=pump, args=(u, c), daemon=True).start()
	    pump(c, u)
	open("proxy.pid", "w").write("%d\n" % os.getpid())
	l = socket.socket(socket.AF_UNIX)
	l.bind(path)
	l.listen(16)
	while True:
	    c, _ = l.accept()
	    threading.Thread(target=serve, args=(c,), daemon=True).start()
	PY
	true
'

test_expect_success 'a daemon with no /session: the tar upload, same image' '
	python3 nosession.py "$(engine_sock)" "$TRASH/nosession.sock" >/dev/null 2>proxy.log &
	for i in $(seq 50); do test -S nosession.sock && break; sleep 0.1; done &&
	echo "fallback" >app/sub/f9 &&
	DOCKER_HOST=unix://$TRASH/nosession.sock "$CCBUILD" --report r.json dev >out 2>&1 &&
	test "$(sent build:app)" -gt 300000 &&
	test "$(docker run --rm $P-app cat /app/sub/f9)" = fallback
'
kill "$(cat proxy.pid 2>/dev/null)" 2>/dev/null  # the pid python wrote: python3 may be a wrapper

test_expect_success 'setup: a 200 MB file' '
	head -c 200000000 /dev/urandom >app/big
'

# Killed while filesync reads the big file: BuildKit is loading the
# context and the file is open.
test_expect_success 'SIGKILL mid-transfer, then the rerun builds' '
	"$CCBUILD" -v dev >out 2>&1 &
	pid=$! &&
	for i in $(seq 400); do
		grep -q "app: \[internal\] load build context" out &&
			ls -l /proc/$pid/fd 2>/dev/null | grep -q "app/big$" && break
		sleep 0.05
	done &&
	ls -l /proc/$pid/fd | grep -q "app/big$" &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	"$CCBUILD" --report r.json dev >out 2>&1 &&
	test "$(docker run --rm $P-app wc -c /app/big)" = "200000000 /app/big"
'

test_expect_success 'two projects, one context name, files of the same name, size and mtime: each image has its own bytes' '
	for d in one two; do
		mkdir -p same-$d/ctx &&
		echo "bytes of $d" >same-$d/ctx/f &&
		touch -d "2001-01-01 00:00:00" same-$d/ctx/f &&
		printf "FROM %s\nCOPY f /f\n" "$BASE_IMAGE" >same-$d/ctx/Dockerfile &&
		printf "ccbuild: 1\nproject: %s\nimages:\n  x: {context: ctx, image: %s:latest}\nprofiles:\n  dev: {}\n" \
			$P-$d $P-same-$d >same-$d/ccbuild.yaml &&
		"$CCBUILD" -C same-$d -q dev || return 1
	done &&
	test "$(docker run --rm $P-same-one cat /f)" = "bytes of one" &&
	test "$(docker run --rm $P-same-two cat /f)" = "bytes of two"
'

test_expect_success 'cleanup: remove the images' '
	rm -f app/big &&
	test_remove_images $P
'

test_done
