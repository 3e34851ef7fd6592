#!/bin/bash
# build.ssh through the BuildKit session's sshforward service (#16): an
# ssh-agent started here is forwarded to RUN --mount=type=ssh, where a
# static agent client built here (the base image has no ssh client and
# busybox nc has no -U) lists the agent's keys through CheckAgent and
# ForwardAgent.  The key never enters the image; the map form's path is
# the project's; an unset SSH_AUTH_SOCK, an unknown required ssh id and
# --no-session are clear errors.
. "$(dirname "$0")/test-lib.sh"
test_description 'build.ssh forwards the ssh-agent to RUN --mount=type=ssh'

P=t0437p$TEST_ID
export CI=1

test_need_docker
command -v ssh-agent >/dev/null && command -v ssh-keygen >/dev/null ||
	test_skip_all_ "openssh-client is not installed (scripts/setup.sh)"
. "$SRCROOT/tests/lib/base-image.sh"

# The RUN's agent client: busybox has none, so a static one built here asks
# the forwarded agent for its identities (SSH2_AGENTC_REQUEST_IDENTITIES)
# and prints how many it holds (SSH2_AGENT_IDENTITIES_ANSWER's count).
cat >probe.c <<'EOF_C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned char b[65536];
	const char *p = getenv("SSH_AUTH_SOCK");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t n, got = 0;

	if (!p || fd < 0)
		return 2;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, "\0\0\0\1\13", 5) != 5)
		return 3;
	while (got < 9 && (n = read(fd, b + got, sizeof(b) - got)) > 0)
		got += n;
	if (got < 9 || b[4] != 12)
		return 4;
	printf("%u\n", (unsigned)b[5] << 24 | (unsigned)b[6] << 16 | (unsigned)b[7] << 8 | b[8]);
	return 0;
}
EOF_C

test_expect_success 'setup: an ssh-agent holding a key, a service with build.ssh' '
	base_image_ensure >/dev/null &&
	ssh-agent -a "$TRASH/agent.sock" >agent.env &&
	AGENT_PID=$(sed -n "s/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p" agent.env) &&
	echo "$AGENT_PID" >agent.pid &&
	ssh-keygen -q -t ed25519 -N "" -C "t0437-$TEST_ID" -f key &&
	SSH_AUTH_SOCK="$TRASH/agent.sock" ssh-add key 2>/dev/null &&
	mkdir -p app/ctx &&
	printf "ccbuild: 1\nproject: $P\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >app/ccbuild.yaml &&
	cat >app/compose.yaml <<-YAML &&
	services:
	  web:
	    image: $P/web
	    build:
	      context: ./ctx
	      ssh: [default]
	YAML
	${CC:-cc} -static -O2 -o app/ctx/probe probe.c &&
	printf "FROM %s\n" "$BASE_IMAGE" >app/ctx/Dockerfile &&
	echo "RUN --mount=type=ssh --mount=type=bind,source=probe,target=/probe sh -c \"echo $P >/run-id && test -S \\\$SSH_AUTH_SOCK && echo \\\$SSH_AUTH_SOCK >/ssh.path && /probe >/keys\"" >>app/ctx/Dockerfile
'

test_expect_success 'a build: the RUN reaches the agent and sees its one key' '
	SSH_AUTH_SOCK="$TRASH/agent.sock" "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	docker run --rm $P/web:latest cat /ssh.path >path &&
	grep -q "^/run/buildkit/ssh_agent" path &&
	test "$(docker run --rm $P/web:latest cat /keys)" = 1
'

test_expect_success 'the key is in no output, state or image' '
	KEY=$(sed -n 2p key) && test -n "$KEY" &&
	! grep -q "$KEY" ev err &&
	! grep -rqF "$KEY" app/.ccbuild &&
	! docker save $P/web:latest | grep -aqF "$KEY" &&
	test_must_fail docker run --rm $P/web:latest test -S /run/buildkit/ssh_agent.0
'

test_expect_success 'no rebuild while the agent socket is the same; another socket rebuilds' '
	SSH_AUTH_SOCK="$TRASH/agent.sock" "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":0" ev &&
	ln "$TRASH/agent.sock" "$TRASH/agent2.sock" &&
	SSH_AUTH_SOCK="$TRASH/agent2.sock" "$CCBUILD" -C app --json dev >ev 2>err &&
	grep -q "\"event\":\"summary\",\"built\":1" ev
