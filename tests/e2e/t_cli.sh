# shellcheck shell=bash
# The command line: global options anywhere, --help, --version, the store's
# location (DESIGN.md §2, §10).

# The commands certkeep must have (the command table may grow).
CLI_COMMANDS="init list show new import export enable disable clone remove events help"

global_json_anywhere() {
	use_store populated
	must ck --json list
	cp "$T/out" a.json
	must ck list --json
	cmp -s a.json "$T/out" || fail "'--json list' and 'list --json' differ"
	assert_jq 'type == "array" and length == 5' a.json
	must ck --json show "$(thumb_of a.example.org)"
	assert_json .CertificateDomains[0] a.example.org
	must ck show "$(thumb_of a.example.org)" --json
	assert_json .CertificateDomains[0] a.example.org
}
tcase "cli: --json before or after the command" global_json_anywhere

global_store_anywhere() {
	use_store populated
	mv "$T/store" "$T/other"
	unset CERTKEEP_STORE
	must ck --store "$T/other" list --json
	assert_json length 5
	cp "$T/out" a.json
	must ck list --store "$T/other" --json
	cmp -s a.json "$T/out" || fail "'--store D list' and 'list --store D' differ"
	must ck list --json --store="$T/other"
	cmp -s a.json "$T/out" || fail "--store=D differs"
	# CERTKEEP_STORE selects the store; --store wins over it.
	CERTKEEP_STORE="$T/other" expect_exit 0 ck list --json
	cmp -s a.json "$T/out" || fail "CERTKEEP_STORE differs"
	CERTKEEP_STORE="$T/other" expect_exit 0 ck --store "$T/new" init --hostname h --fqdn h.example --json
	must ck --store "$T/new" list --json
	assert_json length 1
	must ck --store "$T/other" list --json
	assert_json length 5
}
tcase "cli: --store before or after the command, --store=D, CERTKEEP_STORE" global_store_anywhere

global_verbose_anywhere() {
	use_store host
	must ck -v list
	assert_err_contains "$T/store"
	must ck list -v --json
	assert_err_contains "$T/store"
	assert_json length 1
}
tcase "cli: -v before or after the command" global_verbose_anywhere

help_every_command() {
	local c listed
	must ck --help
	grep -q '^usage: certkeep' "$T/out" || fail "--help has no usage line"
	listed=$(awk '/^Commands:/{on=1; next} on && /^$/{on=0} on {print $1}' "$T/out" | tr '\n' ' ')
	for c in $CLI_COMMANDS; do
		[[ " $listed " == *" $c "* ]] || fail "--help does not list '$c' (lists: $listed)"
	done
	for c in $listed; do
		must ck "$c" --help
		grep -q "^usage: certkeep $c\b" "$T/out" || fail "'$c --help' has no 'usage: certkeep $c'"
		[ ! -s "$T/err" ] || fail "'$c --help' wrote to stderr"
		must ck help "$c"
		grep -q "^usage: certkeep $c\b" "$T/out" || fail "'help $c' has no 'usage: certkeep $c'"
	done
	# --help needs no store, and -h is the same.
	[ ! -e "$T/store" ] || fail "--help created a store"
	must ck -h list
	grep -q "^usage: certkeep list" "$T/out" || fail "'-h list' is not list's help"
}
tcase "cli: --help of every command exits 0 with 'usage: certkeep <cmd>'" help_every_command

no_args() {
	expect_exit 2 ck
	assert_out_empty
	assert_err_contains "usage: certkeep"
	expect_exit 2 ck --json
	expect_exit 2 ck help frob
	assert_err_contains frob
	[ ! -e "$T/store" ] || fail "a store was created"
}
tcase "cli: no command exits 2 with the usage on stderr" no_args

version() {
	must ck --version
	grep -Eq '^certkeep [0-9]+\.[0-9]+' "$T/out" || fail "--version: $(cat "$T/out")"
	[ "$(wc -l < "$T/out")" -eq 1 ] || fail "--version prints more than one line"
	must ck list --version
	grep -q '^certkeep ' "$T/out" || fail "'list --version' does not print the version"
}
tcase "cli: --version exits 0 and prints 'certkeep X.Y'" version

json_contract() {
	use_store populated
	must ck list --json
	# Keys sorted, times RFC 3339 UTC, serials and thumbprints in hex.
	[ "$(jq -S . "$T/out")" = "$(jq . "$T/out")" ] || fail "list --json keys are not sorted"
	assert_jq 'all(.[]; .Thumbprint | test("^[0-9A-F]{40}$"))'
	assert_jq 'all(.[]; .Added | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest");
		(.NotBefore, .NotAfter) | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest"); .SerialNumber | test("^[0-9A-F]+$"))'
	assert_jq 'all(.[] | select(.Status != "PendingRequest"); .Sha256Fingerprint | test("^[0-9A-F]{64}$"))'
	assert_jq 'all(.[]; .Services | test("^[I.][P.][U.][W.][S.]$"))'
	assert_jq 'all(.[]; .Status | IN("Valid","DateInvalid","Revoked","Untrusted","Invalid","PendingRequest","RevocationCheckFailure","Unknown"))'
	assert_jq 'map(select(.IsSelfSigned)) | all(.[]; .Status != "Valid")'
	must ck events --json
	[ "$(jq -S . "$T/out")" = "$(jq . "$T/out")" ] || fail "events --json keys are not sorted"
	assert_jq 'map(.Seq) == (map(.Seq) | sort) and (map(.Seq) | unique | length) == length'
	assert_jq 'all(.[]; .Time | test("Z$"))'
	# No store output on stdout when a command fails.
	expect_exit 1 ck show DEADBEEFDEADBEEF --json
	assert_out_empty
}
tcase "cli: --json is sorted, RFC 3339 UTC times, hex serials, known Status values" json_contract

