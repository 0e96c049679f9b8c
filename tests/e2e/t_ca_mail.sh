# shellcheck shell=bash disable=SC2015
# The certificate authority's events mailed by the exit module (DESIGN.md
# §8, §9) to a real aiosmtpd with STARTTLS and AUTH required: issued,
# pending, denied, revoked, CRL issued, CA startup and shutdown, each to
# its recipients with its properties; filtered-out events send nothing; an
# outage of 500 CA operations loses no mail and sends none twice; a policy
# denial is recorded and mailed; mail flush ignores back-off; no recipient
# means no mail and no event 46.

# shellcheck source=tests/e2e/smtpd.sh
source "$E2E_DIR/smtpd.sh"

# ca_mail_setup: a CA and the exit module pointed at the sink.
ca_mail_setup() {
	[ -e "$T/smtpd.pem" ] || smtpd_certs
	must ck init --hostname ca1 --fqdn ca1.test.example
	must ck ca init --name "Test Issuing CA"
	must ck ca setreg 'exit\smtp\SMTPServer' 127.0.0.1
	must ck ca setreg 'exit\smtp\SMTPPort' "${1:-$SMTPD_PORT}"
	must ck ca setreg 'exit\smtp\SMTPCAFile' "$T/smtp-ca.pem"
	must ck ca setreg 'exit\smtp\SMTPAuthenticate' 1
	must ck ca setreg 'exit\smtp\SMTPRetryDelay' 0
	printf 'secret\n' > "$T/pw"
	must ck ca setsmtpinfo certkeep --password-stdin < "$T/pw"
}

# csr NAME: a P-256 request for NAME.test.example in $T/NAME.csr.
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$1.test.example" \
		-addext "subjectAltName=DNS:$1.test.example" 2> /dev/null || fail "openssl req $1"
}

