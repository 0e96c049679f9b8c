#!/bin/sh
# circles.sh - no circle between source files: if a.c calls (or reads)
# something b.c defines, nothing b.c uses may lead back to a.c. Read from
# the objects' symbol tables (nm), so a call declared in any header
# counts, not only an include. Prints each circle and exits 1 if any.
cd "$(dirname "$0")/.." || exit 2
objs=$(find src -name '*.c' | sort | sed 's|^|build/obj/|; s|\.c$|.o|')
for o in $objs; do
	[ -f "$o" ] || { echo "circles: $o is missing: build first (make all)"; exit 2; }
done
mkdir -p build
for o in $objs; do
	f=${o#build/obj/src/}
	nm -g --defined-only "$o" | awk -v f="${f%.o}" 'NF == 3 { print "D", $3, f }'
	nm -g --undefined-only "$o" | awk -v f="${f%.o}" '{ print "U", $NF, f }'
done | awk '
	$1 == "D" { def[$2] = $3; next }
	{ use[NR] = $3 " " $2 }
	END { for (i in use) { split(use[i], p, " "); if (p[2] in def && def[p[2]] != p[1]) print p[1], def[p[2]] } }
' | sort -u > build/circles.edges
# tsort names each loop it breaks on standard error.
if tsort build/circles.edges 2>build/circles.out >/dev/null && [ ! -s build/circles.out ]; then
	echo "circles: $(wc -l < build/circles.edges) calls between $(echo "$objs" | wc -l) files, none in a circle"
	exit 0
fi
sed 's/^tsort: /circles: /' build/circles.out
exit 1
