# shellcheck shell=bash disable=SC2034
# import and export: PEM, DER, PKCS#12 (DESIGN.md §3, event 1006, 1007).

import_pem() {
	use_store host
	must ck import --cert "$FIX/ss.pem" --key "$FIX/ss.key" --json
	assert_json .Thumbprint "$(sha1_of "$FIX/ss.pem")"
	assert_json .HasPrivateKey true
	assert_json .IsSelfSigned true
	assert_json .KeyType rsa:2048
	assert_json '.CertificateDomains | tojson' '["a.example.org","b.example.org"]'
	assert_json .Services "....."
	assert_mode "$(json_get .PrivateKeyFile)" 600
	assert_eq "$(pub_of_key "$FIX/ss.key")" "$(pub_of_key "$(json_get .PrivateKeyFile)")" "stored key"
	must ck events --json --id 1006
	assert_json '.[-1].Fields.Thumbprint' "$(sha1_of "$FIX/ss.pem")"
}
tcase "import: PEM certificate and key; event 1006" import_pem

import_der() {
	use_store host
	must ck import --cert "$FIX/ss.der" --key "$FIX/ss.key.der" --services SMTP,IMAP --json
	assert_json .Thumbprint "$(sha1_of "$FIX/ss.pem")"
	assert_json .HasPrivateKey true
	assert_json .Services "I...S"
}
tcase "import: DER certificate and DER key, --services" import_der

import_stdin() {
	use_store host
	must ck import --cert - --key "$FIX/ss.key" --json < "$FIX/ss.pem"
	assert_json .Thumbprint "$(sha1_of "$FIX/ss.pem")"
}
tcase "import: --cert - reads stdin" import_stdin

import_pkcs12() {
	use_store host
	expect_exit 0 ck import --pkcs12 "$FIX/p.p12" --password-stdin --json <<< 's3cret pass'
	assert_json .Thumbprint "$(sha1_of "$FIX/p.pem")"
	assert_json .HasPrivateKey true
	assert_eq "$(pub_of_key "$FIX/p.key")" "$(pub_of_key "$(json_get .PrivateKeyFile)")" "stored key"
}
tcase "import: PKCS#12 with --password-stdin (password with a space)" import_pkcs12

import_no_key_chain() {
	use_store host
	must ck import --cert "$FIX/p.pem" --json
	assert_json .HasPrivateKey false
	assert_json .PrivateKeyFile null
	must ck import --cert "$FIX/i.pem" --key "$FIX/i.key" --chain "$FIX/ca.pem" --json
	assert_json .HasChain true
	must ck export "$(json_get .Thumbprint)"
	assert_eq 2 "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$T/out")" "certificates in the export"
}
tcase "import: without a key (HasPrivateKey false); with --chain, export has the chain" \
	import_no_key_chain

# A root, an intermediate it signed, and a leaf the intermediate signed;
# an impostor intermediate with the intermediate's name and key identifier
# but another key; a certificate that is no CA.
make_chain_fixtures() {
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout root.key -out root.pem -subj /CN=Chain-Root -days 30 &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout inter.key -out inter.csr -subj /CN=Chain-Intermediate &&
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext &&
		openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -days 30 \
			-extfile ca.ext -out inter.pem &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout leaf.key -out leaf.csr -subj /CN=leaf.example.org &&
		printf 'subjectAltName=DNS:leaf.example.org\nbasicConstraints=CA:FALSE\n' > leaf.ext &&
		openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -days 30 \
			-extfile leaf.ext -out leaf.pem &&
		skid=$(openssl x509 -in inter.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ') &&
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\nsubjectKeyIdentifier=%s\n' "$skid" > imp.ext &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout imp.key -out imp.csr -subj /CN=Chain-Intermediate &&
		openssl x509 -req -in imp.csr -CA root.pem -CAkey root.key -days 30 \
			-extfile imp.ext -out imp.pem &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout plain.key -out plain.csr -subj /CN=Not-A-CA &&
		printf 'basicConstraints=CA:FALSE\n' > plain.ext &&
		openssl x509 -req -in plain.csr -CA root.pem -CAkey root.key -days 30 \
			-extfile plain.ext -out plain.pem &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout under.key -out under.csr -subj /CN=under.example.org &&
		openssl x509 -req -in under.csr -CA plain.pem -CAkey plain.key -days 30 \
			-extfile leaf.ext -out under.pem
	} > openssl.log 2>&1 || { cat openssl.log; return 1; }
}

