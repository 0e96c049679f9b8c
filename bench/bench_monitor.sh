#!/bin/bash
# bench_monitor.sh - the monitor's memory against the number of due
# certificates, through the real binary:
#
#   bash bench/bench_monitor.sh [N]     (make bench: N = 100,000; make bench-smoke: 2,000)
#
# Two stores hold N/10 and N certificates that all expire within the first
# notice threshold (written with sqlite3, as bench_rebind.sh writes its
# bindings; the monitor reads no certificate's DER). On each, the peak
# resident size (GNU time's %M) of a what-if pass (`monitor --at T`: every
# notice reported, nothing written) and of a recorded one (`--apply`: every
# notice and its event written) is measured. The reference is the same
# command on the smaller store in the same run: a pass that streams has a
# ratio near 1 and a few bytes per certificate; one that holds its due
# certificates grows by about a kilobyte each. Ends with result: ok|FAILED
# (every notice must be reported, and recorded once).
set -euo pipefail

N=${1:-100000}
CK=${BENCH_CLI:-bin/certkeep}
dir=$(mktemp -d /var/tmp/certkeep-monitor.XXXXXX)
trap 'rm -rf "$dir"' EXIT
failed=0

# make_store DIR COUNT: a store whose COUNT certificates expire on
# 2030-01-10 (not_after), ten a second, so pages end inside runs of equal
# dates.
make_store() {
	"$CK" --store "$1" init > /dev/null
	sqlite3 "$1/certkeep.db" <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO certificates(thumbprint, sha256, key_id, serial, key_type, subject, issuer,
  not_before, not_after, version, self_signed, services, added, der)
SELECT printf('%040X', i), printf('%064X', i), printf('%064X', i), printf('%X', i), 'ec:P-256',
  'CN=host' || i || '.bench.example', 'CN=host' || i || '.bench.example',
  1893456000 - 86400 * 90, 1894233600 + i / 10, 3, 1, 0, 0, x'3003020101'
FROM n;
INSERT INTO certificate_domains(cert_id, position, domain)
SELECT id, 0, lower(substr(subject, 4)) FROM certificates WHERE der = x'3003020101';
COMMIT;
SQL
}

# peak_kib ARGS...: the certkeep run's peak resident size in KiB; its
# standard output goes to $dir/out.
peak_kib() {
	/usr/bin/time -f %M -o "$dir/time" "$CK" "$@" > "$dir/out"
	cat "$dir/time"
}

small=$((N / 10))
make_store "$dir/small" "$small"
make_store "$dir/large" "$N"
at=2030-01-01T00:00:00Z
for mode in what-if apply; do
	extra=()
	[ "$mode" = apply ] && extra=(--apply)
	s=$(peak_kib --store "$dir/small" monitor --at "$at" "${extra[@]}")
	ns=$(grep -cE '(^| )1003 ' "$dir/out" || true)
	l=$(peak_kib --store "$dir/large" monitor --at "$at" "${extra[@]}")
	nl=$(grep -cE '(^| )1003 ' "$dir/out" || true)
	# The host's own certificate (five years) is not due at $at.
	if [ "$ns" -ne "$small" ] || [ "$nl" -ne "$N" ]; then
		echo "FAILED: $mode reported $ns of $small and $nl of $N notices"
		failed=1
	fi
	echo "monitor_${mode}_${small}_due_peak: $s KiB"
	echo "monitor_${mode}_${N}_due_peak: $l KiB"
	echo "monitor_${mode}_bytes_per_due_certificate: $(( (l - s) * 1024 / (N - small) ))"
	echo "monitor_${mode}_ratio_peak_${N}_over_${small}: $(awk -v a="$l" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
done
recorded=$(sqlite3 "$dir/large/certkeep.db" "SELECT count(*) FROM events WHERE id = 1003")
if [ "$recorded" -ne "$N" ]; then
	echo "FAILED: $recorded events 1003 recorded, expected $N"
	failed=1
fi
again=$("$CK" --store "$dir/large" monitor --at "$at" --apply | grep -cE '(^| )1003 ' || true)
if [ "$again" -ne 0 ]; then
	echo "FAILED: a second pass raised $again notices again"
	failed=1
fi
[ "$failed" -eq 0 ] && echo "result: ok" || { echo "result: FAILED"; exit 1; }
