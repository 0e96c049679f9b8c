# shellcheck shell=bash
# probe against a real Postfix (DESIGN.md §4): the certificate certkeep
# selects for the connector's FQDN is exported, Postfix serves it, and probe
# sees it through STARTTLS as the selected one; when enable/new change the
# selection, the export and reload follow and probe reports the new one.

# shellcheck source=tests/e2e/postfix.sh
source "$E2E_DIR/postfix.sh"

# deploy_selected: exports what select chooses for mx.test.example to the
# file Postfix reads, atomically (certkeep writes a temp file and renames).
deploy_selected() {
	local t
	must ck select --fqdn mx.test.example --service SMTP --json
	t=$(json_get .Selected.Thumbprint)
	must ck export "$t" --with-key --out "$T/mx.pem"
	printf '%s' "$t"
}

probe_follows_selection() {
	local t1 t2 t3
	must ck init --hostname client --fqdn client.test.example
	must ck connector add Default --type receive --fqdn mx.test.example
	must ck new --domain mx.test.example --services SMTP --json
	t1=$(json_get .Thumbprint)
	assert_eq "$t1" "$(deploy_selected)" "selected at first"
	postfix_start mx.test.example "$T/mx.pem" "$T/mx.pem"

	must ck probe "smtp://127.0.0.1:$PF_PORT" --fqdn mx.test.example --json
	assert_json .Served.Thumbprint "$t1"
	assert_json .Selected "$t1"
	assert_json .IsSelected true
	assert_json .StartTlsOffered true
	assert_json .InStore true
	assert_json .Served.HoldsName true

	# A newer certificate for the name, first without SMTP: the selection
	# does not change ...
	must ck new --domain mx.test.example --services IIS --json
	t2=$(json_get .Thumbprint)
	must ck probe "smtp://127.0.0.1:$PF_PORT" --fqdn mx.test.example --json
	assert_json .IsSelected true
	# ... until SMTP is enabled on it: now Postfix serves the old one, and
	# probe says so (exit 3), until the export and reload follow.
	must ck enable "$t2" --services SMTP
	expect_exit 3 ck probe "smtp://127.0.0.1:$PF_PORT" --fqdn mx.test.example --json
	assert_json .Served.Thumbprint "$t1"
	assert_json .Selected "$t2"
	assert_json .IsSelected false
	assert_eq "$t2" "$(deploy_selected)" "selected after enable"
	postfix_reload
	sleep 0.3
	must ck probe "smtp://127.0.0.1:$PF_PORT" --fqdn mx.test.example --json
	assert_json .Served.Thumbprint "$t2"
	assert_json .IsSelected true

	# A certificate outside the store, for another name: not selected, does
	# not hold the name.
	must ck new --domain other.test.example --services SMTP --json
	t3=$(json_get .Thumbprint)
	must ck export "$t3" --with-key --out "$T/mx.pem.new"
	mv "$T/mx.pem.new" "$T/mx.pem"
	must ck remove "$t3"
	postfix_reload
	sleep 0.3
	expect_exit 3 ck probe "smtp://127.0.0.1:$PF_PORT" --fqdn mx.test.example --json
	assert_json .Served.Thumbprint "$t3"
	assert_json .Served.HoldsName false
	assert_json .InStore false

	local port=$PF_PORT
	postfix_stop || fail "postfix_stop failed"
	# Nothing listening: temporary failure, exit 4.
	expect_exit 4 ck probe "smtp://127.0.0.1:$port" --fqdn mx.test.example --timeout 2
	assert_err_one_line
}
tcase "probe: Postfix serves the selected certificate; enable changes it; export+reload follow" \
	probe_follows_selection

probe_https_and_usage() {
	local t port pid
	must ck new --domain www.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	must ck export "$t" --with-key --out "$T/www.pem"
	port=$(( 20000 + RANDOM % 20000 ))
	openssl s_server -accept "127.0.0.1:$port" -cert "$T/www.pem" -key "$T/www.pem" -www \
		-quiet > /dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do
		ss -ltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.1
	done
	must ck probe "https://127.0.0.1:$port" --sni www.test.example --json
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	assert_json .Served.Thumbprint "$t"
	assert_json .IsSelected true
	assert_jq '.Banner == null'
	expect_exit 2 ck probe "ftp://127.0.0.1:$port" --fqdn www.test.example
	expect_exit 1 ck probe "https://127.0.0.1:99999" --sni www.test.example
	expect_exit 2 ck probe "https://127.0.0.1:$port"
}
tcase "probe: HTTPS with SNI against openssl s_server; bad URLs" probe_https_and_usage
