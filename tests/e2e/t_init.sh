# shellcheck shell=bash disable=SC2016
# init: the host's self-signed certificate (DESIGN.md §3).

# The names this host should get: [short, fqdn] lower-cased, de-duplicated.
host_expected_domains() {
	local s f
	s=$(hostname -s | tr '[:upper:]' '[:lower:]')
	f=$(hostname -f 2> /dev/null | tr '[:upper:]' '[:lower:]')
	[ -n "$f" ] || f=$s
	jq -cn --arg s "$s" --arg f "$f" 'if $s == $f then [$s] else [$s, $f] end'
}

init_default() {
	local want
	want=$(host_expected_domains)
	must ck init
	must ck list --json
	assert_json 'length' 1
	assert_json '.[0].CertificateDomains | tojson' "$want"
	assert_json '.[0].Subject' "CN=$(jq -r '.[0]' <<< "$want")"
	assert_json '.[0].Services' "IP.WS"
	assert_json '.[0].IsSelfSigned' true
	assert_json '.[0].HasPrivateKey' true
	assert_json '.[0].KeyType' "ec:P-256"
	assert_jq '.[0].Status | type == "string" and length > 0'
	assert_jq '.[0].Thumbprint | test("^[0-9A-F]{40}$")'
	json_get '.[0]' > one.json
	assert_validity_days one.json 1826
}
tcase "init: default names are this host's short name and FQDN, IP.WS, 5 years" init_default

init_key_file() {
	local t key
	must ck init --json
	t=$(json_get .Thumbprint)
	must ck show "$t" --json
	key=$(json_get .PrivateKeyFile)
	assert_eq "$T/store/keys/$(json_get .PublicKeyId).pem" "$key" "PrivateKeyFile"
	assert_mode "$key" 600
	assert_owner "$key" "$(id -un)"
	assert_mode "$T/store/keys" 700
	assert_mode "$T/store" 700
	assert_mode "$T/store/certkeep.db" 600
	# The file is named by the SHA-256 of the public key (DER).
	assert_eq "$(json_get .PublicKeyId)" \
		"$(openssl pkey -in "$key" -pubout -outform der | sha256sum | cut -c1-64 | tr a-f A-F)" \
		"PublicKeyId"
	# openssl: the key matches the exported certificate.
	ck export "$t" > cert.pem || fail "export failed"
	assert_eq "$(pub_of_cert cert.pem)" "$(pub_of_key "$key")" "public key of key vs certificate"
	[ -n "$(pub_of_key "$key")" ] || fail "openssl cannot read the key"
	assert_eq "$t" "$(sha1_of cert.pem)" "Thumbprint vs openssl's SHA-1 fingerprint"
}
tcase "init: key file 0600 named by its SHA-256, dirs 0700, key matches the certificate" init_key_file

init_event() {
	local t
	must ck init --json
	t=$(json_get .Thumbprint)
	must ck events --json --id 1006
	assert_json 'length' 1
	assert_json '.[0].Id' 1006
	assert_json '.[0].Name' CertificateInstalled
	assert_json '.[0].Level' info
	assert_json '.[0].Fields.Thumbprint' "$t"
	assert_jq '.[0].Time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")'
}
tcase "init: event 1006 with the thumbprint" init_event

init_named() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test --json
	assert_json '.CertificateDomains | tojson' '["mx1","mx1.contoso.test"]'
	assert_json '.Subject' 'CN=mx1'
	assert_json '.Issuer' 'CN=mx1'
	must ck list --domain mx1.contoso.test --json
	assert_json 'length' 1
}
tcase "init: --hostname mx1 --fqdn mx1.contoso.test" init_named

init_fqdn_only() {
	must ck init --fqdn MX2.Contoso.Test --json
	assert_json '.CertificateDomains | tojson' '["mx2","mx2.contoso.test"]'
	assert_json '.Subject' 'CN=mx2'
}
tcase "init: --fqdn alone gives its first label as short name (lower-cased)" init_fqdn_only

# A host whose name has a domain: a private UTS namespace named so.
init_host_in_domain() {
	expect_exit 0 unshare --uts bash -c 'hostname MX7.Contoso.Test && "$0" init --json' "$CK"
	assert_json '.CertificateDomains | tojson' '["mx7","mx7.contoso.test"]'
	assert_json '.Subject' 'CN=mx7'
	rm -rf "$T/store"
	expect_exit 0 unshare --uts bash -c \
		'hostname mx7.contoso.test && "$0" init --hostname mx1 --json' "$CK"
	assert_json '.CertificateDomains | tojson' '["mx1","mx1.contoso.test"]'
}
tcase "init: on host MX7.Contoso.Test -> [mx7, mx7.contoso.test]; --hostname keeps the domain" \
	init_host_in_domain

init_twice() {
	must ck init
	snapshot before
	expect_exit 1 ck init
	assert_err_one_line
	assert_err_contains "already"
	assert_out_empty
	assert_unchanged before
	must ck list --json
	assert_json 'length' 1
	must ck init --force --hostname other --fqdn other.example.net
	must ck list --json
	assert_json 'length' 2
	assert_jq 'map(.CertificateDomains[0]) | index("other") != null'
}
tcase "init: a second init fails and changes nothing, --force makes another" init_twice

init_rsa() {
	local key
	must ck init --key rsa:2048 --json
	assert_json .KeyType rsa:2048
	key=$(json_get .PrivateKeyFile)
	# 2048 bits = 512 hex digits of modulus.
	assert_eq 512 "$(openssl rsa -in "$key" -noout -modulus 2> /dev/null | sed 's/^Modulus=//' | tr -d '\n' | wc -c)" \
		"RSA modulus hex digits"
}
tcase "init: --key rsa:2048 gives an RSA 2048 key" init_rsa

init_days_services() {
	must ck init --days 30 --services SMTP --json
	assert_validity_days "$T/out" 30
	assert_json .Services "....S"
	assert_jq ".DaysRemaining == 30 or .DaysRemaining == 29"
}
tcase "init: --days 30 --services SMTP" init_days_services