import_chain_in_order() {
	use_store host
	make_chain_fixtures || fail "openssl could not make the chain"
	cat inter.pem root.pem > good.pem
	must ck import --cert leaf.pem --key leaf.key --chain good.pem --json
	assert_json .HasChain true
	must ck export "$(json_get .Thumbprint)"
	assert_eq 3 "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$T/out")" "certificates in the export"
	# Without its root, a chain still fits.
	must ck --store "$T/other" init
	must ck --store "$T/other" import --cert leaf.pem --key leaf.key --chain inter.pem
}
tcase "import --chain: the leaf's issuer, then its issuer, is accepted and exported" \
	import_chain_in_order

import_chain_refused() {
	local name chain want
	use_store host
	make_chain_fixtures || fail "openssl could not make the chain"
	cat root.pem inter.pem > reversed.pem
	cat inter.pem "$FIX/ss.pem" > stranger.pem
	cat imp.pem root.pem > impostor.pem
	cat inter.pem inter.pem > twice.pem
	while IFS='|' read -r name chain cert want; do
		snapshot before
		expect_exit 1 ck import --cert "$cert" --chain "$chain"
		assert_err_one_line
		assert_err_contains "--chain: $want"
		assert_unchanged before
	done <<-EOF
	reversed|reversed.pem|leaf.pem|chain certificate 1 (CN=Chain-Root) does not issue the certificate (CN=leaf.example.org): subject issuer mismatch; the chain must list each issuer in order
	stranger|stranger.pem|leaf.pem|chain certificate 2 (CN=a.example.org) does not issue chain certificate 1 (CN=Chain-Intermediate): subject issuer mismatch
	impostor|impostor.pem|leaf.pem|chain certificate 1 (CN=Chain-Intermediate) does not issue the certificate (CN=leaf.example.org): certificate signature failure
	twice|twice.pem|leaf.pem|chain certificate 2 (CN=Chain-Intermediate) does not issue chain certificate 1 (CN=Chain-Intermediate): subject issuer mismatch
	not a CA|plain.pem|under.pem|chain certificate 1 (CN=Not-A-CA) does not issue the certificate (CN=under.example.org): it is not a CA certificate
	EOF
}
tcase "import --chain: out of order, a stranger, an impostor's signature, a repeat, a non-CA: refused, naming which" \
	import_chain_refused

export_pem_stdout() {
	local t
	use_store populated
	t=$(thumb_of p.example.org)
	must ck export "$t"
	assert_eq "$(sha1_of "$FIX/p.pem")" "$(sha1_of "$T/out")" "exported certificate"
	assert_eq "$(openssl x509 -in "$FIX/p.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')" \
		"$(ck show "$t" --json | jq -r .Sha256Fingerprint)" "Sha256Fingerprint"
	! grep -q 'PRIVATE KEY' "$T/out" || fail "a private key was printed"
	must ck export "$t" --json
	json_get .Pem > pem.pem
	assert_eq "$t" "$(sha1_of pem.pem)" "--json .Pem"
	must ck events --json --id 1007
	assert_json 'length' 2
	assert_json '.[0].Fields.Thumbprint' "$t"
	assert_json '.[0].Fields.WithPrivateKey' false
}
tcase "export: PEM to stdout equals the imported certificate; --json .Pem; event 1007" \
	export_pem_stdout

export_key_needs_out() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	expect_exit 2 ck export "$t" --with-key
	assert_out_empty
	assert_err_contains "--out"
	expect_exit 2 ck export "$t" --pkcs12 --password-stdin <<< 'pw'
	assert_out_empty
	assert_unchanged before
}
tcase "export: --with-key or --pkcs12 without --out: exit 2, nothing on stdout" export_key_needs_out

