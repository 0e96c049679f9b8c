#!/bin/bash
# bench_compare.sh - this tree's build against another revision's, side by
# side in one run: the store and CA benchmarks of each, alternating, and
# each figure of this build as a ratio to the same figure of the other.
#
#   bash bench/bench_compare.sh [REV] [N_STORE] [N_CA_FILL] [N_CA_BULK]
#
# REV (default HEAD~1) is built in a temporary worktree. Each benchmark
# runs ROUNDS times (default 2) per build, in the order old, new, old,
# new..., and a figure is the median of its rounds, so drift in the
# machine's speed falls on both. Ratios are new/old: for times (s, ms)
# below 1 is faster, for rates (/s) above 1 is faster. Prints
# "name: old new ratio" lines; exits non-zero if a benchmark failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD~1}
n_store=${2:-20000}
n_fill=${3:-20000}
n_bulk=${4:-2000}
rounds=${ROUNDS:-2}
work=$(mktemp -d /var/tmp/certkeep-compare.XXXXXX)
trap 'git -C "$top" worktree remove --force "$work/old" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$top" worktree add -q --detach "$work/old" "$rev"
for t in "$work/old" "$top"; do
	make -s -C "$t" -j2 bin/certkeep build/bench/bench_store build/bench/bench_ca > /dev/null
done

# One round of both benchmarks of tree $1 into $2.
run() {
	(cd "$1" && build/bench/bench_store "$n_store" && build/bench/bench_ca "$n_fill" "$n_bulk") \
		> "$2" 2>&1 || { echo "bench_compare: a benchmark of $1 failed:"; tail -20 "$2"; exit 1; }
}
for r in $(seq "$rounds"); do
	run "$work/old" "$work/old.$r"
	run "$top" "$work/new.$r"
done

# The figures with a number and a unit of time or rate, median per build.
figures() {
	cat "$@" | awk -F': ' 'NF == 2 && $2 ~ /^[0-9.]+ (s|ms|us|certs\/s|req\/s|\/s)/ {
		split($2, v, " "); print $1, v[1], v[2] }' |
		sort -k1,1 -k2,2n | awk '
		{ n[$1]++; val[$1, n[$1]] = $2; unit[$1] = $3 }
		END { for (k in n) print k, val[k, int((n[k] + 1) / 2)], unit[k] }' | sort
}
echo "bench_compare: $(git -C "$top" rev-parse --short "$rev") (old) against $(git -C "$top" rev-parse --short HEAD)+ (new), $rounds rounds each, store N=$n_store, CA $n_fill/$n_bulk"
join <(figures "$work"/old.*) <(figures "$work"/new.*) |
	awk '{ r = ($2 > 0) ? $4 / $2 : 0; printf "%s: %s %s -> %s %s  ratio %.2f\n", $1, $2, $3, $4, $5, r }'
