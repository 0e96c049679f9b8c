# shellcheck shell=bash
# Free text that is stored (requester, e-mail address, reasons, friendly
# names, the CA's name, task commands, exit module settings) must be UTF-8:
# a byte string that is not (Latin-1, an overlong form, a surrogate, a code
# point past U+10FFFF) is a usage error (exit 2) naming the option, and
# one-line fields refuse control characters too (exit 1, as the CA always
# refused CR LF in --email, which would reach a mail header). Nothing is
# stored: events, ca list and task list are as before.

# text_row EXIT BYTES MESSAGE ARGS...: in a store with a CA and a pending
# request 1, ck ARGS with @X@ replaced by printf BYTES exits EXIT with
# MESSAGE and changes nothing.
text_row() {
	local want=$1 bytes=$2 msg=$3 x a
	shift 3
	must ck ca init --name "Text CA"
	must ck ca policy --allow-suffix example.org --default pending
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout w.key \
		-out w.csr -subj /CN=www.example.org 2> /dev/null || fail "openssl req"
	must ck ca submit w.csr
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout i.key \
		-out i.pem -subj /CN=imp.example.org -days 30 2> /dev/null || fail "openssl req"
	snapshot before
	ck ca list --json > "$T/ca-before"
	ck task list --json > "$T/tasks-before" 2> /dev/null
	# shellcheck disable=SC2059 # the row gives printf escapes
	x=$(printf "$bytes")
	local -a args=()
	for a in "$@"; do args+=("${a//@X@/$x}"); done
	expect_exit "$want" ck "${args[@]}"
	assert_err_one_line
	assert_err_contains "$msg"
	assert_unchanged before
	ck ca list --json | cmp -s - "$T/ca-before" || fail "ca list changed"
	ck task list --json 2> /dev/null | cmp -s - "$T/tasks-before" || fail "task list changed"
}

while IFS='|' read -r bytes msg args; do
	case $bytes in '' | '#'*) continue ;; esac
	want=2
	case $msg in *"one line"*) want=1 ;; esac
	tcase "text: $args with '$bytes' is refused" text_row "$want" "$bytes" "$msg" $args
done <<'ROWS'
caf\351|--friendly-name is not valid UTF-8 text|new --domain t.example.org --friendly-name @X@
\300\200|--friendly-name is not valid UTF-8 text|import --cert i.pem --key i.key --friendly-name @X@
a\tb|--friendly-name must be one line of text|new --domain t.example.org --friendly-name @X@
\355\240\200|--requester is not valid UTF-8 text|ca submit w.csr --requester @X@
\364\220\200\200|--requester is not valid UTF-8 text|ca submit w.csr --requester @X@
a\nb|--requester must be one line of text|ca submit w.csr --requester @X@
\377|--email is not valid UTF-8 text|ca submit w.csr --email @X@
a@example.org\r\nBcc: x@example.org|--email must be one line of text|ca submit w.csr --email @X@
\340\200\257|--reason is not valid UTF-8 text|ca deny 1 --reason @X@
\302\233|--reason must be one line of text|ca deny 1 --reason @X@
\033[2J|--reason must be one line of text|ca deny 1 --reason @X@
\370\210\200\200\200|--name is not valid UTF-8 text|--store s2 ca init --name @X@
echo \351|--run is not valid UTF-8 text|task add --on 1006 --run @X@
\351|argument 2 is not valid UTF-8 text|ca setreg exit\smtp\Issued\TitleFormat @X@
ROWS
