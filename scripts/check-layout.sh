#!/bin/bash
# scripts/check-layout.sh — the source tree keeps the shape docs/architecture.md
# describes.
#
#   scripts/check-layout.sh [SRCROOT [OBJROOT]]
#
# SRCROOT (default: this repository) holds src/; OBJROOT (default: SRCROOT)
# holds the built objects below the same paths, as BUILD= puts them
# (src/lib/base/error.o).  Fails, naming each offender, when
#  - a .c sits directly under src/ other than main.c;
#  - two files under src/ share a basename (ar keys members by basename,
#    and every folder is on the include path);
#  - a library .c (src/lib/*/*.c) has neither a header of its own (F.h beside
#    F.c) nor a first comment naming a header of its folder it implements;
#  - two objects call each other (A uses a symbol B defines and B one A
#    defines), from `nm` of the objects; skipped, with a note, when no
#    object is built.
# Prints one line per problem and "layout: ok" or "layout: N problems".

root=$(cd "${1:-$(dirname "$0")/..}" && pwd) || exit 2
objroot=$(cd "${2:-$root}" && pwd) || exit 2
cd "$root" || exit 2
problems=0
say () { echo "$*"; problems=$((problems + 1)); }

for f in src/*.c; do
	test -e "$f" || continue
	test "$f" = src/main.c || say "$f: a .c directly under src/ (only main.c lives there)"
done

while read -r n base; do
	test "$n" -gt 1 || continue
	say "basename $base used $n times:" $(find src -name "$base" | sort)
done < <(find src -name '*.[ch]' -printf '%f\n' | sort | uniq -c)

for f in src/lib/*/*.c; do
	test -e "$f" || continue
	dir=${f%/*} stem=${f##*/}; stem=${stem%.c}
	test -e "$dir/$stem.h" && continue
	# The first comment (up to its closing */) names the header.
	first=$(awk '{ print } /\*\// { exit }' "$f")
	ok=
	for h in $(printf '%s\n' "$first" | grep -o '[A-Za-z0-9_-]*\.h' | sort -u); do
		test -e "$dir/$h" && ok=1
	done
	test -n "$ok" || say "$f: no header of its own ($stem.h) and no first comment naming one in $dir/"
done

objs=()
for f in src/*.c src/cmd/*.c src/lib/*/*.c; do
	o=$objroot/${f%.c}.o
	test -e "$o" && objs+=("$o")
done
if test ${#objs[@]} = 0; then
	echo "# no objects below $objroot: call graph not checked (run make first)"
else
	# "FILE D SYM" for defined globals, "FILE U SYM" for references.
	edges=$(for o in "${objs[@]}"; do
		rel=${o#"$objroot"/}; rel=${rel%.o}.c
		nm -g "$o" | awk -v f="$rel" '
			$1 == "U" { print f, "U", $2; next }
			NF == 3 && $2 ~ /^[TDBRCVWG]$/ { print f, "D", $3 }'
	done | awk '
		$2 == "D" { def[$3] = $1; next }
		{ use[++n] = $1 " " $3 }
		END {
			for (i = 1; i <= n; i++) {
				split(use[i], a, " ")
				if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]], a[2]
			}
		}' | sort -u -k1,2)
	# edges: "FROM TO SYMBOL" (one symbol per pair); a pair both ways is a circle.
	while read -r a b sym; do
		test -n "$a" || continue
		back=$(printf '%s\n' "$edges" | awk -v a="$a" -v b="$b" '$1 == b && $2 == a { print $3; exit }')
		test -n "$back" && test "$a" \< "$b" &&
			say "circle: $a calls $b ($sym) and $b calls $a ($back)"
	done <<<"$edges"
fi

if test $problems = 0; then echo "layout: ok"; exit 0; fi
echo "layout: $problems problems"
exit 1
