# shellcheck shell=bash disable=SC2015
# nginx.sh - a private, throwaway nginx for end-to-end cases: a real HTTPS
# server on 127.0.0.1 serving a given certificate and key (REFERENCE.md
# Part B §2.2: nginx is a rebinding target, files replaced then reload).
#
# Sourced by a case file (source "$E2E_DIR/nginx.sh"), used inside a case
# (it needs lib.sh's $T and fail), from the case's main shell (not inside
# $(...): the case's shell must be nginx's parent):
#
#     nginx_start "$T/cert.pem" "$T/key.pem" www.test.example  # sets NGX_PORT, NGX_PID
#     nginx_served_sha1 www.test.example                       # 40 upper-case hex
#     ... replace the files (temp + mv) ...; nginx_reload
#     nginx_stop                                               # also run on exit
#
# Each instance is Debian's nginx 1.22 run as `nginx -p $NGX_DIR/ -c
# $NGX_DIR/nginx.conf -e $NGX_DIR/error.log` with `daemon off;`, in the
# background, so $NGX_PID is the master and a child of the case's shell.
# Every piece of state is under $NGX_DIR=$T/nginx: nginx.conf written here
# (/etc/nginx is neither read nor touched, nor are Debian's modules
# loaded), the pid file, the error log (-e also covers the messages
# logged before the configuration is read: Debian's compiled-in error log
# is stderr), every *_temp_path; access_log is off. The page is a
# `return 200` text, so the workers (nobody:nogroup, the master is root)
# never open a file: $T stays 0700 and they do not need to reach it.
#
# Facts this relies on (Debian 12, nginx-light 1.22.1, checked):
# - the master binds (in ngx_init_cycle) before it writes its pid file and
#   starts the workers; it listens about 0.05-0.1 s after the exec;
# - a port that is taken makes nginx retry bind() 5 times, 500 ms apart,
#   then exit 1 ("still could not bind()"): we do not wait for that, we
#   see "Address already in use" in the error log, kill it and retry on
#   another port;
# - `nginx -s reload` parses the whole configuration, loading the
#   certificate and key, before it signals the master: a missing file or a
#   key that does not match the certificate makes it exit 1 ([emerg]
#   SSL_CTX_use_PrivateKey ... key values mismatch) without signalling,
#   and the running nginx goes on serving the old certificate. An exit 0
#   only means the HUP was sent: the master reloads asynchronously and old
#   workers finish gracefully, so a case waits (bounded) for the new
#   certificate (see t_nginx_smoke.sh);
# - a graceful stop (QUIT) or reload waits for the old workers' open
#   connections, and a client that connected but sent nothing holds one
#   for client_header_timeout (60 s by default): worker_shutdown_timeout
#   1s caps that (a stop with such a client took 5.9 s, now 1.1 s);
# - a background command of a non-interactive bash starts with SIGINT and
#   SIGQUIT ignored, but nginx installs its own handlers, so QUIT (graceful
#   stop) works;
# - the master runs under `setpriv --pdeathsig TERM`: if the case's shell
#   dies without running its traps (SIGKILL from the runner's timeout -k),
#   the kernel sends the master TERM (fast shutdown, workers included)
#   instead of leaving an orphan nginx listening.
#
# Needs: nginx-light (or nginx), iproute2 (ss), openssl, util-linux
# (setpriv), coreutils (timeout).

# The instance of this case (none yet).
NGX_DIR=
NGX_PORT=
NGX_PID=

# ngx_listening PORT: true if something listens on PORT (TCP).
ngx_listening() {
	[ -n "$(ss -Hltn "sport = :$1" 2> /dev/null)" ]
}

# ngx_ours_listening: true if $NGX_PID itself listens on $NGX_PORT (ss -p,
# so not someone else who took the port between our look and the bind).
ngx_ours_listening() {
	ss -Hltnp "sport = :$NGX_PORT" 2> /dev/null | grep -q "pid=$NGX_PID,"
}

# ngx_alive PID: true if PID runs (a zombie, dead but not yet waited for,
# does not count).
ngx_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# ngx_pick_port: prints a free port, not listening now, in 10000-19999:
# below the ephemeral range (32768-60999) and apart from postfix.sh's
# 20000-31999, so parallel cases rarely collide.
ngx_pick_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % 10000))
		ngx_listening "$p" || { echo "$p"; return 0; }
	done
	return 1
}

