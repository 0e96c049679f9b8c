# shellcheck shell=bash
# Bindings and automatic rebinding (DESIGN.md §7): a real nginx (HTTPS) and
# a real Postfix (STARTTLS) on 127.0.0.1, both bound through certkeep to one
# certificate; after clone with autorebind on, both serve the new one.

# shellcheck source=tests/e2e/nginx.sh
source "$E2E_DIR/nginx.sh"
# shellcheck source=tests/e2e/postfix.sh
source "$E2E_DIR/postfix.sh"

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

bind_autorebind_nginx_postfix() {
	local t1 t2 d="$T/tls"
	mkdir -p "$d"
	must ck new --domain www.test.example --domain mx.test.example --services IIS,SMTP --json
	t1=$(json_get .Thumbprint)
	# Deploy first, start the servers on the deployed files, then bind the
	# reload commands (their PIDs exist only once the servers run).
	must ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key"
	must ck bind add mail --endpoint 127.0.0.1:25 --service SMTP --thumbprint "$t1" \
		--combined-file "$d/mx.pem" --cert-file "$d/mx.crt"
	assert_mode "$d/www.key" 600
	assert_mode "$d/mx.pem" 600
	assert_mode "$d/www.crt" 644
	nginx_start "$d/www.crt" "$d/www.key" www.test.example
	postfix_start mx.test.example "$d/mx.pem" "$d/mx.pem"
	assert_eq "$t1" "$(nginx_served_sha1 www.test.example)" "nginx before"
	assert_eq "$t1" "$(postfix_served_sha1 mx.test.example)" "postfix before"
	must ck bind remove web
	must ck bind remove mail
	must ck bind add web --endpoint "127.0.0.1:$NGX_PORT" --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key" \
		--reload "kill -HUP $NGX_PID"
	must ck bind add mail --endpoint "127.0.0.1:$PF_PORT" --service SMTP --thumbprint "$t1" \
		--combined-file "$d/mx.pem" --cert-file "$d/mx.crt" \
		--reload "postfix -c $PF_DIR/conf reload"
	must ck bind list --json
	assert_jq 'map(.FilesMatch) == [true, true]'

	must ck autorebind on
	must ck clone "$t1" --json
	t2=$(json_get .Thumbprint)
	wait_served nginx_served_sha1 www.test.example "$t2"
	wait_served postfix_served_sha1 mx.test.example "$t2"
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t2\", \"$t2\"] and map(.FilesMatch) == [true, true]"
	must ck events --json
	assert_jq 'map(.Id) | index(1001) != null'
	assert_jq "map(select(.Id == 1052 and .Fields.NewThumbprint == \"$t2\")) | length == 2"
	# The key deployed matches the certificate deployed.
	assert_eq "$(pub_of_cert "$d/www.crt")" "$(pub_of_key "$d/www.key")" "www key"
	nginx_stop
	postfix_stop
}
tcase "bind: nginx and Postfix on one certificate; clone with autorebind moves both" \
	bind_autorebind_nginx_postfix

