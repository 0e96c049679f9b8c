# shellcheck shell=bash
# Direct trust (DESIGN.md §5): the host's names, publish, verify, check with
# events 1037 and 2019. Names are set explicitly so the physical names of
# the test machine do not matter.

trust_setup() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	must ck trust names --hostname mx1 --fqdn mx1.contoso.test
	# The physical names are the machine's; a certificate for this test
	# holds them too, so only the cause under test is reported.
	PHYS=$(ck trust names --json | jq -r .DnsPhysicalHostName)
	PHYSF=$(ck trust names --json | jq -r .DnsPhysicalFullyQualifiedDomainName)
	must ck new --domain mx1 --domain mx1.contoso.test --domain "$PHYS" --domain "$PHYSF" \
		--services SMTP --json
	HOSTCERT=$(json_get .Thumbprint)
	must ck trust publish "$HOSTCERT"
}

trust_clean_then_verify() {
	trust_setup
	must ck trust check --json
	assert_json .Problems 0
	must ck export "$HOSTCERT" --out peer.pem
	must ck trust verify --server MX1.contoso.test --cert peer.pem --json
	assert_json .Trusted true
	# Another certificate with the same names is not the published one.
	must ck new --domain mx1.contoso.test --json
	must ck export "$(json_get .Thumbprint)" --out other.pem
	expect_exit 3 ck trust verify --server mx1.contoso.test --cert other.pem --json
	assert_json .Trusted false
	expect_exit 3 ck trust verify --server unknown.contoso.test --cert peer.pem
	expect_exit 1 ck trust verify --server mx1.contoso.test --cert /nonexistent
	expect_exit 2 ck trust verify --cert peer.pem
	must ck events --id 1040 --json
	assert_json '.[0].Fields.Thumbprint' "$HOSTCERT"
}
tcase "trust: publish, verify accepts exactly the published certificate" trust_clean_then_verify

trust_smtp_not_enabled() {
	must ck init --hostname mx2 --fqdn mx2.contoso.test --services IIS
	must ck trust names --hostname mx2 --fqdn mx2.contoso.test
	expect_exit 3 ck trust check --json
	assert_jq '.Causes | map(.Cause) | index("smtp-not-enabled") != null'
	must ck events --id 1037 --json
	assert_jq 'map(.Fields.Cause) | index("smtp-not-enabled") != null'
}
tcase "trust: SMTP not enabled is event 1037 with the fix" trust_smtp_not_enabled

trust_host_name_missing_and_cluster() {
	trust_setup
	must ck trust names --hostname mx9
	expect_exit 3 ck trust check --json
	assert_jq '.Causes | map(select(.Cause == "host-name-missing")) | length == 1'
	assert_jq '.Causes[0].Message | contains("mx9")'
	must ck trust names --hostname mx1 --cluster-fqdn mx1.contoso.test
	expect_exit 3 ck trust check --trace
	grep -q '^\[Common\\Certificate\]' "$T/out" || fail "no Common\\Certificate trace step"
	grep -q 'unexpected-cluster-fqdn' "$T/out" || fail "cluster FQDN not reported"
}
tcase "trust: a missing host name and an unexpected cluster FQDN" trust_host_name_missing_and_cluster

trust_several_and_outbound() {
	trust_setup
	must ck clone "$HOSTCERT" --json
	NEWEST=$(json_get .Thumbprint)
	# Publishing without a THUMBPRINT drops the designation: the newest
	# valid self-signed certificate is used, and having several is
	# reported with the one in use.
	must ck trust publish --json
	assert_json .Thumbprint "$NEWEST"
	must ck connector add Outbound --type send
	expect_exit 3 ck trust check --json
	assert_jq ".Causes | map(select(.Cause == \"several-self-signed\")) | .[0].Thumbprint == \"$NEWEST\""
	assert_jq '.Causes | map(.Cause) | index("published-differs") == null'
	must ck events --id 2019 --json
	assert_jq 'length >= 1'
	# A newer one appears: the directory now holds a certificate not in use.
	must ck clone "$NEWEST"
	expect_exit 3 ck trust check --json
	assert_jq '.Causes | map(.Cause) | index("published-differs") != null'
}
tcase "trust: several self-signed certificates; 2019 with a send connector" trust_several_and_outbound

trust_key_unreadable() {
	trust_setup
	expect_exit 3 ck trust check --service-account nobody --json
	assert_jq '.Causes | map(.Cause) | index("key-not-readable") != null'
	must ck trust check --service-account root --json
	assert_json .Problems 0
}
tcase "trust: key not readable by the service account" trust_key_unreadable
