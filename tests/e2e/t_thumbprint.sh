# shellcheck shell=bash
# Thumbprints on the command line: any case, unique prefix of >= 8 hex
# digits (DESIGN.md §3). Ambiguous prefixes need two certificates whose
# SHA-1 share 8 hex digits (about 2^16 certificates for an even chance):
# they are covered by the unit tests, not here.

thumb_forms() {
	local t lower mixed
	use_store populated
	t=$(thumb_of a.example.org)
	lower=$(tr 'A-F' 'a-f' <<< "$t")
	# shellcheck disable=SC2001
	mixed=$(sed 's/\(.\)\(.\)/\L\1\U\2/g' <<< "$t")
	for form in "$t" "$lower" "$mixed" "${t:0:8}" "${lower:0:8}" "${mixed:0:12}" "${t:0:39}"; do
		must ck show "$form" --json
		assert_json .Thumbprint "$t"
	done
}
tcase "thumbprint: upper, lower, mixed case, prefixes of 8, 12 and 39 digits" thumb_forms

thumb_prefix_all_commands() {
	local t p
	use_store populated
	t=$(thumb_of a.example.org)
	p=$(tr 'A-F' 'a-f' <<< "${t:0:8}")
	must ck export "$p"
	assert_eq "$t" "$(sha1_of "$T/out")" "export by prefix"
	must ck enable "$p" --services POP --json
	assert_json .Thumbprint "$t"
	must ck disable "$p" --services POP --json
	assert_json .Thumbprint "$t"
	must ck clone "$p" --json
	must ck show "$t" --json
	assert_jq '.ReplacedBy | test("^[0-9A-F]{40}$")'
	must ck remove "$p" --json
	assert_json .Thumbprint "$t"
}
tcase "thumbprint: an 8-digit lower-case prefix works for export, enable, disable, clone, remove" \
	thumb_prefix_all_commands

thumb_bad() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	snapshot before
	expect_exit 1 ck show "${t:0:7}"
	assert_err_one_line
	assert_err_contains "8"
	assert_out_empty
	expect_exit 1 ck remove "${t:0:7}"
	assert_err_one_line
	expect_exit 1 ck show "${t:0:6}zz"
	assert_err_one_line
	expect_exit 1 ck show "zzzzzzzzzz"
	assert_err_one_line
	expect_exit 1 ck show "${t:0:8}%"
	assert_err_one_line
	expect_exit 1 ck remove "${t:0:7}_"
	assert_err_one_line
	expect_exit 1 ck show "${t}0"
	assert_err_one_line
	expect_exit 1 ck show ""
	assert_err_one_line
	assert_unchanged before
}
tcase "thumbprint: 7 digits, non-hex, SQL wildcards, 41 digits, empty: exit 1, nothing changes" \
	thumb_bad

thumb_list_filter() {
	local t
	use_store populated
	t=$(thumb_of a.example.org)
	must ck list --thumbprint "$(tr 'A-F' 'a-f' <<< "${t:0:10}")" --json
	assert_json 'map(.Thumbprint) | tojson' "[\"$t\"]"
}
tcase "thumbprint: list --thumbprint PREFIX (any case)" thumb_list_filter
