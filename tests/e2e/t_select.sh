# shellcheck shell=bash disable=SC2015
# select, connector, diagnose: which certificate a TLS endpoint uses, and
# events 12014 / 12016 (DESIGN.md §4, §6; Exchange's inbound STARTTLS
# selection). Every case name starts with "select" so that
# `bash tests/e2e/run.sh select` runs them all.

# dated_cert NAME DOMAIN START END: a self-signed certificate NAME.pem with
# its key NAME.key for DOMAIN (CN and SAN), valid START .. END
# (YYYYMMDDHHMMSSZ), made with openssl ca in the case's directory.
dated_cert() {
	local d="cadb-$1"
	mkdir -p "$d" && : > "$d/index.txt" && echo 01 > "$d/serial" || fail "dated_cert $1: setup"
	cat > "$d/ca.cnf" <<-EOF
		[ca]
		default_ca = d
		[d]
		database = $d/index.txt
		serial = $d/serial
		new_certs_dir = $d
		default_md = sha256
		policy = p
		unique_subject = no
		copy_extensions = copy
		[p]
		commonName = supplied
	EOF
	{
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
			-out "$1.csr" -subj "/CN=$2" -addext "subjectAltName=DNS:$2" &&
		openssl ca -batch -config "$d/ca.cnf" -selfsign -keyfile "$1.key" -in "$1.csr" \
			-out "$1.pem" -startdate "$3" -enddate "$4"
	} > "$d/log" 2>&1 || fail "dated_cert $1: $(tail -3 "$d/log")"
}

# The issue's setup: host mx1, connector Internet for mail.contoso.test, and
# a certificate for that name enabled for IIS only; prints its thumbprint.
setup_internet() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	must ck connector add Internet --type receive --fqdn mail.contoso.test
	must ck new --domain mail.contoso.test --services IIS --json
	json_get .Thumbprint
}

# at_after THUMB: an RFC 3339 time one day after the certificate's NotAfter.
at_after() {
	ck show "$1" --json | jq -r '(.NotAfter | fromdateiso8601) + 86400 | todate'
}

sel_acceptance() {
	local t at
	t=$(setup_internet)
	[ -n "$t" ] || fail "no thumbprint"
	# An IIS-only certificate holds the name: STARTTLS has none (12014).
	expect_exit 3 ck diagnose
	grep -q '^1 problem found' "$T/out" || fail "diagnose does not report 1 problem"
	must ck events --id 12014 --json
	assert_json 'length' 1
	assert_json '.[0].Name' NoCertificateForFqdn
	assert_json '.[0].Level' error
	assert_json '.[0].Fields.Fqdn' mail.contoso.test
	assert_json '.[0].Fields.Connector' Internet
	assert_jq '.[0].Message | contains("mail.contoso.test") and contains("Internet")'
	assert_json '.[0].Fields.Fixes | length' 2
	assert_json '.[0].Fields.Fixes[0]' "certkeep new --domain mail.contoso.test --services SMTP"
	assert_json '.[0].Fields.Fixes[1]' "certkeep enable $t --services SMTP"
	assert_jq ".[0].Message | contains(\"certkeep enable $t --services SMTP\")"
	assert_json '.[0].Fields.CertificatesHoldingFqdn | tojson' "[\"$t\"]"

	# The fix: enable SMTP on it.
	must ck enable "$t" --services SMTP
	must ck diagnose
	grep -q '^0 problems found' "$T/out" || fail "diagnose does not report 0 problems"
	assert_eq 1 "$(event_count 12014)" "12014 events after the fix"
	must ck diagnose --json
	assert_json .Problems 0
	assert_json '.Connectors[0].Connector' Internet
	assert_json '.Connectors[0].Result' ok
	must ck select --fqdn mail.contoso.test --service SMTP --json
	assert_json .Selected.Thumbprint "$t"
	assert_json .Selected.Verdict chosen
	assert_json .Fqdn mail.contoso.test
	assert_json .Service SMTP
	assert_json .Expired false
	assert_json .Event null

	# After its NotAfter it is still used, with 12016.
	at=$(at_after "$t")
	must ck select --fqdn mail.contoso.test --service SMTP --at "$at" --json
	assert_json .Selected.Thumbprint "$t"
	assert_json .Selected.Status DateInvalid
	assert_json .Expired true
	assert_json .Event 12016
	must ck select --fqdn mail.contoso.test --service SMTP --at "$at"
	grep -q "EXPIRED" "$T/out" || fail "text output does not say EXPIRED"
	assert_eq 0 "$(event_count 12016)" "12016 events recorded by select"
	# diagnose --at is a what-if: it reports, and records nothing.
	expect_exit 3 ck diagnose --at "$at" --json
	assert_json '.Connectors[0].Result' expired
	assert_eq 0 "$(event_count 12016)" "12016 events recorded by diagnose --at"
	# A certificate that really has expired: diagnose records 12016.
	must ck import --cert "$FIX/expired.pem" --key "$FIX/expired.key" --services SMTP --json
	t=$(json_get .Thumbprint)
	must ck connector add Old --type receive --fqdn expired.example.org
	expect_exit 3 ck diagnose
	must ck events --id 12016 --json
	assert_json 'length' 1
	assert_json '.[0].Name' StartTlsCertificateExpired
	assert_json '.[0].Level' warning
	assert_json '.[0].Fields.Thumbprint' "$t"
	assert_json '.[0].Fields.Connector' Old
	assert_json '.[0].Fields.Fqdn' expired.example.org
	assert_eq 1 "$(event_count 12014)" "12014 events after diagnose"
}
tcase "select: acceptance: IIS-only cert -> 12014 with both fixes; enable SMTP -> clean; expired -> 12016" \
	sel_acceptance