bind_rebind_chain_and_errors() {
	local a b c d="$T/tls"
	mkdir -p "$d"
	must ck new --domain chain.test.example --services IIS --json
	a=$(json_get .Thumbprint)
	must ck bind add site-a --endpoint 127.0.0.1:1 --service IIS --thumbprint "$a" \
		--cert-file "$d/a.crt" --key-file "$d/a.key"
	must ck clone "$a" --json
	b=$(json_get .Thumbprint)
	must ck bind add site-b --endpoint 127.0.0.1:2 --service IIS --thumbprint "$b" \
		--cert-file "$d/b.crt" --key-file "$d/b.key"
	must ck clone "$b" --json
	c=$(json_get .Thumbprint)
	# autorebind is off: nothing moved by itself.
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$a\", \"$b\"]"
	# A->B->C: rebinding B to C moves A's binding too.
	must ck rebind --old "$b" --new "$c" --json
	assert_jq 'length == 2 and (map(.Result) | unique) == ["moved"]'
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$c\", \"$c\"] and (map(.FilesMatch) | all)"

	# Bad input changes nothing.
	snapshot before
	expect_exit 1 ck bind add x --endpoint 127.0.0.1:3 --service IIS --thumbprint "$c" \
		--cert-file relative.crt
	assert_err_one_line
	expect_exit 1 ck bind add x --endpoint 127.0.0.1:3 --service IIS --thumbprint "$c" \
		--cert-file "$d/x.crt" --key-file "$d/x.key" --mode 0644
	assert_err_contains "readable by everyone"
	expect_exit 1 ck bind add x --endpoint nope --service IIS --thumbprint "$c" \
		--cert-file "$d/x.crt"
	expect_exit 1 ck bind add x --endpoint 127.0.0.1:3 --service IIS --thumbprint DEADBEEF00 \
		--cert-file "$d/x.crt"
	expect_exit 1 ck bind add x --endpoint 127.0.0.1:3 --service IIS --thumbprint "$c" \
		--cert-file "$T/no/such/dir/x.crt"
	expect_exit 1 ck bind add site-a --endpoint 127.0.0.1:3 --service IIS --thumbprint "$c" \
		--cert-file "$d/x.crt"
	assert_unchanged before
	[ ! -e "$d/x.crt" ] || fail "x.crt was written by a refused bind"
	# A failing reload is an error and event 1053; the files did move.
	# (bind add itself deploys, records the binding, then reports the
	# failed reload.)
	expect_exit 1 ck bind add r --endpoint 127.0.0.1:4 --service IIS --thumbprint "$a" \
		--cert-file "$d/r.crt" --key-file "$d/r.key" --reload "exit 7"
	assert_err_contains "status 7"
	must ck bind list --json
	assert_jq 'map(.Site) | index("r") != null'
	expect_exit 1 ck rebind --old "$a" --new "$c"
	assert_err_contains "status 7"
	must ck events --id 1053 --json
	assert_jq 'length >= 1'
}
tcase "bind: rebind follows A->B->C; bad bindings change nothing; failed reload is 1053" \
	bind_rebind_chain_and_errors

bind_stale_generation_swept() {
	local t d="$T/tls" cur
	mkdir -p "$d"
	must ck new --domain sweep.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	must ck bind add s --endpoint 127.0.0.1:1 --service IIS --thumbprint "$t" \
		--cert-file "$d/s.crt" --key-file "$d/s.key"
	cur=$(readlink "$d/.certkeep+s")
	# What a crash after the switch and before the clean-up leaves: an old
	# generation of the site, while the binding is already up to date,
	# with the temporary file of a write the crash cut short.
	mkdir "$d/.certkeep+s+0123456789abcdef"
	cp "$d/s.crt" "$d/.certkeep+s+0123456789abcdef/cert.pem"
	cp "$d/s.crt" "$d/.certkeep+s+0123456789abcdef/key.pem.ck-tmp.4242.0"
	# Another site's generation, named alike, is not this site's.
	mkdir "$d/.certkeep+s2+0123456789abcdef"
	must ck monitor
	[ ! -e "$d/.certkeep+s+0123456789abcdef" ] || fail "the stale generation is still there"
	[ -d "$d/$cur" ] || fail "the current generation was removed"
	[ -d "$d/.certkeep+s2+0123456789abcdef" ] || fail "another site's generation was removed"
	assert_eq "$cur" "$(readlink "$d/.certkeep+s")" "current generation"
	expect_exit 0 openssl x509 -in "$d/s.crt" -noout
}
tcase "bind: a generation an interrupted deployment left is removed by the next monitor pass" \
	bind_stale_generation_swept