# help_shows NAME OWN ABSENT...: 'certkeep NAME --help' (NAME is words)
# shows the option OWN (or nothing when OWN is -) in its synopsis and its
# options, and none of ABSENT in either.
help_shows() {
	local name=$1 own=$2 o
	shift 2
	# shellcheck disable=SC2086
	must ck $name --help
	grep -q "^usage: certkeep $name\b" "$T/out" || fail "'$name --help' is not $name's help"
	[ ! -s "$T/err" ] || fail "'$name --help' wrote to stderr"
	if [ "$own" != - ]; then
		grep -q -- "^  $own\b" "$T/out" || fail "'$name --help' does not list its option $own"
		head -1 "$T/out" | grep -q -- "\[$own\b" || fail "'$name --help' has no $own in its synopsis"
	fi
	for o in "$@"; do
		! grep -q -- "^  $o\b" "$T/out" || fail "'$name --help' lists $o, an option of another command"
		! head -1 "$T/out" | grep -q -- "$o\b" || fail "'$name --help' has $o in its synopsis"
	done
}

help_of_sub_commands() {
	help_shows "ca submit" --requester --crl-url --reason --next-update --issued --password-stdin
	help_shows "ca submit" --out
	help_shows "ca revoke" --reason --out --requester --crl-url --days
	help_shows "ca policy" --crl-url --requester --reason --out
	help_shows "bind add" --endpoint --old --failed
	help_shows "bind list" - --endpoint --thumbprint --reload
	help_shows "task add" --on --failed
	help_shows "task list" - --on --run --timeout
	help_shows "mail flush" - --failed --all
	help_shows "mail list" --failed --all
	help_shows "trust check" --trace --server --cluster-fqdn
	# help SUB-COMMAND is the same.
	must ck help ca submit
	grep -q '^usage: certkeep ca submit CSR\.\.\.' "$T/out" || fail "'help ca submit' is not submit's help"
	# A group's help lists its sub-commands, one line each, and no option
	# of theirs.
	must ck ca --help
	grep -q '^usage: certkeep ca ' "$T/out" || fail "'ca --help' has no usage line"
	for s in init install show policy submit pending approve deny list get revoke unrevoke crl \
		setreg getreg setsmtpinfo; do
		[ "$(grep -c "^  $s\b" "$T/out")" -eq 1 ] || fail "'ca --help' does not list '$s' once"
	done
	! grep -q -- '--requester\|--crl-url\|--reason' "$T/out" || fail "'ca --help' shows sub-command options"
	[ ! -e "$T/store" ] || fail "--help created a store"
}
tcase "cli: the --help of a sub-command shows its own options only; a group's lists its sub-commands" \
	help_of_sub_commands

# Each sub-command takes only its own options: one of a sibling was once
# accepted and ignored.
sibling_options_refused() {
	must ck ca init --name "CLI CA"
	must ck ca policy --allow-suffix example.org
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x.key \
		-out x.csr -subj /CN=x.example.org -addext subjectAltName=DNS:x.example.org 2> /dev/null ||
		fail "openssl req"
	must ck ca policy --json
	cp "$T/out" policy-before
	snapshot before
	ck ca list --json > ca-before || fail "ca list"

	expect_exit 2 ck ca show --out ca.pem
	assert_out_empty
	assert_err_one_line
	assert_err_contains "certkeep ca show: --out is not an option of 'ca show' (see 'certkeep ca show --help')"
	assert_no_file ca.pem

	expect_exit 2 ck ca submit x.csr --crl-url http://crl.example.org/x.crl
	assert_out_empty
	assert_err_contains "--crl-url is not an option of 'ca submit'"
	expect_exit 2 ck ca submit x.csr --out x.pem --reason keyCompromise
	assert_err_contains "--reason is not an option of 'ca submit'"
	assert_no_file x.pem

	expect_exit 2 ck bind list --thumbprint DEADBEEF
	assert_out_empty
	assert_err_contains "--thumbprint is not an option of 'bind list'"
	expect_exit 2 ck mail flush --failed
	assert_err_contains "--failed is not an option of 'mail flush'"
	expect_exit 2 ck task list --on 1006
	assert_err_contains "--on is not an option of 'task list'"
	# An option of no command at all, and one before the sub-command.
	expect_exit 2 ck ca get 1 --frob
	assert_err_contains "--frob is not an option of 'ca get'"
	expect_exit 2 ck ca --limit 5 list
	assert_err_contains "--limit is not an option of 'ca'"

	assert_unchanged before
	ck ca list --json | cmp -s - ca-before || fail "ca list changed"
	must ck ca policy --json
	cmp -s policy-before "$T/out" || fail "the CA's policy changed"
	# Global options stay valid with every sub-command.
	must ck ca --json show --store "$T/store" -v
	assert_json .CAName "CLI CA"
	must ck bind list --json
	assert_json length 0
}
tcase "cli: an option of a sibling sub-command (or of none) exits 2 and changes nothing" \
	sibling_options_refused

