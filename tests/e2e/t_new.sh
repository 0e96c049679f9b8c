# shellcheck shell=bash disable=SC2015
# new: self-signed certificates and requests for a CA (DESIGN.md §3).

new_selfsigned() {
	must ck new --domain www.example.com --domain '*.web.example.com' \
		--services IIS,SMTP --days 30 --json
	cp "$T/out" c.json
	assert_json '.CertificateDomains | tojson' '["www.example.com","*.web.example.com"]'
	assert_json .Services "...WS"
	assert_json .Subject "CN=www.example.com"
	assert_json .IsSelfSigned true
	assert_json .HasPrivateKey true
	assert_validity_days c.json 30
	ck export "$(json_get .Thumbprint c.json)" > c.pem || fail "export failed"
	# openssl sees the same names in the SAN extension.
	openssl x509 -in c.pem -noout -ext subjectAltName > san.txt 2>&1 || fail "openssl -ext failed"
	grep -q 'DNS:www.example.com' san.txt && grep -q 'DNS:\*.web.example.com' san.txt ||
		fail "SAN is not www.example.com + *.web.example.com: $(cat san.txt)"
	must ck events --json --id 1006
	assert_json '.[0].Fields.Thumbprint' "$(json_get .Thumbprint c.json)"
}
tcase "new: self-signed with domains (wildcard ok), services, days; event 1006" new_selfsigned

new_names_normalised() {
	must ck new --domain WWW.Example.COM,mail.example.com --domain www.example.com --json
	assert_json '.CertificateDomains | tojson' '["www.example.com","mail.example.com"]'
	assert_json .Services "IP..S"
	assert_json .KeyType "ec:P-256"
	must ck new --domain h.example.com --services HTTPS --json
	assert_json .Services "...W."
}
tcase "new: comma lists, lower-cased, de-duplicated; default IP..S; HTTPS = IIS" new_names_normalised

new_wildcard_match() {
	local t
	must ck new --domain '*.web.example.com' --json
	t=$(json_get .Thumbprint)
	must ck list --domain a.web.example.com --json
	assert_json 'map(.Thumbprint) | tojson' "[\"$t\"]"
	must ck list --domain A.WEB.Example.com --json
	assert_json 'length' 1
	must ck list --domain a.b.web.example.com --json
	assert_json 'length' 0
	must ck list --domain web.example.com --json
	assert_json 'length' 0
	must ck list --domain '*.web.example.com' --json
	assert_json 'length' 1
}
tcase "new: a wildcard covers exactly one label (list --domain)" new_wildcard_match

new_request() {
	local r
	must ck new --domain api.contoso.test --domain alt.contoso.test --request-out api.csr --json
	r=$(json_get .Thumbprint)
	assert_json .Status PendingRequest
	assert_file api.csr
	openssl req -in api.csr -verify -noout > v.txt 2>&1 || fail "openssl req -verify: $(cat v.txt)"
	assert_eq "subject=CN=api.contoso.test" \
		"$(openssl req -in api.csr -noout -subject -nameopt RFC2253)" "CSR subject"
	# The key stays in the store; the request is listed as pending.
	assert_mode "$T/store/keys/$(json_get .PublicKeyId).pem" 600
	must ck list --json
	assert_json "map(select(.Status == \"PendingRequest\")) | map(.Thumbprint) | tojson" "[\"$r\"]"
	must ck events --json --id 1021
	assert_json 'length' 1
	assert_json '.[0].Fields.Thumbprint' "$r"
	# The CSR's public key is the stored one.
	assert_eq "$(openssl req -in api.csr -noout -pubkey)" \
		"$(pub_of_key "$T/store/keys/$(ck show "$r" --json | jq -r .PublicKeyId).pem")" \
		"CSR public key vs stored key"
}
tcase "new --request-out: a valid CSR (subject), pending in list, key kept 0600, event 1021" \
	new_request

new_request_issue_import() {
	local r pk t
	must ck new --domain api.contoso.test --domain alt.contoso.test --request-out api.csr --json
	r=$(json_get .Thumbprint)
	pk=$(json_get .PublicKeyId)
	openssl x509 -req -in api.csr -CA "$FIX/ca.pem" -CAkey "$FIX/ca.key" -days 30 \
		-copy_extensions copy -out issued.pem 2> sign.txt || fail "openssl sign: $(cat sign.txt)"
	# The CSR asked for both names: the issued certificate carries them.
	openssl x509 -in issued.pem -noout -ext subjectAltName > san.txt 2>&1
	grep -q 'DNS:api.contoso.test' san.txt && grep -q 'DNS:alt.contoso.test' san.txt ||
		fail "CSR SANs not copied: $(cat san.txt)"
	must ck import --cert issued.pem --json
	t=$(json_get .Thumbprint)
	assert_eq "$(sha1_of issued.pem)" "$t" "imported thumbprint"
	assert_json .HasPrivateKey true
	assert_json .IsSelfSigned false
	assert_json .Services "IP..S"
	assert_json .PublicKeyId "$pk"
	assert_json '.CertificateDomains | tojson' '["api.contoso.test","alt.contoso.test"]'
	must ck list --json
	assert_json 'map(select(.Status == "PendingRequest")) | length' 0
	assert_json "map(.Thumbprint) | index(\"$r\")" null
	assert_json 'length' 1
	assert_file "$T/store/keys/$pk.pem"
	must ck events --json --id 1006
	assert_json '.[-1].Fields.Thumbprint' "$t"
	# Importing it again: exit 1 "already", nothing changes.
	snapshot before
	expect_exit 1 ck import --cert issued.pem
	assert_err_one_line
	assert_err_contains "already"
	assert_unchanged before
}
tcase "new --request-out: CA-issued certificate joins the waiting key; re-import refused" \
	new_request_issue_import

new_request_services() {
	must ck new --domain web.contoso.test --services IIS --request-out w.csr --json
	openssl x509 -req -in w.csr -CA "$FIX/ca.pem" -CAkey "$FIX/ca.key" -days 30 \
		-copy_extensions copy -out w.pem 2> /dev/null || fail "openssl sign failed"
	must ck import --cert w.pem --json
	assert_json .Services "...W."
	assert_json .HasPrivateKey true
}
tcase "new --request-out --services IIS: the issued certificate gets IIS" new_request_services

new_request_out_unwritable() {
	use_store host
	snapshot before
	expect_exit 1 ck new --domain api.contoso.test --request-out "$T/no/such/dir/api.csr"
	assert_err_one_line
	assert_out_empty
	assert_unchanged before
}
tcase "new --request-out into a missing directory: exit 1, no request, no key left" \
	new_request_out_unwritable

event_subject_form() {
	must ck new --domain api.contoso.test --request-out api.csr
	must ck new --domain www.contoso.test
	must ck events --json
	# One field name, one form: the distinguished name, as in show/list.
	assert_json '[.[] | select(.Id == 1006 or .Id == 1021) | .Fields.Subject] | tojson' \
		'["CN=api.contoso.test","CN=www.contoso.test"]'
}
tcase "events: Fields.Subject is the DN (CN=...) in 1021 as in 1006" event_subject_form