# What stands at a binding's path is the owner's to change: a FIFO put in
# place of the certificate file makes bind list report a mismatch, not wait
# for a writer.
bind_list_fifo() {
	local t d="$T/tls"
	mkdir -m 755 "$d"
	must ck new --domain fifo.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	must ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t" \
		--cert-file "$d/www.crt" --key-file "$d/www.key"
	rm "$d/www.crt"
	mkfifo "$d/www.crt"
	expect_exit 0 timeout 10 "$CK" bind list --json
	assert_json '.[0].FilesMatch' false
	assert_json '.[0].OnDisk' ''
	assert_eq fifo "$(stat -c %F "$d/www.crt")" "the FIFO after bind list"
}
tcase "bind: a FIFO at a binding's path is reported as a mismatch, bind list does not wait" \
	bind_list_fifo

# A check (or reload) command runs in a process group of its own: at its
# time limit (60 s) the whole group is killed, SIGTERM then SIGKILL, so a
# grandchild it left in the background - here one that ignores SIGTERM -
# does not outlive it. What the command prints reaches certkeep's stderr.
bind_check_timeout_kills_group() {
	local t d="$T/tls" gc i state
	mkdir -p "$d"
	must ck new --domain slowcheck.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	expect_exit 1 ck bind add slow --endpoint 127.0.0.1:1 --service IIS --thumbprint "$t" \
		--cert-file "$d/s.crt" --key-file "$d/s.key" \
		--check "echo checking; sh -c 'trap \"\" TERM; echo \$\$ > $T/grandchild; exec sleep 300' & wait"
	assert_err_contains "check command timed out"
	assert_err_contains "checking"
	gc=$(cat "$T/grandchild") || fail "the check did not start its grandchild"
	# Gone, or a zombie nobody has reaped yet: either way no longer running.
	for i in $(seq 1 50); do
		state=$(awk '{ print $3 }' "/proc/$gc/stat" 2> /dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && break
		sleep 0.1
	done
	if [ -n "$state" ] && [ "$state" != Z ]; then
		kill -9 "$gc" 2> /dev/null
		fail "the check's grandchild $gc outlived the time limit (state $state)"
	fi
	[ ! -e "$d/s.crt" ] || fail "s.crt stayed after the check failed"
	must ck bind list --json
	assert_jq 'length == 0'
}
tcase "bind: a check command that times out is killed with its whole process group" \
	bind_check_timeout_kills_group

# A binding's certificate must be enabled for its service (IIS = HTTPS):
# refused with the fix, unless --force; rebind's target the same.
bind_service_enabled() {
	local t1 t2 d="$T/tls"
	mkdir -p "$d"
	must ck new --domain www.test.example --services IMAP --json
	t1=$(json_get .Thumbprint)
	expect_exit 1 ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/c.pem" --key-file "$d/k.pem"
	assert_err_one_line
	assert_err_contains "certkeep enable $t1 --services IIS"
	assert_no_file "$d/c.pem"
	must ck bind list --json
	assert_jq 'length == 0'
	expect_exit 1 ck bind add mail --endpoint 127.0.0.1:25 --service SMTP --thumbprint "$t1" \
		--cert-file "$d/m.pem"
	assert_err_contains "certkeep enable $t1 --services SMTP"
	must ck enable "$t1" --services HTTPS
	must ck bind add web --endpoint 127.0.0.1:8443 --service HTTPS --thumbprint "$t1" \
		--cert-file "$d/c.pem" --key-file "$d/k.pem"
	must ck bind add mail --endpoint 127.0.0.1:25 --service SMTP --thumbprint "$t1" \
		--cert-file "$d/m.pem" --force
	must ck new --domain www.test.example --services IIS --json
	t2=$(json_get .Thumbprint)
	# mail's SMTP is not on t2: nothing moves, web neither.
	expect_exit 1 ck rebind --old "$t1" --new "$t2"
	assert_err_contains "certkeep enable $t2 --services SMTP"
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t1\", \"$t1\"]"
	must ck rebind --old "$t1" --new "$t2" --force
	must ck bind list --json
	assert_jq "map(.Thumbprint) == [\"$t2\", \"$t2\"]"
}
tcase "bind: add and rebind refuse a certificate not enabled for the service unless --force" \
	bind_service_enabled