export_with_key() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	# An existing, world-readable file is replaced by a private one.
	echo old > k.pem
	chmod 644 k.pem
	must ck export "$t" --with-key --out k.pem
	assert_mode k.pem 600
	assert_eq "$t" "$(sha1_of k.pem)" "certificate in the file"
	assert_eq "$(pub_of_key "$FIX/ss.key")" "$(pub_of_key k.pem)" "key in the file"
	must ck events --json --id 1007
	assert_json '.[-1].Fields.WithPrivateKey' true
	assert_json '.[-1].Fields.Thumbprint' "$t"
}
tcase "export --with-key --out F: F is 0600 (even if it existed 0644), openssl reads cert and key" \
	export_with_key

export_pkcs12() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	expect_exit 0 ck export "$t" --pkcs12 --out x.p12 --password-stdin <<< 'expo rt'
	assert_mode x.p12 600
	openssl pkcs12 -in x.p12 -passin 'pass:expo rt' -nokeys -out c.pem 2> o.txt ||
		fail "openssl pkcs12 (cert): $(cat o.txt)"
	assert_eq "$t" "$(sha1_of c.pem)" "certificate in the PKCS#12"
	openssl pkcs12 -in x.p12 -passin 'pass:expo rt' -nocerts -nodes -out k.pem 2> o.txt ||
		fail "openssl pkcs12 (key): $(cat o.txt)"
	assert_eq "$(pub_of_key "$FIX/ss.key")" "$(pub_of_key k.pem)" "key in the PKCS#12"
	! openssl pkcs12 -in x.p12 -passin pass:wrong -nokeys -out /dev/null 2> /dev/null ||
		fail "the PKCS#12 opens with a wrong password"
	must ck events --json --id 1007
	assert_json '.[-1].Fields.Format' PKCS12
	# And it imports back into another store.
	CERTKEEP_STORE="$T/other" expect_exit 0 ck init --hostname h --fqdn h.example
	CERTKEEP_STORE="$T/other" expect_exit 0 ck import --pkcs12 x.p12 --password-stdin --json <<< 'expo rt'
	assert_json .Thumbprint "$t"
	assert_json .HasPrivateKey true
}
tcase "export --pkcs12 --out F --password-stdin: openssl reads it with that password" export_pkcs12

export_pkcs12_empty_password() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	expect_exit 1 ck export "$t" --pkcs12 --out x.p12 --password-stdin <<< ''
	assert_err_one_line
	assert_err_contains password
	assert_no_file x.p12
	assert_unchanged before
}
tcase "export --pkcs12 with an empty password: refused, no file, no event" \
	export_pkcs12_empty_password

export_out_missing_dir() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	expect_exit 1 ck export "$t" --out "$T/no/such/dir/x.pem"
	assert_err_one_line
	assert_err_contains "$T/no/such/dir"
	assert_out_empty
	assert_no_file "$T/no"
	assert_unchanged before
	[ "$(event_count 1007)" -eq 0 ] || fail "event 1007 recorded for a failed export"
}
tcase "export --out into a missing directory: exit 1, event 1007 not recorded" export_out_missing_dir

export_stdout_full() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	E2E_LAST="ck export $t > /dev/full"
	ck export "$t" > /dev/full 2> "$T/err" && RC=0 || RC=$?
	[ "$RC" -ne 0 ] || fail "export to a full stdout exited 0"
	assert_err_one_line
	[ "$(event_count 1007)" -eq 0 ] || fail "event 1007 recorded although nothing was exported"
	assert_unchanged before
}
tcase "export: to a full stdout it fails and records no event 1007" export_stdout_full

import_dates() {
	use_store host
	must ck import --cert "$FIX/expired.pem" --key "$FIX/expired.key" --json
	assert_json .Status DateInvalid
	assert_json .IsSelfSigned true
	assert_jq '.DaysRemaining < -1000'
	assert_json .NotAfter 2021-01-01T00:00:00Z
	must ck import --cert "$FIX/future.pem" --key "$FIX/future.key" --json
	assert_json .Status DateInvalid
	assert_json .NotBefore 2090-01-01T00:00:00Z
	must ck import --cert "$FIX/i.pem" --key "$FIX/i.key" --json
	assert_json .Status Untrusted
}
tcase "import: expired and not yet valid certificates are DateInvalid; unknown CA Untrusted" \
	import_dates
