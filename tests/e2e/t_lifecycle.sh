# shellcheck shell=bash
# Lifecycle (DESIGN.md §7): automatic renewal by the monitor with back-off,
# renewal followed by real nginx and Postfix through autorebind, check
# commands that put the previous files back, owed reloads, owner and group
# of deployed files, the daemon loop.

# shellcheck source=tests/e2e/nginx.sh
source "$E2E_DIR/nginx.sh"
# shellcheck source=tests/e2e/postfix.sh
source "$E2E_DIR/postfix.sh"

# at DAYS: an RFC 3339 time DAYS days from now.
at() {
	date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ
}

# wait_served FUNC SNI SHA1: waits (at most 5 s) until FUNC SNI prints SHA1.
wait_served() {
	local i got=
	for i in $(seq 1 50); do
		got=$("$1" "$2")
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: expected $3, got '${got:-none}'"
}

# assert_pair CERT KEY: the key file's public key is the certificate's.
assert_pair() {
	assert_eq "$(pub_of_cert "$1")" "$(pub_of_key "$2")" "key $2 against $1"
}

lifecycle_renewal_rebinds_servers() {
	local t1 t2 d="$T/tls"
	mkdir -p "$d"
	must ck new --domain www.test.example --domain mx.test.example --services IIS,SMTP \
		--days 90 --json
	t1=$(json_get .Thumbprint)
	must ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key"
	must ck bind add mail --endpoint 127.0.0.1:25 --service SMTP --thumbprint "$t1" \
		--combined-file "$d/mx.pem" --cert-file "$d/mx.crt"
	nginx_start "$d/www.crt" "$d/www.key" www.test.example
	postfix_start mx.test.example "$d/mx.pem" "$d/mx.pem"
	must ck bind remove web
	must ck bind remove mail
	must ck bind add web --endpoint "127.0.0.1:$NGX_PORT" --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key" \
		--check "nginx -t -q -p $NGX_DIR/ -c $NGX_DIR/nginx.conf -e $NGX_DIR/check.log" \
		--reload "kill -HUP $NGX_PID"
	must ck bind add mail --endpoint "127.0.0.1:$PF_PORT" --service SMTP --thumbprint "$t1" \
		--combined-file "$d/mx.pem" --cert-file "$d/mx.crt" \
		--check "postfix -c $PF_DIR/conf check" --reload "postfix -c $PF_DIR/conf reload"
	must ck autorebind on
	must ck autorenew on
	# Day 50 of 90 is before the last third: nothing to renew.
	must ck monitor --at "$(at 50)" --json
	assert_jq 'map(select(.Renewal)) | length == 0'
	# Day 70 is inside it: --at alone only says so, and changes nothing.
	must ck monitor --at "$(at 70)" --json
	assert_jq "map(select(.Renewal == \"would renew\" and .Thumbprint == \"$t1\")) | length == 1"
	must ck events --id 1001 --json
	assert_json length 0
	# --apply renews now (event 1001); autorebind moves both sites.
	must ck monitor --at "$(at 70)" --apply --json
	t2=$(jq -r ".[] | select(.Thumbprint == \"$t1\") | .NewThumbprint" "$T/out")
	[ -n "$t2" ] && [ "$t2" != null ] || fail "no renewal reported"
	wait_served nginx_served_sha1 www.test.example "$t2"
	wait_served postfix_served_sha1 mx.test.example "$t2"
	must ck events --json
	assert_jq "map(select(.Id == 1001 and .Fields.OldThumbprint == \"$t1\" and .Fields.NewThumbprint == \"$t2\")) | length == 1"
	assert_jq "map(select(.Id == 1052 and .Fields.NewThumbprint == \"$t2\")) | length == 2"
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t2\", \"$t2\"] and (map(.FilesMatch) | all)"
	assert_pair "$d/www.crt" "$d/www.key"
	# Renewed once per window: the same pass again renews nothing more of t1.
	must ck monitor --json
	assert_jq "map(select(.Thumbprint == \"$t1\")) | length == 0"
	# The files are links through one switch; one generation is left.
	[ -L "$d/www.crt" ] && [ -L "$d/www.key" ] || fail "deployed paths are not links"
	assert_eq 1 "$(find "$d" -maxdepth 1 -name '.certkeep+web+*' | wc -l)" "generations of web"
	nginx_stop
	postfix_stop
}
tcase "lifecycle: monitor --at (inside the window) --apply renews; nginx and Postfix follow" \
	lifecycle_renewal_rebinds_servers