sel_at_boundary() {
	local t na
	must ck new --domain mail.contoso.test --services SMTP --days 30 --json
	t=$(json_get .Thumbprint)
	na=$(json_get .NotAfter)
	must ck select --fqdn mail.contoso.test --service SMTP --at "$na" --json
	assert_json .Expired false
	assert_json .Event null
	must ck select --fqdn mail.contoso.test --service SMTP --at "$(at_after "$t")" --json
	assert_json .Expired true
	# --at before NotBefore: not yet valid, so nothing (exit 3).
	expect_exit 3 ck select --fqdn mail.contoso.test --service SMTP \
		--at 2000-01-01T00:00:00Z --json
	assert_json .Selected null
	assert_json .Event 12014
	assert_json '.Candidates[0].Verdict' not-yet-valid
	expect_exit 2 ck select --fqdn mail.contoso.test --service SMTP --at yesterday
	assert_err_one_line
	assert_err_contains "--at: invalid time 'yesterday'"
}
tcase "select: --at at NotAfter is not expired, after it is; before NotBefore not-yet-valid" \
	sel_at_boundary

sel_explain_every_candidate() {
	local t u w nk old fut n i th v line
	t=$(setup_internet)
	must ck enable "$t" --services SMTP
	# service-not-enabled (twice: one by the wildcard), no-private-key,
	# older, not-yet-valid.
	must ck new --domain mail.contoso.test --services IIS --json
	u=$(json_get .Thumbprint)
	must ck new --domain '*.contoso.test' --services IMAP --json
	w=$(json_get .Thumbprint)
	dated_cert nokey mail.contoso.test 20200101000000Z 20990101000000Z
	must ck import --cert nokey.pem --json
	nk=$(json_get .Thumbprint)
	dated_cert old mail.contoso.test 20200101000000Z 20990101000000Z
	must ck import --cert old.pem --key old.key --services SMTP --json
	old=$(json_get .Thumbprint)
	dated_cert fut mail.contoso.test 20900101000000Z 20990101000000Z
	must ck import --cert fut.pem --key fut.key --services SMTP --json
	fut=$(json_get .Thumbprint)

	must ck select --fqdn mail.contoso.test --service SMTP --json
	cp "$T/out" sel.json
	assert_json .Selected.Thumbprint "$t"
	assert_json '.Candidates | length' 6
	assert_json "[.Candidates[] | select(.Thumbprint == \"$u\") | .Verdict] | tojson" \
		'["service-not-enabled"]'
	assert_json "[.Candidates[] | select(.Thumbprint == \"$w\") | .Verdict] | tojson" \
		'["service-not-enabled"]'
	assert_json "[.Candidates[] | select(.Thumbprint == \"$nk\") | .Verdict] | tojson" \
		'["no-private-key"]'
	assert_json "[.Candidates[] | select(.Thumbprint == \"$old\") | .Verdict] | tojson" \
		'["older"]'
	assert_json "[.Candidates[] | select(.Thumbprint == \"$fut\") | .Verdict] | tojson" \
		'["not-yet-valid"]'
	assert_json "[.Candidates[] | select(.Thumbprint == \"$t\") | .Verdict] | tojson" \
		'["chosen"]'
	assert_jq '[.Candidates[] | .Reason | length > 0] | all'
	# The enable fix names the certificate.
	assert_jq ".Candidates[] | select(.Thumbprint == \"$u\") | .Reason |
		contains(\"certkeep enable $u --services SMTP\")"

	# --explain prints each of them, its verdict on the next line.
	must ck select --fqdn mail.contoso.test --service SMTP --explain
	cp "$T/out" explain.txt
	head -1 explain.txt | grep -q "^SMTP for mail.contoso.test: $t " ||
		fail "first line does not name the chosen certificate: $(head -1 explain.txt)"
	n=$(jq '.Candidates | length' sel.json)
	for i in $(seq 0 $((n - 1))); do
		th=$(jq -r ".Candidates[$i].Thumbprint" sel.json)
		v=$(jq -r ".Candidates[$i].Verdict" sel.json)
		line=$(grep -A1 -E "^  [*-] $th " explain.txt | tail -1)
		[[ $line == "    $v: "* ]] || fail "explain: $th should be '$v', got '$line'"
	done
	assert_eq "$n" "$(grep -cE '^  [*-] [0-9A-F]{40} ' explain.txt)" "candidates in --explain"
	assert_eq 1 "$(grep -cE '^  \* ' explain.txt)" "chosen lines in --explain"
	grep -qE "^  \* $t " explain.txt || fail "the chosen one is not marked with *"
}
tcase "select: --explain lists every candidate with its verdict (chosen, older, service, key, not yet valid)" \
	sel_explain_every_candidate

sel_no_certificate() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	snapshot before
	expect_exit 3 ck select --fqdn nothing.contoso.test --service SMTP --json
	assert_json .Selected null
	assert_json .Event 12014
	assert_json '.Candidates | length' 0
	expect_exit 3 ck select --fqdn nothing.contoso.test --service SMTP --explain
	grep -q "no certificate (event 12014)" "$T/out" || fail "text does not say no certificate"
	# select only reports; it records nothing.
	assert_unchanged before
	# The host certificate is found by either of its names.
	must ck select --fqdn MX1.Contoso.Test --service SMTP --json
	assert_json .Fqdn mx1.contoso.test
	assert_json .Selected.Subject CN=mx1
	must ck select --fqdn mx1 --service IMAP --json
	assert_json .Selected.Subject CN=mx1
}
tcase "select: no certificate: exit 3, Selected null, Event 12014, nothing recorded" sel_no_certificate

