#!/bin/bash
# ccbuild backup of a named volume through the engine (a stopped helper
# container, GET /containers/{id}/archive) and its restore into a new
# volume (PUT archive), verified by reading it back.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: volume source, restore into a new volume'
test_need_docker

V=t0610v$TEST_ID
IMG=ccbuild-test/busybox:latest

# vlist VOLUME: every path's type, mode, owner and mtime, and the
# SHA-256 of every file, as the volume holds them.
vlist () {
	docker run --rm -v "$1":/data $IMG sh -c \
		'cd /data && find . -mindepth 1 | sort | xargs stat -c "%n %F %a %u:%g %Y" &&
		 find . -type f | sort | xargs -r sha256sum && for l in $(find . -type l | sort); do echo "$l -> $(readlink $l)"; done'
}

test_expect_success 'setup: a volume with modes, owners, links, a large file' '
	docker volume create $V-src >/dev/null &&
	docker run --rm -v $V-src:/data $IMG sh -c "cd /data && echo hi >a && chmod 4750 a &&
		mkdir -p d/e && head -c 2500000 /dev/urandom >d/big && ln -s a l && ln -s /gone d/dangling &&
		chown 999:998 d/e && chmod 700 d/e && echo x >d/e/x && ln d/big d/hard" &&
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: bk
	profiles:
	  dev:
	    backups: [db]
	backups:
	  db:
	    source: volume:$V-src
	    destinations: [{path: repo}]
	    verify: 100%
	EOF
	vlist $V-src >first.lst
'

test_expect_success 'backup reads the volume without a running container' '
	"$CCBUILD" backup dev >out &&
	grep "backup:db  snapshot" out &&
	test $(ls repo/snapshots/db | wc -l) = 1 &&
	test -z "$(docker ps -aq --filter label=ccbuild.backup.helper --filter volume=$V-src)"
'

test_expect_success 'an unchanged volume makes no snapshot' '
	"$CCBUILD" backup dev >out &&
	grep "up to date" out && test $(ls repo/snapshots/db | wc -l) = 1
'

test_expect_success 'a change makes a second snapshot storing only the change' '
	docker run --rm -v $V-src:/data $IMG sh -c "echo changed >>/data/a" &&
	"$CCBUILD" backup dev >out &&
	test $(ls repo/snapshots/db | wc -l) = 2 &&
	grep -E "[0-9.]+ (B|KiB) new" out
'

test_expect_success 'restore the first snapshot into a new volume, byte-exact' '
	first=$("$CCBUILD" backups dev db | tail -n 1 | awk "{print \$1}") &&
	"$CCBUILD" restore dev db --snapshot $first --to volume:$V-new >out &&
	grep verified out &&
	vlist $V-new >new.lst &&
	test_cmp first.lst new.lst
'

test_expect_success 'restore refuses a volume that exists, and leaves it alone' '
	vlist $V-src >before.lst &&
	test_expect_code 1 "$CCBUILD" restore dev db --to volume:$V-src 2>err &&
	grep "exists already" err &&
	vlist $V-src >after.lst && test_cmp before.lst after.lst
'

test_expect_success 'a missing source volume is an error naming it' '
	sed -i "s/volume:$V-src/volume:$V-none/" ccbuild.yaml &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err &&
	grep "volume $V-none does not exist" err
'

test_expect_success 'cleanup' '
	docker volume rm $V-src $V-new >/dev/null
'

test_done
