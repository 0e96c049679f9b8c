# shellcheck shell=bash
# The certificate authority (ca ...): OpenSSL accepts what it issues and
# rejects what it revoked with the CRL it publishes; CRL numbers increase
# and carry reason codes; events carry the request's properties; and every
# bad input exits non-zero with one line on stderr and the store unchanged.

# csr NAME SUBJ [SAN] [KEYSPEC]: a request NAME.csr (key NAME.key).
csr() {
	local name=$1 subj=$2 san=${3:-} key=${4:-ec:P-256}
	local -a args=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	case $key in rsa:*) args=(-newkey "$key") ;; esac
	[ -n "$san" ] && args+=(-addext "subjectAltName=$san")
	openssl req -new "${args[@]}" -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" \
		2> /dev/null || fail "openssl req for $name failed"
}

# ca_store: a CA allowing example.org, one issued certificate w.pem
# (serial $SERIAL), the CA certificate in ca.pem.
ca_store() {
	must ck ca init --name "E2E Issuing CA"
	must ck ca policy --allow-suffix example.org
	csr w /CN=www.example.org DNS:www.example.org,DNS:api.example.org
	must ck ca submit w.csr --out w.pem --email web@example.org
	ck ca show --json | jq -r .RawCertificate > ca.pem
	SERIAL=$(openssl x509 -in w.pem -noout -serial | cut -d= -f2)
}

ca_issue_verifies() {
	ca_store
	expect_exit 0 openssl verify -CAfile ca.pem w.pem
	# The CA certificate's extensions, parsed.
	expect_exit 0 openssl x509 -in ca.pem -noout -ext basicConstraints,keyUsage
	grep -q 'critical' "$T/out" && grep -q 'CA:TRUE' "$T/out" || fail "CA basicConstraints"
	grep -q 'Certificate Sign, CRL Sign' "$T/out" || fail "CA keyUsage"
	assert_mode "$CERTKEEP_STORE/ca/ca.key" 600
	assert_mode "$CERTKEEP_STORE/ca" 700
	# The issued certificate: names from the request, EE extensions.
	expect_exit 0 openssl x509 -in w.pem -noout -ext subjectAltName,extendedKeyUsage,basicConstraints,keyUsage
	grep -q 'DNS:www.example.org, DNS:api.example.org' "$T/out" || fail "SAN"
	grep -q 'TLS Web Server Authentication, TLS Web Client Authentication' "$T/out" || fail "EKU"
	grep -q 'CA:FALSE' "$T/out" || fail "EE basicConstraints"
	# --json get by serial and by id agree with the file.
	must ck --json ca get "$SERIAL"
	assert_json .SerialNumber "$SERIAL"
	assert_json .CertificateHash "$(sha1_of w.pem)"
	assert_json .Disposition Issued
	must ck ca get 1
	cmp -s "$T/out" w.pem || fail "ca get 1 differs from the issued certificate"
	# 16 octets, positive.
	[ ${#SERIAL} -eq 32 ] || fail "serial $SERIAL is not 16 octets"
	case $SERIAL in [0-7]*) ;; *) fail "serial $SERIAL is not positive" ;; esac
}

ca_der_and_bulk() {
	ca_store
	csr a /CN=a.example.org
	csr b /CN=b.example.org "" rsa:2048
	csr c /CN=c.example.org DNS:c.example.org,DNS:*.c.example.org
	openssl req -in a.csr -outform der -out a.der || fail "der"
	must ck --json ca submit a.der b.csr c.csr --requester bulk --days 30
	assert_jq 'length == 3 and all(.[]; .Disposition == "Issued" and .RequesterName == "bulk")'
	assert_jq '[.[].SerialNumber] | unique | length == 3'
	json_get '.[1].RawCertificate' > b.pem
	jq '.[1]' "$T/out" > b.json
	expect_exit 0 openssl verify -CAfile ca.pem b.pem
	expect_exit 0 openssl x509 -in b.pem -noout -ext keyUsage
	grep -q 'Key Encipherment' "$T/out" || fail "RSA keyUsage lacks keyEncipherment"
	assert_validity_days b.json 30
	must ck --json ca list --issued
	assert_jq 'length == 4'
}

