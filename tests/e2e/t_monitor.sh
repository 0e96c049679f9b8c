# shellcheck shell=bash
# monitor (DESIGN.md §6): expiry notices once per certificate and
# threshold, none for a replaced certificate, --at records nothing.

monitor_notices_once() {
	local t r
	must ck init --hostname mon --fqdn mon.test.example --days 20 --json
	t=$(json_get .Thumbprint)
	must ck new --domain soon.test.example --days 5 --json
	r=$(json_get .Thumbprint)
	must ck clone "$r" --days 5 --json
	# What would happen in 40 days: recorded nothing.
	must ck monitor --at "$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)" --json
	assert_jq "map(select(.Id == 1002 and .Thumbprint == \"$t\")) | length == 1"
	assert_jq "map(select(.Id == 12015 and .Thumbprint == \"$t\")) | length == 1"
	assert_jq "map(select(.Thumbprint == \"$r\")) | length == 0"
	assert_eq 0 "$(event_count 1002)" "1002 after --at"
	# Now: the host certificate crossed 30 days (one notice), the clone of
	# the replaced one crossed 7; the replaced one gets nothing.
	must ck monitor --json
	assert_jq "map(select(.Thumbprint == \"$t\")) | map(.Kind) == [\"expiring-30\"]"
	assert_jq "map(select(.Thumbprint == \"$r\")) | length == 0"
	assert_jq 'map(select(.Kind == "expiring-7")) | length == 1'
	must ck monitor --json
	assert_json 'length' 0
	must ck events --id 1003 --json
	assert_json 'length' 2
	assert_jq "map(.Fields.Thumbprint) | index(\"$r\") == null"
}
tcase "monitor: 1003 once per threshold, none for a replaced certificate, --at records nothing" \
	monitor_notices_once

# bench_monitor.sh measures the peak resident size of monitor passes over
# 2,000 and 20,000 due certificates; one that held every due certificate
# grew by about 1,100 bytes each, one that reads a page at a time by under
# 100 (SQLite's page cache filling up to its cap).
monitor_memory_flat() {
	local mode per
	BENCH_CLI=$CK must bash "$E2E_TOP/bench/bench_monitor.sh" 20000
	grep -qx 'result: ok' "$T/out" || fail "bench_monitor.sh: $(tail -3 "$T/out")"
	for mode in what-if apply; do
		per=$(sed -n "s/^monitor_${mode}_bytes_per_due_certificate: //p" "$T/out")
		[ -n "$per" ] || fail "no figure for $mode"
		[ "$per" -lt 400 ] || fail "$mode: $per bytes per due certificate"
	done
}
tcase_nosan "the sanitizers' own memory is what it would measure" "monitor: memory stays flat with the number of due certificates (every notice once)" \
	monitor_memory_flat
