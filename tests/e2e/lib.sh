# shellcheck shell=bash disable=SC2015
# lib.sh - the end-to-end runner's helpers (sourced by run.sh).
#
# A test file tests/e2e/t_*.sh registers cases:
#
#     tcase "init: a second init fails" init_twice     # runs init_twice
#     tcase "bad: ..." bad_row 1 "empty label" - 'new --domain a..b'
#
# A name is one line of the output; FUNCTION and its ARGS run in the case.
# Each case runs in its own bash process (under a time limit), in a fresh
# temporary directory $T (also its working directory), with
# CERTKEEP_STORE=$T/store, stdin from /dev/null, $CK the binary under test
# (a copy made at the start of the run) and $FIX the fixtures made once per
# run, shared by all cases (never modify them): a test CA, certificates,
# keys, PKCS#12 files, bad inputs and template stores (see make_fixtures).
# A case fails at its first failed assertion: `fail` prints why and ends
# the case. Cases run E2E_JOBS at a time; all temporary files live under
# one directory removed at the end.
#
# Environment: E2E_JOBS (parallel cases), E2E_CASE_TIMEOUT (seconds, 90),
# E2E_TRACE=1 (trace each case with times; shown for failures),
# E2E_LOG_LINES (lines of a failed case's output shown, 30), E2E_VERBOSE=1
# (print the run time), CERTKEEP_BIN (the binary; default bin/certkeep).
#
# Helpers (see each below): ck, expect_exit, json_get, assert_*, snapshot,
# assert_unchanged, use_store, days_between.

E2E_CASE_TIMEOUT=${E2E_CASE_TIMEOUT:-90}

# ---------------------------------------------------------------- registry

E2E_NAMES=()
E2E_SPECS=()

# tcase NAME FUNCTION [ARGS...]: registers a case. ARGS are passed to it.
tcase() {
	local name=$1
	shift
	E2E_NAMES+=("$name")
	local spec
	printf -v spec '%q ' "$E2E_FILE" "$@"
	E2E_SPECS+=("$spec")
}

# tcase_nosan REASON NAME FUNCTION [ARGS...]: a case that means nothing
# against a sanitizer build (E2E_SAN=1): there it is listed as skipped,
# with REASON, instead of run.
E2E_SKIPPED=()
tcase_nosan() {
	local why=$1
	shift
	if [ -n "${E2E_SAN:-}" ]; then
		E2E_SKIPPED+=("$1 ($why)")
		return 0
	fi
	tcase "$@"
}

# ---------------------------------------------------------------- running

# ck ARGS...: the binary under test.
ck() {
	"$CK" "$@"
}

# fail MESSAGE: fails the current case, showing the last command's output.
# Called inside $(...), it also stops the case's main process (USR1).
fail() {
	{
		echo "    $*"
		if [ -n "${E2E_LAST:-}" ]; then
			echo "    last command: $E2E_LAST (exit ${RC:-?})"
			if [ -s "$T/err" ]; then
				sed -n '1,8s/^/    stderr: /p' "$T/err"
			fi
			if [ -s "$T/out" ]; then
				sed -n '1,8s/^/    stdout: /p' "$T/out"
			fi
		fi
	} >&2
	[ "$BASHPID" != "$E2E_CASE_PID" ] && kill -USR1 "$E2E_CASE_PID"
	exit 1
}

# expect_exit N COMMAND...: runs COMMAND (stdin inherited) with stdout in
# $T/out and stderr in $T/err; fails unless it exits N. Sets RC.
expect_exit() {
	local want=$1
	shift
	E2E_LAST="$*"
	"$@" > "$T/out" 2> "$T/err" && RC=0 || RC=$?
	[ "$RC" -eq "$want" ] || fail "expected exit $want, got $RC"
}

# must COMMAND...: a setup step that must succeed (exit 0).
must() {
	expect_exit 0 "$@"
}

# json_get FILTER [FILE]: jq -r FILTER on the last stdout (or FILE); fails
# the case when the input is not JSON or the filter errs.
json_get() {
	local f=${2:-$T/out} v
	v=$(jq -r "$1" < "$f" 2> "$T/jqerr") || fail "jq '$1' failed on $f: $(head -c 300 "$T/jqerr")"
	printf '%s' "$v"
}