ca_revoke_crl() {
	ca_store
	csr k /CN=k.example.org
	must ck ca submit k.csr --out k.pem
	must ck ca crl --out crl1.pem
	expect_exit 0 openssl verify -crl_check -CRLfile crl1.pem -CAfile ca.pem w.pem
	must ck --json ca revoke "$SERIAL" --reason keyCompromise
	assert_json .RevokedReason keyCompromise
	must ck --json ca revoke "$(openssl x509 -in k.pem -noout -serial | cut -d= -f2)" --reason certificateHold
	must ck --json ca crl --out crl2.pem --next-update 48
	assert_json .CRLNumber 2
	assert_json .RevokedCount 2
	expect_exit 2 openssl verify -crl_check -CRLfile crl2.pem -CAfile ca.pem w.pem
	grep -q 'certificate revoked' "$T/out" "$T/err" || fail "not rejected as revoked"
	expect_exit 2 openssl verify -crl_check -CRLfile crl2.pem -CAfile ca.pem k.pem
	n1=$(openssl crl -in crl1.pem -noout -crlnumber | cut -d= -f2)
	n2=$(openssl crl -in crl2.pem -noout -crlnumber | cut -d= -f2)
	[ $((n2)) -gt $((n1)) ] || fail "CRL number did not increase ($n1 -> $n2)"
	openssl crl -in crl2.pem -noout -text > crl2.txt
	grep -q 'Key Compromise' crl2.txt || fail "no keyCompromise reason in the CRL"
	grep -q 'Certificate Hold' crl2.txt || fail "no certificateHold reason in the CRL"
	# nextUpdate is 48 hours after thisUpdate.
	tu=$(openssl crl -in crl2.pem -noout -lastupdate | cut -d= -f2)
	nu=$(openssl crl -in crl2.pem -noout -nextupdate | cut -d= -f2)
	[ $(($(date -d "$nu" +%s) - $(date -d "$tu" +%s))) -eq 172800 ] || fail "nextUpdate not +48h"
	# The hold taken back: the next CRL accepts k.pem again.
	must ck ca unrevoke "$(openssl x509 -in k.pem -noout -serial | cut -d= -f2)"
	must ck ca policy --crl-path "$T/pub/ca.crl"
	mkdir -p pub
	must ck ca crl
	openssl crl -inform der -in pub/ca.crl -out crl3.pem || fail "published CRL is not DER"
	expect_exit 0 openssl verify -crl_check -CRLfile crl3.pem -CAfile ca.pem k.pem
	[ "$(event_count 1105)" -eq 3 ] || fail "expected three 1105 events"
	[ "$(event_count 1109)" -eq 1 ] || fail "expected one 1109 event"
}

ca_pending_approve_deny() {
	ca_store
	must ck ca policy --default pending
	csr p /CN=p.example.org
	csr q /CN=q.example.org
	must ck --json ca submit p.csr q.csr --email p@example.org
	assert_jq 'all(.[]; .Disposition == "Pending") and all(.[]; .RawCertificate == null)'
	must ck --json ca pending
	assert_jq 'length == 2'
	must ck --json ca approve 2
	assert_json .Disposition Issued
	json_get .RawCertificate > p.pem
	expect_exit 0 openssl verify -CAfile ca.pem p.pem
	must ck --json ca deny 3 --reason "unknown host"
	assert_json .Disposition Denied
	must ck --json ca list --denied
	assert_jq 'length == 1 and .[0].RequestID == 3'
	must ck --json ca list --pending
	assert_jq 'length == 0'
}

ca_events_properties() {
	ca_store
	must ck --json events --id 1101
	assert_jq '.[0].Fields | .RequestID == 1 and .RequesterEmail == "web@example.org"
		and .DistinguishedName == "CN=www.example.org" and .Disposition == "Issued"
		and (.SerialNumber | test("^[0-9A-F]{32}$")) and (.CertificateHash | test("^[0-9A-F]{40}$"))
		and (.RawCertificate | startswith("-----BEGIN CERTIFICATE-----"))
		and (.NotBefore | test("Z$")) and (.NotAfter | test("Z$")) and (.SubmittedWhen | test("Z$"))
		and (.ResolvedWhen | test("Z$")) and (.RequesterName | length > 0)'
	# The log keeps the certificate by reference; readers get the same PEM
	# as the CA's own copy.
	json_get '.[0].Fields.RawCertificate' > ev.pem
	must ck ca get "$SERIAL"
	[ "$(cat ev.pem)" = "$(cat "$T/out")" ] || fail "RawCertificate differs from ca get"
	[ "$(sqlite3 "$CERTKEEP_STORE/certkeep.db" \
		"SELECT count(*) FROM events WHERE id = 1101 AND cert_serial = '$SERIAL'
		 AND fields NOT LIKE '%BEGIN CERTIFICATE%'")" = 1 ] || fail "PEM copied into the log"
	must ck ca revoke "$SERIAL" --reason superseded
	must ck --json events --id 1104
	assert_jq '.[0].Fields | .RevokedReason == "superseded" and (.RevokedWhen | test("Z$"))
		and .SerialNumber == "'"$SERIAL"'"'
	must ck --json events --id 1110
	assert_jq '.[0].Fields.CAName == "E2E Issuing CA"'
}

