#!/bin/bash
# Compressed backups (repository format 2): a compressible tree stores far
# under its size and restores byte-identical; noise is stored plain; a
# format-1 repository (made with compression: off, as every ccbuild before
# made them) keeps working and is upgraded in place, its old snapshots
# restoring; a flipped or truncated compressed object is refused by verify
# and by restore; a newer format is refused by name.
. "$(dirname "$0")/test-lib.sh"
test_description 'backup: compression, format 1 to 2, corrupt compressed objects'

. "$SRCROOT/tests/lib/backup.sh"
listing () { backup_listing "$@"; }
bytes () { find "$1" -type f -printf "%s\n" | awk "{n += \$1} END {print n + 0}"; }
# object REPO FILE: where the one-chunk file FILE is stored (.zst or plain)
object () {
	sum=$(sha256sum "$2" | cut -c1-64) &&
	ls "$1/objects/$(echo $sum | cut -c1-2)/$sum"* 2>/dev/null
}

test_expect_success 'setup: text (compressible) and noise, compression: off' '
	mkdir -p src/logs &&
	for i in $(seq 1 40); do seq $((i * 1000)) $((i * 1000 + 20000)) >src/logs/app$i.log || return 1; done &&
	head -c 200000 /dev/urandom >src/noise.bin &&
	BACKUP_DESTS=repo1 backup_path_manifest "compression: off" &&
	listing src >v1.lst
'

test_expect_success 'compression: off makes a format-1 repository of plain objects' '
	"$CCBUILD" backup dev >out &&
	test "$(cat repo1/CCBUILD-BACKUP)" = "ccbuild backup repository 1" &&
	test -z "$(find repo1/objects -name "*.zst")" &&
	test $(bytes repo1/objects) -ge $(bytes src) &&
	ls repo1/snapshots/data | sed "s/\.json\$//" >v1.id
'

test_expect_success 'compression on: the repository becomes format 2, new objects compressed' '
	sed -i "/compression: off/d" ccbuild.yaml &&
	seq 1 50000 >src/logs/new.log &&
	"$CCBUILD" backup dev >out &&
	grep "stored)" out &&
	test "$(cat repo1/CCBUILD-BACKUP)" = "ccbuild backup repository 2" &&
	grep "\"ccbuild_repository\": 2" repo1/config &&
	case "$(object repo1 src/logs/new.log)" in *.zst) ;; *) false ;; esac &&
	case "$(object repo1 src/logs/app1.log)" in *.zst) false ;; esac
'

test_expect_success 'the format-1 snapshot still restores byte-identical, and verify reads both kinds' '
	"$CCBUILD" restore dev data --snapshot $(cat v1.id) --to path:$TRASH/r1 &&
	listing r1 >r1.lst && test_cmp v1.lst r1.lst &&
	"$CCBUILD" backup verify dev data --all >out &&
	test $(grep -c ": ok" out) = 2
'

test_expect_success 'a fresh repository stores a compressible tree well under its size' '
	sed -i "s|- path: repo1|- path: repo2|" ccbuild.yaml &&
	"$CCBUILD" backup dev >out &&
	size=$(bytes src) && stored=$(bytes repo2/objects) &&
	echo "source $size bytes, objects $stored bytes" &&
	test $stored -lt $((size / 3)) &&
	case "$(object repo2 src/noise.bin)" in *.zst) false ;; "") false ;; esac &&
	"$CCBUILD" backups dev data >list && grep " new (.* stored)  in 1" list
'

test_expect_success 'restore of a compressed snapshot is byte-identical' '
	listing src >v2.lst &&
	"$CCBUILD" restore dev data --to path:$TRASH/r2 >out &&
	listing r2 >r2.lst && test_cmp v2.lst r2.lst
'

test_expect_success 'compression: max stores no more than auto' '
	sed -i "s|- path: repo2|- path: repo3|; s|^    source: path:src|    compression: max\n    source: path:src|" ccbuild.yaml &&
	"$CCBUILD" backup dev >out &&
	test $(bytes repo3/objects) -le $(bytes repo2/objects) &&
	"$CCBUILD" restore dev data --to path:$TRASH/r3 && listing r3 >r3.lst && test_cmp v2.lst r3.lst &&
	sed -i "/compression: max/d; s|- path: repo3|- path: repo2|" ccbuild.yaml
'

test_expect_success 'a flipped byte in a compressed object: verify names it, restore refuses it' '
	obj=$(object repo2 src/logs/app7.log) && case "$obj" in *.zst) ;; *) false ;; esac &&
	chmod u+w $obj && cp $obj obj.good && echo $obj >obj.path &&
	test_flip_byte $obj 40 &&
	test_expect_code 1 "$CCBUILD" backup verify dev data --all 2>err &&
	grep "/logs/app7.log: object .* corrupt.*\.zst" err &&
	test_must_fail "$CCBUILD" restore dev data --to path:$TRASH/r4 2>err &&
	grep corrupt err && test ! -e r4
'

test_expect_success 'a truncated compressed object is refused as well' '
	obj=$(cat obj.path) && cp obj.good $obj && "$CCBUILD" backup verify dev data --all &&
	truncate -s -7 $obj &&
	test_expect_code 1 "$CCBUILD" backup verify dev data --all 2>err &&
	grep "app7.log: object .* corrupt" err &&
	listing src >before.lst &&
	test_must_fail "$CCBUILD" restore dev data 2>err &&
	listing src >after.lst && test_cmp before.lst after.lst &&
	cp obj.good $obj && "$CCBUILD" backup verify dev data --all
'

test_expect_success 'a repository of a newer format is refused, naming it' '
	cp -r repo2 repo9 && echo "ccbuild backup repository 3" >repo9/CCBUILD-BACKUP &&
	sed -i "s|- path: repo2|- path: repo9|" ccbuild.yaml &&
	test_must_fail "$CCBUILD" backups dev data 2>err &&
	grep "repo9: repository format 3 is newer than this ccbuild reads (1 to 2)" err &&
	sed -i "s|- path: repo9|- path: repo2|" ccbuild.yaml
'

test_expect_success 'compression: takes auto, off or max only, naming the place' '
	sed -i "s|^    source: path:src|    compression: fast\n    source: path:src|" ccbuild.yaml &&
	test_expect_code 2 "$CCBUILD" backup dev 2>err &&
	grep "ccbuild.yaml:[0-9]*:[0-9]*: .*compression must be auto, off or max" err
'

test_done