lifecycle_renewal_backoff() {
	local t
	# A brainpoolP256r1 certificate in the second half of its life: no
	# key of that curve is made, so its renewal (a clone) fails.
	cp -r "$FIX/cadb" "$T/" && cd "$T" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:brainpoolP256r1 -nodes \
			-keyout weak.key -out weak.csr \
			-subj /CN=weak.test.example -addext subjectAltName=DNS:weak.test.example 2> /dev/null &&
		openssl ca -batch -config cadb/ca.cnf -selfsign -keyfile weak.key -in weak.csr \
			-out weak.pem -startdate "$(date -u -d '-20 days' +%Y%m%d%H%M%SZ)" \
			-enddate "$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)" > /dev/null 2>&1 ||
		fail "openssl ca"
	must ck import --cert weak.pem --key weak.key --json
	t=$(json_get .Thumbprint)
	must ck autorenew on
	# Cloning it is refused: the renewal fails.
	must ck monitor --once --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal == \"failed\")) | length == 1"
	must ck events --id 1070 --json
	assert_json length 1
	assert_json '.[0].Fields.Failures' 1
	# Within the back-off nothing is tried again.
	must ck monitor --once --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal)) | .[0].Renewal == \"waiting\""
	must ck events --id 1070 --json
	assert_json length 1
	# After an hour, the second attempt; then the wait doubles.
	must ck monitor --at "$(date -u -d '+61 minutes' +%Y-%m-%dT%H:%M:%SZ)" --apply --json
	must ck events --id 1070 --json
	assert_json length 2
	assert_json '.[1].Fields.Failures' 2
	must ck monitor --at "$(date -u -d '+150 minutes' +%Y-%m-%dT%H:%M:%SZ)" --apply --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal)) | .[0].Renewal == \"waiting\""
	# autorenew off: nothing at all.
	must ck autorenew off
	must ck monitor --at "$(at 9)" --json
	assert_jq 'map(select(.Renewal)) | length == 0'
	# A new certificate is never renewed in the first half of its life,
	# even when --renew-days is longer than its validity.
	must ck new --domain short.test.example --days 10 --json
	t=$(json_get .Thumbprint)
	must ck autorenew on --renew-days 30
	must ck monitor --once --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal)) | length == 0"
	must ck monitor --at "$(at 6)" --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal)) | .[0].Renewal == \"would renew\""
}
tcase "lifecycle: a failing renewal is 1070 with back-off 1 h, 2 h, ..." lifecycle_renewal_backoff

lifecycle_check_restores() {
	local t1 t2 d="$T/tls"
	mkdir -p "$d"
	must ck new --domain check.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	must ck bind add site --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/c.crt" --key-file "$d/c.key" --combined-file "$d/c.pem" \
		--check "test ! -e $T/break" --reload "touch $T/reloaded"
	assert_file "$T/reloaded"
	rm "$T/reloaded"
	touch "$T/break"
	must ck autorebind on
	# The clone is made; its rebinding failed: exit 5, one line saying both.
	expect_exit 5 ck clone "$t1" --json
	assert_err_contains "certkeep clone: done (event "
	assert_err_contains "but automatic rebinding failed"
	assert_err_contains "check command failed"
	assert_err_contains "previous files are back"
	assert_eq 1 "$(wc -l < "$T/err")" "lines on stderr"
	# The files are the old pair, whole; nothing was reloaded.
	assert_eq "$t1" "$(sha1_of "$d/c.crt")" "c.crt"
	assert_eq "$t1" "$(sha1_of "$d/c.pem")" "c.pem"
	assert_pair "$d/c.crt" "$d/c.key"
	assert_pair "$d/c.pem" "$d/c.pem"
	assert_no_file "$T/reloaded"
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t1\"] and (map(.FilesMatch) | all)"
	must ck events --id 1053 --json
	assert_jq 'length == 1 and (.[0].Fields.Error | contains("check command failed"))'
	# A reaction still owed (as after a crash before it ran) is not run by
	# read-only commands, nor fails them; the next writing command runs it.
	must sqlite3 "$CERTKEEP_STORE/certkeep.db" \
		"UPDATE event_cursors SET seq = (SELECT max(seq) FROM events WHERE id = 1001) - 1 WHERE consumer = 'autorebind'"
	for cmd in list events "bind list" "show $t1" "task list"; do
		# shellcheck disable=SC2086
		must ck $cmd
	done
	expect_exit 5 ck new --domain other.test.example
	assert_err_contains "certkeep new: done (event 1006"
	# Other commands are not held up by it; the monitor retries it...
	must ck list --json
	t2=$(jq -r ".[] | select(.Thumbprint != \"$t1\" and (.Subject | contains(\"check.test\"))) | .Thumbprint" "$T/out")
	expect_exit 1 ck monitor --once
	assert_eq "$t1" "$(sha1_of "$d/c.crt")" "c.crt while the check fails"
	# The same failure again is not news: one 1053 however often it is
	# retried. Another failure is (here the directory is gone).
	expect_exit 1 ck monitor --once
	must ck events --id 1053 --json
	assert_jq 'length == 1'
	mv "$d" "$d.away"
	printf 'not a directory\n' > "$d"
	expect_exit 1 ck monitor --once
	expect_exit 1 ck monitor --once
	must ck events --id 1053 --json
	assert_jq 'length == 2 and (.[1].Fields.Error | contains("cannot open the directory"))'
	rm "$d"
	mv "$d.away" "$d"
	# ...and once the check passes, the binding catches up.
	rm "$T/break"
	must ck monitor --once
	grep -qx "rebind site moved" "$T/out" || fail "monitor did not report the move: $(cat "$T/out")"
	assert_eq "$t2" "$(sha1_of "$d/c.crt")" "c.crt after"
	assert_pair "$d/c.pem" "$d/c.pem"
	assert_file "$T/reloaded"
	# bind add whose check fails leaves the files it found as they were.
	printf 'not ours\n' > "$d/x.crt"
	expect_exit 1 ck bind add x --endpoint 127.0.0.1:1 --service IIS --thumbprint "$t2" \
		--cert-file "$d/x.crt" --check false
	assert_eq "not ours" "$(cat "$d/x.crt")" "x.crt"
	[ ! -L "$d/x.crt" ] || fail "x.crt became a link"
	[ -z "$(find "$d" -maxdepth 1 -name '*+x*')" ] || fail "files of x left behind"
	must ck bind list --json
	assert_jq 'map(.Site) == ["site"]'
}
tcase "lifecycle: a failing --check puts the previous files back and skips the reload" \
	lifecycle_check_restores

