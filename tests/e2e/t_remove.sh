# shellcheck shell=bash
# remove: certificates, requests and their keys (DESIGN.md §3, event 1004).

remove_basic() {
	local t key
	use_store populated
	t=$(thumb_of i.example.org)
	key=$(ck show "$t" --json | jq -r .PrivateKeyFile)
	assert_file "$key"
	must ck remove "$t" --json
	assert_json .Thumbprint "$t"
	assert_json .Removed true
	assert_no_file "$key"
	must ck list --json
	assert_json "map(.Thumbprint) | index(\"$t\")" null
	expect_exit 1 ck show "$t"
	must ck events --json --id 1004
	assert_json 'length' 1
	assert_json '.[0].Name' CertificateDeleted
	assert_json '.[0].Fields.Thumbprint' "$t"
}
tcase "remove: gone from list, key file deleted, event 1004" remove_basic

remove_shared_key() {
	local t1 t2 key
	use_store host
	must ck import --cert "$FIX/ss.pem" --key "$FIX/ss.key" --json
	t1=$(json_get .Thumbprint)
	key=$(json_get .PrivateKeyFile)
	must ck import --cert "$FIX/ss2.pem" --key "$FIX/ss.key" --json
	t2=$(json_get .Thumbprint)
	assert_json .PrivateKeyFile "$key"
	must ck remove "$t1"
	assert_file "$key"
	must ck export "$t2" --with-key --out k.pem
	assert_eq "$(pub_of_key "$FIX/ss.key")" "$(pub_of_key k.pem)" "key of the remaining certificate"
	must ck remove "$t2"
	assert_no_file "$key"
}
tcase "remove: a key shared by two certificates stays until the last one goes" remove_shared_key

remove_request() {
	local r key
	use_store populated
	r=$(ck list --json | jq -r '.[] | select(.Status == "PendingRequest") | .Thumbprint')
	key="$T/store/keys/$(ck show "$r" --json | jq -r .PublicKeyId).pem"
	assert_file "$key"
	must ck remove "$r"
	assert_no_file "$key"
	must ck list --json
	assert_json 'map(select(.Status == "PendingRequest")) | length' 0
	assert_eq 1 "$(event_count 1004)" "1004 events"
}
tcase "remove: a pending request and its key" remove_request

remove_unknown() {
	use_store populated
	snapshot before
	expect_exit 1 ck remove DEADBEEF00112233445566778899AABBCCDDEEFF
	assert_err_one_line
	assert_err_contains DEADBEEF00112233445566778899AABBCCDDEEFF
	assert_out_empty
	expect_exit 1 ck remove deadbeef
	assert_err_one_line
	assert_err_contains deadbeef
	assert_unchanged before
}
tcase "remove: an unknown thumbprint exits 1 naming it, nothing changes" remove_unknown

remove_replacement() {
	local old new
	use_store host
	old=$(thumb_of mx1.contoso.test)
	must ck clone "$old" --json
	new=$(json_get .Thumbprint)
	must ck remove "$new"
	# The old certificate must not point at a certificate that is gone.
	must ck show "$old" --json
	assert_json .ReplacedBy null
	must ck list --json
	assert_jq '[.[].ReplacedBy | select(. != null)] | length == 0'
}
tcase "remove: removing the replacement leaves no dangling ReplacedBy on the old one" \
	remove_replacement

# A certificate a binding is on, or that a connector's selection chooses,
# is not removed without --force; with it, stderr names what it left.
remove_in_use() {
	local t d="$T/tls"
	use_store host
	mkdir -p "$d"
	must ck new --domain mail.contoso.test --services IIS,SMTP --json
	t=$(json_get .Thumbprint)
	must ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t" \
		--cert-file "$d/c.pem" --key-file "$d/k.pem"
	must ck connector add Internet --type receive --fqdn mail.contoso.test
	snapshot before
	expect_exit 1 ck remove "$t"
	assert_err_one_line
	assert_err_contains "in use by binding 'web' and connector 'Internet'; use --force"
	assert_out_empty
	assert_unchanged before
	must ck show "$t"
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t\"]"
	must ck remove "$t" --force
	assert_err_contains "binding 'web' and connector 'Internet' left without certificate $t"
	expect_exit 1 ck show "$t"
}
tcase "remove: a certificate a binding or connector uses is refused (exit 1, unchanged); --force removes it" \
	remove_in_use

remove_connector_only() {
	local t
	use_store host
	must ck new --domain mx.contoso.test --services SMTP --json
	t=$(json_get .Thumbprint)
	must ck connector add Internet --type receive --fqdn mx.contoso.test
	expect_exit 1 ck remove "$t"
	assert_err_contains "in use by connector 'Internet'"
	must ck show "$t"
	# Not enabled for SMTP: the connector no longer selects it.
	must ck disable "$t" --services SMTP
	must ck remove "$t"
	[ ! -s "$T/err" ] || fail "a certificate no one uses is removed without a warning"
}
tcase "remove: the one a connector selects is refused; once it selects none, removed quietly" \
	remove_connector_only