# ngx_cmd ARGS...: runs nginx on this instance's prefix and configuration.
ngx_cmd() {
	nginx -p "$NGX_DIR/" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" "$@"
}

# ngx_write_config CERT KEY SERVER_NAME: nginx.conf for port $NGX_PORT.
ngx_write_config() {
	cat > "$NGX_DIR/nginx.conf" <<-EOF
		# Written by tests/e2e/nginx.sh for one test case.
		daemon off;
		master_process on;
		worker_processes 1;
		user nobody nogroup;
		pid $NGX_DIR/nginx.pid;
		error_log $NGX_DIR/error.log notice;
		# A graceful stop or reload waits for open connections (a client
		# that connected and said nothing holds one for 60 s): at most 1 s.
		worker_shutdown_timeout 1s;
		events {
		    worker_connections 64;
		}
		http {
		    access_log off;
		    client_header_timeout 5s;
		    keepalive_timeout 5s;
		    client_body_temp_path $NGX_DIR/tmp/body;
		    proxy_temp_path $NGX_DIR/tmp/proxy;
		    fastcgi_temp_path $NGX_DIR/tmp/fastcgi;
		    uwsgi_temp_path $NGX_DIR/tmp/uwsgi;
		    scgi_temp_path $NGX_DIR/tmp/scgi;
		    server {
		        listen 127.0.0.1:$NGX_PORT ssl;
		        server_name $3;
		        ssl_certificate $1;
		        ssl_certificate_key $2;
		        location / {
		            default_type text/plain;
		            return 200 "certkeep e2e nginx\n";
		        }
		    }
		}
	EOF
}

# ngx_log_tail [N]: the last N lines of the error log and nginx's own
# stdout/stderr, indented.
ngx_log_tail() {
	[ -s "$NGX_DIR/error.log" ] && tail -n "${1:-15}" "$NGX_DIR/error.log" | sed 's/^/    log: /'
	[ -s "$NGX_DIR/stderr" ] && tail -n 5 "$NGX_DIR/stderr" | sed 's/^/    stderr: /'
	[ -s "$NGX_DIR/cmd.out" ] && sed 's/^/    out: /' "$NGX_DIR/cmd.out"
	return 0
}

# ngx_fail MESSAGE: fails the case, showing the instance's log.
ngx_fail() {
	ngx_log_tail 20 >&2
	E2E_LAST='' fail "nginx: $*"
}

# ngx_kill_wait PID: stops a master that did not come up (TERM, then
# KILL) and reaps it.
ngx_kill_wait() {
	local i
	kill -TERM "$1" 2> /dev/null
	for i in $(seq 1 30); do
		ngx_alive "$1" || break
		[ "$i" = 20 ] && kill -KILL "$1" 2> /dev/null
		sleep 0.1
	done
	wait "$1" 2> /dev/null
	return 0
}

