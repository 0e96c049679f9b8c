#!/bin/bash
# bench_rebind.sh - rebinding N bindings (default 1,000) from one
# certificate to its renewal, through the real binary:
#
#   bash bench/bench_rebind.sh [N]      (make bench; make bench-smoke: N=50)
#
# The N bindings (certificate and key file each, one shared reload command)
# are written into the store with sqlite3, as a large installation would
# have them; then two rebinds are timed: the first deployment (each path
# becomes a link) and a steady-state renewal (a new generation per site,
# the old one removed). Each binding is deployed (files fsync'ed, one
# rename switches them), moved in its own transaction with its event, and
# the reload runs once. Prints one figure per line and ends with
# result: ok|FAILED (every binding must end on the new certificate with its
# files matching).
set -euo pipefail

N=${1:-1000}
CK=${BENCH_CLI:-bin/certkeep}
dir=$(mktemp -d /var/tmp/certkeep-rebind.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export CERTKEEP_STORE="$dir/store"
mkdir "$dir/files"

ms() { date +%s%N; }

t1=$("$CK" new --domain rebind.bench.example --services IIS --json | jq -r .Thumbprint)
{
	echo "BEGIN;"
	for i in $(seq 1 "$N"); do
		printf "INSERT INTO bindings(site, endpoint, service, thumbprint, cert_file, chain_file, key_file, combined_file, owner, grp, mode, reload, created) VALUES('s%d', '127.0.0.1:%d', 8, '%s', '%s/files/s%d/cert.pem', '', '%s/files/s%d/key.pem', '', '', '', 384, 'true', 0);\n" \
			"$i" "$((10000 + i))" "$t1" "$dir" "$i" "$dir" "$i"
		mkdir "$dir/files/s$i"
	done
	echo "COMMIT;"
} | sqlite3 "$dir/store/certkeep.db"

t2=$("$CK" clone "$t1" --json | jq -r .Thumbprint)
a=$(ms)
"$CK" rebind --old "$t1" --new "$t2" --json > "$dir/r1.json"
b=$(ms)
t3=$("$CK" clone "$t2" --json | jq -r .Thumbprint)
c=$(ms)
"$CK" rebind --old "$t2" --new "$t3" --json > "$dir/r2.json"
d=$(ms)

ok=ok
[ "$(jq '[.[] | select(.Result == "moved")] | length' "$dir/r2.json")" -eq "$N" ] || ok=FAILED
[ "$("$CK" bind list --json | jq "[.[] | select(.Thumbprint == \"$t3\" and .FilesMatch)] | length")" -eq "$N" ] || ok=FAILED
gens=$(find "$dir/files" -maxdepth 2 -name '.certkeep+*+*' | wc -l)
[ "$gens" -eq "$N" ] || ok=FAILED

awk -v n="$N" -v first=$(((b - a) / 1000)) -v steady=$(((d - c) / 1000)) -v gens="$gens" 'BEGIN {
	printf "bindings: %d\n", n
	printf "rebind_first_deploy_total: %.3f s\n", first / 1e6
	printf "rebind_first_deploy_per_binding: %.3f ms\n", first / 1e3 / n
	printf "rebind_renewal_total: %.3f s\n", steady / 1e6
	printf "rebind_renewal_per_binding: %.3f ms\n", steady / 1e3 / n
	printf "rebind_renewal_rate: %.0f bindings/s\n", n / (steady / 1e6)
	printf "generations_left: %d (one per site)\n", gens
}'
echo "result: $ok"
[ "$ok" = ok ]
