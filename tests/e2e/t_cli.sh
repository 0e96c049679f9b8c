# shellcheck shell=bash
# The command line: global options anywhere, --help, --version, the store's
# location (DESIGN.md §2, §10).

# The commands certkeep must have (the command table may grow).
CLI_COMMANDS="init list show new import export enable disable clone remove events help"

global_json_anywhere() {
	use_store populated
	must ck --json list
	cp "$T/out" a.json
	must ck list --json
	cmp -s a.json "$T/out" || fail "'--json list' and 'list --json' differ"
	assert_jq 'type == "array" and length == 5' a.json
	must ck --json show "$(thumb_of a.example.org)"
	assert_json .CertificateDomains[0] a.example.org
	must ck show "$(thumb_of a.example.org)" --json
	assert_json .CertificateDomains[0] a.example.org
}
tcase "cli: --json before or after the command" global_json_anywhere

global_store_anywhere() {
	use_store populated
	mv "$T/store" "$T/other"
	unset CERTKEEP_STORE
	must ck --store "$T/other" list --json
	assert_json length 5
	cp "$T/out" a.json
	must ck list --store "$T/other" --json
	cmp -s a.json "$T/out" || fail "'--store D list' and 'list --store D' differ"
	must ck list --json --store="$T/other"
	cmp -s a.json "$T/out" || fail "--store=D differs"
	# CERTKEEP_STORE selects the store; --store wins over it.
	CERTKEEP_STORE="$T/other" expect_exit 0 ck list --json
	cmp -s a.json "$T/out" || fail "CERTKEEP_STORE differs"
	CERTKEEP_STORE="$T/other" expect_exit 0 ck --store "$T/new" init --hostname h --fqdn h.example --json
	must ck --store "$T/new" list --json
	assert_json length 1
	must ck --store "$T/other" list --json
	assert_json length 5
}
tcase "cli: --store before or after the command, --store=D, CERTKEEP_STORE" global_store_anywhere

global_verbose_anywhere() {
	use_store host
	must ck -v list
	assert_err_contains "$T/store"
	must ck list -v --json
	assert_err_contains "$T/store"
	assert_json length 1
}
tcase "cli: -v before or after the command" global_verbose_anywhere

help_every_command() {
	local c listed
	must ck --help
	grep -q '^usage: certkeep' "$T/out" || fail "--help has no usage line"
	listed=$(awk '/^Commands:/{on=1; next} on && /^$/{on=0} on {print $1}' "$T/out" | tr '\n' ' ')
	for c in $CLI_COMMANDS; do
		[[ " $listed " == *" $c "* ]] || fail "--help does not list '$c' (lists: $listed)"
	done
	for c in $listed; do
		must ck "$c" --help
		grep -q "^usage: certkeep $c\b" "$T/out" || fail "'$c --help' has no 'usage: certkeep $c'"
		[ ! -s "$T/err" ] || fail "'$c --help' wrote to stderr"
		must ck help "$c"
		grep -q "^usage: certkeep $c\b" "$T/out" || fail "'help $c' has no 'usage: certkeep $c'"
	done
	# --help needs no store, and -h is the same.
	[ ! -e "$T/store" ] || fail "--help created a store"
	must ck -h list
	grep -q "^usage: certkeep list" "$T/out" || fail "'-h list' is not list's help"
}
tcase "cli: --help of every command exits 0 with 'usage: certkeep <cmd>'" help_every_command

no_args() {
	expect_exit 2 ck
	assert_out_empty
	assert_err_contains "usage: certkeep"
	expect_exit 2 ck --json
	expect_exit 2 ck help frob
	assert_err_contains frob
	[ ! -e "$T/store" ] || fail "a store was created"
}
tcase "cli: no command exits 2 with the usage on stderr" no_args

version() {
	must ck --version
	grep -Eq '^certkeep [0-9]+\.[0-9]+' "$T/out" || fail "--version: $(cat "$T/out")"
	[ "$(wc -l < "$T/out")" -eq 1 ] || fail "--version prints more than one line"
	must ck list --version
	grep -q '^certkeep ' "$T/out" || fail "'list --version' does not print the version"
}
tcase "cli: --version exits 0 and prints 'certkeep X.Y'" version

json_contract() {
	use_store populated
	must ck list --json
	# Keys sorted, times RFC 3339 UTC, serials and thumbprints in hex.
	[ "$(jq -S . "$T/out")" = "$(jq . "$T/out")" ] || fail "list --json keys are not sorted"
	assert_jq 'all(.[]; .Thumbprint | test("^[0-9A-F]{40}$"))'
	assert_jq 'all(.[]; .Added | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest");
		(.NotBefore, .NotAfter) | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest"); .SerialNumber | test("^[0-9A-F]+$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest"); .Sha256Fingerprint | test("^[0-9A-F]{64}$"))'
	assert_jq 'all(.[]; .Services | test("^[I.][P.][U.][W.][S.]$"))'
	assert_jq 'all(.[]; .Status | IN("Valid","DateInvalid","Revoked","Untrusted","Invalid","PendingRequest","RevocationCheckFailure","Unknown"))'
	assert_jq 'map(select(.IsSelfSigned)) | all(.[]; .Status != "Valid")'
	must ck events --json
	[ "$(jq -S . "$T/out")" = "$(jq . "$T/out")" ] || fail "events --json keys are not sorted"
	assert_jq 'map(.Seq) == (map(.Seq) | sort) and (map(.Seq) | unique | length) == length'
	assert_jq 'all(.[]; .Time | test("Z$"))'
	# No store output on stdout when a command fails.
	expect_exit 1 ck show DEADBEEFDEADBEEF --json
	assert_out_empty
}
tcase "cli: --json is sorted, RFC 3339 UTC times, hex serials, known Status values" json_contract
