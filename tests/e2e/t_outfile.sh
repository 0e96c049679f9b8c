# shellcheck shell=bash
# Output files users name (--out, --request-out, the CRL's --crl-path): a
# character device, a FIFO and a link to /proc/self/fd/1 are written in
# place and stay what they were (type and inode); a link to a regular file
# of ours is followed and the link stays; a link another account owns, a
# file in a directory others can write, and a directory are refused with
# the reason, and left alone. The real /dev/null is never used as a target,
# and is checked to be a character device at the end of every case.

# ca_ready: a CA allowing example.org and a request w.csr for it.
ca_ready() {
	must ck ca init --name "Output CA"
	must ck ca policy --allow-suffix example.org
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout w.key \
		-out w.csr -subj /CN=www.example.org 2> /dev/null || fail "openssl req"
}

# kind PATH: type and inode, not following a link.
kind() {
	stat -c '%F %i' "$1"
}

# ck_to WANT OUT ARGS...: runs ck ARGS, expecting exit WANT, with @OUT@
# replaced by OUT, @THUMB@ by $THUMB and @N@ by a number new at each call
# (a fresh store for each ca init).
RUN_N=0
ck_to() {
	local want=$1 out=$2 a
	local -a args=()
	shift 2
	RUN_N=$((RUN_N + 1))
	for a in "$@"; do
		a=${a//@OUT@/$out}
		a=${a//@THUMB@/${THUMB:-}}
		args+=("${a//@N@/$RUN_N}")
	done
	expect_exit "$want" ck "${args[@]}"
}

run_to() {
	ck_to 0 "$@"
}

# out_kinds SETUP ARGS...: after SETUP, ck ARGS (with @OUT@ for the output
# path) against each special target and the followed and refused links.
out_kinds() {
	local setup=$1 before pid
	shift
	$setup
	mknod "$T/dev" c 1 3 || fail "mknod"
	mkfifo "$T/fifo" || fail "mkfifo"
	ln -s /proc/self/fd/1 "$T/fd1"

	before=$(kind "$T/dev")
	run_to "$T/dev" "$@"
	assert_eq "$before" "$(kind "$T/dev")" "character device after the write"

	before=$(kind "$T/fifo")
	cat "$T/fifo" > "$T/from-fifo" &
	pid=$!
	run_to "$T/fifo" "$@"
	wait "$pid" || fail "the FIFO's reader failed"
	assert_eq "$before" "$(kind "$T/fifo")" "FIFO after the write"
	grep -q -- '-----BEGIN' "$T/from-fifo" || fail "nothing PEM came through the FIFO"

	before=$(kind "$T/fd1")
	run_to "$T/fd1" "$@"
	assert_eq "$before" "$(kind "$T/fd1")" "link to /proc/self/fd/1 after the write"
	grep -q -- '-----BEGIN' "$T/out" || fail "nothing PEM on stdout through /proc/self/fd/1"

	# A link of ours to a file of ours in a directory of ours: the file is
	# replaced, the link stays a link.
	mkdir -m 700 "$T/real"
	echo old > "$T/real/file"
	ln -s "$T/real/file" "$T/link"
	run_to "$T/link" "$@"
	[ -L "$T/link" ] || fail "the link was replaced"
	grep -q -- '-----BEGIN' "$T/real/file" || fail "the linked file was not written"

	# A link another account owns: refused, its file untouched.
	echo old > "$T/real/other"
	ln -s "$T/real/other" "$T/planted"
	chown -h nobody "$T/planted"
	ck_to 1 "$T/planted" "$@"
	assert_err_contains "is a symbolic link owned by another account"
	assert_eq old "$(cat "$T/real/other")" "the planted link's file"
	[ -L "$T/planted" ] || fail "the planted link was replaced"
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
}

# refusals SETUP ARGS...: a link into a directory others can write, and a
# directory, are refused with the reason.
refusals() {
	local setup=$1
	shift
	$setup
	mkdir -m 1777 "$T/shared"
	echo old > "$T/shared/file"
	ln -s "$T/shared/file" "$T/link"
	ck_to 1 "$T/link" "$@"
	assert_err_contains "in a directory other accounts can write"
	assert_eq old "$(cat "$T/shared/file")" "the file in the shared directory"
	mkdir "$T/dir"
	ck_to 1 "$T/dir" "$@"
	assert_err_contains "is a directory; nothing written"
	[ -d "$T/dir" ] || fail "the directory is gone"
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
}

cert_ready() {
	must ck new --domain out.example.org
	THUMB=$(thumb_of out.example.org)
}

ca_get_ready() {
	ca_ready
	must ck ca submit w.csr
}

crl_path_kinds() {
	# The policy's publish path takes the same way as --out.
	ca_ready
	mknod "$T/crldev" c 1 3 || fail "mknod"
	must ck ca policy --crl-path "$T/crldev"
	must ck ca crl
	[ -c "$T/crldev" ] || fail "the CRL path is no longer a character device"
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
}

ca_init_kinds() {
	out_kinds : --store "$T/s@N@" ca init --name "Sub CA" --request-out @OUT@
}

fifo_without_reader() {
	cert_ready
	mkfifo "$T/fifo"
	expect_exit 1 ck export "$THUMB" --out "$T/fifo"
	assert_err_contains "no process reads the FIFO"
	[ -p "$T/fifo" ] || fail "the FIFO is gone"
}

key_out_is_private() {
	cert_ready
	must ck export "$THUMB" --with-key --out "$T/k.pem"
	assert_mode "$T/k.pem" 600
	# Written again through a link of ours: still 0600.
	ln -s "$T/k.pem" "$T/k-link"
	must ck export "$THUMB" --with-key --out "$T/k-link"
	assert_mode "$T/k.pem" 600
	[ -L "$T/k-link" ] || fail "the link was replaced"
}

# A key is never shown on a terminal, whatever name leads to it; the
# certificate alone may be. script(1) gives the command a terminal.
key_not_to_terminal() {
	local out
	cert_ready
	for out in /dev/stdout /dev/tty /proc/self/fd/1; do
		script -qec "$CK export $THUMB --with-key --out $out" /dev/null > "$T/tty" 2>&1 &&
			fail "export --with-key --out $out on a terminal succeeded"
		grep -q 'is a terminal: a private key is never printed' "$T/tty" ||
			fail "export --with-key --out $out: $(head -c 300 "$T/tty")"
		grep -q 'PRIVATE KEY' "$T/tty" && fail "the key reached the terminal through $out"
	done
	script -qec "$CK export $THUMB --out /dev/stdout" /dev/null > "$T/tty" 2>&1 ||
		fail "export --out /dev/stdout of the certificate failed: $(head -c 300 "$T/tty")"
	grep -q 'BEGIN CERTIFICATE' "$T/tty" || fail "no certificate on the terminal"
}

tcase "outfile: export --out a device, a FIFO, /proc/self/fd/1, links" \
	out_kinds cert_ready export @THUMB@ --out @OUT@
tcase "outfile: new --request-out a device, a FIFO, /proc/self/fd/1, links" \
	out_kinds : new --domain req.example.org --request-out @OUT@
tcase "outfile: ca submit --out a device, a FIFO, /proc/self/fd/1, links" \
	out_kinds ca_ready ca submit w.csr --out @OUT@
tcase "outfile: ca get --out a device, a FIFO, /proc/self/fd/1, links" \
	out_kinds ca_get_ready ca get 1 --out @OUT@
tcase "outfile: ca crl --out a device, a FIFO, /proc/self/fd/1, links" \
	out_kinds ca_ready ca crl --out @OUT@
tcase "outfile: ca init --request-out a device, a FIFO, /proc/self/fd/1, links" ca_init_kinds
tcase "outfile: ca policy --crl-path a character device stays one" crl_path_kinds
tcase "outfile: export --out a shared directory's link or a directory is refused" \
	refusals cert_ready export @THUMB@ --out @OUT@
tcase "outfile: ca crl --out a shared directory's link or a directory is refused" \
	refusals ca_ready ca crl --out @OUT@
tcase "outfile: a FIFO nobody reads fails at once" fifo_without_reader
tcase "outfile: a key written with --out is 0600, through a link too" key_out_is_private
tcase "outfile: a key is never written to a terminal (/dev/stdout, /dev/tty, /proc/self/fd/1)" \
	key_not_to_terminal