lifecycle_reload_owed() {
	local t d="$T/tls"
	mkdir -p "$d"
	must ck new --domain owed.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	expect_exit 1 ck bind add site --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t" \
		--cert-file "$d/o.crt" --key-file "$d/o.key" \
		--reload "test -e $T/up && echo x >> $T/reloads"
	assert_err_contains "reload command failed"
	# The monitor retries it while it fails...
	expect_exit 1 ck monitor --once
	assert_no_file "$T/reloads"
	# ...runs it once it works, and then no more.
	touch "$T/up"
	must ck monitor --once --json
	assert_jq 'map(select(.Reload and .Result == "done")) | length == 1'
	assert_eq 1 "$(wc -l < "$T/reloads")" "reloads"
	must ck monitor --once
	assert_eq 1 "$(wc -l < "$T/reloads")" "reloads after another pass"
}
tcase "lifecycle: a failed reload stays owed and the next monitor pass runs it once" \
	lifecycle_reload_owed

lifecycle_owner_group() {
	local t d
	# Outside $T (0700), so that the service account can reach the files.
	d=$(mktemp -d /tmp/certkeep-owner.XXXXXX) || fail "mktemp"
	chmod 755 "$d"
	trap 'rm -rf "$d"' RETURN
	must ck new --domain owner.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	must ck bind add site --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t" \
		--cert-file "$d/o.crt" --key-file "$d/o.key" --combined-file "$d/o.pem" \
		--owner nobody --group nogroup --mode 0640
	assert_mode "$d/o.key" 640
	assert_mode "$d/o.pem" 640
	assert_mode "$d/o.crt" 644
	assert_owner "$d/o.key" nobody
	assert_owner "$d/o.crt" nobody
	assert_eq nogroup "$(stat -L -c %G "$d/o.key")" "group of o.key"
	# The service account reads its key through the links.
	setpriv --reuid nobody --regid nogroup --clear-groups cat "$d/o.key" > /dev/null ||
		fail "nobody cannot read the key"
	expect_exit 1 ck bind add bad --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t" \
		--cert-file "$d/b.crt" --owner no-such-user-here
	assert_err_contains "no such user"
	assert_no_file "$d/b.crt"
}
tcase "lifecycle: deployed files have the owner, group and mode asked for" lifecycle_owner_group

