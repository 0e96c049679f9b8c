# shellcheck shell=bash disable=SC2015
# The exit module and its outbox (DESIGN.md §9) against a real aiosmtpd
# with STARTTLS and AUTH required (tests/e2e/smtpd.sh): one mail per
# filtered event, queued with the event, delivered once; an outage loses
# nothing; a wrong password, a server without STARTTLS and an untrusted
# server certificate each end, after the retry limit, as a failed row with
# a clear error and event 46.

# shellcheck source=tests/e2e/smtpd.sh
source "$E2E_DIR/smtpd.sh"

# mail_setup [PORT]: the store, the sink's certificates, and the exit
# module pointed at 127.0.0.1:PORT (default: $SMTPD_PORT) with STARTTLS
# required, AUTH as certkeep/secret, the test CA trusted and mails for
# replacements to admin@ with a copy to ops@.
mail_setup() {
	[ -e "$T/smtpd.pem" ] || smtpd_certs
	must ck init --hostname mx1 --fqdn mx1.test.example
	must ck ca setreg 'exit\smtp\SMTPServer' 127.0.0.1
	must ck ca setreg 'exit/smtp/smtpport' "${1:-$SMTPD_PORT}"
	must ck ca setreg 'exit\smtp\SMTPCAFile' "$T/smtp-ca.pem"
	must ck ca setreg 'exit\smtp\SMTPAuthenticate' 1
	must ck ca setreg 'exit\smtp\SMTPRetryDelay' 0
	printf 'secret\n' > "$T/pw"
	must ck ca setsmtpinfo certkeep --password-stdin < "$T/pw"
	must ck ca setreg 'exit\smtp\Replaced\To' 'admin@test.example'
	must ck ca setreg 'exit\smtp\Replaced\Cc' 'ops@test.example'
	must ck ca setreg 'exit\smtp\EventFilter' +EXITEVENT_CERTIFICATEREPLACED
}

# clone_chain N: clones the host certificate N times, each the last.
clone_chain() {
	local t i
	t=$("$CK" list --domain mx1.test.example --json | jq -r '.[0].Thumbprint')
	for i in $(seq 1 "$1"); do
		t=$("$CK" clone "$t" --json | jq -r .Thumbprint) && [ -n "$t" ] ||
			fail "clone $i failed"
	done
}

