# shellcheck shell=bash disable=SC2034
# Output that does not reach its destination is a failure (jq's rule):
# each row runs `certkeep ARGS > /dev/full` (against a copy of the
# populated store; $A is the thumbprint of a.example.org) and must exit
# non-zero with exactly one line on stderr. Rows marked "same" must also
# leave the store unchanged (read-only commands).

full_row() {
	local same=$1 A
	use_store populated
	A=$(thumb_of a.example.org)
	snapshot before
	eval "set -- $2"
	E2E_LAST="ck $* > /dev/full"
	ck "$@" > /dev/full 2> "$T/err" && RC=0 || RC=$?
	: > "$T/out"
	[ "$RC" -ne 0 ] || fail "exit 0 although stdout was full"
	assert_err_one_line
	[ "$same" != same ] || assert_unchanged before
}

while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	tcase "output: certkeep ${line#* } > /dev/full" full_row "${line%% *}" "${line#* }"
done <<'ROWS'
same list --json
same list
same --json list
same events --json
same events
same show $A
same show $A --json
same help
same help list
same --help
same list --help
same --version
changes enable $A --services UM --json
changes disable $A --services IIS
changes new --domain full.example.com --json
changes clone $A
ROWS

# Text output never carries a terminal's control sequences: a certificate
# whose CN holds ESC [31m and the C1 CSI (U+009B) prints them escaped in
# list, show and events (the subject in its RFC 2253 form, \1B and \C2\9B);
# a task command holding them prints \x1b, \u009b and \x09 in task list,
# while --json keeps the original characters and is valid JSON.
no_raw_controls() {
	LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$T/out" &&
		fail "raw control bytes in the output of $1"
	return 0
}

escaped_output() {
	local cn thumb
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	cn=$(printf 'evil\033[31mred\302\2332J')
	openssl req -x509 -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout e.key \
		-out e.pem -days 30 -subj "/CN=$cn/O=x" -addext subjectAltName=DNS:evil.example.org \
		2> /dev/null || fail "openssl req"
	LC_ALL=C grep -qP '\x1b\[31m' <(openssl x509 -in e.pem -noout -subject -nameopt utf8,-esc_ctrl) ||
		fail "the test certificate lacks the ESC sequence"
	must ck import --cert e.pem --key e.key
	thumb=$(sha1_of e.pem)
	for args in "list" "show $thumb" "events"; do
		# shellcheck disable=SC2086
		must ck $args
		no_raw_controls "$args"
		grep -qF 'evil\1B[31mred\C2\9B2J' "$T/out" || fail "no escaped subject in $args"
		# shellcheck disable=SC2086
		must ck $args --json
		jq . "$T/out" > /dev/null || fail "$args --json is not JSON"
		no_raw_controls "$args --json"
	done
	must ck task add --on 1006 --run "$(printf 'echo \033[2J\302\233\tdone')"
	must ck task list
	no_raw_controls "task list"
	grep -qF 'echo \x1b[2J\u009b\x09done' "$T/out" || fail "task list does not escape the command"
	must ck task list --json
	assert_json '.[0].Run' "$(printf 'echo \033[2J\302\233\tdone')"
	# Text that is no control stays as it is.
	must ck new --domain f.example.org --friendly-name "$(printf 'caf\303\251 \360\237\224\222')" --json
	must ck show "$(json_get .Thumbprint)"
	grep -qF "$(printf 'caf\303\251 \360\237\224\222')" "$T/out" || fail "friendly name altered"
}

tcase "output: control characters print escaped, --json keeps them" escaped_output

escaped_errors() {
	local name
	use_store host
	name=$(printf 'no\033]0;owned\007such.pem')
	expect_exit 1 ck import --cert "$T/$name"
	assert_err_one_line
	LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$T/err" && fail "raw control bytes in the error"
	assert_err_contains 'no\x1b]0;owned\x07such.pem'
}

tcase "output: an error quoting a file name shows its control characters escaped" escaped_errors