lifecycle_daemon() {
	local pid i
	# An expired self-signed certificate: due for renewal at once.
	must ck import --cert "$FIX/expired.pem" --key "$FIX/expired.key"
	must ck autorenew on
	"$CK" daemon --interval 3600 2> "$T/daemon.err" &
	pid=$!
	# The first pass runs at once and renews it.
	for i in $(seq 1 50); do
		[ "$(event_count 1001)" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(event_count 1001)" -eq 1 ] || fail "the daemon did not renew"
	# A certificate made meanwhile by another command is seen on SIGHUP:
	# it expires within 7 days (1003), and is too young to renew.
	must ck new --domain daemon.test.example --days 5
	kill -HUP "$pid"
	for i in $(seq 1 50); do
		[ "$(event_count 1003)" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(event_count 1003)" -eq 1 ] || fail "SIGHUP did not start a pass"
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	[ "$RC" -eq 0 ] || fail "daemon exit $RC after SIGTERM"
	assert_eq 1 "$(event_count 1001)" "renewals"
	grep -q '"Renewal":"renewed"' "$T/daemon.err" || fail "renewal not logged"
	grep -q 'stopped after 2 passes' "$T/daemon.err" || fail "no clean stop: $(tail -1 "$T/daemon.err")"
}
tcase "lifecycle: daemon renews each pass, SIGHUP runs a pass, SIGTERM stops it" lifecycle_daemon

lifecycle_renew_through_ca() {
	local t t2 when
	must ck ca init --name "Lifecycle CA"
	must ck new --domain ca-issued.test.example --services IIS --request-out "$T/h.csr"
	must ck ca submit "$T/h.csr" --out "$T/h.pem"
	must ck import --cert "$T/h.pem" --json
	t=$(json_get .Thumbprint)
	must ck autorenew on --renew-days 200
	when=$(date -u -d '+200 days' +%Y-%m-%dT%H:%M:%SZ)
	must ck monitor --at "$when" --json
	assert_jq "map(select(.Thumbprint == \"$t\" and .Renewal)) | .[0].Renewal == \"would renew\""
	must ck monitor --at "$when" --apply --json
	t2=$(jq -r ".[] | select(.Thumbprint == \"$t\" and .Renewal == \"renewed\") | .NewThumbprint" "$T/out")
	[ -n "$t2" ] && [ "$t2" != null ] || fail "not renewed through the CA"
	must ck show "$t2" --json
	assert_json .Issuer "CN=Lifecycle CA"
	assert_json .HasPrivateKey true
	assert_json '.CertificateDomains | join(",")' ca-issued.test.example
	assert_eq 2 "$(event_count 1101)" "certificates the CA issued"
	must ck events --id 1001 --json
	assert_jq "length == 1 and .[0].Fields.OldThumbprint == \"$t\" and .[0].Fields.NewThumbprint == \"$t2\""
}
tcase "lifecycle: a certificate the built-in CA issued is renewed through it by the monitor" \
	lifecycle_renew_through_ca

lifecycle_daemon_ca() {
	local pid i n
	must ck ca init --name "Daemon CA"
	must ck ca policy --crl-path "$T/ca.crl" --crl-hours 1
	must ck ca crl
	"$CK" daemon --interval 1 2> "$T/daemon.err" &
	pid=$!
	for i in $(seq 1 50); do
		[ "$(event_count 1106)" -ge 1 ] && break
		sleep 0.1
	done
	# A fresh CRL valid for an hour is not remade on every pass.
	sleep 2.5
	assert_eq 1 "$(event_count 1105)" "CRLs before the current one is due"
	# Age it: 10 minutes left of its hour, so less than half is left.
	sqlite3 "$CERTKEEP_STORE/certkeep.db" "UPDATE ca_state SET
		crl_this_update = strftime('%s', 'now') - 3000,
		crl_next_update = strftime('%s', 'now') + 600" || fail "cannot age the CRL"
	for i in $(seq 1 50); do
		[ "$(event_count 1105)" -ge 2 ] && break
		sleep 0.1
	done
	sleep 2.5 # and the new one is not remade either
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
	n=$(event_count 1105)
	assert_eq 2 "$n" "CRLs: one by ca crl, one by the daemon when it was due"
	openssl crl -in "$T/ca.crl" -inform DER -noout -text > "$T/crl.txt" 2>&1 ||
		fail "the published CRL does not parse"
	grep -A1 "X509v3 CRL Number" "$T/crl.txt" | grep -qx " *$n" ||
		fail "CRL number is not $n: $(grep -A1 'CRL Number' "$T/crl.txt")"
	assert_eq 1 "$(event_count 1106)" "CA startup events"
	assert_eq 1 "$(event_count 1107)" "CA shutdown events"
}
tcase "lifecycle: the daemon starts and stops the CA service and remakes the CRL before nextUpdate" \
	lifecycle_daemon_ca