sel_wildcard() {
	local w
	must ck new --domain '*.contoso.test' --services SMTP --json
	w=$(json_get .Thumbprint)
	must ck select --fqdn mail.contoso.test --service SMTP --json
	assert_json .Selected.Thumbprint "$w"
	expect_exit 3 ck select --fqdn a.mail.contoso.test --service SMTP --explain
	grep -q "^SMTP for a.mail.contoso.test: no certificate" "$T/out" ||
		fail "a.mail.contoso.test: not 'no certificate'"
	grep -A1 -E "^  - $w " "$T/out" | tail -1 | grep -q '^    name-mismatch: ' ||
		fail "explain does not show the wildcard as name-mismatch"
	expect_exit 3 ck select --fqdn a.mail.contoso.test --service SMTP --json
	assert_json '.Candidates | length' 1
	assert_json '.Candidates[0].Thumbprint' "$w"
	assert_json '.Candidates[0].Verdict' name-mismatch
	# Nor the parent name.
	expect_exit 3 ck select --fqdn contoso.test --service SMTP --json
	assert_json '[.Candidates[] | select(.Verdict != "name-mismatch")] | length' 0
}
tcase "select: *.contoso.test serves mail.contoso.test, not a.mail.contoso.test (name-mismatch) nor contoso.test" \
	sel_wildcard