mail_delivered_once() {
	local f old new
	smtpd_start
	mail_setup
	must ck ca setreg 'exit\smtp\Expiring\To' 'expiry@test.example'
	must ck ca setreg 'exit\smtp\EventFilter' '+CertificateAboutToExpire'
	old=$(thumb_of mx1.test.example)
	must ck clone "$old" --json
	new=$(json_get .Thumbprint)
	# A certificate that expires in 5 days: monitor raises 1003 (7 days).
	must ck new --domain soon.test.example --days 5
	must ck monitor --json
	assert_jq 'map(select(.Id == 1003)) | length == 1'
	# Filtered out: Expiring is removed again; and 1006 is never mailed.
	must ck ca setreg 'exit\smtp\EventFilter' -ExitEvent_CertificateAboutToExpire
	must ck new --domain late.test.example --days 3
	must ck monitor
	must ck mail list --json
	assert_json 'length' 2
	assert_json 'map(.Status) | unique | join(",")' queued
	must ck mail flush --json
	assert_json .Sent 2
	assert_eq 2 "$(smtpd_count)" "mails received"
	f=$(grep -l "Subject: Certificate replaced on mx1.test.example" "$SMTPD_OUT"/*.eml) ||
		fail "no mail for 1001"
	grep -qx $'X-Envelope-To: admin@test.example\r' "$f" || fail "not to admin@"
	grep -qx $'X-Envelope-To: ops@test.example\r' "$f" || fail "no copy to ops@"
	grep -qx $'X-TLS: True\r' "$f" || fail "not over TLS"
	grep -qx $'X-Login: certkeep\r' "$f" || fail "not authenticated"
	grep -q "^Old thumbprint: $old" "$f" || fail "old thumbprint missing from the body"
	grep -q "^New thumbprint: $new" "$f" || fail "new thumbprint missing from the body"
	grep -qx $'Cc: ops@test.example\r' "$f" || fail "no Cc header"
	grep -q '^Message-ID: <certkeep\.[0-9]*\.[0-9]*\.[0-9a-f]*@mx1.test.example>' "$f" ||
		fail "Message-ID"
	f=$(grep -l "Subject: Certificate CN=soon.test.example expires within 7 days" \
		"$SMTPD_OUT"/*.eml) || fail "no mail for 1003"
	grep -qx $'X-Envelope-To: expiry@test.example\r' "$f" || fail "1003 not to expiry@"
	must ck mail list --json
	assert_json 'map(select(.Status == "sent")) | length' 2
	# A second flush sends nothing again.
	must ck mail flush --json
	assert_json .Sent 0
	assert_eq 2 "$(smtpd_count)" "mails after a second flush"
	assert_eq 0 "$(event_count 46)" "events 46"
}
tcase "mail: one mail per filtered event (1001, 1003) to To and Cc over STARTTLS+AUTH; none filtered out; once" \
	mail_delivered_once

mail_outage() {
	local port n
	port=$(smtpd_pick_port) || fail "no port"
	mail_setup "$port"
	# The relay is down: every clone still succeeds and queues its mail.
	clone_chain 210
	must ck mail list --json
	assert_json 'length' 210
	expect_exit 4 ck mail flush --json
	assert_json .Deferred 210
	assert_json .Sent 0
	assert_err_contains "cannot connect"
	must ck mail list --json
	assert_json 'map(select(.Status == "queued" and .Attempts == 1)) | length' 210
	SMTPD_PORT=$port
	smtpd_start
	must ck mail flush --json
	assert_json .Sent 210
	assert_eq 210 "$(smtpd_count)" "mails received"
	n=$(grep -h '^Message-ID:' "$SMTPD_OUT"/*.eml | sort -u | wc -l)
	assert_eq 210 "$n" "distinct Message-IDs"
	must ck mail flush --json
	assert_json .Sent 0
	assert_eq 210 "$(smtpd_count)" "mails after another flush"
	must ck mail list --failed --json
	assert_json 'length' 0
}
tcase "mail: relay down during 210 clones: all succeed and queue; flush later delivers each once" \
	mail_outage

# mail_failure KIND TEXT: the relay fails in one way; two attempts (retry
# limit 2) leave a failed row saying TEXT and one event 46.
mail_failure() {
	case $1 in
	password)
		smtpd_start --password other ;;
	starttls)
		smtpd_start --no-starttls ;;
	untrusted)
		smtpd_start --cert "$T/rogue.pem" --key "$T/rogue.key" ;;
	esac
	mail_setup
	must ck ca setreg 'exit\smtp\SMTPRetryLimit' 2
	clone_chain 1
	expect_exit 4 ck mail flush
	assert_err_contains "$2"
	must ck mail list --json
	assert_json '.[0].Status' queued
	assert_json '.[0].Attempts' 1
	assert_jq ".[0].LastError | contains(\"$2\")"
	expect_exit 1 ck mail flush
	must ck mail list --failed --json
	assert_json 'length' 1
	assert_json '.[0].Attempts' 2
	assert_jq ".[0].LastError | contains(\"$2\")"
	assert_eq 1 "$(event_count 46)" "events 46"
	must ck events --id 46 --json
	assert_jq ".[0].Fields.Error | contains(\"$2\")"
	assert_eq 0 "$(smtpd_count)" "mails received"
	# Failed, not lost: retried after a fix, it goes out.
	must ck mail retry --all
	must ck ca setreg 'exit\smtp\SMTPRetryLimit' 10
	case $1 in
	password)
		printf 'other\n' | ck ca setsmtpinfo certkeep --password-stdin > /dev/null ||
			fail "setsmtpinfo" ;;
	starttls)
		must ck ca setreg 'exit\smtp\SMTPUseTLS' starttls-if-offered
		# With AUTH on, "if offered" still never sends a password in clear.
		expect_exit 4 ck mail flush
		return 0 ;;
	untrusted)
		must ck ca setreg 'exit\smtp\SMTPCAFile' "$T/rogue.pem" ;;
	esac
	must ck mail flush --json
	assert_json .Sent 1
	assert_eq 1 "$(smtpd_count)" "mails received after the fix"
}
tcase "mail: wrong password: clear error, failed after the retry limit, event 46, retried after the fix" \
	mail_failure password "refused the login"
tcase "mail: relay without STARTTLS when required: clear error, event 46, nothing in clear text" \
	mail_failure starttls "does not offer STARTTLS"
tcase "mail: untrusted relay certificate: clear error, event 46, delivered once trusted" \
	mail_failure untrusted "not trusted"

mail_config() {
	must ck init --hostname mx1 --fqdn mx1.test.example
	# Off until SMTPServer is set: events queue nothing.
	must ck ca setreg 'exit\smtp\Replaced\To' 'admin@test.example'
	must ck ca setreg 'exit\smtp\EventFilter' 'CertificateReplaced'
	clone_chain 1
	must ck mail list --json
	assert_json 'length' 0
	expect_exit 1 ck ca setreg 'exit\smtp\SMTPSever' x
	assert_err_contains 'did you mean exit\smtp\SMTPServer'
	expect_exit 1 ck ca getreg 'exit/smtp/Isued/To'
	assert_err_contains 'did you mean exit\smtp\Issued\To'
	expect_exit 1 ck ca setreg 'exit\smtp\SMTPPort' 70000
	expect_exit 1 ck ca setreg 'exit\smtp\CRLIssued\To' $'a@b.example\r\nBcc: x@y.example'
	expect_exit 1 ck ca setreg 'exit\smtp\EventFilter' +CRLIssued
	assert_err_contains 'CRLIssued\To first'
	expect_exit 1 ck ca setreg 'exit\smtp\Issued\TitleFormat' 'issued %1 %2'
	must ck ca setreg 'EXIT/SMTP/issued/titlearg' '+Request.RequestID'
	must ck ca setreg 'exit\smtp\Issued\TitleFormat' 'issued %1 %2'
	must ck ca setreg 'exit\smtp\EventFilter' 0x9
	must ck ca getreg 'exit\smtp\EventFilter' --json
	assert_json '.[0].Value | join(",")' 'CertIssued,CertRevoked'
	# The password: never in argv, shown only as set/unset.
	must ck ca getreg --json
	assert_json 'map(select(.Key == "exit\\smtp\\SMTPPassword"))[0].Value' unset
	printf 'Sup3r-s3cret\n' | ck ca setsmtpinfo mailer --password-stdin > "$T/out" ||
		fail "setsmtpinfo"
	assert_mode "$CERTKEEP_STORE/smtp-password" 600
	must ck ca getreg --json
	assert_json 'map(select(.Key == "exit\\smtp\\SMTPPassword"))[0].Value' set
	assert_json 'map(select(.Key == "exit\\smtp\\SMTPUser"))[0].Value' mailer
	! grep -q 'Sup3r-s3cret' "$T/out" "$CERTKEEP_STORE"/certkeep.db* || fail "password shown"
}
tcase "mail: off until configured; keys checked (nearest name, bounds, CR/LF, To, %n); password set/unset" \
	mail_config