ca_subordinate_install() {
	must ck ca init --name "Sub CA" --request-out sub.csr
	expect_exit 1 ck ca submit sub.csr 2> /dev/null
	# The parent signs it (openssl x509 -req as a stand-in parent CA).
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' > sub.ext
	openssl x509 -req -in sub.csr -CA "$FIX/ca.pem" -CAkey "$FIX/ca.key" -days 20 -extfile sub.ext -out sub.pem 2> /dev/null || fail "parent"
	snapshot before
	expect_exit 1 ck ca install "$FIX/i.pem" # not a CA certificate
	assert_unchanged before
	must ck ca install sub.pem
	csr s /CN=s.example.org
	must ck ca submit s.csr --out s.pem
	cat "$FIX/ca.pem" > root.pem
	expect_exit 0 openssl verify -CAfile root.pem -untrusted sub.pem s.pem
	[ "$(event_count 1108)" -eq 1 ] || fail "expected event 1108"
}

ca_clone_renews() {
	ca_store
	must ck ca policy --allow-suffix any
	must ck new --domain mx1.example.net --services SMTP,IMAP --request-out mx.csr
	must ck ca submit mx.csr --out mx.pem --days 60
	must ck import --cert mx.pem --chain ca.pem
	old=$(sha1_of mx.pem)
	must ck --json clone "$old"
	must ck --json list
	new=$(json_get '[.[] | select(.ReplacedBy == null and (.CertificateDomains | index("mx1.example.net")))][0].Thumbprint')
	assert_ne "$old" "$new" "renewed thumbprint"
	assert_json "[.[] | select(.Thumbprint == \"$old\")][0].ReplacedBy" "$new"
	assert_json "[.[] | select(.Thumbprint == \"$new\")][0].Services" "I...S"
	must ck export "$new" --out new.pem
	expect_exit 0 openssl verify -CAfile ca.pem new.pem
	assert_ne "$(pub_of_cert mx.pem)" "$(pub_of_cert new.pem)" "public key"
	must ck --json events --id 1001
	assert_jq '.[-1].Fields.OldThumbprint == "'"$old"'" and .[-1].Fields.NewThumbprint == "'"$new"'"'
	must ck --json show "$new"
	assert_validity_days "$T/out" 60
}

# daemon_up: starts a daemon on the store (its pid in DAEMON_PID) and
# waits until its CA service answers.
daemon_up() {
	rm -f "$T/daemon.err"
	"$CK" daemon --interval 3600 2> "$T/daemon.err" &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'CA service answers' "$T/daemon.err" 2> /dev/null && return 0
		sleep 0.05
	done
	fail "the CA service did not start: $(cat "$T/daemon.err")"
}

# refusals NAME: exit status and stderr of refused submissions, in NAME.
refusals() {
	local f
	printf 'garbage\n' > garbage.csr
	: > empty.csr
	for f in garbage.csr empty.csr missing.csr; do
		ck ca submit "$f" > /dev/null 2>> "$1" && echo "$f: exit 0" >> "$1" ||
			echo "$f: exit $?" >> "$1"
	done
	ck ca submit w.csr --requester "$(printf 'a\nb')" > /dev/null 2>> "$1" ||
		echo "requester: exit $?" >> "$1"
}

