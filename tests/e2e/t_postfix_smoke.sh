# shellcheck shell=bash
# Postfix as a real STARTTLS server (DESIGN.md §7 binding target, §11):
# it serves a certificate certkeep made and exported, and after the file is
# replaced and Postfix reloaded, the renewed one. The second case pins the
# Postfix behaviour that makes certkeep check a key against its certificate
# before deploying (DESIGN.md §7): Postfix itself accepts a mismatched pair
# in `postfix check` and `reload`, and only STARTTLS fails, with 454.
# Helpers in tests/e2e/postfix.sh.

# shellcheck source=tests/e2e/postfix.sh
source "$E2E_DIR/postfix.sh"

# pf_wait_served SHA1: waits (at most 5 s) until Postfix serves SHA1.
pf_wait_served() {
	local i got=
	for i in $(seq 1 50); do
		got=$(postfix_served_sha1 mx.test.example)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
	done
	fail "served certificate: expected $1, got '${got:-none}'"
}

# pf_smtp_starttls_reply: the reply line to STARTTLS after EHLO, spoken
# with bash's /dev/tcp (each read bounded to 5 s).
pf_smtp_starttls_reply() {
	local line
	exec 3<> "/dev/tcp/127.0.0.1/$PF_PORT" || fail "cannot connect to $PF_PORT"
	IFS= read -r -t 5 line <&3 || fail "no greeting"
	printf 'EHLO client.test.example\r\n' >&3
	while IFS= read -r -t 5 line <&3; do
		[[ $line == 250-* ]] || break
	done
	[[ $line == "250 "* ]] || fail "EHLO refused: $line"
	printf 'STARTTLS\r\n' >&3
	IFS= read -r -t 5 line <&3 || fail "no reply to STARTTLS"
	printf 'QUIT\r\n' >&3
	exec 3>&-
	printf '%s' "${line%$'\r'}"
}

postfix_serves_and_reloads() {
	local t1 t2
	must ck new --domain mx.test.example --services SMTP --json
	t1=$(json_get .Thumbprint)
	# One PEM with certificate and key serves as both Postfix files.
	must ck export "$t1" --with-key --out "$T/mx.pem"
	postfix_start mx.test.example "$T/mx.pem" "$T/mx.pem"
	assert_eq "$t1" "$(postfix_served_sha1 mx.test.example)" "certificate served after start"
	assert_eq "$t1" "$(postfix_served_sha1)" "certificate served without SNI"

	# Renew, replace the file atomically (rename), reload.
	must ck clone "$t1" --json
	t2=$(json_get .Thumbprint)
	assert_ne "$t1" "$t2" "thumbprint after clone"
	must ck export "$t2" --with-key --out "$T/mx.pem.new"
	mv "$T/mx.pem.new" "$T/mx.pem" || fail "cannot replace $T/mx.pem"
	postfix_reload
	pf_wait_served "$t2"

	local port=$PF_PORT
	postfix_stop || fail "postfix_stop failed"
	pf_listening "$port" && fail "port $port still open after postfix_stop"
	postfix_stop || fail "a second postfix_stop failed"
}
tcase "postfix: serves the exported certificate over STARTTLS, the renewed one after reload" \
	postfix_serves_and_reloads

postfix_mismatched_key() {
	local t1 t2
	must ck new --domain mx.test.example --services SMTP --json
	t1=$(json_get .Thumbprint)
	must ck new --domain other.test.example --services SMTP --json
	t2=$(json_get .Thumbprint)
	must ck export "$t1" --out "$T/mx.crt"
	must ck export "$t1" --with-key --out "$T/mx.both.pem"
	must ck export "$t2" --with-key --out "$T/other.both.pem"
	# Separate key file: the key block of the combined export.
	sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' "$T/mx.both.pem" > "$T/mx.key"
	sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' "$T/other.both.pem" > "$T/other.key"
	postfix_start mx.test.example "$T/mx.crt" "$T/mx.key"
	assert_eq "$t1" "$(postfix_served_sha1 mx.test.example)" "certificate served"
	assert_eq "220" "$(pf_smtp_starttls_reply | cut -c1-3)" "STARTTLS reply code"

	# The wrong key: Postfix's own checks pass ...
	cp "$T/other.key" "$T/mx.key" || fail "cp"
	expect_exit 0 postfix -c "$PF_DIR/conf" check
	postfix_reload
	# ... and STARTTLS, still offered, is refused.
	local reply
	reply=$(pf_smtp_starttls_reply)
	[[ $reply == "454 4.7.0 TLS not available due to local problem"* ]] ||
		fail "STARTTLS with a mismatched key: expected 454, got '$reply'"
	# postlogd writes asynchronously: give the line a moment.
	local i
	for i in $(seq 1 50); do
		grep -q 'key values mismatch' "$PF_DIR/maillog" && break
		[ "$i" = 50 ] && fail "no 'key values mismatch' in the Postfix log"
		sleep 0.1
	done
	postfix_stop || fail "postfix_stop failed"
}
tcase "postfix: a mismatched key passes postfix check and reload, then STARTTLS answers 454" \
	postfix_mismatched_key