unknown_names_suggested() {
	expect_exit 2 ck ca sumbit x.csr
	assert_out_empty
	assert_err_one_line
	assert_err_contains "unknown command 'ca sumbit': did you mean 'ca submit'?"
	assert_err_contains "ca init | install | show"
	expect_exit 2 ck lsit
	assert_err_contains "unknown command 'lsit': did you mean 'list'?"
	expect_exit 2 ck --json bind lsit
	assert_err_contains "did you mean 'bind list'?"
	expect_exit 2 ck help ca revok
	assert_err_contains "did you mean 'ca revoke'?"
	# A group without a sub-command names them.
	expect_exit 2 ck task
	assert_err_contains "give a sub-command: task add | list | remove | runs"
	[ ! -e "$T/store" ] || fail "a store was created"
}
tcase "cli: an unknown command or sub-command exits 2 with the nearest name" unknown_names_suggested

# The man page's COMMANDS section (help roff) holds every command and
# sub-command the --help outputs list, with each option its --help shows.
man_lists_every_sub_command() {
	local c s o names=()
	must ck help roff
	cp "$T/out" roff
	must ck --help
	for c in $(awk '/^Commands:/{on=1; next} on && /^$/{on=0} on {print $1}' "$T/out"); do
		must ck "$c" --help
		if grep -q '^Sub-commands:' "$T/out"; then
			for s in $(awk '/^Sub-commands:/{on=1; next} on && /^$/{on=0} on && /^  [a-z]/{print $1}' "$T/out"); do
				names+=("$c $s")
			done
		fi
		names+=("$c")
	done
	[ "${#names[@]}" -gt 40 ] || fail "only ${#names[@]} commands and sub-commands found"
	for c in "${names[@]}"; do
		grep -q "^\.B certkeep $c\b" roff || fail "the man page has no 'certkeep $c'"
		# shellcheck disable=SC2086
		must ck $c --help
		for o in $(awk '/^Options:/{on=1; next} on && /^  --/{print $1}' "$T/out"); do
			case $o in --json | --store) continue ;; esac
			# The option's entry follows its command's, before the next one.
			awk -v c=".B certkeep $c" -v o=".B ${o//-/\\\\-}" '
				index($0, c) == 1 && (length($0) == length(c) || substr($0, length(c) + 1, 1) == " ") { on = 1; next }
				on && /^\.B certkeep / { on = 0 }
				on && (index($0, o " ") == 1 || $0 == o) { found = 1 }
				END { exit !found }' roff || fail "the man page's 'certkeep $c' lacks $o"
		done
	done
}
tcase "cli: the man page lists every command and sub-command with its options" man_lists_every_sub_command

# autorenew and autorebind with no argument show their state.
auto_state_shown() {
	use_store host
	must ck autorenew
	assert_eq "autorenew: off (renew-days 0: in the last third of each certificate's life)" \
		"$(cat "$T/out")" "autorenew"
	must ck autorenew on --renew-days 30
	must ck autorenew
	assert_eq "autorenew: on (renew-days 30)" "$(cat "$T/out")" "autorenew on"
	must ck autorenew --json
	assert_jq '.Autorenew == true and .RenewDays == 30'
	must ck autorebind
	assert_eq "autorebind: off" "$(cat "$T/out")" "autorebind"
	must ck autorebind on
	must ck autorebind --json
	assert_jq '.Autorebind == true'
	expect_exit 2 ck autorebind maybe
	expect_exit 2 ck autorenew on off
}
tcase "cli: autorenew and autorebind without an argument show their state" auto_state_shown

# events --limit N: the newest N, printed oldest first.
events_limit_newest() {
	local last
	use_store populated
	must ck events --json
	last=$(json_get 'length')
	[ "$last" -gt 3 ] || fail "the populated store has only $last events"
	must ck events --json
	local want
	want=$(jq -c '.[-3:] | map(.Seq)' "$T/out")
	must ck events --json --limit 3
	assert_eq "$want" "$(jq -c 'map(.Seq)' "$T/out")" "newest 3, oldest first"
	must ck events --limit 1
	assert_eq 1 "$(wc -l < "$T/out")" "one line"
	must ck events --id 1006 --json
	want=$(jq -c '.[-2:] | map(.Seq)' "$T/out")
	must ck events --id 1006 --limit 2 --json
	assert_eq "$want" "$(jq -c 'map(.Seq)' "$T/out")" "newest two 1006"
}
tcase "cli: events --limit N shows the newest N, oldest first" events_limit_newest
