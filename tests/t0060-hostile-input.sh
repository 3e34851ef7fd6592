#!/bin/bash
# Hostile inputs end in bounded time and memory with an error naming the
# file (and line and column) at fault: FIFOs and devices where a compose
# file, Dockerfile or .dockerignore should be, documents nested 100,000
# deep, maps of 200,000 keys.  Every command runs under `timeout` (and a
# memory limit outside ASan), so a regression fails instead of hanging.
. "$(dirname "$0")/test-lib.sh"
test_description 'hostile inputs: bounded time and memory, clear errors'

# bounded SECONDS CMD...: CMD with a time limit and, unless it is an ASan
# build (which reserves terabytes of address space), 2 GB of memory
bounded () {
	local t=$1
	shift
	if ldd "$CCBUILD" 2>/dev/null | grep -q libasan; then
		timeout -k 5 "$t" "$@"
	else
		(ulimit -v 2000000 && timeout -k 5 "$t" "$@")
	fi
}

project () {
	rm -rf p && mkdir -p p/app &&
	printf "ccbuild: 1\nproject: hostile\ncompose: [docker-compose.yml]\nprofiles:\n  dev: {}\n" >p/ccbuild.yaml &&
	printf "services:\n  app:\n    build: ./app\n    image: hostile-app\n" >p/docker-compose.yml &&
	printf "FROM busybox\nCOPY . /x\n" >p/app/Dockerfile &&
	echo x >p/app/file
}

test_expect_success 'a compose file that is /dev/zero is an error, not an endless read' '
	project && rm p/docker-compose.yml && ln -s /dev/zero p/docker-compose.yml &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p config dev 2>err &&
	grep -q "docker-compose.yml: not a regular file (a character device)" err
'

test_expect_success 'a compose file that is a FIFO is an error, not a hang' '
	project && rm p/docker-compose.yml && mkfifo p/docker-compose.yml &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p config dev 2>err &&
	grep -q "docker-compose.yml: not a regular file (a FIFO)" err
'

test_expect_success 'a .dockerignore that is /dev/zero or a FIFO is an error in plan' '
	project && ln -s /dev/zero p/app/.dockerignore &&
	test_expect_code 1 bounded 20 "$CCBUILD" -C p --offline plan dev 2>err &&
	grep -q "app/.dockerignore: not a regular file (a character device)" err &&
	rm p/app/.dockerignore && mkfifo p/app/.dockerignore &&
	test_expect_code 1 bounded 20 "$CCBUILD" -C p --offline plan dev 2>err &&
	grep -q "app/.dockerignore: not a regular file (a FIFO)" err
'

test_expect_success 'a Dockerfile that is a FIFO or /dev/zero fails lint, plan and why promptly' '
	project && rm p/app/Dockerfile && mkfifo p/app/Dockerfile &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p lint 2>err &&
	grep -q "Dockerfile" err &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p --offline plan dev &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p why dev build:app &&
	rm p/app/Dockerfile && ln -s /dev/zero p/app/Dockerfile &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p lint
'

test_expect_success '100,000 nested [ stop at the depth limit, the position printed once' '
	project &&
	python3 -c "import sys; n = 100000; sys.stdout.write(\"services: \" + \"[\" * n + \"]\" * n + \"\\n\")" \
		>p/docker-compose.yml &&
	test_expect_code 2 bounded 20 "$CCBUILD" -C p config dev 2>err &&
	grep -q "^ccbuild: error: $TRASH/p/docker-compose.yml:1:267: document nested deeper than 256 levels" err
'

test_expect_success 'a service of 200,000 environment entries loads in linear time' '
	project &&
	python3 -c "
print(\"services:\\n  app:\\n    image: busybox\\n    environment:\")
for i in range(200000): print(\"      K%d: v%d\" % (i, i))
print(\"      K17: again\")" >p/docker-compose.yml &&
	bounded 60 "$CCBUILD" -C p config dev >out &&
	test "$(grep -c "^      K[0-9]*: " out)" = 200000 &&
	grep -qx "      K17: again" out
'

test_done
