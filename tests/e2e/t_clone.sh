# shellcheck shell=bash
# clone: renewing a self-signed certificate (DESIGN.md §3, event 1001).

clone_basic() {
	local old new
	must ck init --hostname mx1 --fqdn mx1.contoso.test --json
	cp "$T/out" old.json
	old=$(json_get .Thumbprint old.json)
	must ck clone "$old" --json
	cp "$T/out" new.json
	new=$(json_get .Thumbprint new.json)
	assert_ne "$old" "$new" "thumbprints of old and new"
	local k
	for k in '.CertificateDomains | tojson' .Services .KeyType .Subject .IsSelfSigned; do
		assert_eq "$(json_get "$k" old.json)" "$(json_get "$k" new.json)" "clone keeps $k"
	done
	assert_ne "$(json_get .PublicKeyId old.json)" "$(json_get .PublicKeyId new.json)" "PublicKeyId (a new key)"
	assert_json .HasPrivateKey true new.json
	assert_mode "$(json_get .PrivateKeyFile new.json)" 600
	assert_file "$(json_get .PrivateKeyFile old.json)"
	# The old one stays, marked as replaced by the new one.
	must ck list --json
	assert_json 'length' 2
	assert_json ".[] | select(.Thumbprint == \"$old\") | .ReplacedBy" "$new"
	assert_json ".[] | select(.Thumbprint == \"$new\") | .ReplacedBy" null
	# Same validity length as the old one.
	assert_validity_days new.json 1826
}
tcase "clone: same names, services, key type, subject; new key; old kept with ReplacedBy" clone_basic

clone_event() {
	local old new
	must ck init --json
	old=$(json_get .Thumbprint)
	must ck clone "$old" --json
	new=$(json_get .Thumbprint)
	must ck events --json --id 1001
	assert_json 'length' 1
	assert_json '.[0].Name' CertificateReplaced
	assert_json '.[0].Fields.OldThumbprint' "$old"
	assert_json '.[0].Fields.NewThumbprint' "$new"
	# And the new certificate is installed: 1006 for it.
	must ck events --json --id 1006
	assert_jq "map(.Fields.Thumbprint) | index(\"$new\") != null"
}
tcase "clone: event 1001 with OldThumbprint and NewThumbprint" clone_event

clone_days() {
	local old
	must ck init --days 100 --json
	old=$(json_get .Thumbprint)
	must ck clone "$old" --json
	assert_validity_days "$T/out" 100
	must ck clone "$(json_get .Thumbprint)" --days 10 --json
	assert_validity_days "$T/out" 10
}
tcase "clone: keeps the old validity length; --days 10 gives 10 days" clone_days

clone_rsa() {
	must ck init --key rsa:3072 --json
	must ck clone "$(json_get .Thumbprint)" --json
	assert_json .KeyType rsa:3072
	assert_eq 768 "$(openssl rsa -in "$(json_get .PrivateKeyFile)" -noout -modulus 2> /dev/null |
		sed 's/^Modulus=//' | tr -d '\n' | wc -c)" "RSA modulus hex digits of the clone"
}
tcase "clone: an rsa:3072 certificate is cloned with a new rsa:3072 key" clone_rsa

# A weak imported certificate still renews, with a key certkeep would make.
clone_rsa_weak() {
	must ck init --json
	openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -days 30 \
		-subj /CN=old.contoso.test -addext subjectAltName=DNS:old.contoso.test 2> /dev/null ||
		fail "openssl req rsa:1024"
	must ck import --cert weak.pem --key weak.key --services SMTP --json
	assert_json .KeyType rsa:1024
	must ck clone "$(json_get .Thumbprint)" --json
	assert_json .KeyType rsa:2048
	assert_json '.CertificateDomains | tojson' '["old.contoso.test"]'
	assert_json .ServicesList SMTP
	assert_eq 512 "$(openssl rsa -in "$(json_get .PrivateKeyFile)" -noout -modulus 2> /dev/null |
		sed 's/^Modulus=//' | tr -d '\n' | wc -c)" "RSA modulus hex digits of the clone"
}
tcase "clone: an rsa:1024 certificate is cloned with a new rsa:2048 key" clone_rsa_weak

clone_ca_issued() {
	local t
	use_store populated
	t=$(thumb_of i.example.org)
	snapshot before
	expect_exit 1 ck clone "$t"
	assert_err_one_line
	assert_err_contains "not self-signed"
	assert_out_empty
	assert_unchanged before
}
tcase "clone: a CA-issued certificate is refused (exit 1), nothing changes" clone_ca_issued

clone_request() {
	local r
	use_store populated
	r=$(ck list --json | jq -r '.[] | select(.Status == "PendingRequest") | .Thumbprint')
	[ -n "$r" ] || fail "no pending request in the fixture"
	snapshot before
	expect_exit 1 ck clone "$r"
	assert_err_one_line
	assert_unchanged before
}
tcase "clone: a pending request cannot be cloned (exit 1), nothing changes" clone_request

clone_expired() {
	local old
	use_store host
	must ck import --cert "$FIX/expired.pem" --key "$FIX/expired.key" --services SMTP,IIS --json
	old=$(json_get .Thumbprint)
	must ck clone "$old" --json
	cp "$T/out" new.json
	assert_json .Status Untrusted new.json
	assert_json .Services "...WS" new.json
	assert_json .Subject "CN=expired.example.org" new.json
	assert_json '.CertificateDomains | tojson' '["expired.example.org","old.example.org"]' new.json
	assert_validity_days new.json 366
	assert_jq '(.NotBefore | fromdateiso8601) > now - 86400' new.json
	must ck show "$old" --json
	assert_json .ReplacedBy "$(json_get .Thumbprint new.json)"
}
tcase "clone: an expired self-signed certificate renews from now, same length (366 days)" \
	clone_expired
