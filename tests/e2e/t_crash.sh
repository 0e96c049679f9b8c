# shellcheck shell=bash
# Crash safety: `kill -9` at random moments leaves a store that opens, lists,
# passes SQLite's integrity check and has no row without its key file
# (DESIGN.md §1, §2: key file written before its row, removed after).

# store_consistent: the checks after the crashes.
store_consistent() {
	local f
	must ck list --json
	cp "$T/out" list.json
	assert_jq 'type == "array"' list.json
	# Every certificate (and request) with a key has its key file, private,
	# and the key is readable by openssl.
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		assert_file "$f"
		assert_mode "$f" 600
		openssl pkey -in "$f" -noout 2> /dev/null || fail "unreadable key file $f"
	done < <(jq -r '.[] | select(.HasPrivateKey and .Status != "PendingRequest") | .PrivateKeyFile' list.json)
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		assert_file "$T/store/keys/$f.pem"
	done < <(jq -r '.[] | select(.Status == "PendingRequest") | .PublicKeyId' list.json)
	# Nothing in keys/ is readable by others, not even a half-written file.
	f=$(find "$T/store/keys" -type f -perm /077 | head -1)
	[ -z "$f" ] || fail "key file readable by others: $f"
	must sqlite3 "$T/store/certkeep.db" 'PRAGMA integrity_check'
	assert_eq ok "$(cat "$T/out")" "integrity_check"
	must sqlite3 "$T/store/certkeep.db" 'PRAGMA foreign_key_check'
	assert_out_empty
	# Every 1006 event names a listed certificate (change and event are one
	# transaction), and the store still takes changes.
	must ck events --json --id 1006
	jq -r '.[].Fields.Thumbprint' "$T/out" | while IFS= read -r f; do
		jq -e --arg t "$f" 'any(.[]; .Thumbprint == $t)' list.json > /dev/null ||
			fail "event 1006 for $f but no such certificate"
	done
	must ck new --domain after.example --json
	must ck list --domain after.example --json
	assert_json length 1
}

# kill_at SECONDS ARGS...: starts ck ARGS, kills it with SIGKILL after SECONDS.
kill_at() {
	local delay=$1 pid
	shift
	"$CK" "$@" > /dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
}

crash_rsa4096() {
	local i
	use_store host
	for i in 1 2 3 4 5 6; do
		kill_at "0.0$((RANDOM % 10))" new --domain x.example --key rsa:4096
	done
	# Later moments too: key generation takes a second or two.
	for i in 1 2 3; do
		kill_at "$((RANDOM % 3)).$((RANDOM % 10))" new --domain x.example --key rsa:4096
	done
	store_consistent
}
tcase "crash: new --key rsa:4096 killed -9 at random moments; store consistent" crash_rsa4096

crash_fast_writes() {
	local i d
	use_store populated
	# EC keys are quick: these kills land in the writes and the commit.
	for i in $(seq 1 15); do
		d=$(printf '0.%03d' $((RANDOM % 60)))
		case $((i % 3)) in
		0) kill_at "$d" new --domain "c$i.example" ;;
		1) kill_at "$d" new --domain "r$i.example" --request-out "$T/r$i.csr" ;;
		2) kill_at "$d" clone "$(thumb_of mx1.contoso.test)" ;;
		esac
	done
	store_consistent
}
tcase "crash: new, requests and clone killed -9 during their writes; store consistent" \
	crash_fast_writes

# Several writers at once: SQLite's busy timeout must serialise them.
concurrent_writers() {
	local i pids=() rc=0
	use_store host
	for i in 1 2 3 4 5 6 7 8; do
		"$CK" new --domain "p$i.example" > "new$i.out" 2> "new$i.err" &
		pids+=($!)
	done
	"$CK" enable "$(thumb_of mx1.contoso.test)" --services UM > en.out 2> en.err &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	[ "$rc" -eq 0 ] || fail "a concurrent command failed: $(cat ./*.err)"
	must ck list --json
	assert_json length 9
	assert_json '[.[].CertificateDomains[0]] | map(select(startswith("p"))) | length' 8
	assert_eq 9 "$(event_count 1006)" "1006 events"
	assert_eq 1 "$(event_count 1020)" "1020 events"
	store_consistent
}
tcase "concurrency: 8 new and an enable at once all succeed, each with its event" \
	concurrent_writers

