#!/bin/bash
# Runs every example of docs/certkeep.1.in (lines "$ ..." inside .EX/.EE),
# in order, in one shell, against a fresh store: a documented example that
# stops working fails the build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script="$work/examples.sh"
{
	echo 'set -euo pipefail'
	awk '/^\.EX/{ex=1; next} /^\.EE/{ex=0; next} ex && /^\$ /{ sub(/^\$ /, ""); print }' \
		"$top/docs/certkeep.1.in" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g'
} > "$script"
n=$(grep -vc '^set ' "$script")
[ "$n" -gt 0 ] || { echo "man-examples: no examples found"; exit 1; }
cd "$work"
PATH="$top/bin:$PATH" CERTKEEP_STORE="$work/store" bash -x "$script" > "$work/out" 2>&1 || {
	cat "$work/out"
	echo "man-examples: 0 passed, 1 failed"
	exit 1
}
echo "man-examples: $n commands ran"
echo "man-examples: 1 passed, 0 failed"
