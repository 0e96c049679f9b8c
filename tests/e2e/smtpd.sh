# shellcheck shell=bash disable=SC2015
# smtpd.sh - aiosmtpd as the CA's real mail sink (REFERENCE.md Part B §2.1),
# for one test case: STARTTLS and AUTH required, on a free 127.0.0.1 port,
# started as a child of the case and stopped by its PID (EXIT trap).
#
#   smtpd_certs               $T/smtp-ca.pem (trusted) and the server's
#                             certificate for localhost and 127.0.0.1 signed
#                             by it; $T/rogue.pem, a self-signed one
#   smtpd_start [ARGS...]     starts tests/e2e/smtpd.py (ARGS: --no-starttls,
#                             --cert/--key, --password P); sets SMTPD_PORT,
#                             SMTPD_PID, SMTPD_OUT (one .eml per message)
#   smtpd_stop                stops it; safe to call twice
#   smtpd_count               how many messages arrived

SMTPD_PID=
SMTPD_PORT=
SMTPD_OUT=
# Debian's aiosmtpd is only visible to Debian's python3, not to a python3
# earlier on PATH.
SMTPD_PYTHON=${SMTPD_PYTHON:-/usr/bin/python3}

smtpd_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/smtp-ca.key" -out "$T/smtp-ca.pem" -subj /CN=certkeep-test-smtp-ca \
		2> /dev/null || fail "openssl: CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/smtpd.key" -out "$T/smtpd.csr" -subj /CN=localhost 2> /dev/null ||
		fail "openssl: CSR"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/smtpd.ext"
	openssl x509 -req -in "$T/smtpd.csr" -CA "$T/smtp-ca.pem" -CAkey "$T/smtp-ca.key" \
		-CAcreateserial -days 30 -extfile "$T/smtpd.ext" -out "$T/smtpd.pem" 2> /dev/null ||
		fail "openssl: server certificate"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/rogue.key" -out "$T/rogue.pem" -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2> /dev/null || fail "openssl: rogue"
}

smtpd_listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2> /dev/null)" ]
}

# A port above the ephemeral range (32768-60999), apart from nginx.sh's
# and postfix.sh's ranges.
smtpd_pick_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((61000 + (RANDOM * 32768 + RANDOM) % 4000))
		smtpd_listening "$p" || { echo "$p"; return 0; }
	done
	return 1
}

smtpd_start() {
	local i tries
	[ -z "$SMTPD_PID" ] || fail "smtpd_start: already running"
	[ -e "$T/smtpd.pem" ] || smtpd_certs
	SMTPD_OUT="$T/mailbox"
	mkdir -p "$SMTPD_OUT"
	rm -f "$SMTPD_OUT/.ready"
	trap smtpd_stop EXIT
	trap 'exit 143' TERM INT HUP
	for tries in 1 2 3; do
		[ -n "$SMTPD_PORT" ] || SMTPD_PORT=$(smtpd_pick_port) || fail "smtpd: no free port"
		"$SMTPD_PYTHON" "$E2E_DIR/smtpd.py" "$SMTPD_PORT" "$SMTPD_OUT" \
			--cert "$T/smtpd.pem" --key "$T/smtpd.key" "$@" 2>> "$T/smtpd.log" &
		SMTPD_PID=$!
		for i in $(seq 1 100); do
			[ -e "$SMTPD_OUT/.ready" ] && smtpd_listening "$SMTPD_PORT" && return 0
			kill -0 "$SMTPD_PID" 2> /dev/null || break
			sleep 0.05
		done
		smtpd_stop
		SMTPD_PORT=
	done
	fail "smtpd did not start: $(tail -3 "$T/smtpd.log")"
}

smtpd_stop() {
	local i
	[ -n "$SMTPD_PID" ] || return 0
	kill "$SMTPD_PID" 2> /dev/null
	for i in $(seq 1 100); do
		kill -0 "$SMTPD_PID" 2> /dev/null || break
		sleep 0.05
	done
	kill -9 "$SMTPD_PID" 2> /dev/null
	wait "$SMTPD_PID" 2> /dev/null
	SMTPD_PID=
	return 0
}

smtpd_count() {
	find "$SMTPD_OUT" -name '*.eml' 2> /dev/null | wc -l
}
