# shellcheck shell=bash disable=SC2015
# nginx as a real HTTPS server (REFERENCE.md Part B §2.2, a rebinding
# target): it serves a certificate certkeep made and exported (separate
# certificate and key files), and after both files are replaced atomically
# and nginx reloaded, the renewed one. Helpers in tests/e2e/nginx.sh.

# shellcheck source=tests/e2e/nginx.sh
source "$E2E_DIR/nginx.sh"

# ngx_wait_served SHA1: waits (at most 5 s) until nginx serves SHA1 (a
# reload is asynchronous: the master re-reads, old workers drain).
ngx_wait_served() {
	local i got=
	for i in $(seq 1 50); do
		got=$(nginx_served_sha1 www.test.example)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
	done
	fail "served certificate: expected $1, got '${got:-none}'"
}

# ngx_export_pair THUMBPRINT NAME: $T/NAME.crt and $T/NAME.key, the key
# being the key block of the combined export.
ngx_export_pair() {
	must ck export "$1" --out "$T/$2.crt"
	must ck export "$1" --with-key --out "$T/$2.both.pem"
	sed -n '/-----BEGIN PRIVATE KEY-----/,/-----END PRIVATE KEY-----/p' "$T/$2.both.pem" \
		> "$T/$2.key" || fail "sed"
	grep -q 'BEGIN PRIVATE KEY' "$T/$2.key" || fail "no PRIVATE KEY block in $2.both.pem"
	assert_eq "$(pub_of_cert "$T/$2.crt")" "$(pub_of_key "$T/$2.key")" "public key of $2.key"
}

nginx_serves_and_reloads() {
	local t1 t2
	must ck new --domain www.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	ngx_export_pair "$t1" www
	# nginx reads the live names; replacements are renamed over them.
	mv "$T/www.crt" "$T/cert.pem" && mv "$T/www.key" "$T/key.pem" || fail "mv"
	nginx_start "$T/cert.pem" "$T/key.pem" www.test.example
	assert_eq "$t1" "$(nginx_served_sha1 www.test.example)" "certificate served after start"
	assert_eq "$t1" "$(nginx_served_sha1)" "certificate served without SNI"

	# Renew, replace both files atomically (temp name + rename), reload.
	must ck clone "$t1" --json
	t2=$(json_get .Thumbprint)
	assert_ne "$t1" "$t2" "thumbprint after clone"
	ngx_export_pair "$t2" new
	mv "$T/new.key" "$T/key.pem" && mv "$T/new.crt" "$T/cert.pem" ||
		fail "cannot replace cert.pem/key.pem"
	nginx_reload || { sed 's/^/    /' "$NGX_DIR/cmd.out" >&2; fail "nginx -s reload failed"; }
	ngx_wait_served "$t2"

	local port=$NGX_PORT
	nginx_stop || fail "nginx_stop failed"
	ngx_listening "$port" && fail "port $port still open after nginx_stop"
	nginx_stop || fail "a second nginx_stop failed"
}
tcase "nginx: serves the exported certificate over HTTPS, the renewed one after reload" \
	nginx_serves_and_reloads