ca_service() {
	local pid pid2 n sock="$CERTKEEP_STORE/ca/service.sock"
	ca_store
	csr other /CN=www.example.com
	# Tasks on what the service issues run in the daemon.
	must ck task add --on 1101 --run "tr '\\0' ' ' < /proc/\$PPID/cmdline >> '$T/ran'"
	daemon_up
	pid=$DAEMON_PID
	[ -S "$sock" ] || fail "no socket at $sock"
	assert_mode "$sock" 700
	# Through the service: the same results as in-process.
	csr s /CN=s.example.org DNS:s.example.org
	must ck -v ca submit s.csr --out s.pem --requester svc --email s@example.org
	assert_err_contains "submitted to the CA service"
	for _ in $(seq 1 100); do # no certkeep command meanwhile: it would run the task
		[ -s "$T/ran" ] && break
		sleep 0.05
	done
	grep -q "daemon --interval" "$T/ran" || fail "the task did not run in the daemon: $(cat "$T/ran")"
	expect_exit 0 openssl verify -CAfile ca.pem s.pem
	csr a /CN=a.example.org
	openssl req -in a.csr -outform der -out a.der || fail "der"
	must ck --json ca submit a.der s.csr --days 30
	assert_jq 'length == 2 and all(.[]; .Disposition == "Issued")'
	json_get '.[0].RawCertificate' > a.pem
	jq '.[0]' "$T/out" > a.json
	assert_validity_days a.json 30
	expect_exit 0 openssl verify -CAfile ca.pem a.pem
	must ck --json events --id 1101
	assert_jq '[.[] | select(.Fields.RequesterName == "svc" and .Fields.RequesterEmail == "s@example.org")] | length == 1'
	# Refusals: the same message and status, nothing recorded.
	n=$(ck ca list --json | jq length)
	refusals "$T/refused.service"
	assert_eq "$n" "$(ck ca list --json | jq length)" "requests after refusals"
	# A policy denial: recorded by the service as in-process (1103).
	expect_exit 1 ck -v ca submit other.csr --requester svc
	assert_err_contains "submitted to the CA service"
	grep -qx "Request $((n + 1)): Denied (denied by policy: www.example.com is not under an allowed suffix (ca.policy.allowed_suffixes))" "$T/err" ||
		fail "no denial line"
	assert_err_contains "certkeep ca submit: other.csr: denied by policy"
	must ck --json events --id 1103
	assert_jq 'length == 1 and .[0].Fields.RequesterName == "svc" and .[0].Fields.RequestID == '"$((n + 1))"
	# Killed, the daemon leaves its socket: submissions run in-process.
	kill -KILL "$pid"
	wait "$pid" 2> /dev/null
	[ -S "$sock" ] || fail "the killed daemon's socket is gone"
	must ck -v ca submit s.csr --out s2.pem
	grep -q "CA service" "$T/err" && fail "submitted to a dead service"
	expect_exit 0 openssl verify -CAfile ca.pem s2.pem
	refusals "$T/refused.inproc"
	cmp -s "$T/refused.service" "$T/refused.inproc" ||
		fail "refusals differ: $(diff "$T/refused.service" "$T/refused.inproc")"
	# A new daemon takes the socket over; a second one is refused.
	daemon_up
	pid=$DAEMON_PID
	must ck -v ca submit a.csr
	assert_err_contains "submitted to the CA service"
	"$CK" daemon --interval 3600 2> "$T/daemon2.err" &
	pid2=$!
	wait "$pid2" && fail "a second daemon started"
	grep -q "another certkeep daemon serves this store's CA" "$T/daemon2.err" ||
		fail "second daemon: $(cat "$T/daemon2.err")"
	must ck -v ca submit a.csr
	assert_err_contains "submitted to the CA service"
	# A daemon that dies before it greets: nothing was sent, so the client
	# submits in-process, once.
	n=$(ck ca list --json | jq length)
	kill -STOP "$pid"
	ck -v ca submit a.csr > "$T/out" 2> "$T/err" &
	pid2=$!
	for _ in $(seq 1 100); do # connected and waiting for its greeting
		readlink "/proc/$pid2/fd/"* 2> /dev/null | grep -q '^socket:' &&
			[ "$(awk '{print $3}' "/proc/$pid2/stat" 2> /dev/null)" = S ] && break
		sleep 0.05
	done
	kill -KILL "$pid"
	wait "$pid" 2> /dev/null
	wait "$pid2" && RC=0 || RC=$?
	assert_eq 0 "$RC" "exit status when the service died before its greeting"
	assert_err_contains "the CA service did not greet"
	assert_eq $((n + 1)) "$(ck ca list --json | jq length)" "requests after the service died"
	# Stopped cleanly, the daemon removes its socket.
	daemon_up
	pid=$DAEMON_PID
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
	[ ! -e "$sock" ] || fail "the socket outlived its daemon"
	assert_eq 3 "$(event_count 1106)" "CA startup events"
	assert_eq 1 "$(event_count 1107)" "CA shutdown events (the killed daemons raised none)"
}

