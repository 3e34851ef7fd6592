#!/bin/bash
# kill -9 of a backup (with a stop: quiesce) and of a restore over the
# volume a service uses, each at several points found through a logging
# proxy in front of the engine (the request that marks the point has been
# sent): while the service is being stopped, while the volume is read,
# while it is started again; while the new volume is written, while the
# service is stopped, while the swap container runs.  After each kill the
# earlier snapshots verify and the volume's content (every path's type,
# mode, owner, size, and every file's SHA-256) is what it was; a rerun
# completes and brings the service back running and healthy.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup and restore killed at several points: snapshots and data intact, the rerun completes'
test_need_docker
. "$SRCROOT/tests/lib/engine.sh"
. "$SRCROOT/tests/lib/deploy.sh"

P=t0841k$TEST_ID
VOL=${P}_data
IMG=ccbuild-test/busybox:latest
export CI=1

# vsum VOLUME [DIR]: the content of the volume (or of DIR inside it)
vsum () {
	docker run --rm -v "$1":/d $IMG sh -c "cd /d/${2:-} && find . -mindepth 1 ! -name .ccbuild-restore-old | grep -v '^./.ccbuild-restore-old/' | sort | xargs stat -c '%n %F %a %u:%g %s' &&
		find . -type f ! -path './.ccbuild-restore-old/*' | sort | xargs -r sha256sum"
}

# kill_at PATTERN CMD...: run CMD through the proxy and kill -9 it once a
# request line matching PATTERN has been sent; fails when CMD ended first.
kill_at () {
	local pattern=$1 pid n=0
	shift
	: >proxy/requests
	DOCKER_HOST=$PROXY "$@" >kill.out 2>&1 &
	pid=$!
	until grep -q -E "$pattern" proxy/requests; do
		if ! kill -0 $pid 2>/dev/null; then
			echo "ended before $pattern:"; cat kill.out proxy/requests
			return 1
		fi
		n=$((n + 1))
		test $n -lt 3000 || return 1
		sleep 0.01
	done
	kill -9 $pid
	wait $pid 2>/dev/null
	echo "killed at: $(grep -m1 -E "$pattern" proxy/requests)"
	return 0
}

healthy () {
	for i in $(seq 60); do
		test "$(docker inspect -f "{{.State.Running}} {{.State.Health.Status}}" $P-app-1)" = "true healthy" && return 0
		sleep 0.5
	done
	docker inspect -f "{{.State.Status}} {{.State.Health.Status}}" $P-app-1
	return 1
}

snapshots_ok () {
	for s in $(cat snaps); do
		test -f repo/snapshots/data/$s.json || { echo "lost $s"; return 1; }
	done
	"$CCBUILD" backup verify dev data --all >verify.out || { cat verify.out; return 1; }
}

test_expect_success 'setup: a service with a volume of 40 MB, a first snapshot' '
	cat >docker-compose.yml <<-EOF &&
	services:
	  app:
	    image: $IMG
	    command: ["sh", "-c", "trap \"exit 0\" TERM; while sleep 1; do :; done"]
	    healthcheck: {test: ["CMD", "test", "-f", "/data/ready"], interval: 1s, retries: 60}
	    volumes: [data:/data]
	volumes:
	  data: {}
	EOF
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: $P
	compose: docker-compose.yml
	profiles:
	  svc:
	    up: true
	  dev:
	    backups: [data]
	backups:
	  data:
	    source: volume:$VOL
	    quiesce: {stop: [app]}
	    destinations: [{path: repo}]
	EOF
	docker volume create $VOL >/dev/null &&
	docker run --rm -v $VOL:/data $IMG sh -c "cd /data && touch ready && mkdir d &&
		for i in 1 2 3 4; do head -c 10000000 /dev/urandom >d/big\$i; done && echo first >a" &&
	"$CCBUILD" up svc &&
	healthy &&
	"$CCBUILD" backup dev &&
	ls repo/snapshots/data | sed "s/\.json\$//" >snaps &&
	test $(wc -l <snaps) = 1 &&
	healthy &&
	PROXY=$(deploy_proxy_start proxy) &&
	echo "$PROXY" >proxy/host
'
PROXY=$(cat proxy/host 2>/dev/null)

for point in '/containers/[^/]*/stop' '/containers/[^/]*/archive' '/containers/[^/]*/start' '/events'; do
	test_expect_success "a backup killed at $point: snapshots and data intact, the rerun completes" '
		docker exec $P-app-1 sh -c "head -c 3000000 /dev/urandom >/data/more-\$RANDOM" &&
		vsum $VOL >before &&
		kill_at "$point" "$CCBUILD" backup dev &&
		vsum $VOL >after &&
		test_cmp before after &&
		snapshots_ok &&
		"$CCBUILD" backup dev >out &&
		cat out &&
		grep -q "^backup:data  snapshot" out &&
		ls repo/snapshots/data | sed "s/\.json\$//" >snaps &&
		snapshots_ok &&
		healthy &&
		test ! -e .ccbuild/backups/data.stopped
	'
done

test_expect_success 'the content of the first snapshot, restored beside' '
	first=$("$CCBUILD" backups dev data | tail -n 1 | awk "{print \$1}") &&
	echo $first >first &&
	"$CCBUILD" restore dev data --snapshot $first --to volume:$P-expect &&
	vsum $P-expect >expect &&
	! test_cmp expect after >/dev/null
'

for point in 'PUT /[^ ]*/containers/[^/]*/archive' '/containers/[^/]*/stop' '/containers/[^/]*/wait'; do
	test_expect_success "a restore killed at $point: the current data intact, the rerun restores" '
		vsum $VOL >before &&
		kill_at "$point" "$CCBUILD" restore dev data --snapshot $(cat first) &&
		case "$point" in
		*wait)	# the swap container goes on: the old content ends up set aside, whole
			for i in $(seq 100); do
				test -z "$(docker ps -q --filter label=ccbuild.backup.helper --filter volume=$VOL)" && break
				sleep 0.1
			done &&
			vsum $VOL .ccbuild-restore-old >aside &&
			test_cmp before aside ;;
		*)	vsum $VOL >after &&
			test_cmp before after ;;
		esac &&
		snapshots_ok &&
		"$CCBUILD" restore dev data --snapshot $(cat first) >out &&
		cat out &&
		vsum $VOL >now &&
		test_cmp expect now &&
		healthy &&
		test ! -e .ccbuild/backups/data.restore-stopped &&
		test -z "$(docker volume ls -q --filter name=$VOL-restore)" &&
		docker exec $P-app-1 sh -c "echo changed >/data/a; head -c 3000000 /dev/urandom >/data/more-\$RANDOM"
	'
done

test_expect_success 'cleanup' '
	deploy_proxy_stop proxy
	ids=$(docker ps -aq --filter label=com.docker.compose.project=$P)
	{ test -z "$ids" || docker rm -f $ids >/dev/null; }
	ids=$(docker ps -aq --filter label=ccbuild.backup.helper --filter volume=$VOL)
	{ test -z "$ids" || docker rm -f $ids >/dev/null; }
	docker volume rm $VOL $P-expect >/dev/null 2>&1
	docker network rm ${P}_default >/dev/null 2>&1
	test -z "$(docker ps -aq --filter label=com.docker.compose.project=$P)"
'

test_done