'

test_expect_success 'without SSH_AUTH_SOCK: an error saying so, before any build' '
	echo "# another" >>app/ctx/Dockerfile &&
	(unset SSH_AUTH_SOCK; test_expect_code 1 "$CCBUILD" -C app dev >out 2>err) &&
	cat err &&
	grep -q "build.ssh .default.: SSH_AUTH_SOCK is not set" err
'

test_expect_success 'an ssh id the build does not forward: BuildKit says it is not found' '
	echo "RUN --mount=type=ssh,id=other,required=true true" >>app/ctx/Dockerfile &&
	SSH_AUTH_SOCK="$TRASH/agent.sock" test_expect_code 1 "$CCBUILD" -C app dev >out 2>err &&
	cat err &&
	grep -q "ssh id .other. is not forwarded" err
'

test_expect_success '--no-session: build.ssh cannot be served, and it says so' '
	sed -i "/id=other/d" app/ctx/Dockerfile &&
	SSH_AUTH_SOCK="$TRASH/agent.sock" test_expect_code 1 "$CCBUILD" -C app --no-session dev >out 2>err &&
	grep -q "build.ssh (default) needs a BuildKit session" err
'

test_expect_success 'the map form ID: PATH, PATH relative to the project, not the cwd' '
	mkdir -p m/ctx &&
	printf "ccbuild: 1\nproject: $P-m\ncompose: [compose.yaml]\nprofiles: {dev: {}}\n" >m/ccbuild.yaml &&
	printf "FROM %s\n" "$BASE_IMAGE" >m/ctx/Dockerfile &&
	printf "services:\n  web:\n    image: $P/m\n    build:\n      context: ./ctx\n      ssh:\n        other: ../agent.sock\n" >m/compose.yaml &&
	(unset SSH_AUTH_SOCK; "$CCBUILD" -f m/ccbuild.yaml plan dev >out 2>err) &&
	sed -i "s|\.\./agent.sock|./agent.sock|" m/compose.yaml &&
	(unset SSH_AUTH_SOCK; test_expect_code 1 "$CCBUILD" -f m/ccbuild.yaml plan dev >out 2>err) &&
	grep -q "build.ssh .other.: $TRASH/m/agent.sock: No such file" err
'

test_expect_success 'ccbuild.yaml images: ssh: ID=SOCKET, SOCKET relative to the manifest: the RUN sees the key' '
	mkdir -p man/ctx &&
	cp app/ctx/probe man/ctx/ &&
	cat >man/ccbuild.yaml <<-YAML &&
	ccbuild: 1
	project: $P-man
	images:
	  web:
	    context: ctx
	    image: $P/man
	    ssh: [mine=../agent.sock]
	profiles: {dev: {}}
	YAML
	printf "FROM %s
" "$BASE_IMAGE" >man/ctx/Dockerfile &&
	echo "RUN --mount=type=ssh,id=mine --mount=type=bind,source=probe,target=/probe sh -c \"echo $P >/run-id && /probe >/keys\"" >>man/ctx/Dockerfile &&
	(unset SSH_AUTH_SOCK; cd / && "$CCBUILD" -f "$TRASH/man/ccbuild.yaml" --json dev >"$TRASH/ev" 2>"$TRASH/err") &&
	grep -q "\"event\":\"summary\",\"built\":1" ev &&
	test "$(docker run --rm $P/man:latest cat /keys)" = 1
'

test_expect_success 'ccbuild.yaml images: ssh: a malformed entry is an error at its line' '
	sed -i "s|ssh: \[mine=../agent.sock\]|ssh: [\"bad id=x\"]|" man/ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" -f man/ccbuild.yaml plan dev >out 2>err &&
	cat err &&
	grep -q "ccbuild.yaml:7:[0-9]*: .*bad id=x.* is not ID or ID=SOCKET" err
'

test_expect_success 'cleanup: the agent and the images this script made' '
	kill "$(cat agent.pid)" &&
	docker rmi "$P/web:latest" "$P/man:latest" >/dev/null
'

test_done