sel_usage() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	expect_exit 2 ck select --service SMTP
	assert_err_one_line
	assert_err_contains "--fqdn"
	expect_exit 2 ck select --fqdn mx1.contoso.test
	assert_err_one_line
	expect_exit 2 ck select --fqdn mx1.contoso.test --service SMTP,IIS
	assert_err_one_line
	assert_err_contains "one service"
	assert_out_empty
	expect_exit 1 ck select --fqdn 'a..contoso.test' --service SMTP
	assert_err_one_line
	expect_exit 1 ck select --fqdn '*.contoso.test' --service SMTP
	assert_err_one_line
}
tcase "select: usage: no --fqdn or --service exit 2, two services exit 2, a bad name exit 1" sel_usage

sel_connector_add_errors() {
	local long
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	must ck connector add Internet --type receive --fqdn mail.contoso.test
	snapshot before
	expect_exit 1 ck connector add 'bad name' --type receive
	assert_err_one_line
	assert_err_contains "connector name"
	expect_exit 1 ck connector add 'bad/name' --type receive
	assert_err_one_line
	printf -v long 'c%.0s' {1..65}
	expect_exit 1 ck connector add "$long" --type receive
	assert_err_one_line
	expect_exit 2 ck connector add Other --type sideways
	assert_err_one_line
	assert_err_contains "--type"
	expect_exit 2 ck connector add Other
	assert_err_one_line
	expect_exit 2 ck connector add Other --type send --tls maybe
	assert_err_one_line
	expect_exit 1 ck connector add Internet --type send
	assert_err_one_line
	assert_err_contains "Internet"
	expect_exit 1 ck connector add Other --type send --fqdn 'bad..contoso.test'
	assert_err_one_line
	expect_exit 1 ck connector add Other --type send --fqdn '*.contoso.test'
	assert_err_one_line
	expect_exit 1 ck connector add Other --type send --service-account 'bad account'
	assert_err_one_line
	expect_exit 1 ck connector remove Nope
	assert_err_one_line
	assert_err_contains "Nope"
	expect_exit 2 ck connector remove
	expect_exit 2 ck connector frob
	assert_unchanged before
}
tcase "select: connector add/remove errors: bad name 1, bad --type 2, duplicate 1, bad fqdn 1, unknown 1; unchanged" \
	sel_connector_add_errors

sel_connector_list() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	must ck connector list --json
	assert_json 'length' 0
	must ck connector add Internet --type receive --fqdn Mail.Contoso.TEST --json
	assert_json .Connector Internet
	assert_json .Action added
	must ck connector add Default --type receive
	must ck connector add Outbound --type send --tls off --service-account nobody
	must ck connector list --json
	assert_json 'length' 3
	assert_json 'map(.Name) | tojson' '["Default","Internet","Outbound"]'
	assert_json '.[] | select(.Name == "Internet") | .Fqdn' mail.contoso.test
	assert_json '.[] | select(.Name == "Internet") | .FqdnFromHost' false
	assert_json '.[] | select(.Name == "Internet") | .Type' receive
	assert_json '.[] | select(.Name == "Internet") | .Tls' true
	assert_json '.[] | select(.Name == "Internet") | .ServiceAccount' null
	assert_json '.[] | select(.Name == "Default") | .Fqdn' mx1.contoso.test
	assert_json '.[] | select(.Name == "Default") | .FqdnFromHost' true
	assert_json '.[] | select(.Name == "Outbound") | .Type' send
	assert_json '.[] | select(.Name == "Outbound") | .Tls' false
	assert_json '.[] | select(.Name == "Outbound") | .ServiceAccount' nobody
	must ck connector list
	grep -q '^Default .*mx1.contoso.test (host)$' "$T/out" || fail "text list: Default line"
	must ck events --id 1030 --json
	assert_json 'length' 3
	must ck connector remove Outbound --json
	assert_json .Action removed
	must ck events --id 1031 --json
	assert_json '.[0].Fields.Connector' Outbound
	must ck connector list --json
	assert_json 'map(.Name) | tojson' '["Default","Internet"]'
}
tcase "select: connector list --json (FQDN, host's FQDN, type, TLS, account); events 1030/1031" \
	sel_connector_list

