# shellcheck shell=bash
# config get | set (DESIGN.md §10): every key of the one table of keys,
# the exit module's included, with its value, default, type and bounds;
# values checked against type and bounds (exit 2, nothing changed); the
# nearest name for an unknown key; a change read by the next monitor pass.

# at DAYS: an RFC 3339 time DAYS days from now.
config_at() {
	date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ
}

# config_value KEY: the Value config get --json shows for KEY.
config_value() {
	ck config get "$1" --json | jq -r '.[0].Value'
}

config_get_lists_every_key() {
	local groups n
	must ck init --hostname cfg --fqdn cfg.test.example
	must ck config get --json
	cp "$T/out" all.json
	# Every object has the same fields; integers their bounds.
	assert_jq 'type == "array" and length > 100'
	assert_jq 'all(.[]; has("Key") and has("Value") and has("Default") and has("Type") and
		(.Set | type == "boolean") and (.Secret | type == "boolean"))'
	assert_jq 'all(.[] | select(.Type == "int"); (.Min | type == "number") and (.Max | type == "number"))'
	assert_jq 'map(.Key) | length == (unique | length)'
	# The config table's own keys...
	for k in host.name host.fqdn host.cluster_fqdn host.certificate trust.certificate autorenew \
		renew.days renew.max_per_pass autorebind monitor.thresholds \
		ca.policy.allowed_suffixes ca.policy.key_types ca.policy.max_days \
		ca.policy.default_disposition ca.crl_url ca.crl_path ca.crl_hours; do
		assert_jq "map(select(.Key == \"$k\")) | length == 1"
	done
	assert_jq 'map(select(.Key == "renew.max_per_pass"))[0] |
		.Value == "50" and .Default == "50" and .Min == 0 and .Max == 100000 and
		.Set == false and .Type == "int" and .Secret == false'
	assert_jq 'map(select(.Key == "monitor.thresholds"))[0] |
		.Value == "30,7,1" and .Default == "30,7,1" and .Min == 1 and .Max == 3650'
	assert_jq 'map(select(.Key == "ca.policy.max_days"))[0] | .Value == "825" and .Min == 1'
	assert_jq 'map(select(.Key == "ca.policy.key_types"))[0].Default == "ec:P-256,ec:P-384,rsa"'
	assert_jq 'map(select(.Key == "autorenew"))[0] | .Value == "off" and .Type == "bool"'
	assert_jq 'map(select(.Key == "host.fqdn"))[0] |
		.Value == "cfg.test.example" and .Set and .SetBy == "trust names --fqdn"'
	# ...and the exit module's: every key getreg knows, every group's keys.
	must ck ca getreg --json
	jq -r '.[].Key | ascii_downcase | gsub("\\\\"; ".")' "$T/out" | sort > reg.keys
	jq -r '.[].Key' all.json | sort > cfg.keys
	[ -s reg.keys ] || fail "getreg listed nothing"
	comm -23 reg.keys cfg.keys > missing
	[ ! -s missing ] || fail "config get lacks $(tr '\n' ' ' < missing)"
	groups=$(jq '[.[].Key | select(test("^exit\\.smtp\\.[a-z]+\\.to$"))] | length' all.json)
	[ "$groups" -ge 15 ] || fail "only $groups exit groups"
	for k in from to cc titleformat titlearg bodyformat bodyarg; do
		n=$(jq "[.[].Key | select(test(\"^exit\\\\.smtp\\\\.[a-z]+\\\\.$k\$\"))] | length" all.json)
		assert_eq "$groups" "$n" "exit group keys named $k"
	done
	assert_jq 'map(select(.Key == "exit.smtp.smtpport"))[0] |
		.Value == "25" and .Default == "25" and .Min == 1 and .Max == 65535' all.json
	assert_jq 'map(select(.Key == "exit.smtp.issued.from"))[0].Value == ["certkeep@cfg.test.example"]' all.json
	assert_jq 'map(select(.Key == "exit.smtp.issued.bodyarg"))[0].Value | type == "array"' all.json
	# A secret is only ever set or unset.
	assert_jq 'map(select(.Secret)) | length == 1 and .[0].Key == "exit.smtp.smtppassword" and
		.[0].Value == "unset"' all.json
	echo 'pass-word-9' | must ck ca setsmtpinfo mailer --password-stdin
	must ck config get --json
	assert_jq 'map(select(.Key == "exit.smtp.smtppassword"))[0].Value == "set"'
	assert_jq 'map(select(.Key == "exit.smtp.smtpuser"))[0].Value == "mailer"'
	! grep -q 'pass-word-9' "$T/out" || fail "the password was shown"
	must ck config get
	! grep -q 'pass-word-9' "$T/out" || fail "the password was shown"
	# Text: KEY = value, one a line, every key.
	assert_eq "$(jq length all.json)" "$(wc -l < "$T/out")" "text lines"
	grep -qx 'renew.max_per_pass = 50' "$T/out" || fail "no 'renew.max_per_pass = 50' line"
	grep -qx 'exit.smtp.smtppassword = set' "$T/out" || fail "no password line"
	must ck config get renew.max_per_pass
	assert_eq 'renew.max_per_pass = 50' "$(cat "$T/out")" "config get KEY"
	# A group of the exit module: its keys.
	must ck config get exit.smtp.issued --json
	assert_jq 'length == 7 and all(.[].Key; startswith("exit.smtp.issued."))'
}
tcase "config: get --json lists every key (the exit module's too) with value, default, type, bounds; secrets set/unset" \
	config_get_lists_every_key

