# shellcheck shell=bash
# Trust anchors of a store (DESIGN.md §3, §4): the store's own CA and the
# anchors added with 'trust anchor add' make what they issued Valid and
# selected over a self-signed certificate; what the CA revoked is Revoked,
# never selected, and renewed on the next monitor pass.

anchor_issue() { # $1: domain; leaves the imported thumbprint in ISSUED
	must ck new --domain "$1" --services SMTP --request-out x.csr
	must ck ca submit x.csr --out x.pem
	must ck import --cert x.pem --services SMTP --json
	ISSUED=$(json_get .Thumbprint)
}

anchor_ca_issued_valid_and_selected() {
	unset SSL_CERT_FILE
	must ck ca init --name "Anchor Test CA"
	must ck new --domain mail.anchor.test --services SMTP --json
	local self
	self=$(json_get .Thumbprint)
	anchor_issue mail.anchor.test
	must ck show "$ISSUED" --json
	assert_json .Status Valid
	assert_json .IsSelfSigned false
	# The CA is a root: the chain recorded leaves the root out, so none.
	assert_json .HasChain false
	# A self-signed certificate made afterwards is newer, and still loses.
	must ck new --domain mail.anchor.test --services SMTP --json
	must ck select --fqdn mail.anchor.test --service SMTP --explain --json
	assert_json .Selected.Thumbprint "$ISSUED"
	assert_jq '.Candidates | map(select(.Thumbprint == "'"$self"'")) | .[0].Verdict == "self-signed-outranked"'
}
tcase "anchor: a certificate of the store's CA is Valid and wins select" anchor_ca_issued_valid_and_selected

anchor_ca_cert_out() {
	must ck ca init --name "Anchor Out CA"
	must ck ca cert --out ca.pem
	openssl x509 -in ca.pem -noout -subject | grep -q "Anchor Out CA" || fail "not the CA"
	openssl x509 -in ca.pem -noout -ext basicConstraints | grep -q "CA:TRUE" || fail "no CA:TRUE"
	must ck ca cert --der --out ca.der
	openssl x509 -inform DER -in ca.der -outform PEM -out ca2.pem || fail "DER unreadable"
	cmp -s ca.pem ca2.pem || fail "DER and PEM differ"
	must ck ca cert
	cmp -s "$T/out" ca.pem || fail "stdout is not the PEM written to --out"
	# --der on a terminal would be binary; to a pipe it is the same DER.
	ck ca cert --der > ca3.der || fail "ca cert --der to a pipe"
	cmp -s ca.der ca3.der || fail "DER on stdout differs"
}
tcase "anchor: ca cert writes the CA certificate, PEM or DER" anchor_ca_cert_out

anchor_add_list_remove() {
	unset SSL_CERT_FILE
	# An outside CA, with a leaf for a name in the store.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ext.key \
		-subj "/CN=Outside Root" -days 30 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign -out ext.pem 2>/dev/null || fail "openssl root"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
		-subj "/CN=www.anchor.test" -out leaf.csr 2>/dev/null || fail "openssl csr"
	openssl x509 -req -in leaf.csr -CA ext.pem -CAkey ext.key -days 10 \
		-extfile <(printf 'subjectAltName=DNS:www.anchor.test\nbasicConstraints=CA:FALSE\n') \
		-out leaf.pem 2>/dev/null || fail "openssl sign"
	must ck import --cert leaf.pem --key leaf.key --json
	local leaf
	leaf=$(json_get .Thumbprint)
	must ck show "$leaf" --json
	assert_json .Status Untrusted
	# A leaf is no anchor: refused, exit status 1, nothing added.
	expect_exit 1 ck trust anchor add leaf.pem
	grep -q "not a CA certificate" "$T/err" || fail "no reason given"
	must ck trust anchor list --json
	assert_jq 'length == 0'
	expect_exit 2 ck trust anchor add
	must ck trust anchor add ext.pem --json
	local thumb
	thumb=$(json_get '.[0].Thumbprint')
	must ck trust anchor list --json
	assert_jq 'length == 1'
	assert_json '.[0].Thumbprint' "$thumb"
	must ck show "$leaf" --json
	assert_json .Status Valid
	expect_exit 1 ck trust anchor add ext.pem   # there already
	must ck trust anchor remove "$(printf %s "$thumb" | tr A-F a-f)"
	must ck trust anchor list --json
	assert_jq 'length == 0'
	must ck show "$leaf" --json
	assert_json .Status Untrusted
	expect_exit 1 ck trust anchor remove "$thumb"
	expect_exit 1 ck trust anchor remove nothex
}
tcase "anchor: trust anchor add, list, remove; a leaf is refused" anchor_add_list_remove

anchor_intermediate_chain_recorded() {
	unset SSL_CERT_FILE
	# The store's CA is a subordinate of an outside root added as anchor:
	# a certificate it issues is imported with the CA certificate as chain.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
		-subj "/CN=Parent Root" -days 60 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign -out root.pem 2>/dev/null || fail "openssl root"
	must ck ca init --name "Sub CA" --request-out sub.csr
	openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -days 50 \
		-extfile <(printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n') \
		-out sub.pem 2>/dev/null || fail "openssl sign"
	must ck ca install sub.pem
	must ck trust anchor add root.pem
	anchor_issue app.anchor.test
	must ck show "$ISSUED" --json
	assert_json .Status Valid
	assert_json .HasChain true
	must ck export "$ISSUED" --out full.pem
	[ "$(grep -c 'BEGIN CERTIFICATE' full.pem)" = 2 ] || fail "the chain is not exported"
	openssl verify -CAfile root.pem -untrusted full.pem x.pem >/dev/null || fail "chain does not verify"
}
tcase "anchor: a subordinate store CA is recorded as the chain" anchor_intermediate_chain_recorded

anchor_revoked_then_renewed() {
	unset SSL_CERT_FILE
	must ck ca init --name "Revoking CA"
	must ck new --domain mail.revoke.test --services SMTP --json
	local self
	self=$(json_get .Thumbprint)
	anchor_issue mail.revoke.test
	must ck show "$ISSUED" --json
	assert_json .Status Valid
	local serial
	serial=$(json_get .SerialNumber)
	must ck ca revoke "$serial" --reason keyCompromise
	must ck show "$ISSUED" --json
	assert_json .Status Revoked
	must ck select --fqdn mail.revoke.test --service SMTP --explain --json
	assert_json .Selected.Thumbprint "$self"
	assert_jq '.Candidates | map(select(.Thumbprint == "'"$ISSUED"'")) | .[0].Verdict == "revoked"'
	must ck select --fqdn mail.revoke.test --service SMTP --explain
	grep -q 'revoked' "$T/out" || fail "explain does not say revoked"
	must ck autorenew on
	must ck monitor --once --json
	must ck events --id 1001 --json
	assert_json '.[0].Fields.OldThumbprint' "$ISSUED"
	local new
	new=$(jq -r '.[0].Fields.NewThumbprint' "$T/out")
	must ck show "$new" --json
	assert_json .Status Valid
	must ck select --fqdn mail.revoke.test --service SMTP --json
	assert_json .Selected.Thumbprint "$new"
	# A second pass renews nothing more.
	must ck monitor --once --json
	must ck events --id 1001 --json
	assert_jq 'length == 1'
}
tcase "anchor: a certificate the store's CA revoked is Revoked, loses, and is renewed" anchor_revoked_then_renewed