# mail_with SUBJECT_PART: the one received mail whose Subject has it.
mail_with() {
	local f n
	n=$(grep -l "^Subject: .*$1" "$SMTPD_OUT"/*.eml 2> /dev/null | wc -l)
	[ "$n" -eq 1 ] || fail "expected one mail with '$1' in its subject, got $n"
	f=$(grep -l "^Subject: .*$1" "$SMTPD_OUT"/*.eml)
	printf '%s' "$f"
}

# assert_to FILE ADDR: ADDR is among the envelope recipients.
assert_to() {
	grep -qx "X-Envelope-To: $2"$'\r' "$1" || fail "$(basename "$1") not sent to $2"
}

ca_mail_each_event() {
	local f serial pid
	smtpd_start
	ca_mail_setup
	# CRLIssued, Startup and Shutdown have no requester: refused without a To.
	expect_exit 1 ck ca setreg 'exit\smtp\EventFilter' +EXITEVENT_CRLISSUED
	assert_err_contains "CRLIssued"
	must ck ca setreg 'exit\smtp\Issued\Cc' 'pki@test.example'
	must ck ca setreg 'exit\smtp\CRLIssued\To' 'crl@test.example'
	must ck ca setreg 'exit\smtp\Startup\To' 'ops@test.example'
	must ck ca setreg 'exit\smtp\Shutdown\To' 'ops@test.example'
	must ck ca setreg 'exit\smtp\EventFilter' \
		'EXITEVENT_CERTISSUED,EXITEVENT_CERTPENDING,EXITEVENT_CERTDENIED,EXITEVENT_CERTREVOKED,EXITEVENT_CRLISSUED,EXITEVENT_STARTUP,EXITEVENT_SHUTDOWN'
	# Issued at once, to the requester and the Cc.
	csr alice
	must ck ca submit "$T/alice.csr" --requester alice --email alice@test.example --json
	serial=$(jq -r '.[0].SerialNumber // .SerialNumber' "$T/out")
	[ -n "$serial" ] && [ "$serial" != null ] || fail "no serial"
	# Pending, then approved (issued); pending, then denied.
	must ck ca policy --default pending
	csr bob
	must ck ca submit "$T/bob.csr" --requester bob --email bob@test.example
	csr carol
	must ck ca submit "$T/carol.csr" --requester carol --email carol@test.example
	must ck ca pending --json
	must ck ca approve "$(jq -r '.[] | select(.RequesterName == "bob") | .RequestID' "$T/out")"
	must ck ca pending --json
	must ck ca deny "$(jq -r '.[] | select(.RequesterName == "carol") | .RequestID' "$T/out")" \
		--reason "not for this CA"
	# Revoked (certificateHold), then unrevoked: CertUnrevoked is not in the
	# filter, so it sends nothing.
	must ck ca revoke "$serial" --reason certificateHold
	must ck ca unrevoke "$serial"
	must ck ca crl --out "$T/ca.crl"
	# The daemon starts and stops the CA service.
	"$CK" daemon --interval 3600 2> "$T/daemon.err" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
	must ck mail flush --json
	# Issued x2, pending x2, denied, revoked, CRL, startup, shutdown.
	assert_eq 9 "$(smtpd_count)" "mails received"
	assert_eq 0 "$(event_count 46)" "events 46"

	f=$(grep -l "X-Envelope-To: alice@test.example" "$SMTPD_OUT"/*.eml | xargs grep -l "^Subject: Your certificate has been issued") ||
		fail "no issued mail to alice"
	assert_to "$f" pki@test.example
	grep -q "^Requester Name: alice" "$f" || fail "issued mail without the requester"
	grep -q "^Serial Number: $serial" "$f" || fail "issued mail without the serial"
	grep -q -- "-----BEGIN CERTIFICATE-----" "$f" || fail "issued mail without the PEM"
	grep -q "^Subject: .*Test Issuing CA" "$f" || fail "issued mail without the CA's name"
	grep -qx $'X-TLS: True\r' "$f" || fail "not over TLS"
	grep -qx $'X-Login: certkeep\r' "$f" || fail "not authenticated"
	f=$(grep -l "X-Envelope-To: bob@test.example" "$SMTPD_OUT"/*.eml | xargs grep -l "^Subject: Your certificate is pending") ||
		fail "no pending mail to bob"
	grep -l "X-Envelope-To: bob@test.example" "$SMTPD_OUT"/*.eml | xargs grep -l "^Subject: Your certificate has been issued" > /dev/null ||
		fail "no issued mail to bob after approve"
	f=$(mail_with "denied")
	assert_to "$f" carol@test.example
	grep -q "not for this CA" "$f" || fail "denied mail without the reason"
	f=$(mail_with "revoked")
	assert_to "$f" alice@test.example
	grep -q "certificateHold\|Certificate Hold\|6" "$f" || fail "revoked mail without the reason"
	f=$(mail_with "new CRL")
	assert_to "$f" crl@test.example
	f=$(mail_with "started")
	assert_to "$f" ops@test.example
	f=$(mail_with "stopped")
	assert_to "$f" ops@test.example
	[ -z "$(grep -l "unrevoked" "$SMTPD_OUT"/*.eml)" ] || fail "a filtered-out event was mailed"
	smtpd_stop
}
tcase "ca mail: issued, pending, denied, revoked, CRL, startup, shutdown mailed; filtered out not" \
	ca_mail_each_event

ca_mail_outage() {
	local port n i
	smtpd_certs
	port=$(smtpd_pick_port) || fail "no free port"
	ca_mail_setup "$port"
	must ck ca setreg 'exit\smtp\EventFilter' '+CertIssued'
	# 500 requests issued while no server listens: every one succeeds.
	csr r
	for i in $(seq 1 5); do
		mkdir -p "$T/batch$i"
	done
	for i in $(seq 1 500); do
		cp "$T/r.csr" "$T/batch$(((i - 1) / 100 + 1))/r$i.csr"
	done
	for i in 1 2 3 4 5; do
		must ck ca submit "$T"/batch"$i"/*.csr --requester bulk --email "bulk$i@test.example" --out "$T/batch$i.pem"
	done
	must ck ca list --issued --json
	assert_json length 500
	expect_exit 4 ck mail flush
	must ck mail list --json
	assert_jq 'length == 500 and (map(.Status) | unique) == ["queued"]'
	# The server comes back: all 500 arrive, none twice.
	SMTPD_PORT=$port
	smtpd_start
	must ck mail flush --json
	assert_json .Sent 500
	n=$(grep -h '^Message-ID:' "$SMTPD_OUT"/*.eml | sort -u | wc -l)
	assert_eq 500 "$(smtpd_count)" "mails received"
	assert_eq 500 "$n" "distinct Message-IDs"
	must ck mail flush --json
	assert_json .Sent 0
	assert_eq 500 "$(smtpd_count)" "mails after a second flush"
	smtpd_stop
}
tcase "ca mail: 500 issued during an outage all succeed; later all 500 arrive, none twice" \
	ca_mail_outage

# A request the policy refuses is denied on receipt, as AD CS does: a
# Denied row, event 1103 and the Denied mail to its requester, with the
# reason; the good request of the same call is issued.
ca_mail_policy_denial() {
	local f id
	smtpd_start
	ca_mail_setup
	must ck ca setreg 'exit\smtp\EventFilter' '+CertDenied'
	must ck ca policy --allow-suffix test.example
	csr good
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/evil.key" -out "$T/evil.csr" -subj "/CN=www.evil.invalid" 2> /dev/null ||
		fail "openssl req evil"
	expect_exit 1 ck ca submit "$T/good.csr" "$T/evil.csr" --requester mallory \
		--email mallory@test.example --out "$T/good.pem"
	grep -qx "Request 2: Denied (denied by policy: www.evil.invalid is not under an allowed suffix (ca.policy.allowed_suffixes))" "$T/out" ||
		fail "no denial line (with --out, status lines are on stdout)"
	assert_err_contains "evil.csr: denied by policy"
	[ -s "$T/good.pem" ] || fail "the good request was not issued"
	must ck ca list --json
	assert_jq 'length == 2 and .[0].Disposition == "Issued" and .[1].Disposition == "Denied"
		and (.[1].DispositionMessage | contains("not under an allowed suffix"))'
	id=$(json_get '.[1].RequestID')
	must ck events --id 1103 --json
	assert_jq 'length == 1 and .[0].Fields.RequestID == '"$id"' and
		.[0].Fields.RequesterEmail == "mallory@test.example"'
	must ck mail flush --json
	assert_json .Sent 1
	assert_json .Waiting 0
	f=$(mail_with "denied")
	assert_to "$f" mallory@test.example
	grep -q "not under an allowed suffix" "$f" || fail "denied mail without the reason"
	grep -q "www.evil.invalid" "$f" || fail "denied mail without the name"
	assert_eq 1 "$(smtpd_count)" "mails received (Issued is not in the filter)"
	assert_eq 0 "$(event_count 46)" "events 46"
	smtpd_stop
}
tcase "ca mail: a request the policy refuses is recorded as Denied, 1103, mailed with the reason" \
	ca_mail_policy_denial

# mail flush tries a mail in back-off at once, as postqueue -f: the
# retry delay only spaces the automatic attempts.
ca_mail_flush_backoff() {
	local port
	smtpd_certs
	port=$(smtpd_pick_port) || fail "no free port"
	ca_mail_setup "$port"
	must ck ca setreg 'exit\smtp\SMTPRetryDelay' 3600
	must ck ca setreg 'exit\smtp\EventFilter' '+CertIssued'
	csr a
	must ck ca submit "$T/a.csr" --email a@test.example --out "$T/a.pem"
	# No server: the attempt fails, the next one is an hour away.
	expect_exit 4 ck mail flush --json
	assert_json .Deferred 1
	assert_json .Waiting 1
	must ck mail list --json
	assert_jq 'length == 1 and .[0].Status == "queued" and .[0].Attempts == 1'
	json_get '.[0].NextAttempt' > "$T/next"
	[ "$(date -u -d "$(cat "$T/next")" +%s)" -gt "$(($(date +%s) + 3000))" ] ||
		fail "not in back-off: next attempt $(cat "$T/next")"
	SMTPD_PORT=$port
	smtpd_start
	must ck mail flush
	grep -qx "1 sent, 0 to retry, 0 failed; 0 still queued" "$T/out" || fail "summary"
	assert_eq 1 "$(smtpd_count)" "mails received"
	must ck mail list --json
	assert_jq '.[0].Status == "sent" and .[0].Attempts == 2'
	smtpd_stop
}
tcase "ca mail: mail flush tries a mail in back-off at once; the summary counts what waits" \
	ca_mail_flush_backoff

# No address, no mail, no error: an issuance whose group has no To and no
# requester address writes no event 46 and queues nothing.
ca_mail_no_recipient() {
	local f
	smtpd_start
	ca_mail_setup
	must ck ca setreg 'exit\smtp\EventFilter' '+CertIssued'
	csr a
	csr b
	must ck ca submit "$T/a.csr" --out "$T/a.pem"
	must ck ca submit "$T/b.csr" --out "$T/b.pem"
	assert_eq 2 "$(event_count 1101)" "issued events"
	assert_eq 0 "$(event_count 46)" "events 46"
	must ck mail list --json
	assert_json length 0
	# The requester's address is enough.
	csr c
	must ck ca submit "$T/c.csr" --email c@test.example --out "$T/c.pem"
	must ck mail flush --json
	assert_json .Sent 1
	f=$(mail_with "issued")
	assert_to "$f" c@test.example
	assert_eq 0 "$(event_count 46)" "events 46"
	smtpd_stop
}
tcase "ca mail: no recipient, no mail, no event 46" ca_mail_no_recipient