config_set_persists() {
	must ck init --hostname cfg --fqdn cfg.test.example
	must ck config set renew.max_per_pass 10
	assert_eq 'renew.max_per_pass = 10' "$(cat "$T/out")" "set prints what is in effect"
	must ck config get --json
	assert_jq 'map(select(.Key == "renew.max_per_pass"))[0] | .Value == "10" and .Set and .Default == "50"'
	# Names in any case; values normalised.
	must ck config set MONITOR.Thresholds '60, 14,2'
	assert_eq 60,14,2 "$(config_value monitor.thresholds)" "thresholds"
	must ck config set autorenew yes
	assert_eq on "$(config_value autorenew)" "autorenew"
	# The commands that own a setting read the same key.
	must ck config set ca.policy.max_days 397
	must ck ca init --name "Config CA"
	must ck ca policy --json
	assert_json '."ca.policy.max_days"' 397
	must ck ca policy --max-days 100
	assert_eq 100 "$(config_value ca.policy.max_days)" "ca policy writes the key"
	must ck config set ca.policy.allowed_suffixes '.Example.ORG, test.example'
	assert_eq example.org,test.example "$(config_value ca.policy.allowed_suffixes)" "suffixes"
	# An empty value restores the default.
	must ck config set renew.max_per_pass ''
	must ck config get renew.max_per_pass --json
	assert_jq '.[0] | .Value == "50" and .Set == false'
	# The exit module's keys are ca setreg's, both ways.
	must ck config set exit.smtp.smtpport 2525
	must ck ca getreg 'exit\smtp\SMTPPort' --json
	assert_json '.[0].Value' 2525
	must ck ca setreg 'exit/smtp/SMTPPort' 26
	assert_eq 26 "$(config_value exit.smtp.smtpport)" "after setreg"
	must ck config set 'exit\smtp\SMTPTimeout' 40
	assert_eq 40 "$(config_value exit.smtp.smtptimeout)" "AD CS spelling"
	must ck config set exit.smtp.replaced.to 'a@test.example; b@test.example'
	must ck config set exit.smtp.eventfilter +EXITEVENT_CERTIFICATEREPLACED
	must ck ca getreg 'exit\smtp\EventFilter' --json
	assert_jq '.[0].Value == ["CertificateReplaced"]'
	must ck config get exit.smtp.replaced.to --json
	assert_jq '.[0].Value == ["a@test.example", "b@test.example"]'
}
tcase "config: set in bounds persists (one key for config, ca policy and ca setreg); empty restores the default" \
	config_set_persists

