# shellcheck shell=bash
# Bad input: every row is a case. It runs against a copy of the populated
# fixture store and must exit with the given status, print exactly one line
# on stderr containing the given text (case-insensitive), nothing on
# stdout, and leave the store exactly as it was (list, events, database,
# key files).
#
# Columns: exit | stderr contains | stdin ('-': none) | arguments (shell
# words, expanded in the case: $FIX are the fixtures, $T the case's dir)

bad_row() {
	local want=$1 text=$2 input=$3 args=$4
	use_store populated
	snapshot before
	eval "set -- $args"
	if [ "$input" = - ]; then
		expect_exit "$want" ck "$@"
	else
		expect_exit "$want" ck "$@" <<< "$input"
	fi
	assert_err_one_line
	assert_err_contains "$text"
	assert_out_empty
	assert_unchanged before
	[ -z "$(find "$T" -maxdepth 1 -name '*.csr')" ] || fail "a request file was written"
}

shopt -s extglob
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	e_exit=${line%%|*} e_rest=${line#*|}
	e_text=${e_rest%%|*} e_rest=${e_rest#*|}
	e_stdin=${e_rest%%|*} e_args=${e_rest#*|}
	e_exit=${e_exit//+( )/}
	e_stdin=${e_stdin//+( )/}
	e_text=${e_text##+( )}
	e_text=${e_text%%+( )}
	e_args=${e_args##+( )}
	tcase "bad: certkeep ${e_args//\$FIX\//}" bad_row "$e_exit" "$e_text" "$e_stdin" "$e_args"
done <<'ROWS'
# Malformed certificates, keys, chains, PKCS#12.
1 | malformed PEM       | -    | import --cert $FIX/trunc.pem --key $FIX/ss.key
1 | not a certificate   | -    | import --cert $FIX/random.der --key $FIX/ss.key
1 | empty               | -    | import --cert $FIX/empty --key $FIX/ss.key
1 | --key               | -    | import --cert $FIX/ss2.pem --key $FIX/trunc.key
1 | --key               | -    | import --cert $FIX/ss2.pem --key $FIX/random.der
1 | --chain             | -    | import --cert $FIX/ss2.pem --key $FIX/ss.key --chain $FIX/random.der
1 | PKCS#12             | x    | import --pkcs12 $FIX/bad.p12 --password-stdin
1 | PKCS#12             | x    | import --pkcs12 $FIX/random.der --password-stdin
1 | PKCS#12             | x    | import --pkcs12 $FIX/empty --password-stdin
1 | wrong password      | nope | import --pkcs12 $FIX/p.p12 --password-stdin
1 | password            | -    | import --pkcs12 $FIX/p.p12
1 | does not match      | -    | import --cert $FIX/ss2.pem --key $FIX/other.key
1 | /nonexistent/x.pem  | -    | import --cert /nonexistent/x.pem
1 | already             | -    | import --cert $FIX/ss.pem --key $FIX/ss.key
# Unknown thumbprints.
1 | DEADBEEFDEADBEEF    | -    | show DEADBEEFDEADBEEF
1 | DEADBEEFDEADBEEF    | -    | export DEADBEEFDEADBEEF
1 | DEADBEEFDEADBEEF    | -    | export DEADBEEFDEADBEEF --with-key --out $T/k.pem
1 | DEADBEEFDEADBEEF    | -    | enable DEADBEEFDEADBEEF --services SMTP
1 | DEADBEEFDEADBEEF    | -    | disable DEADBEEFDEADBEEF --services SMTP
1 | DEADBEEFDEADBEEF    | -    | clone DEADBEEFDEADBEEF
1 | DEADBEEFDEADBEEF    | -    | remove deadbeefdeadbeef
# Invalid domain names.
1 | a..b                | -    | new --domain a..b
1 | a.*.b               | -    | new --domain 'a.*.b'
1 | w*.example.com      | -    | new --domain 'w*.example.com'
1 | 63                  | -    | new --domain $(printf 'a%.0s' {1..64}).example.com
1 | 253                 | -    | new --domain $(printf 'abcdefghi.%.0s' {1..25})abcd
1 | CR or LF            | -    | new --domain $'a\nb.example.com'
1 | CR or LF            | -    | new --domain $'a\rb.example.com'
1 | trailing.example.com. | -  | new --domain trailing.example.com.
1 | empty               | -    | new --domain ''
1 | a..b                | -    | new --domain ok.example.com --domain a..b
1 | a..b                | -    | new --domain ok.example.com,a..b --request-out $T/r.csr
1 | non-ASCII           | -    | new --domain ünïcode.example
1 | not allowed         | -    | new --domain 'a b.example'
1 | a..b                | -    | init --force --fqdn a..b
1 | mx1.contoso.test    | -    | init --force --hostname mx1.contoso.test
# Unknown services, key types, times: a malformed option value is a usage error.
2 | FAX                 | -    | new --domain x.example.com --services FAX
2 | FAX                 | -    | new --domain x.example.com --services SMTP,FAX --request-out $T/r.csr
2 | FAX                 | -    | import --cert $FIX/ss2.pem --key $FIX/ss.key --services SMTP,FAX
2 | FAX                 | -    | init --force --services FAX
2 | unknown service     | -    | new --domain x.example.com --services IMAP,,POP
2 | FAX                 | -    | list --service FAX
2 | rsa:1024            | -    | new --domain x.example.com --key rsa:1024
2 | rsa:2049            | -    | new --domain x.example.com --key rsa:2049
2 | rsa:20480           | -    | new --domain x.example.com --key rsa:20480
2 | rsa:2048x           | -    | new --domain x.example.com --key rsa:2048x
2 | dsa:2048            | -    | init --force --key dsa:2048
2 | --services: unknown service 'FOO' | - | enable DEADBEEFDEADBEEF --services FOO
2 | --service: unknown service 'FOO' | - | bind add web --endpoint 127.0.0.1:8443 --service FOO --thumbprint DEADBEEFDEADBEEF --cert-file $T/c.pem
2 | --service: unknown service 'FOO' | - | select --fqdn a.example.org --service FOO
2 | --key: unknown key type 'foo' | - | ca init --name 'Test CA' --key foo
2 | --at: invalid time 'tomorrow' | - | monitor --at tomorrow
2 | --at: invalid time 'tomorrow' | - | select --fqdn a.example.org --service SMTP --at tomorrow
2 | --since: invalid time 'yesterday' | - | events --since yesterday
2 | --renew-days goes with on | - | autorenew --renew-days 30
# Usage: unknown command or option, missing value, bad numbers, wrong arguments.
2 | frob                | -    | frob
2 | --frob              | -    | list --frob
2 | --frob              | -    | --frob list
2 | --domain            | -    | new --domain
2 | --store             | -    | list --store
2 | --days              | -    | new --domain x.example.com --days 0
2 | abc                 | -    | new --domain x.example.com --days abc
2 | -1                  | -    | init --force --days -1
2 | 36501               | -    | clone DEADBEEFDEADBEEF --days 36501
2 | twice               | -    | new --domain x.example.com --days 1 --days 2
2 | THUMBPRINT          | -    | show
2 | THUMBPRINT          | -    | remove DEADBEEFDEADBEEF CAFEBABECAFEBABE
2 | no arguments        | -    | init extra
2 | --cert              | -    | import
2 | --pkcs12            | -    | import --pkcs12 $FIX/p.p12 --cert $FIX/ss.pem
2 | --domain            | -    | new
2 | --services          | -    | enable DEADBEEFDEADBEEF
2 | no value            | -    | export DEADBEEFDEADBEEF --with-key=yes
2 | abc                 | -    | events --id abc
2 | --since: invalid time 'garbage' | - | events --since garbage
# A store path under a regular file.
1 | /etc/hostname/x     | -    | --store /etc/hostname/x list
1 | /etc/hostname/x     | -    | --store /etc/hostname/x init
1 | /etc/hostname/x     | -    | new --store /etc/hostname/x --domain x.example.com
ROWS

# The unprivileged user "nobody" against a store owned by root.
unwritable_store() {
	local as=(setpriv --reuid=65534 --regid=65534 --clear-groups) t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	# The store's parent is reachable (as /var/lib is), the store is 0700.
	chmod 0711 "$T"
	expect_exit 1 "${as[@]}" "$CK" list
	assert_err_one_line
	assert_err_contains "$T/store"
	expect_exit 1 "${as[@]}" "$CK" new --domain x.example.com
	assert_err_one_line
	assert_err_contains "$T/store"
	expect_exit 1 "${as[@]}" "$CK" remove "$t"
	assert_err_one_line
	expect_exit 1 "${as[@]}" "$CK" init --force
	assert_err_one_line
	assert_unchanged before
	# The store's parent is not reachable either.
	chmod 0700 "$T"
	expect_exit 1 "${as[@]}" "$CK" new --domain x.example.com
	assert_err_one_line
	assert_err_contains "$T/store"
	assert_unchanged before
}
tcase "bad: user nobody against a root-owned store: exit 1 with a message, unchanged" \
	unwritable_store

missing_store() {
	expect_exit 1 ck list
	assert_err_one_line
	assert_err_contains "init"
	expect_exit 1 ck --store "$T/elsewhere" show DEADBEEFDEADBEEF
	assert_err_one_line
	assert_no_file "$T/store"
	assert_no_file "$T/elsewhere"
}
tcase "bad: a command on a store that does not exist fails and creates nothing" missing_store