# assert_json FILTER EXPECTED [FILE]: json_get FILTER equals EXPECTED.
assert_json() {
	local got
	got=$(json_get "$1" "${3:-$T/out}")
	[ "$got" = "$2" ] || fail "json $1: expected '$2', got '$got'"
}

# assert_jq FILTER [FILE]: jq -e FILTER is true on the last stdout (or FILE).
assert_jq() {
	jq -e "$1" < "${2:-$T/out}" > /dev/null 2>&1 || fail "not true: jq '$1' on ${2:-stdout}"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_ne A B WHAT
assert_ne() {
	[ "$1" != "$2" ] || fail "$3: both are '$1'"
}

# assert_err_contains TEXT: the last stderr contains TEXT (case-insensitive).
assert_err_contains() {
	grep -qiF -- "$1" "$T/err" || fail "stderr does not contain '$1'"
}

# assert_err_one_line: the last stderr is exactly one non-empty line.
assert_err_one_line() {
	local n
	n=$(wc -l < "$T/err")
	[ -s "$T/err" ] || fail "stderr is empty"
	[ "$n" -eq 1 ] && [ "$(tail -c 1 "$T/err" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "stderr is not exactly one line ($n lines)"
}

# assert_out_empty: nothing on the last stdout.
assert_out_empty() {
	[ ! -s "$T/out" ] || fail "stdout is not empty"
}

# assert_mode PATH MODE (octal, e.g. 600)
assert_mode() {
	local m
	m=$(stat -L -c %a "$1" 2> /dev/null) || fail "no such file: $1"
	[ "$m" = "$2" ] || fail "mode of $1: expected $2, got $m"
}

# assert_owner PATH USER
assert_owner() {
	local u
	u=$(stat -L -c %U "$1" 2> /dev/null) || fail "no such file: $1"
	[ "$u" = "$2" ] || fail "owner of $1: expected $2, got $u"
}

assert_file() {
	[ -f "$1" ] || fail "missing file: $1"
}

assert_no_file() {
	[ ! -e "$1" ] || fail "file should not exist: $1"
}

# use_store NAME: copies the fixture store NAME to $T/store.
use_store() {
	cp -a "$FIX/store-$1" "$T/store" || fail "cannot copy fixture store $1"
}

# snapshot NAME: records the store's visible state: list and events
# (--json), and every file under the store (database, key files) with its
# mode, owner, size and SHA-256.
snapshot() {
	local d="$T/snap-$1"
	mkdir -p "$d"
	# DaysRemaining moves with the clock; everything else must stay.
	"$CK" list --json > "$d/list.raw" 2>&1 || fail "snapshot $1: list failed: $(cat "$d/list.raw")"
	jq 'map(del(.DaysRemaining))' "$d/list.raw" > "$d/list" 2>&1 || fail "snapshot $1: list is not JSON"
	"$CK" events --json > "$d/events" 2>&1 || fail "snapshot $1: events failed"
	(cd "$CERTKEEP_STORE" && find . -printf '%p %y %m %u %s\n' | sort) > "$d/files" 2>&1
	(cd "$CERTKEEP_STORE" && find . -type f -exec sha256sum {} + | sort -k2) > "$d/hashes" 2>&1
}

# assert_unchanged NAME: the store looks as it did at snapshot NAME.
assert_unchanged() {
	local d="$T/snap-$1" now="$T/snap-$1-now" f
	snapshot "$1-now"
	for f in list events files hashes; do
		cmp -s "$d/$f" "$now/$f" || {
			diff "$d/$f" "$now/$f" | head -10 | sed 's/^/    /' >&2
			E2E_LAST='' fail "store changed ($f) although the command failed"
		}
	done
}

# days_between RFC3339_A RFC3339_B: whole days from A to B (rounded).
days_between() {
	jq -rn --arg a "$1" --arg b "$2" \
		'((($b|fromdateiso8601) - ($a|fromdateiso8601)) / 86400 + 0.5) | floor'
}

# assert_validity_days JSONFILE N: NotAfter - NotBefore is N days (+-1).
assert_validity_days() {
	local nb na d
	nb=$(json_get .NotBefore "$1")
	na=$(json_get .NotAfter "$1")
	d=$(days_between "$nb" "$na")
	[ "$d" -ge $(($2 - 1)) ] && [ "$d" -le $(($2 + 1)) ] ||
		fail "validity: expected $2 days (+-1), got $d ($nb .. $na)"
}

# sha1_of PEMFILE: the certificate's SHA-1 fingerprint as 40 upper-case hex.
sha1_of() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}

# pub_of_key KEYFILE / pub_of_cert CERTFILE: the public key, PEM.
pub_of_key() {
	openssl pkey -in "$1" -pubout 2> /dev/null
}
pub_of_cert() {
	openssl x509 -in "$1" -noout -pubkey 2> /dev/null
}

# thumb_of DOMAIN: the thumbprint of the first certificate covering DOMAIN.
thumb_of() {
	local t
	t=$("$CK" list --domain "$1" --json | jq -r '.[0].Thumbprint // empty')
	[ -n "$t" ] || fail "no certificate for $1"
	printf '%s' "$t"
}

# event_count ID: how many events with ID the store holds.
event_count() {
	"$CK" events --id "$1" --json | jq length
}

# ---------------------------------------------------------------- fixtures

# Certificates with chosen dates (openssl ca): expired.pem, self-signed,
# valid 2020-01-01 to 2021-01-01 (366 days); future.pem, issued by the test
# CA for 2090.
make_dated_fixtures() {
	mkdir -p cadb &&
	: > cadb/index.txt &&
	echo 01 > cadb/serial &&
	cat > cadb/ca.cnf <<-'EOF'
		[ca]
		default_ca = d
		[d]
		database = cadb/index.txt
		serial = cadb/serial
		new_certs_dir = cadb
		default_md = sha256
		policy = p
		unique_subject = no
		copy_extensions = copy
		[p]
		commonName = supplied
	EOF
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key \
		-out expired.csr -subj /CN=expired.example.org \
		-addext subjectAltName=DNS:expired.example.org,DNS:old.example.org &&
	openssl ca -batch -config cadb/ca.cnf -selfsign -keyfile expired.key -in expired.csr \
		-out expired.pem -startdate 20200101000000Z -enddate 20210101000000Z &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout future.key \
		-out future.csr -subj /CN=future.example.org \
		-addext subjectAltName=DNS:future.example.org &&
	openssl ca -batch -config cadb/ca.cnf -cert ca.pem -keyfile ca.key -in future.csr \
		-out future.pem -startdate 20900101000000Z -enddate 20910101000000Z
}

# Made once per run, in $FIX, with openssl (and the binary for the
# template stores).
make_fixtures() {
	cd "$FIX" || return 1
	{
		# A test CA (v3, CA:TRUE by default for req -x509 in OpenSSL 3).
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -subj /CN=E2E-Test-CA -days 30 &&
		# A self-signed RSA certificate with two names.
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ss.key -out ss.pem \
			-subj /CN=a.example.org -days 60 \
			-addext subjectAltName=DNS:a.example.org,DNS:b.example.org &&
		openssl x509 -in ss.pem -outform der -out ss.der &&
		openssl pkey -in ss.key -outform der -out ss.key.der &&
		# A second certificate on the same key.
		openssl req -x509 -key ss.key -out ss2.pem -subj /CN=c.example.org -days 60 \
			-addext subjectAltName=DNS:c.example.org &&
		# A PKCS#12 of an EC certificate, password with a space.
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout p.key -out p.pem -subj /CN=p.example.org -days 60 \
			-addext subjectAltName=DNS:p.example.org &&
		openssl pkcs12 -export -in p.pem -inkey p.key -out p.p12 -passout 'pass:s3cret pass' &&
		# A CA-issued (not self-signed) v3 certificate.
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout i.key -out i.csr -subj /CN=i.example.org &&
		printf 'subjectAltName=DNS:i.example.org\nbasicConstraints=CA:FALSE\n' > i.ext &&
		openssl x509 -req -in i.csr -CA ca.pem -CAkey ca.key -days 30 -extfile i.ext \
			-out i.pem &&
		# A key that matches nothing.
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key &&
		make_dated_fixtures
	} > "$FIX/openssl.log" 2>&1 || { cat "$FIX/openssl.log"; return 1; }
	# Bad inputs.
	head -c 300 ss.pem > trunc.pem
	head -c 200 ss.key > trunc.key
	head -c 600 /dev/urandom > random.der
	: > empty
	head -c 400 p.p12 > bad.p12
	# Template stores: "host" (init only) and "populated" (init, an imported
	# self-signed certificate, a CA-issued one with its chain, one without a
	# key, and a pending request).
	CERTKEEP_STORE="$FIX/store-host" "$CK" init --hostname mx1 --fqdn mx1.contoso.test \
		> /dev/null || return 1
	cp -a "$FIX/store-host" "$FIX/store-populated"
	{
		"$CK" --store "$FIX/store-populated" import --cert ss.pem --key ss.key --services IIS &&
		"$CK" --store "$FIX/store-populated" import --cert i.pem --key i.key --chain ca.pem &&
		"$CK" --store "$FIX/store-populated" import --cert p.pem &&
		"$CK" --store "$FIX/store-populated" new --domain r.example.org --request-out "$FIX/r.csr"
	} > /dev/null || return 1
	return 0
}

# ---------------------------------------------------------------- main

# e2e_run_case FILE FUNCTION [ARGS...]: (in the case's own process)
e2e_run_case() {
	local file=$1
	shift
	T=$(mktemp -d "$E2E_WORK/case.XXXXXX") || exit 1
	export T
	export CERTKEEP_STORE="$T/store"
	cd "$T" || exit 1
	E2E_FILE=$file
	E2E_CASE_PID=$BASHPID
	trap 'exit 1' USR1
	# shellcheck disable=SC1090
	source "$file"
	# E2E_TRACE=1: trace the case (shown on failure), with times.
	if [ -n "${E2E_TRACE:-}" ]; then
		PS4='+ ${EPOCHREALTIME} '
		exec 9>&2
		BASH_XTRACEFD=9
		set -x
	fi
	"$@" < /dev/null
	exit 0
}

e2e_check_tools() {
	local t missing=""
	for t in jq openssl sqlite3 setpriv unshare timeout; do
		command -v "$t" > /dev/null || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "e2e: missing tools:$missing (install the packages in the Makefile's DEPS_APT)" >&2
		return 1
	fi
	[ -x "$CK" ] || { echo "e2e: no binary at $CK (make bin/certkeep)" >&2; return 1; }
}

# e2e_main [PATTERN]: runs every case (whose name contains PATTERN),
# E2E_JOBS at a time (default: the number of CPUs, at most 8), and prints
# the results in registration order.
# The sanitizers' reports go to $E2E_WORK/san/$1.PID; a leak, an overflow
# or undefined behaviour also makes the process exit 99. E2E_LSAN_SUPP
# names a LeakSanitizer suppressions file, for a known leak being fixed.
e2e_san_options() {
	export ASAN_OPTIONS="log_path=$E2E_WORK/san/$1:exitcode=99:detect_leaks=1:verify_asan_link_order=0"
	export UBSAN_OPTIONS="log_path=$E2E_WORK/san/$1:exitcode=99:print_stacktrace=1"
	export LSAN_OPTIONS="exitcode=99${E2E_LSAN_SUPP:+:suppressions=$E2E_LSAN_SUPP}"
}

e2e_main() {
	local pattern=${1:-} f i n passed=0 failed=0 start jobs next=0
	local -a sel=()
	e2e_check_tools || { echo "e2e: 0 passed, 1 failed"; return 1; }
	E2E_WORK=$(mktemp -d /tmp/certkeep-e2e.XXXXXX) || return 1
	export E2E_WORK
	# The unprivileged-user cases need to reach the work directory.
	chmod 0711 "$E2E_WORK"
	# shellcheck disable=SC2064
	trap "rm -rf '$E2E_WORK'" EXIT
	export FIX="$E2E_WORK/fix"
	mkdir -p "$FIX" "$E2E_WORK/bin" "$E2E_WORK/res"
	# With a sanitizer build (E2E_SAN=1), each case's reports go to files
	# of its own (san/N.PID, writable by the unprivileged user too), and a
	# case with a report fails whatever its commands' exit statuses were.
	if [ -n "${E2E_SAN:-}" ]; then
		mkdir -p "$E2E_WORK/san" && chmod 1777 "$E2E_WORK/san"
		e2e_san_options fixtures
	fi
	# One snapshot of the binary for the whole run (a rebuild during the
	# run must not mix versions), reachable by the unprivileged user too.
	cp "$CK" "$E2E_WORK/bin/certkeep" && chmod 0755 "$E2E_WORK/bin" "$E2E_WORK/bin/certkeep" || return 1
	CK="$E2E_WORK/bin/certkeep"
	export CK
	start=$SECONDS
	if ! (make_fixtures) > "$E2E_WORK/fixtures.log" 2>&1 ||
		{ [ -n "${E2E_SAN:-}" ] && compgen -G "$E2E_WORK/san/fixtures.*" > /dev/null &&
			grep -qE 'ERROR: |runtime error' "$E2E_WORK/san/fixtures".*; }; then
		echo "FAIL fixtures"
		[ -z "${E2E_SAN:-}" ] || cat "$E2E_WORK/san/fixtures".* 2> /dev/null
		sed 's/^/    /' "$E2E_WORK/fixtures.log"
		echo "e2e: 0 passed, 1 failed"
		return 1
	fi
	for f in "$E2E_DIR"/t_*.sh; do
		E2E_FILE=$f
		# shellcheck disable=SC1090
		source "$f"
	done
	for i in "${!E2E_NAMES[@]}"; do
		[ -z "$pattern" ] || [[ ${E2E_NAMES[$i]} == *"$pattern"* ]] || continue
		sel+=("$i")
	done
	jobs=${E2E_JOBS:-$(nproc 2> /dev/null || echo 2)}
	[ "$jobs" -ge 1 ] 2> /dev/null || jobs=1
	[ -n "${E2E_JOBS:-}" ] || [ "$jobs" -le 8 ] || jobs=8

	# Prints the finished results that are next in order.
	e2e_flush() {
		local k r
		while [ "$next" -lt "${#sel[@]}" ]; do
			k=${sel[$next]}
			[ -f "$E2E_WORK/res/$k.rc" ] || return 0
			r=$(cat "$E2E_WORK/res/$k.rc")
			if [ "$r" = 0 ]; then
				echo "ok   ${E2E_NAMES[$k]}"
				passed=$((passed + 1))
			else
				echo "FAIL ${E2E_NAMES[$k]}"
				[ "$r" = 124 ] && echo "    timed out after ${E2E_CASE_TIMEOUT}s"
				sed -n "1,${E2E_LOG_LINES:-30}p" "$E2E_WORK/res/$k.log"
				failed=$((failed + 1))
			fi
			next=$((next + 1))
		done
	}
	for n in "${!sel[@]}"; do
		i=${sel[$n]}
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
			e2e_flush
		done
		(
			[ -z "${E2E_SAN:-}" ] || e2e_san_options "$i"
			eval "timeout -k 5 $E2E_CASE_TIMEOUT bash '$E2E_DIR/run.sh' --case ${E2E_SPECS[$i]}" \
				> "$E2E_WORK/res/$i.log" 2>&1
			r=$?
			if [ -n "${E2E_SAN:-}" ] && compgen -G "$E2E_WORK/san/$i.*" > /dev/null &&
				grep -qE 'ERROR: |runtime error' "$E2E_WORK/san/$i".*; then
				{ echo "sanitizer reports:"; cat "$E2E_WORK/san/$i".*; cat "$E2E_WORK/res/$i.log"; } \
					> "$E2E_WORK/res/$i.log.san" && mv "$E2E_WORK/res/$i.log.san" "$E2E_WORK/res/$i.log"
				r=98
			fi
			echo $r > "$E2E_WORK/res/$i.rc.tmp"
			mv "$E2E_WORK/res/$i.rc.tmp" "$E2E_WORK/res/$i.rc"
		) &
		e2e_flush
	done
	wait
	e2e_flush
	[ -n "${E2E_VERBOSE:-}" ] && echo "e2e: $((SECONDS - start))s with $jobs jobs"
	for f in "${E2E_SKIPPED[@]}"; do
		echo "skip $f"
	done
	echo "e2e: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