config_set_refuses() {
	local row want key value
	must ck init --hostname cfg --fqdn cfg.test.example
	must ck config set renew.max_per_pass 10
	must ck config get --json
	cp "$T/out" before.json
	snapshot before
	while IFS='^' read -r want key value; do
		[ -n "$key" ] || continue
		expect_exit 2 ck config set "$key" "$value"
		assert_err_one_line
		assert_err_contains "$want"
	done << 'ROWS'
renew.max_per_pass must be from 0 to 100000^renew.max_per_pass^100001
renew.max_per_pass must be from 0 to 100000^renew.max_per_pass^-1
is not a number^renew.max_per_pass^ten
monitor.thresholds^monitor.thresholds^0,7
at most 8^monitor.thresholds^1,2,3,4,5,6,7,8,9
takes issue or pending^ca.policy.default_disposition^maybe
unknown key type^ca.policy.key_types^ec:P-521
ldap:// URL^ca.crl_url^ftp://crl.test.example/ca.crl
absolute^ca.crl_path^ca.crl
ca.policy.allowed_suffixes^ca.policy.allowed_suffixes^a..b
not on or off^autorenew^maybe
SMTPPort must be from 1 to 65535^exit.smtp.smtpport^0
ca setsmtpinfo^exit.smtp.smtppassword^secret
set with 'certkeep trust names --fqdn'^host.fqdn^other.test.example
set with 'certkeep autorebind on|off'^autorebind^on
set with 'certkeep init'^host.certificate^0123456789012345678901234567890123456789
ROWS
	expect_exit 2 ck config set renew.days $'1\n2'
	assert_err_contains "control characters"
	expect_exit 2 ck config set renew.days $'\xff'
	must ck config get --json
	cmp -s before.json "$T/out" || fail "config get changed: $(diff before.json "$T/out" | head -5)"
	assert_unchanged before
}
tcase "config: a value out of bounds, malformed, or of a key another command owns exits 2 and changes nothing" \
	config_set_refuses

config_unknown_key_suggests() {
	local key near
	must ck init --hostname cfg --fqdn cfg.test.example
	snapshot before
	while read -r key near; do
		[ -n "$key" ] || continue
		expect_exit 2 ck config set "$key" 5
		assert_err_one_line
		assert_err_contains "unknown key '$key': did you mean $near?"
		expect_exit 2 ck config get "$key"
		assert_err_contains "did you mean $near?"
	done << 'ROWS'
renew.max_per_pas renew.max_per_pass
monitor.threshold monitor.thresholds
ca.policy.maxdays ca.policy.max_days
exit.smtp.smtpsever exit.smtp.smtpserver
exit.smtp.issued.tp exit.smtp.issued.to
ROWS
	assert_unchanged before
}
tcase "config: an unknown key exits 2 with the nearest name and changes nothing" config_unknown_key_suggests

# More certificates are due than renew.max_per_pass: a pass renews that
# many and leaves the rest for the next pass; a new value counts from the
# next pass. The passes run six days ahead (--at --apply) while renewals
# are made now, so a renewal is due at that time as well: each pass finds
# all twelve lines of certificates due.
config_max_per_pass_next_pass() {
	local i when
	for i in $(seq 1 12); do
		must ck new --domain "due$i.test.example" --days 10
	done
	must ck autorenew on --renew-days 30
	when=$(config_at 6)
	# What a pass would do: all twelve are due.
	must ck monitor --at "$when" --json
	assert_jq 'map(select(.Renewal == "would renew")) | length == 12'
	must ck config set renew.max_per_pass 10
	must ck monitor --at "$when" --apply --json
	assert_jq 'map(select(.Renewal == "renewed")) | length == 10'
	assert_jq 'map(select(.Renewal == "next pass")) | length == 2'
	assert_eq 10 "$(event_count 1001)" "renewals after the first pass"
	must ck config set renew.max_per_pass 1
	must ck monitor --at "$when" --apply --json
	assert_jq 'map(select(.Renewal == "renewed")) | length == 1'
	assert_jq 'map(select(.Renewal == "next pass")) | length == 11'
	assert_eq 11 "$(event_count 1001)" "renewals after the second pass"
	# Back to the default (50): all of them.
	must ck config set renew.max_per_pass ''
	must ck monitor --at "$when" --apply --json
	assert_jq 'map(select(.Renewal == "renewed")) | length == 12'
	assert_jq 'map(select(.Renewal == "next pass")) | length == 0'
	assert_eq 23 "$(event_count 1001)" "renewals after the third pass"
}
tcase "config: set renew.max_per_pass 10 renews 10 of 12 due in the next monitor pass, the rest after" \
	config_max_per_pass_next_pass