# nginx_start CERT KEY [SERVER_NAME]: starts a private nginx listening
# `ssl` on 127.0.0.1:$NGX_PORT (a free high port) with CERT and KEY (both
# may be one combined PEM file), server_name SERVER_NAME (default
# localhost; it is the default server either way). Exports NGX_PORT,
# NGX_PID and NGX_DIR; returns once the master listens. Installs an EXIT
# trap (kept in front of any existing one) and a TERM/INT/HUP trap, so the
# instance is stopped however the case ends. Fails the case, with the
# error log, on any error.
nginx_start() {
	local cert=$1 key=$2 name=${3:-localhost} try i prev
	[ -z "$NGX_PID" ] || fail "nginx_start: an instance is already running (pid $NGX_PID)"
	command -v nginx > /dev/null ||
		fail "nginx is not installed (see tests/e2e/nginx.sh: Needs)"
	[ -r "$cert" ] && [ -r "$key" ] || fail "nginx_start: cannot read $cert or $key"
	# Absolute paths: nginx would take relative ones from its prefix.
	[[ $cert == /* ]] || cert=$PWD/$cert
	[[ $key == /* ]] || key=$PWD/$key
	NGX_DIR=$T/nginx
	export NGX_DIR
	prev=$(trap -p EXIT)
	if [ -n "$prev" ]; then
		eval "set -- $prev"
		prev=$3
	fi
	# A second start in the same case finds nginx_stop there already.
	# shellcheck disable=SC2064
	[[ $prev == "nginx_stop; "* ]] || trap "nginx_stop; $prev" EXIT
	trap 'exit 143' TERM INT HUP
	mkdir -p "$NGX_DIR/tmp" || fail "nginx_start: mkdir $NGX_DIR"
	for try in 1 2 3; do
		NGX_PORT=$(ngx_pick_port) || fail "nginx_start: no free port"
		NGX_PID=
		export NGX_PORT NGX_PID
		ngx_write_config "$cert" "$key" "$name"
		rm -f "$NGX_DIR/error.log" "$NGX_DIR/nginx.pid"
		setpriv --pdeathsig TERM \
			nginx -p "$NGX_DIR/" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" \
			< /dev/null > "$NGX_DIR/stderr" 2>&1 &
		NGX_PID=$!
		# At most 5 s (it takes about 0.1 s).
		for i in $(seq 1 100); do
			ngx_ours_listening && return 0
			# Another case took the port between our look and the bind.
			if grep -q "bind() to 127.0.0.1:$NGX_PORT failed (98" "$NGX_DIR/error.log" \
				2> /dev/null; then
				ngx_kill_wait "$NGX_PID"
				NGX_PID=
				[ "$try" -lt 3 ] && continue 2
				ngx_fail "port $NGX_PORT in use (3 tries)"
			fi
			if ! ngx_alive "$NGX_PID"; then
				wait "$NGX_PID" 2> /dev/null
				NGX_PID=
				ngx_fail "nginx exited at start (port $NGX_PORT)"
			fi
			sleep 0.05
		done
		ngx_kill_wait "$NGX_PID"
		NGX_PID=
		ngx_fail "not listening on 127.0.0.1:$NGX_PORT 5 s after start"
	done
}

# nginx_reload: makes the running instance read its configuration and the
# certificate and key files again (after the case replaced them), with
# `nginx -s reload`; returns its exit status (1 if the new files do not
# load, then nothing is signalled and the old certificate stays served).
# Returns at once: the reload itself is asynchronous. nginx's output is in
# $NGX_DIR/cmd.out.
nginx_reload() {
	[ -n "$NGX_PID" ] || fail "nginx_reload: no instance running"
	ngx_cmd -s reload > "$NGX_DIR/cmd.out" 2>&1
}

# nginx_stop: stops the instance gracefully (QUIT to the master) and waits
# (at most 10 s; TERM after 5 s, KILL after 8 s) until the master is gone
# and the port is closed. Safe to call twice, with no instance, and from a
# trap: it never calls fail, and returns 1 only if the port stays open.
# NGX_DIR stays set (its error.log can still be read); NGX_PID is cleared.
nginx_stop() {
	local i pid=$NGX_PID port=$NGX_PORT
	[ -n "$pid" ] || return 0
	NGX_PID=
	kill -QUIT "$pid" 2> /dev/null
	for i in $(seq 1 100); do
		if ! ngx_alive "$pid" && ! ngx_listening "$port"; then
			wait "$pid" 2> /dev/null
			return 0
		fi
		[ "$i" = 50 ] && kill -TERM "$pid" 2> /dev/null
		[ "$i" = 80 ] && kill -KILL "$pid" 2> /dev/null
		sleep 0.1
	done
	wait "$pid" 2> /dev/null
	echo "    nginx_stop: port $port still open after 10 s" >&2
	ngx_log_tail 10 >&2
	return 1
}

# nginx_served_sha1 [SNI]: the SHA-1 fingerprint (40 upper-case hex
# digits, the certkeep thumbprint format) of the certificate the instance
# presents, as openssl s_client sees it, with SNI if given (none
# otherwise); empty if none. At most 5 s.
nginx_served_sha1() {
	local sni=(-noservername)
	[ -n "${1:-}" ] && sni=(-servername "$1")
	timeout 5 openssl s_client -connect "127.0.0.1:$NGX_PORT" "${sni[@]}" \
		< /dev/null 2> /dev/null |
		openssl x509 -noout -fingerprint -sha1 2> /dev/null | sed 's/.*=//; s/://g'
}
