#!/bin/bash
# ccbuild backup with encrypt: {key_file:}: init-key writes 32 random bytes
# with mode 600 and never overwrites; an encrypted backup round-trips
# byte-exact and stores no plaintext (contents, names, hashes); a wrong key
# is refused up front, a changed byte of an encrypted object is found by
# verify and named, and plain and encrypted backups never share a
# repository.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: encryption'

listing () {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

manifest () { # manifest KEYLINE DEST...
	key=$1
	shift
	{
		printf 'ccbuild: 1\nproject: bk\nprofiles:\n  dev:\n    backups: [data]\n'
		printf 'backups:\n  data:\n    source: path:src\n    destinations:\n'
		for d; do printf '      - path: %s\n' "$d"; done
		printf '    verify: 100%%\n'
		test -z "$key" || printf '    encrypt: %s\n' "$key"
	} >ccbuild.yaml
}

test_expect_success 'init-key writes 32 random bytes with mode 600, without a manifest' '
	mkdir keys && cd keys &&
	umask 022 && "$CCBUILD" backup init-key sub/backup.key >out &&
	test "$(stat -c %a sub)" = 700 &&
	grep "mode 600" out &&
	test "$(stat -c %a sub/backup.key)" = 600 &&
	test "$(stat -c %s sub/backup.key)" = 32 &&
	"$CCBUILD" backup init-key other.key &&
	! cmp -s sub/backup.key other.key
'

test_expect_success 'init-key never overwrites a key' '
	cp keys/sub/backup.key saved.key &&
	test_expect_code 1 "$CCBUILD" backup init-key keys/sub/backup.key 2>err &&
	grep "exists already" err &&
	cmp saved.key keys/sub/backup.key
'

test_expect_success 'setup: a source with a recognisable secret' '
	mkdir -p src/sub &&
	echo "TOPSECRET-PAYLOAD-1234" >src/secret.txt &&
	head -c 2500000 /dev/urandom >src/sub/big.bin &&
	ln -s secret.txt src/link &&
	manifest "{key_file: keys/sub/backup.key}" repo1 repo2 &&
	listing src >first.lst
'

test_expect_success 'an encrypted backup writes both destinations and verifies' '
	"$CCBUILD" backup dev >out &&
	grep "backup:data  snapshot" out && grep verified out &&
	grep "\"aes-256-gcm\"" repo1/config && grep "\"aes-256-gcm\"" repo2/config
'

test_expect_success 'no plaintext in the repository: contents, paths, content hashes' '
	sum=$(sha256sum src/secret.txt | cut -c1-64) &&
	! grep -r -l "TOPSECRET" repo1 &&
	! grep -r -l "secret.txt" repo1 &&
	! grep -r -l "path:" repo1/snapshots &&
	! grep -r -l "$sum" repo1 &&
	test ! -e repo1/objects/$(echo $sum | cut -c1-2)/$sum &&
	test "$(head -c 4 repo1/snapshots/data/*.json)" = ccE1
'

test_expect_success 'an unchanged source is up to date; one change stores little' '
	"$CCBUILD" backup dev >out && grep "up to date" out &&
	echo more >>src/secret.txt &&
	"$CCBUILD" backup dev >out && grep "read 1 files" out &&
	test $(ls repo1/snapshots/data | wc -l) = 2
'

test_expect_success 'restore of the first snapshot is byte-exact' '
	first=$("$CCBUILD" backups dev data | tail -n 1 | awk "{print \$1}") &&
	"$CCBUILD" restore dev data --snapshot $first --to path:$TRASH/restored &&
	listing restored >out.lst &&
	test_cmp first.lst out.lst
'

test_expect_success 'an encrypted backup:NAME step runs only when the source changed' '
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*done" out &&
	test $(ls repo1/snapshots/data | wc -l) = 2 &&
	"$CCBUILD" plan dev >out && grep "backup:data  up to date" out &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*up-to-date" out &&
	echo step >>src/sub/step.txt &&
	"$CCBUILD" plan dev >out && grep "backup:data  would run: source changed" out &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*done" out &&
	test $(ls repo1/snapshots/data | wc -l) = 3 &&
	"$CCBUILD" dev >out 2>&1 && grep "backup:data.*up-to-date" out &&
	rm src/sub/step.txt && "$CCBUILD" backup dev >/dev/null
'

test_expect_success 'backups says encrypted and lists both destinations as holding each snapshot' '
	"$CCBUILD" backups dev data >out &&
	grep "encrypted" out &&
	test $(grep -c "in 1,2  verified 1:ok 2:ok" out) = 4
'

test_expect_success 'a wrong key is refused up front, naming the repository, by every command' '
	"$CCBUILD" backup init-key wrong.key &&
	manifest "{key_file: wrong.key}" repo1 repo2 &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err &&
	grep "repo1: the repository is encrypted under another key" err &&
	test_must_fail "$CCBUILD" restore dev data --to path:$TRASH/r2 2>err &&
	grep "another key" err && test ! -e r2 &&
	test_must_fail "$CCBUILD" backups dev 2>err && grep "another key" err &&
	test_must_fail "$CCBUILD" backup verify dev data --all 2>err && grep "another key" err &&
	test $(ls repo1/snapshots/data | wc -l) = 4
'

test_expect_success 'a key file that is no key, or missing, is an error naming it' '
	head -c 31 /dev/urandom >short.key &&
	manifest "{key_file: short.key}" repo1 &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err &&
	grep "short.key: a key is exactly 32 bytes" err &&
	manifest "{key_file: nowhere.key}" repo1 &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err &&
	grep "nowhere.key: No such file" err
'

test_expect_success 'encrypt: without key_file is a manifest error with its position' '
	manifest "{keyfile: k}" repo1 &&
	test_expect_code 2 "$CCBUILD" backup dev 2>err &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: .*key_file" err
'

test_expect_success 'a flipped byte in an encrypted object is found by verify, naming snapshot and path' '
	manifest "{key_file: keys/sub/backup.key}" repo1 repo2 &&
	obj=$(find repo1/objects -type f -size +1000k | head -n 1) &&
	chmod u+w $obj &&
	printf "\\001" | dd of=$obj bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	test_expect_code 1 "$CCBUILD" backup verify dev data --all 2>err &&
	grep "repo1: snapshot [0-9a-f]* (.*): /sub/big.bin: object [0-9a-f]* corrupt: authentication failed" err &&
	! grep "repo2.*corrupt" err &&
	"$CCBUILD" backups dev data >out &&
	grep "1:CORRUPT 2:ok" out
'

test_expect_success 'a restore from it fails and leaves the target as it was' '
	listing src >before.lst &&
	test_must_fail "$CCBUILD" restore dev data 2>err &&
	grep "corrupt" err &&
	listing src >after.lst && test_cmp before.lst after.lst
'

test_expect_success 'a plain backup into an encrypted repository is refused' '
	manifest "" repo2 &&
	test_expect_code 1 "$CCBUILD" backup dev 2>err &&
	grep "repo2: the repository is encrypted (aes-256-gcm); this backup has no encrypt:" err &&
	test $(ls repo2/snapshots/data | wc -l) = 4
'

test_expect_success 'an encrypted backup into a plain repository is refused; the others go on' '
	manifest "" plain &&
	"$CCBUILD" backup dev &&
	grep "\"none\"" plain/config &&
	manifest "{key_file: keys/sub/backup.key}" plain repo3 &&
	test_expect_code 1 "$CCBUILD" backup dev >out 2>err &&
	grep "degraded: .*plain: the repository is not encrypted" err &&
	test $(ls plain/snapshots/data | wc -l) = 1 &&
	test $(ls repo3/snapshots/data | wc -l) = 1
'

# A volume source: the same sealing through the engine's tar stream.
docker_answers_ || test_skip "no docker engine"
V=t0830v$TEST_ID
IMG=ccbuild-test/busybox:latest

test_expect_success 'an encrypted volume backup restores byte-exact into a new volume' '
	docker volume create $V-src >/dev/null &&
	docker run --rm -v $V-src:/data $IMG sh -c "echo VOLSECRET-77 >/data/a && head -c 1500000 /dev/urandom >/data/big" &&
	cat >ccbuild.yaml <<-EOF &&
	ccbuild: 1
	project: bk
	profiles:
	  dev:
	    backups: [vol]
	backups:
	  vol:
	    source: volume:$V-src
	    destinations: [{path: vrepo}]
	    verify: 100%
	    encrypt: {key_file: keys/sub/backup.key}
	EOF
	"$CCBUILD" backup dev >out && grep "backup:vol  snapshot" out &&
	! grep -r -l VOLSECRET vrepo &&
	"$CCBUILD" backup dev >out && grep "up to date" out &&
	"$CCBUILD" restore dev vol --to volume:$V-new &&
	docker run --rm -v $V-src:/a -v $V-new:/b $IMG sh -c "cmp /a/a /b/a && cmp /a/big /b/big"
'

test_expect_success 'cleanup' '
	docker volume rm $V-src $V-new >/dev/null
'
test_skip ""

test_done