# fake_service MODE: a stand-in for a daemon that breaks off at one point
# of the conversation (the real one cannot be killed at a chosen byte):
# listens on the store's socket, greets, reads the submission and then
# MODE: sendbreak (closes after the header, while the client still sends),
# eof (closes before answering), midframe (2 bytes of a length), short (a
# frame cut short), reset (closes with a byte unread: ECONNRESET), garbage
# (a frame that is no JSON), badstatus (a status that is no code).
fake_service() {
	rm -f "$T/fake.ready"
	python3 - "$CERTKEEP_STORE/ca/service.sock" "$1" "$T/fake.ready" <<'PY' &
import json, os, socket, struct, sys
path, mode, ready = sys.argv[1:4]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
open(ready, "w").close()
c, _ = s.accept()
def recvn(n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            sys.exit(0)
        b += x
    return b
def frame(keep=0):
    n = struct.unpack(">I", recvn(4))[0]
    return recvn(n - keep)
def send(b):
    c.sendall(struct.pack(">I", len(b)) + b)
send(b'{"v":2,"ready":true}')
names = json.loads(frame())["names"]
if mode == "sendbreak":
    c.close()
    sys.exit(0)
for i in range(len(names)):
    frame(1 if mode == "reset" and i == len(names) - 1 else 0)
if mode == "midframe":
    c.sendall(b"\0\0")
elif mode == "short":
    c.sendall(struct.pack(">I", 100) + b"0123456789")
elif mode == "garbage":
    send(b"not json")
elif mode == "badstatus":
    send(b'{"status":"ok"}')
c.close()
PY
	FAKE_PID=$!
	for _ in $(seq 1 100); do
		[ -e "$T/fake.ready" ] && return 0
		sleep 0.05
	done
	fail "the stand-in service did not start"
}

# Once the submission is in the service's hands, any break is exit 4 and
# never an in-process submission after it: nothing is issued twice. A
# break while sending (the peer gone: EPIPE, no SIGPIPE) is exit 4 too.
ca_service_breaks() {
	local mode n bulk
	ca_store
	n=$(ck ca list --json | jq length)
	for mode in eof midframe short reset garbage badstatus; do
		fake_service "$mode"
		expect_exit 4 ck -v ca submit w.csr
		assert_err_contains "submitted to the CA service"
		assert_err_contains "the CA service ended before its answer: what it issued is in 'certkeep ca list'"
		wait "$FAKE_PID"
	done
	# Larger than the socket's buffer: the client is still sending.
	read -ra bulk <<< "$(yes w.csr | head -2000 | tr '\n' ' ')"
	fake_service sendbreak
	expect_exit 4 ck ca submit "${bulk[@]}"
	assert_err_contains "ended before it had the whole submission"
	assert_err_contains "nothing was issued"
	wait "$FAKE_PID"
	assert_eq "$n" "$(ck ca list --json | jq length)" "requests after the breaks"
	rm -f "$CERTKEEP_STORE/ca/service.sock"
}

# hold_clients PHASES_DIR: python holding connections to the CA service:
# 3 idle; then (once PHASES_DIR/go exists) a slow one (a byte a second)
# and 5 more idle, past the 4 workers. Writes what each was told, and
# when the service cut the slow one, to PHASES_DIR/result.
hold_clients() {
	python3 - "$CERTKEEP_STORE/ca/service.sock" "$1" <<'PY' &
import json, os, socket, struct, sys, time
path, d = sys.argv[1:3]
def conn():
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.settimeout(5)
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    return c, json.loads(c.recv(n, socket.MSG_WAITALL))
held = [conn() for _ in range(3)]
open(d + "/p1", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.05)
slow, g = conn()
told = [g] + [h[1] for h in held]
held += [conn() for _ in range(5)]
told += [h[1] for h in held[3:]]
open(d + "/p2", "w").close()
start, cut = time.monotonic(), None
header = struct.pack(">I", 1000) + b'{"v":2,"op":"submit"'
for b in header:
    try:
        slow.send(bytes([b]))
        slow.settimeout(1)
        if slow.recv(4096) == b"":
            raise OSError
    except socket.timeout:
        continue
    except OSError:
        cut = time.monotonic() - start
        break
json.dump({"ready": sum(1 for t in told if t.get("ready")),
           "busy": sum(1 for t in told if t.get("busy")), "cut": cut}, open(d + "/result", "w"))
PY
	HOLD_PID=$!
}

wait_file() {
	for _ in $(seq 1 200); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "no $1"
}

# Submission time in ms of ck ARGS (exit 0 asserted), in MS.
timed_submit() {
	local t0 t1
	t0=$(date +%s%N)
	must ck "$@"
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

# Idle and slow clients hold at most the workers, each for at most 10 s;
# past them a client is told "busy" and submits in-process at once.
ca_service_slow_clients() {
	local pid d="$T/hold"
	ca_store
	daemon_up
	pid=$DAEMON_PID
	mkdir "$d"
	hold_clients "$d"
	wait_file "$d/p1"
	# 3 of 4 workers held: a submission is still answered by the service.
	csr s /CN=s.example.org
	timed_submit -v ca submit s.csr --out s.pem
	assert_err_contains "submitted to the CA service"
	[ "$MS" -lt 10000 ] || fail "submission beside idle clients took $MS ms"
	echo "beside 3 idle clients: $MS ms" >&2
	expect_exit 0 openssl verify -CAfile ca.pem s.pem
	# Every worker held and 5 clients more: busy, submitted in-process.
	touch "$d/go"
	wait_file "$d/p2"
	timed_submit -v ca submit s.csr --out s2.pem
	assert_err_contains "the CA service is busy: submitting in-process"
	[ "$MS" -lt 10000 ] || fail "submission beside busy workers took $MS ms"
	echo "past the workers: $MS ms" >&2
	expect_exit 0 openssl verify -CAfile ca.pem s2.pem
	wait "$HOLD_PID" || fail "the holding clients failed"
	assert_jq '.ready == 4 and .busy == 5' "$d/result"
	jq -e '.cut != null and .cut > 8 and .cut < 14' "$d/result" > /dev/null ||
		fail "the slow client was not cut at about 10 s: $(cat "$d/result")"
	# The held workers are free again.
	timed_submit -v ca submit s.csr
	assert_err_contains "submitted to the CA service"
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
	grep -q "waited 10 s for a whole submission" "$T/daemon.err" ||
		fail "the daemon did not log the slow client: $(cat "$T/daemon.err")"
}

# vm_kb PID FIELD: a memory figure of the process, in kB.
vm_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# A client streaming up to 1 GiB of frames (a header naming 1000 requests,
# then 1 MiB frames of garbage), and one declaring a 4 GiB header: each is
# cut off early, the daemon's peak memory grows by less than 32 MiB, and it
# serves a real submission afterwards.
ca_service_flood() {
	local pid base peak
	ca_store
	daemon_up
	pid=$DAEMON_PID
	csr s /CN=s.example.org
	must ck -v ca submit s.csr
	assert_err_contains "submitted to the CA service"
	base=$(vm_kb "$pid" VmHWM)
	python3 - "$CERTKEEP_STORE/ca/service.sock" > "$T/flood" <<'PY' || fail "flood: $(cat "$T/flood")"
import json, socket, struct, sys
def flood(first, frame):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    sent = 0
    try:
        c.sendall(first)
        while sent < 1 << 30:
            c.sendall(frame)
            sent += len(frame)
    except OSError:
        pass
    return sent
h = json.dumps({"v": 2, "op": "submit", "requester": "x", "days": 1,
                "names": ["g%d" % i for i in range(1000)]}).encode()
mib = struct.pack(">I", 1 << 20) + b"\x30" * (1 << 20)
print(json.dumps({"frames": flood(struct.pack(">I", len(h)) + h, mib),
                  "huge": flood(struct.pack(">I", 0xFFFFFFFF), b"x" * (1 << 20))}))
PY
	peak=$(vm_kb "$pid" VmHWM)
	echo "VmHWM $base kB before, $peak kB after; sent $(cat "$T/flood")" >&2
	assert_jq '.frames < 64 * 1048576 and .huge < 64 * 1048576' "$T/flood"
	[ $((peak - base)) -lt 32768 ] || fail "the daemon grew by $((peak - base)) kB"
	must ck -v ca submit s.csr --out s.pem
	assert_err_contains "submitted to the CA service"
	expect_exit 0 openssl verify -CAfile ca.pem s.pem
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
}

# A store path too long for a socket address: the service is reached
# through a descriptor of its directory.
ca_service_long_path() {
	local pid
	CERTKEEP_STORE="$T/$(printf 'long%.0s' $(seq 1 30))/store"
	export CERTKEEP_STORE
	must ck ca init --name "Long CA"
	must ck ca policy --allow-suffix example.org
	daemon_up
	pid=$DAEMON_PID
	csr l /CN=l.example.org
	must ck -v ca submit l.csr --out l.pem
	assert_err_contains "submitted to the CA service"
	ck ca show --json | jq -r .RawCertificate > ca.pem
	expect_exit 0 openssl verify -CAfile ca.pem l.pem
	kill -TERM "$pid"
	wait "$pid" || fail "daemon exit $?"
	[ ! -e "$CERTKEEP_STORE/ca/service.sock" ] || fail "the socket outlived its daemon"
}

tcase "ca: issued certificates verify, CA and EE extensions" ca_issue_verifies
tcase "ca: DER and bulk submission" ca_der_and_bulk
tcase "ca: revoke, CRL numbers and reasons, openssl rejects revoked" ca_revoke_crl
tcase "ca: pending, approve, deny" ca_pending_approve_deny
tcase "ca: events carry the request's properties" ca_events_properties
tcase "ca: a subordinate CA completed by install" ca_subordinate_install
tcase "ca: clone renews a certificate the CA issued" ca_clone_renews

# Bad input: exit status, text on stderr (one line), store unchanged.
ca_bad_row() {
	local want=$1 text=$2 args=$3
	ca_store
	must ck --json ca policy --default issue
	csr rsa1024 /CN=weak.example.org "" rsa:1024
	csr evil /CN=www.evil.test
	csr ip /CN=ip.example.org IP:127.0.0.1
	printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=a\\nb.example.org\n' > nl.cnf
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-config nl.cnf -out nl.csr 2> /dev/null || fail "nl.csr"
	head -c 200 w.csr > trunc.csr
	openssl req -in w.csr -outform der -out w.der
	# Flip a byte inside the signature (the DER's last bytes).
	cp w.der badsig.der
	printf '\x01' | dd of=badsig.der bs=1 seek=$(($(stat -c %s w.der) - 6)) conv=notrunc 2> /dev/null
	must ck ca policy --default pending
	csr pend /CN=pend.example.org
	must ck ca submit pend.csr
	must ck ca deny 2
	must ck ca policy --default issue
	must ck ca revoke "$SERIAL" --reason keyCompromise
	snapshot before
	eval "set -- $args"
	expect_exit "$want" ck "$@"
	assert_err_one_line
	assert_err_contains "$text"
	assert_out_empty
	assert_unchanged before
}

while IFS='|' read -r e_exit e_text e_args; do
	case $e_exit in '' | '#'*) continue ;; esac
	e_exit=${e_exit// /}
	e_text=$(printf '%s' "$e_text" | sed 's/^ *//; s/ *$//')
	tcase "ca: bad input: ${e_args# }" ca_bad_row "$e_exit" "$e_text" "$e_args"
done <<'ROWS'
1 | not a PKCS#10          | ca submit $FIX/random.der
1 | not a PKCS#10          | ca submit trunc.csr
1 | empty                  | ca submit $FIX/empty
1 | not valid              | ca submit badsig.der
1 | cannot open 'none.csr' | ca submit w.csr none.csr
1 | badsig.der             | ca submit w.csr evil.csr badsig.der
1 | --email                | ca submit w.csr --email $'a@example.org\r\nBcc: x@evil.test'
1 | --requester            | ca submit w.csr --requester $'bob\nsmith'
1 | no request 99          | ca approve 99
1 | denied, not pending    | ca approve 2
1 | revoked, not pending   | ca deny 1
1 | already revoked        | ca revoke $SERIAL --reason keyCompromise
1 | only a certificateHold | ca unrevoke $SERIAL
1 | no certificate with    | ca revoke 0123456789ABCDEF0123456789ABCDEF
1 | no certificate with    | ca get 0123456789ABCDEF0123456789ABCDEF
1 | no request 42          | ca get 42
1 | invalid serial         | ca revoke XYZ --reason keyCompromise
1 | exists already         | ca init --name Again
1 | has its certificate    | ca install w.pem
2 | --reason takes         | ca revoke $SERIAL --reason removeFromCRL
2 | ca init                | ca bogus
2 | request id             | ca approve abc
2 | --default takes        | ca policy --default maybe
1 | suffix                 | ca policy --allow-suffix 'a..b'
ROWS
# A well-formed request the policy refuses: recorded as denied with the
# reason (event 1103, as AD CS denies on receipt), reported as "Request N:
# Denied (reason)" and exit 1; the other requests of the call are issued.
ca_denied_row() {
	local text=$1 file=$2 denied issued
	ca_store
	csr rsa1024 /CN=weak.example.org "" rsa:1024
	csr evil /CN=www.evil.test
	csr ip /CN=ip.example.org IP:127.0.0.1
	printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=a\\nb.example.org\n' > nl.cnf
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-config nl.cnf -out nl.csr 2> /dev/null || fail "nl.csr"
	issued=$(event_count 1101)
	expect_exit 1 ck ca submit "$file"
	assert_out_empty
	grep -qx "Request 2: Denied (.*$text.*)" "$T/err" || fail "no 'Request 2: Denied' line"
	assert_err_contains "certkeep ca submit: $file: "
	assert_eq 2 "$(wc -l < "$T/err")" "stderr lines"
	must ck --json ca list --denied
	assert_jq 'length == 1 and .[0].RequestID == 2 and .[0].Disposition == "Denied"'
	must ck --json events --id 1103
	assert_jq 'length == 1 and (.[0].Fields | .Disposition == "Denied" and .RequestID == 2
		and (.DispositionMessage | contains("'"$text"'")) and has("SerialNumber") == false
		and (.ResolvedWhen | test("Z$")))'
	# With a good one: the denial is recorded, the good one issued, exit 1.
	expect_exit 1 ck --json ca submit w.csr "$file" --email "web@example.org"
	assert_jq 'length == 2 and .[0].Disposition == "Issued" and .[1].Disposition == "Denied"
		and .[1].RequesterEmail == "web@example.org"'
	assert_eq $((issued + 1)) "$(event_count 1101)" "issued events"
	denied=$(ck ca list --denied --json | jq length)
	assert_eq 2 "$denied" "denied requests"
	# The same through the daemon's CA service.
	daemon_up
	expect_exit 1 ck -v --json ca submit "$file" w.csr
	assert_err_contains "submitted to the CA service"
	assert_jq 'length == 2 and .[0].Disposition == "Denied" and .[1].Disposition == "Issued"'
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || fail "daemon exit $?"
	assert_eq 3 "$(event_count 1103)" "denied events"
	assert_eq $((issued + 2)) "$(event_count 1101)" "issued events"
	must ck --json ca list --denied
	assert_jq 'length == 3 and all(.[]; .Disposition == "Denied")
		and (map(.DispositionMessage) | unique | length) == 1'
}

while IFS='|' read -r e_text e_file; do
	case $e_text in '' | '#'*) continue ;; esac
	e_text=$(printf '%s' "$e_text" | sed 's/^ *//; s/ *$//')
	e_file=${e_file// /}
	tcase "ca: denied by policy, recorded: $e_file" ca_denied_row "$e_text" "$e_file"
done <<'ROWS'
weak key                       | rsa1024.csr
not under an allowed suffix    | evil.csr
only DNS names                 | ip.csr
CR or LF                       | nl.csr
ROWS

# weak_req NAME KEYFILE SUBJ [ARGS...]: a request NAME.csr for the key in
# KEYFILE, openssl req's further ARGS (-sha1, -addext ...) added.
weak_req() {
	local name=$1 key=$2 subj=$3
	shift 3
	openssl req -new -key "$key" -subj "$subj" "$@" -out "$name.csr" 2> /dev/null ||
		fail "openssl req for $name failed"
}

# The CA refuses weak requests whatever its policy: exit 1, naming the
# file and the weakness. A weak signature is no valid request: one line,
# nothing recorded (no request, no event, the store's files unchanged); a
# weak key or an invalid name in a well-signed request is denied and
# recorded (1103, no 1101). The strong ones issue.
ca_weak_requests() {
	local row name text
	ca_store
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2> /dev/null &&
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-pkeyopt rsa_keygen_pubexp:3 -out e3.key 2> /dev/null &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2> /dev/null ||
		fail "openssl genpkey"
	weak_req e3 e3.key /CN=e3.example.org
	weak_req sha1 rsa.key /CN=sha1.example.org -sha1
	weak_req md5 rsa.key /CN=md5.example.org -md5
	weak_req ecsha1 ec.key /CN=ecsha1.example.org -sha1
	weak_req pss rsa.key /CN=pss.example.org -sha256 -sigopt rsa_padding_mode:pss
	weak_req emoji ec.key /CN=ok.example.org -addext "subjectAltName=DNS:xn--ls8h.example.org"
	weak_req punycode ec.key /CN=xn--zz.example.org
	weak_req trailing ec.key /CN=xn--abc-.example.org
	snapshot before
	for row in \
		"sha1|sha1.csr: weak signature: the certificate request is signed with SHA1" \
		"md5|md5.csr: weak signature: the certificate request is signed with MD5" \
		"ecsha1|ecsha1.csr: weak signature: the certificate request is signed with SHA1" \
		"pss|pss.csr: unsupported signature algorithm rsassaPss"; do
		name=${row%%|*} text=${row#*|}
		expect_exit 1 ck ca submit "$name.csr"
		assert_err_one_line
		assert_err_contains "$text"
		assert_out_empty
	done
	assert_unchanged before
	for row in \
		"e3|e3.csr: weak key: RSA public exponent 3 (only 65537 is accepted)" \
		"emoji|emoji.csr: a name in the request: invalid domain name 'xn--ls8h.example.org': 'xn--ls8h' is not a valid IDNA2008 A-label" \
		"punycode|punycode.csr: the request's CN: invalid domain name 'xn--zz.example.org': 'xn--zz' is not a valid IDNA2008 A-label" \
		"trailing|trailing.csr: the request's CN: invalid domain name 'xn--abc-.example.org': a label ends with '-'"; do
		name=${row%%|*} text=${row#*|}
		expect_exit 1 ck ca submit "$name.csr"
		assert_err_contains "$text"
		assert_err_contains "Denied (${text#*.csr: }"
		assert_out_empty
	done
	must ck --json ca list
	assert_jq 'length == 5 and ([.[] | select(.Disposition == "Denied")] | length) == 4'
	must ck --json events --id 1101
	assert_jq 'length == 1'
	must ck --json events --id 1103
	assert_jq 'length == 4'
	# new --domain refuses the same names with the same words.
	expect_exit 1 ck new --domain xn--ls8h.example.org
	assert_err_contains "'xn--ls8h' is not a valid IDNA2008 A-label"
	# Strong requests issue: RSA 2048 (e = 65537) SHA-256, P-256 SHA-384,
	# and an IDN (münchen, bücher) in any case, issued in lower case.
	weak_req rsa rsa.key /CN=rsa.example.org -sha256
	weak_req ec384 ec.key /CN=ec.example.org -sha384
	weak_req idn ec.key /CN=XN--MNCHEN-3YA.example.org \
		-addext "subjectAltName=DNS:xn--mnchen-3ya.example.org,DNS:xn--bcher-kva.example.org"
	must ck --json ca submit rsa.csr ec384.csr idn.csr
	assert_jq 'length == 3 and all(.[]; .Disposition == "Issued")'
	json_get '.[2].RawCertificate' > idn.pem
	expect_exit 0 openssl verify -CAfile ca.pem idn.pem
	expect_exit 0 openssl x509 -in idn.pem -noout -ext subjectAltName
	grep -q 'DNS:xn--mnchen-3ya.example.org, DNS:xn--bcher-kva.example.org' "$T/out" ||
		fail "IDN SAN: $(cat "$T/out")"
	must ck new --domain xn--mnchen-3ya.example.org
	must ck --json events --id 1101
	assert_jq 'length == 4'
}

tcase "ca: weak requests: MD5, SHA-1, RSA-PSS refused; RSA exponent, invalid A-labels denied" \
	ca_weak_requests
tcase "ca: submissions through the daemon's CA service, and without it" ca_service
tcase "ca: the CA service of a store whose path is too long for a socket address" \
	ca_service_long_path
tcase "ca: a CA service that breaks off mid-conversation is exit 4, never issued twice" \
	ca_service_breaks
tcase "ca: idle and slow clients past the CA service's workers delay no submission" \
	ca_service_slow_clients
tcase "ca: the CA service cuts a 1 GiB flood of frames short, its memory bounded" \
	ca_service_flood
