# shellcheck shell=bash disable=SC2015
# postfix.sh - a private, throwaway Postfix for end-to-end cases: a real
# STARTTLS server on 127.0.0.1 serving a given certificate and key
# (DESIGN.md §11: Postfix is the STARTTLS rebinding target).
#
# Sourced by a case file (source "$E2E_DIR/postfix.sh"), used inside a case
# (it needs lib.sh's $T and fail):
#
#     postfix_start mx.test.example "$T/mx.pem" "$T/mx.pem"  # sets PF_PORT, PF_DIR
#     ... replace the files ...; postfix_reload
#     postfix_stop                                           # also run on exit
#
# Each instance is Debian's postfix 3.7 run as `postfix -c $PF_DIR/conf`,
# with every piece of state under $PF_DIR=$T/postfix: main.cf and master.cf
# written here (not derived from /etc/postfix, which stays untouched and
# may not even have a main.cf), queue_directory, data_directory and the
# log ($PF_DIR/maillog: maillog_file_prefixes is widened to $PF_DIR, since
# the default allows only /var and /dev/stdout). So parallel cases each run
# their own instance on their own port. Postfix needs no
# alternate_config_directories entry for this: the postfix command is run
# by root and is not set-gid.
#
# Facts this relies on (Debian 12, checked): the master opens
# data_directory/master.lock as the postfix user, so that directory is
# owned by postfix and $T is made 0711 (searchable, not listable); `postfix
# start` creates the queue directories itself (post-install create-missing)
# and exits 0 only once the master listens, 1 when it cannot bind; `postfix
# reload` returns at once and the next connection already gets the new
# certificate; a key that does not match is not caught by `postfix check`
# or `reload`: EHLO still offers STARTTLS and STARTTLS answers "454 4.7.0
# TLS not available due to local problem"; a main.cf written less than
# about 2 s ago makes every Postfix command wait until it is 2 s old
# (dated back below). A first start takes 0.8-1.2 s (half of it creating
# the queue), a start that cannot bind about 3.5 s (then we retry on
# another port).
#
# Nothing is delivered: every transport is error:, so a bounce or a
# postmaster notice dies in the queue instead of looking up DNS.
#
# Needs: postfix (installed with the debconf answer "postfix
# postfix/main_mailer_type select No configuration"), iproute2 (ss),
# openssl.

# The instance of this case (none yet).
PF_DIR=
PF_PORT=

# pf_listening PORT: true if something listens on 127.0.0.1:PORT.
pf_listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2> /dev/null)" ]
}

# pf_pick_port: prints a free port below the ephemeral range (so that
# kernel-chosen ports of other tests do not collide), not listening now.
pf_pick_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		pf_listening "$p" || { echo "$p"; return 0; }
	done
	return 1
}

# pf_cmd COMMAND ARGS...: runs a Postfix command (postfix, postconf) on
# this instance's configuration.
pf_cmd() {
	local cmd=$1
	shift
	"$cmd" -c "$PF_DIR/conf" "$@"
}

# pf_write_config FQDN CERT KEY [NAME=VALUE...]: main.cf and master.cf.
pf_write_config() {
	local fqdn=$1 cert=$2 key=$3 kv
	shift 3
	cat > "$PF_DIR/conf/main.cf" <<-EOF
		# Written by tests/e2e/postfix.sh for one test case.
		compatibility_level = 3.6
		queue_directory = $PF_DIR/queue
		data_directory = $PF_DIR/data
		maillog_file_prefixes = /var, /dev/stdout, $PF_DIR
		maillog_file = $PF_DIR/maillog
		syslog_name = postfix-e2e
		myhostname = $fqdn
		mydestination =
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		alias_maps =
		alias_database =
		default_transport = error:certkeep e2e: no delivery
		relay_transport = error:certkeep e2e: no delivery
		local_transport = error:certkeep e2e: no delivery
		smtpd_tls_cert_file = $cert
		smtpd_tls_key_file = $key
		smtpd_tls_security_level = may
		smtpd_tls_loglevel = 1
	EOF
	# Whatever the case adds (or overrides), last wins in main.cf.
	for kv in "$@"; do
		printf '%s\n' "${kv/=/ = }" >> "$PF_DIR/conf/main.cf"
	done
	# Postfix re-reads a main.cf modified in the last second or two, in
	# 300 ms steps, until it is "cold" (dict_load_file_xt: "the file is
	# hot"): a fresh file would cost every command about 2 s. Date it back.
	touch -d '-10 seconds' "$PF_DIR/conf/main.cf"
	# Debian's services without chroot (the chroot would need copies of
	# /etc files under the queue) and without the optional pipe examples.
	cat > "$PF_DIR/conf/master.cf" <<-EOF
		127.0.0.1:$PF_PORT inet n - n - - smtpd
		pickup     unix  n - n 60    1 pickup
		cleanup    unix  n - n -     0 cleanup
		qmgr       unix  n - n 300   1 qmgr
		tlsmgr     unix  - - n 1000? 1 tlsmgr
		rewrite    unix  - - n -     - trivial-rewrite
		bounce     unix  - - n -     0 bounce
		defer      unix  - - n -     0 bounce
		trace      unix  - - n -     0 bounce
		verify     unix  - - n -     1 verify
		flush      unix  n - n 1000? 0 flush
		proxymap   unix  - - n -     - proxymap
		proxywrite unix  - - n -     1 proxymap
		smtp       unix  - - n -     - smtp
		relay      unix  - - n -     - smtp
		showq      unix  n - n -     - showq
		error      unix  - - n -     - error
		retry      unix  - - n -     - error
		discard    unix  - - n -     - discard
		local      unix  - n n -     - local
		virtual    unix  - n n -     - virtual
		lmtp       unix  - - n -     - lmtp
		anvil      unix  - - n -     1 anvil
		scache     unix  - - n -     1 scache
		postlog    unix-dgram n - n - 1 postlogd
	EOF
}