# deployed_whole DIR: every deployed certificate file holds a whole
# certificate of the store, and every key matches its certificate.
deployed_whole() {
	local d=$1 f t
	for f in "$d/a.crt" "$d/b.crt" "$d/b.pem" "$d/c.crt"; do
		t=$(sha1_of "$f" 2> /dev/null) || fail "$f is not a whole certificate"
		jq -e --arg t "$t" 'any(.[]; .Thumbprint == $t)' list.json > /dev/null ||
			fail "$f holds $t, not a certificate of the store"
	done
	assert_eq "$(pub_of_cert "$d/a.crt")" "$(pub_of_key "$d/a.key")" "a.key"
	assert_eq "$(pub_of_cert "$d/b.pem")" "$(pub_of_key "$d/b.pem")" "b.pem"
	assert_eq "$(pub_of_cert "$d/c.crt")" "$(pub_of_key "$d/c.key")" "c.key"
}

crash_rebind_renewal() {
	local i t d="$T/tls" when
	mkdir -p "$d"
	must ck new --domain crash.test.example --services IIS,SMTP --days 30 --json
	t=$(json_get .Thumbprint)
	must ck bind add a --endpoint 127.0.0.1:1 --service IIS --thumbprint "$t" \
		--cert-file "$d/a.crt" --key-file "$d/a.key" --reload true
	must ck bind add b --endpoint 127.0.0.1:2 --service SMTP --thumbprint "$t" \
		--cert-file "$d/b.crt" --combined-file "$d/b.pem" --reload true
	must ck bind add c --endpoint 127.0.0.1:3 --service IIS --thumbprint "$t" \
		--cert-file "$d/c.crt" --chain-file "$d/c.chain" --key-file "$d/c.key"
	must ck autorebind on
	must ck autorenew on
	# Day 20 of 30: every pass renews the current certificate and rebinds
	# the three sites; the kills land anywhere in it.
	when=$(date -u -d '+20 days' +%Y-%m-%dT%H:%M:%SZ)
	for i in $(seq 1 24); do
		kill_at "$(printf '0.%03d' $((RANDOM % 250)))" monitor --at "$when" --apply
		must ck list --json
		cp "$T/out" list.json
		deployed_whole "$d"
	done
	# The next pass finishes the job: every site on the newest certificate.
	must ck monitor --at "$when" --apply
	must ck list --json
	cp "$T/out" list.json
	t=$(jq -r '[.[] | select(.Subject == "CN=crash.test.example" and ((.ReplacedBy // "") == ""))] | .[0].Thumbprint' list.json)
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t\", \"$t\", \"$t\"] and (map(.FilesMatch) | all)"
	deployed_whole "$d"
	assert_eq 3 "$(find "$d" -maxdepth 1 -name '.certkeep+*+*' | wc -l)" "generations left"
	store_consistent
}
tcase "crash: renewal and rebinding killed -9 anywhere; files whole, keys match, next pass finishes" \
	crash_rebind_renewal

# Several processes reacting to one renewal at once (a daemon and a
# command): deployments are serialised, no site is left with a dangling
# link or a stray generation.
concurrent_rebinds() {
	local t i round pids rc=0 d="$T/tls"
	mkdir -p "$d"
	must ck new --domain conc.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	for i in 1 2 3 4 5; do
		must ck bind add "s$i" --endpoint "127.0.0.1:$i" --service IIS --thumbprint "$t" \
			--cert-file "$d/s$i.crt" --key-file "$d/s$i.key"
	done
	must ck autorebind on
	for round in 1 2 3; do
		pids=()
		"$CK" clone "$t" > clone.json 2> "c$round.err" --json &
		pids+=($!)
		for i in 1 2 3; do
			"$CK" monitor --once > /dev/null 2> "m$round.$i.err" &
			pids+=($!)
		done
		for i in "${pids[@]}"; do
			wait "$i" || rc=$?
		done
		[ "$rc" -eq 0 ] || fail "a concurrent command failed: $(cat ./*.err)"
		t=$(jq -r .Thumbprint clone.json)
	done
	must ck monitor --once
	must ck bind list --json
	assert_jq 'length == 5 and (map(.FilesMatch) | all) and (map(.Thumbprint) | unique | length == 1)'
	for i in 1 2 3 4 5; do
		assert_eq "$(pub_of_cert "$d/s$i.crt")" "$(pub_of_key "$d/s$i.key")" "s$i.key"
	done
	assert_eq 5 "$(find "$d" -maxdepth 1 -name '.certkeep+*+*' | wc -l)" "generations"
}
tcase "concurrency: clones and monitor passes at once; deployments serialised, links whole" \
	concurrent_rebinds
