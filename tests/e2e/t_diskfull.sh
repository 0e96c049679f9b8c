# shellcheck shell=bash
# A full disk: the store (and every file a command writes) lives on a small
# tmpfs the case mounts; a filler file takes all of it, or all but a few
# KB. Each command must then fail naming the cause ("No space left on
# device"), leave the store consistent (PRAGMA integrity_check ok, no
# .ck-tmp. file, no key file without its row, no new event), and succeed
# once the filler is gone.

MNT=

# on_tmpfs: mounts a 4 MB tmpfs on $T/mnt, unmounted when the case ends
# however it ends, and puts the store on it.
on_tmpfs() {
	MNT="$T/mnt"
	mkdir -p "$MNT"
	trap 'umount -l "$MNT" 2> /dev/null' EXIT
	trap 'exit 1' TERM
	mount -t tmpfs -o size=4m,mode=0700 certkeep-full "$MNT" || fail "cannot mount a tmpfs"
	export CERTKEEP_STORE="$MNT/store"
}

# fill LEFT_KB: takes all free space, then gives LEFT_KB back.
fill() {
	dd if=/dev/zero of="$MNT/filler" bs=64k status=none 2> /dev/null
	[ "$1" -gt 0 ] && truncate -s "-$1K" "$MNT/filler"
	sync
}

# consistent: the store passes SQLite's check, holds no temporary file and
# no key file without a row, and shows the events it had before.
consistent() {
	local got f id
	got=$(sqlite3 "$CERTKEEP_STORE/certkeep.db" 'PRAGMA integrity_check' 2>&1)
	assert_eq ok "$got" "integrity_check"
	f=$(find "$MNT" -name '*.ck-tmp.*' | head -3)
	[ -z "$f" ] || fail "temporary files left: $f"
	for f in "$CERTKEEP_STORE"/keys/*.pem; do
		[ -e "$f" ] || continue
		id=$(basename "$f" .pem)
		got=$(sqlite3 "$CERTKEEP_STORE/certkeep.db" "SELECT count(*) FROM keys WHERE key_id = '$id'")
		assert_eq 1 "$got" "row for key file $id"
	done
}

# full_case LEFT_KB SETUP ARGS...: SETUP on an empty disk, then ck ARGS on
# a full one (LEFT_KB free) must fail with the cause and change nothing,
# then succeed with the space back.
full_case() {
	local left=$1 setup=$2 events
	shift 2
	on_tmpfs
	$setup
	events=$(ck events --json | jq length)
	fill "$left"
	E2E_LAST="ck $* (disk full, ${left} KB left)"
	ck "$@" > "$T/out" 2> "$T/err" && RC=0 || RC=$?
	[ "$RC" -ne 0 ] || fail "exit 0 on a full disk"
	assert_err_one_line
	assert_err_contains "No space left on device"
	grep -qi "no transaction is active\|out of memory" "$T/err" && fail "the message hides the cause"
	consistent
	rm -f "$MNT/filler"
	must ck list
	must ck events --json
	assert_eq "$events" "$(jq length "$T/out")" "events after the failed command"
	must ck "$@"
	consistent
}

cert_setup() {
	must ck new --domain full.example.org
	THUMB=$(thumb_of full.example.org)
}

ca_setup() {
	must ck ca init --name "Full CA"
	must ck ca policy --allow-suffix example.org
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout w.key \
		-out w.csr -subj /CN=www.example.org 2> /dev/null || fail "openssl req"
}

import_setup() {
	must ck init --hostname mx1 --fqdn mx1.contoso.test
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout i.key \
		-out i.pem -subj /CN=imp.example.org -days 30 2> /dev/null || fail "openssl req"
}

# The case's arguments name $THUMB before it is known: each runs through
# these.
clone_it() {
	ck clone "$THUMB"
}
export_it() {
	ck export "$THUMB" --with-key --out "$MNT/exported.pem"
}
# (--force: the setup's certificate is not enabled for IIS; the disk is
# what is tested here.)
bind_it() {
	ck bind add site --endpoint 127.0.0.1:8443 --service IIS --thumbprint "$THUMB" \
		--cert-file "$MNT/site/cert.pem" --key-file "$MNT/site/key.pem" --force
}

# thumb_case LEFT_KB FUNCTION: full_case for a command that needs $THUMB.
thumb_case() {
	local left=$1 fn=$2
	ck() {
		case $1 in
		@clone) clone_it ;;
		@export) export_it ;;
		@bind) mkdir -p "$MNT/site" && bind_it ;;
		*) "$CK" "$@" ;;
		esac
	}
	full_case "$left" cert_setup "@$fn"
}

for left in 0 8; do
	tcase "diskfull: new (${left} KB free)" full_case "$left" cert_setup new --domain more.example.org
	tcase "diskfull: clone (${left} KB free)" thumb_case "$left" clone
	tcase "diskfull: export --out (${left} KB free)" thumb_case "$left" export
	tcase "diskfull: bind add (${left} KB free)" thumb_case "$left" bind
	tcase "diskfull: import (${left} KB free)" full_case "$left" import_setup \
		import --cert i.pem --key i.key
	tcase "diskfull: ca submit (${left} KB free)" full_case "$left" ca_setup \
		ca submit w.csr
	tcase "diskfull: ca crl (${left} KB free)" full_case "$left" ca_setup ca crl
done
