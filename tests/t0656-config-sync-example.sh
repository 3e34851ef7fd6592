#!/bin/bash
# examples/config-sync end to end on the local engine: the dev profile
# backs the host config up (three destinations), syncs it into the staging
# directory with host paths rewritten, starts the agent on it; a host edit
# reaches the container on `ccbuild sync dev`; `ccbuild down dev` syncs what
# the agent wrote back out (paths rewritten back) before removing it; the
# README's disaster recovery (backups, restore) gives the old config back.
. "$(dirname "$0")/test-lib.sh"
test_description 'examples/config-sync: dev up, sync, down syncs out, restore'
test_need_docker

P=cfgsync$TEST_ID
export AGENT_IMAGE=ccbuild-t0656-$TEST_ID/agent:latest
C=$P-agent-1

snapshots () { ls ex/backups/$1/snapshots/agent-config 2>/dev/null | wc -l; }

test_expect_success 'setup: a copy of the example under its own project name' '
	cp -R "$SRCROOT/examples/config-sync" ex &&
	rm -rf ex/staging ex/backups ex/.ccbuild ex/host-config/state &&
	sed -i "s/^project: config-sync$/project: $P/" ex/ccbuild.yaml &&
	"$CCBUILD" -C ex lint &&
	"$CCBUILD" -C ex graph dev >g && cat g &&
	grep "up:agent  <- build:agent, sync:agent-config" g
'

test_expect_success 'dev: backed up, synced in with paths rewritten, the agent healthy on it' '
	"$CCBUILD" -C ex dev >out 2>&1; cat out &&
	grep "sync:agent-config.*done.*backed up first" out && grep "up:agent.*done" out &&
	test $(snapshots local) = 1 && test $(snapshots second-disk) = 1 && test $(snapshots offsite) = 1 &&
	test "$(docker inspect -f "{{.State.Health.Status}}" $C)" = healthy &&
	docker exec $C cat /root/.agent/settings.json >settings &&
	grep "\"workspace\": \"/root/work/project\"" settings && ! grep /Users/me/ settings &&
	docker exec $C cat /root/.agent/mcp.json | grep "/root/.local/bin/mcp-files" &&
	! docker exec $C test -e /root/.agent/debug.log &&
	! docker exec $C test -e /root/.agent/projects/demo/cache &&
	docker exec $C test -x /root/.agent/commands/format.sh
'

test_expect_success 'a host edit reaches the container with ccbuild sync dev, after a backup' '
	sed -i "s/\"theme\": \"dark\"/\"theme\": \"light\"/" ex/host-config/settings.json &&
	"$CCBUILD" -C ex sync dev >out 2>&1; cat out &&
	grep "sync:agent-config.*done.*1 in, 2 out.*backed up first" out &&
	test -e ex/host-config/state/started.json &&
	test $(snapshots local) = 2 &&
	docker exec $C grep "\"theme\": \"light\"" /root/.agent/settings.json
'

test_expect_success 'down syncs what the agent wrote back out, paths rewritten back, then removes it' '
	docker exec $C sh -c "echo \"{\\\"last\\\": \\\"/root/work/project/main.c\\\"}\" >/root/.agent/recent.json" &&
	"$CCBUILD" -C ex down dev >out 2>&1; cat out &&
	grep "sync:agent-config.*done.*0 in, 1 out" out &&
	grep "Container $C  Removed" out &&
	test -z "$(docker ps -aq --filter name=^/$C\$)" &&
	grep "\"workspace\": \"/Users/me/work/project\"" ex/host-config/state/started.json &&
	test "$(cat ex/host-config/recent.json)" = "{\"last\": \"/Users/me/work/project/main.c\"}"
'

test_expect_success 'disaster recovery: the host config lost, the first snapshot restored' '
	"$CCBUILD" -C ex backups dev agent-config >list 2>&1; cat list &&
	first=$("$CCBUILD" -C ex backups dev agent-config | tail -n 1 | awk "{print \$1}") &&
	rm -rf ex/host-config &&
	"$CCBUILD" -C ex restore dev agent-config --snapshot $first >out 2>&1; cat out &&
	grep "\"theme\": \"dark\"" ex/host-config/settings.json &&
	grep "/Users/me/work/project" ex/host-config/settings.json &&
	test -e ex/host-config/debug.log && test ! -e ex/host-config/recent.json
'

test_expect_success 'cleanup: nothing of the project left' '
	"$CCBUILD" -C ex down dev --no-sync >/dev/null 2>&1;
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)" &&
	test_remove_images "ccbuild-t0656-$TEST_ID"
'

test_done
