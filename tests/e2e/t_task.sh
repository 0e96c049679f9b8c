# shellcheck shell=bash
# Tasks (DESIGN.md §7): commands run on events with the event in their
# environment only; hostile certificate text never runs; each run once.

task_env_on_1001() {
	local t1 t2
	must ck new --domain task.test.example --json
	t1=$(json_get .Thumbprint)
	must ck task add --on 1001 --run 'printf "%s %s %s\n" "$CERTKEEP_EVENT_ID" "$CERTKEEP_OLD_THUMBPRINT" "$CERTKEEP_NEW_THUMBPRINT" >> "$OUT"' --json
	export OUT="$T/task.out"
	must ck clone "$t1" --json
	t2=$(json_get .Thumbprint)
	assert_eq "1001 $t1 $t2" "$(cat "$T/task.out")" "task output"
	# Another command does not run it again.
	must ck list
	assert_eq 1 "$(wc -l < "$T/task.out")" "runs of the task"
	must ck task runs --json
	assert_json 'length' 1
	assert_json '.[0].ExitStatus' 0
	must ck task list --json
	assert_json '.[0].On' 1001
	must ck task remove 1
	must ck clone "$t2"
	assert_eq 1 "$(wc -l < "$T/task.out")" "runs after remove"
	expect_exit 1 ck task remove 1
	expect_exit 1 ck task add --on 4242 --run true
	expect_exit 2 ck task add --on 1001
}
tcase "task: 1001 gives old and new thumbprints in the environment, once" task_env_on_1001

task_hostile_subject() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/h.key" -out "$T/h.pem" -subj '/CN=$(touch pwned)' \
		-addext "subjectAltName=DNS:hostile.test.example" 2> /dev/null || fail "openssl"
	must ck new --domain setup.test.example
	must ck task add --on 1006 --run 'printf "%s\n" "$CERTKEEP_SUBJECT" > "$OUT"; echo $CERTKEEP_SUBJECT >> "$OUT"'
	export OUT="$T/task.out"
	cd "$T" || fail "cd"
	must ck import --cert "$T/h.pem" --key "$T/h.key"
	[ ! -e "$T/pwned" ] || fail "text from the certificate was executed"
	grep -qF 'CN=$(touch pwned)' "$T/task.out" || fail "the subject did not arrive literally"
	# A task that runs too long is stopped and recorded.
	must ck task add --on 1006 --run 'sleep 30' --timeout 1
	must ck new --domain slow.test.example
	must ck task runs --json
	assert_jq 'map(select(.Output | contains("killed after 1 s"))) | length == 1'
}
tcase "task: hostile certificate text reaches the command only as data; time limit" \
	task_hostile_subject