sel_diagnose_host_fqdn_and_tls_off() {
	local h
	must ck init --hostname mx1 --fqdn mx1.contoso.test --json
	h=$(json_get .Thumbprint)
	must ck connector add Default --type receive
	must ck connector add Relay --type send --fqdn relay.contoso.test --tls off
	must ck diagnose --json
	assert_json .Problems 0
	assert_json '.Connectors[] | select(.Connector == "Default") | .Fqdn' mx1.contoso.test
	assert_json '.Connectors[] | select(.Connector == "Default") | .Selection.Selected.Thumbprint' "$h"
	assert_json '.Connectors[] | select(.Connector == "Relay") | .Result' tls-off
	assert_eq 0 "$(event_count 12014)" "12014 events"
	# Without SMTP on the host certificate: 12014 for the host's FQDN.
	must ck disable "$h" --services SMTP
	expect_exit 3 ck diagnose
	must ck events --id 12014 --json
	assert_json 'length' 1
	assert_json '.[0].Fields.Fqdn' mx1.contoso.test
	assert_json '.[0].Fields.Connector' Default
}
tcase "select: diagnose: no FQDN uses the host's (init), TLS off is no event" \
	sel_diagnose_host_fqdn_and_tls_off

sel_no_connectors() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	must ck diagnose --json
	assert_json .Problems 0
	assert_json '.Connectors | length' 0
	must ck diagnose
	grep -q "no connectors" "$T/out" || fail "diagnose does not say there are no connectors"
}
tcase "select: diagnose without connectors: exit 0" sel_no_connectors

sel_service_account() {
	local t
	must ck new --domain mail.contoso.test --services SMTP --json
	t=$(json_get .Thumbprint)
	# The store is 0700 root: nobody cannot reach the key.
	expect_exit 3 ck select --fqdn mail.contoso.test --service SMTP --service-account nobody --json
	assert_json .ServiceAccount nobody
	assert_json '.Candidates[0].Verdict' key-unreadable
	assert_jq '.Candidates[0].Reason | contains("nobody")'
	must ck select --fqdn mail.contoso.test --service SMTP --service-account root --json
	assert_json .Selected.Thumbprint "$t"
	must ck connector add Internet --type receive --fqdn mail.contoso.test --service-account nobody
	expect_exit 3 ck diagnose
	must ck events --id 12014 --json
	assert_json '.[0].Fields.CertificatesHoldingFqdn | tojson' "[\"$t\"]"
}
tcase "select: --service-account nobody cannot read the key (store 0700): key-unreadable, 12014" \
	sel_service_account

# The store named by a relative path: the key is the same file, root can
# read it, so the certificate is chosen.
sel_relative_store() {
	local t
	must ck --store store new --domain mail.contoso.test --services SMTP --json
	t=$(json_get .Thumbprint)
	must ck --store "$T/store" select --fqdn mail.contoso.test --service SMTP \
		--service-account root --json
	assert_json .Selected.Thumbprint "$t"
	must ck --store store select --fqdn mail.contoso.test --service SMTP \
		--service-account root --json
	assert_json .Selected.Thumbprint "$t"
	CERTKEEP_STORE=store must ck select --fqdn mail.contoso.test --service SMTP \
		--service-account root --json
	assert_json .Selected.Thumbprint "$t"
}
tcase "select: --service-account root with a relative --store still reads the key" sel_relative_store

sel_valid_ca_beats_selfsigned() {
	local i s
	mkdir -p anchors
	must ck import --cert "$FIX/i.pem" --key "$FIX/i.key" --services SMTP --json
	i=$(json_get .Thumbprint)
	must ck new --domain i.example.org --services SMTP --json
	s=$(json_get .Thumbprint)
	# Trusting the test CA: the CA-issued one is Valid and wins, although
	# the self-signed one is newer.
	SSL_CERT_DIR="$T/anchors" SSL_CERT_FILE="$FIX/ca.pem" \
		must ck select --fqdn i.example.org --service SMTP --json
	assert_json .Selected.Thumbprint "$i"
	assert_json .Selected.Status Valid
	assert_json "[.Candidates[] | select(.Thumbprint == \"$s\") | .Verdict] | tojson" \
		'["self-signed-outranked"]'
	# Without it, the CA-issued one is Untrusted: the self-signed one wins.
	SSL_CERT_DIR="$T/anchors" SSL_CERT_FILE=/dev/null \
		must ck select --fqdn i.example.org --service SMTP --json
	assert_json .Selected.Thumbprint "$s"
	assert_json "[.Candidates[] | select(.Thumbprint == \"$i\") | .Verdict] | tojson" \
		'["ca-issued-not-valid"]'
}
tcase "select: a Valid CA-issued certificate beats a newer self-signed one; untrusted, it loses" \
	sel_valid_ca_beats_selfsigned
