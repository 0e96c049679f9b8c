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
