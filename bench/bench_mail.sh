#!/bin/bash
# bench_mail.sh - runs build/bench/bench_mail against a throwaway aiosmtpd
# (tests/e2e/smtpd.py: STARTTLS and AUTH required, a test certificate) on
# a free 127.0.0.1 port, and stops it by PID. BENCH_MAILS (default 300).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_MAILS:-300}
T=$(mktemp -d /tmp/certkeep-bench-mail.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$T"
}
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2> /dev/null
mkdir "$T/out"
for try in 1 2 3 4 5; do
	port=$((61000 + (RANDOM * 32768 + RANDOM) % 4000))
	[ -z "$(ss -Hltn "sport = :$port" 2> /dev/null)" ] || continue
	/usr/bin/python3 "$top/tests/e2e/smtpd.py" "$port" "$T/out" \
		--cert "$T/cert.pem" --key "$T/key.pem" 2> "$T/log" &
	pid=$!
	for i in $(seq 1 100); do
		[ -e "$T/out/.ready" ] && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.05
	done
	[ -e "$T/out/.ready" ] && break
	pid=
done
[ -n "$pid" ] || { echo "bench_mail: aiosmtpd did not start: $(tail -2 "$T/log")" >&2; exit 1; }
"$top/build/bench/bench_mail" "$port" "$T/cert.pem" "$n"
got=$(find "$T/out" -name '*.eml' | wc -l)
echo "received: $got mails"
[ "$got" -eq $((2 * n + 2)) ]