# pf_log_tail [N]: the last N lines of the instance's log, indented.
pf_log_tail() {
	[ -f "$PF_DIR/maillog" ] && tail -n "${1:-15}" "$PF_DIR/maillog" | sed 's/^/    log: /'
	[ -s "$PF_DIR/cmd.out" ] && sed 's/^/    out: /' "$PF_DIR/cmd.out"
	return 0
}

# pf_fail MESSAGE: fails the case, showing the instance's log.
pf_fail() {
	pf_log_tail 20 >&2
	E2E_LAST='' fail "postfix: $*"
}

# postfix_start FQDN CERT KEY [NAME=VALUE...]: starts a private Postfix on
# 127.0.0.1:$PF_PORT (a free high port) whose smtpd offers STARTTLS with
# CERT and KEY (both may be one combined PEM file) and says FQDN in its
# greeting; extra main.cf settings may follow. Exports PF_PORT and PF_DIR;
# returns once the port listens. Installs an EXIT trap (kept in front of
# any existing one) and a TERM/INT/HUP trap, so the instance is stopped
# however the case ends. Fails the case, with the log, on any error.
postfix_start() {
	local fqdn=$1 cert=$2 key=$3 try i prev
	shift 3
	[ -z "$PF_DIR" ] || fail "postfix_start: an instance is already running in $PF_DIR"
	command -v postfix > /dev/null ||
		fail "postfix is not installed (see tests/e2e/postfix.sh: Needs)"
	[ -r "$cert" ] && [ -r "$key" ] || fail "postfix_start: cannot read $cert or $key"
	PF_DIR=$T/postfix
	export PF_DIR
	prev=$(trap -p EXIT)
	if [ -n "$prev" ]; then
		eval "set -- $prev \"\$@\""
		prev=$3
		shift 4
	fi
	# shellcheck disable=SC2064
	trap "postfix_stop; $prev" EXIT
	trap 'exit 143' TERM INT HUP
	mkdir -p "$PF_DIR/conf" "$PF_DIR/queue" "$PF_DIR/data" || fail "postfix_start: mkdir"
	# The master opens data_directory/master.lock as the postfix user, so
	# it must reach it: $T searchable (not readable), data/ its own.
	chmod 0711 "$T" && chown postfix:postfix "$PF_DIR/data" && chmod 0700 "$PF_DIR/data" ||
		fail "postfix_start: cannot prepare $PF_DIR"
	for try in 1 2 3; do
		PF_PORT=$(pf_pick_port) || fail "postfix_start: no free port"
		export PF_PORT
		pf_write_config "$fqdn" "$cert" "$key" "$@"
		if pf_cmd postfix start > "$PF_DIR/cmd.out" 2>&1; then
			break
		fi
		# Another case took the port between our look and the bind.
		grep -q "bind 127.0.0.1 port $PF_PORT: Address already in use" "$PF_DIR/maillog" \
			2> /dev/null && [ "$try" -lt 3 ] && continue
		pf_fail "postfix start failed (port $PF_PORT)"
	done
	# `postfix start` returns when the master has bound; check anyway.
	for i in $(seq 1 100); do
		pf_listening "$PF_PORT" && return 0
		sleep 0.05
	done
	pf_fail "not listening on 127.0.0.1:$PF_PORT 5 s after start"
}

# postfix_reload: makes the running instance read its configuration and
# the certificate and key files again (after the case replaced them).
postfix_reload() {
	[ -n "$PF_DIR" ] || fail "postfix_reload: no instance running"
	pf_cmd postfix reload > "$PF_DIR/cmd.out" 2>&1 || pf_fail "postfix reload failed"
	pf_listening "$PF_PORT" || pf_fail "not listening on $PF_PORT after reload"
}

# postfix_stop: stops the instance and waits (at most 10 s) until the
# master is gone and the port is closed; kills it if it does not stop.
# Safe to call twice, with no instance, and from a trap: it never calls
# fail, and returns 1 only if the port stays open.
postfix_stop() {
	local i pid
	[ -n "$PF_DIR" ] && [ -f "$PF_DIR/conf/main.cf" ] || return 0
	pid=$(tr -dc '0-9' < "$PF_DIR/queue/pid/master.pid" 2> /dev/null)
	pf_cmd postfix stop > /dev/null 2>&1
	for i in $(seq 1 100); do
		if ! pf_cmd postfix status > /dev/null 2>&1 && ! pf_listening "$PF_PORT"; then
			PF_DIR=
			return 0
		fi
		[ "$i" = 50 ] && pf_cmd postfix abort > /dev/null 2>&1
		[ "$i" = 80 ] && [ -n "$pid" ] && kill -9 "$pid" 2> /dev/null
		sleep 0.1
	done
	echo "    postfix_stop: port $PF_PORT still open after 10 s" >&2
	pf_log_tail 10 >&2
	PF_DIR=
	return 1
}

# postfix_served_sha1 [SNI]: the SHA-1 fingerprint (40 upper-case hex
# digits) of the certificate the instance presents after STARTTLS, as
# openssl s_client sees it; empty if none.
postfix_served_sha1() {
	echo QUIT | timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$PF_PORT" \
		${1:+-servername "$1"} 2> /dev/null |
		openssl x509 -noout -fingerprint -sha1 2> /dev/null | sed 's/.*=//; s/://g'
}
