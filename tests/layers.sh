#!/bin/sh
# layers.sh - the dependency rule of the source tree (README, "Layout"):
#
#   cli -> daemon -> core -> {pki, store, mail, net, dir} -> base
#
# and inside core, one room per capability, in this order:
#
#   lifecycle -> tls -> certs -> ca -> exit -> events
#
# (lifecycle renews, deploys and reacts; tls selects and probes endpoints'
# certificates; certs is the host store's certificates; ca the
# certificate authority, which signs and never writes the host store; exit
# delivers the outbox; events is the catalogue, writing events, and the
# exit module's settings and queue, since an event and its mail are one
# step). A file of src/core/ROOM is in folder "core/ROOM".
#
# A file under src/ includes project headers written from src/
# ("base/err.h"), only from its own folder or a lower layer, never from a
# folder beside it on its layer, and never another folder's private -int.h.
# OpenSSL's headers are included by pki only, SQLite's by store only,
# libcurl's by mail and net only. Prints each violation and exits 1 if any.
cd "$(dirname "$0")/../src" || exit 2
mkdir -p ../build

rank() {
	case $1 in
	base) echo 0 ;;
	pki | store | mail | net | dir) echo 1 ;;
	core/events) echo 2 ;;
	core/exit) echo 3 ;;
	core/ca) echo 4 ;;
	core/certs) echo 5 ;;
	core/tls) echo 6 ;;
	core/lifecycle) echo 7 ;;
	daemon) echo 8 ;;
	cli) echo 9 ;;
	*) echo -1 ;;
	esac
}

# The folder of a file: its first component, two for core.
folder() {
	case $1 in
	core/*/*) echo "${1%/*}" ;;
	*) echo "${1%%/*}" ;;
	esac
}

bad=0
say() {
	echo "layers: $*"
	bad=1
}

for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	own=$(folder "$f")
	r=$(rank "$own")
	[ "$r" -ge 0 ] || { say "$f: folder '$own' has no layer (add it to tests/layers.sh)"; continue; }
	grep -n '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=${line#*:}
		case $inc in
		*'<openssl/'*) [ "$own" = pki ] || echo "$f:$n: only pki includes OpenSSL" ;;
		*'<sqlite3.h>'*) [ "$own" = store ] || echo "$f:$n: only store includes SQLite" ;;
		*'<curl/'*) [ "$own" = mail ] || [ "$own" = net ] || echo "$f:$n: only mail and net include libcurl" ;;
		*'"'*)
			h=${inc#*\"}
			h=${h%%\"*}
			to=$(folder "$h")
			if [ "$to" = "$h" ] || [ ! -f "$h" ]; then
				echo "$f:$n: \"$h\" is not written from src/ (as \"$own/${h##*/}\")"
				continue
			fi
			if [ "$to" != "$own" ]; then
				tr=$(rank "$to")
				case $h in
				*-int.h) echo "$f:$n: \"$h\" is $to's private header" ;;
				esac
				if [ "$tr" -ge "$r" ]; then
					echo "$f:$n: $own may not include \"$h\" ($to is not below $own)"
				fi
			fi
			;;
		esac
	done
done > ../build/layers.out 2>&1 || true
if [ -s ../build/layers.out ]; then
	sed 's/^/layers: /' ../build/layers.out
	exit 1
fi
[ "$bad" -eq 0 ] || exit 1
echo "layers: $(find . -name '*.[ch]' | wc -l) files follow the dependency rule"
