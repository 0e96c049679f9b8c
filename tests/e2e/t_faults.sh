# shellcheck shell=bash
# Fault injection (STYLE.md: curl torture, SQLite faultsim): write, fsync
# and rename fail under the store and under exported files (libfiu's
# fiu-run makes the POSIX calls fail). The command must exit non-zero, say
# why in one line, and leave the store and any existing file as they were.

# faulty POINT ERRNO ARGS...: runs certkeep with POINT failing with ERRNO
# (renameat too: fiu_at.c, preloaded after fiu-run's libraries).
faulty() {
	local point=$1 err=$2
	shift 2
	[ -e "$T/fiu_at.so" ] || cc -shared -fPIC -o "$T/fiu_at.so" "$E2E_DIR/fiu_at.c" -ldl ||
		fail "cannot build fiu_at.so"
	E2E_LAST="fiu-run ($point=$err) certkeep $*"
	# shellcheck disable=SC2016
	fiu-run -x -c "enable name=$point,failinfo=$err" \
		sh -c 'LD_PRELOAD="$LD_PRELOAD $0" exec "$@"' "$T/fiu_at.so" "$CK" "$@" \
		> "$T/out" 2> "$T/err"
	RC=$?
}

faults_export_keeps_old_file() {
	local t point
	use_store populated
	t=$(thumb_of i.example.org)
	mkdir served
	for point in posix/io/rw/write:28 posix/io/sync/fsync:5 posix/io/dir/rename:5; do
		printf 'previous contents\n' > served/out.pem
		snapshot before
		faulty "${point%:*}" "${point#*:}" export "$t" --with-key --out served/out.pem
		[ "$RC" -eq 1 ] || fail "$point: exit $RC, expected 1"
		assert_err_one_line
		assert_eq "previous contents" "$(cat served/out.pem)" "out.pem after $point"
		assert_eq "out.pem" "$(ls served)" "files left beside out.pem after $point"
		assert_unchanged before
	done
}
tcase_nosan "fiu-run's preloaded failures hit the sanitizer runtime's own calls" "faults: export with write/fsync/rename failing keeps the old file, no event" faults_export_keeps_old_file

faults_store_writes() {
	local point cmd
	use_store populated
	for point in posix/io/rw/write:28 posix/io/rw/write:5 posix/io/sync/fsync:5; do
		snapshot before
		faulty "${point%:*}" "${point#*:}" new --domain fault.example.com
		[ "$RC" -ne 0 ] || fail "$point: new succeeded"
		assert_err_one_line
		assert_unchanged before
		faulty "${point%:*}" "${point#*:}" clone "$(thumb_of i.example.org)"
		[ "$RC" -ne 0 ] || fail "$point: clone succeeded"
		assert_unchanged before
	done
	# And the store still works afterwards.
	must ck new --domain after.example.com
	cmd=$(ck list --domain after.example.com --json | jq length)
	assert_eq 1 "$cmd" "certificates for after.example.com"
}
tcase_nosan "fiu-run's preloaded failures hit the sanitizer runtime's own calls" "faults: new and clone with write/fsync failing change nothing" faults_store_writes

faults_deploy_keeps_old_files() {
	local t1 t2 point d="$T/tls"
	mkdir -p "$d"
	must ck new --domain deploy.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	must ck bind add site --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/s.crt" --key-file "$d/s.key" --combined-file "$d/s.pem" \
		--reload "touch $T/reloaded"
	must ck clone "$t1" --json
	t2=$(json_get .Thumbprint)
	rm -f "$T/reloaded"
	for point in posix/io/rw/write:28 posix/io/rw/write:5 posix/io/sync/fsync:5 \
		posix/io/dir/rename:5; do
		faulty "${point%:*}" "${point#*:}" rebind --old "$t1" --new "$t2"
		[ "$RC" -ne 0 ] || fail "$point: rebind succeeded"
		assert_err_one_line
		assert_eq "$t1" "$(sha1_of "$d/s.crt")" "s.crt after $point"
		assert_eq "$t1" "$(sha1_of "$d/s.pem")" "s.pem after $point"
		assert_eq "$(pub_of_cert "$d/s.crt")" "$(pub_of_key "$d/s.key")" "s.key after $point"
		assert_no_file "$T/reloaded"
		assert_eq 1 "$(find "$d" -maxdepth 1 -name '.certkeep+site+*' | wc -l)" \
			"generations after $point"
		[ -z "$(find "$d" -name '*.ck-tmp.*')" ] || fail "temporary files left after $point"
	done
	# Without the fault it goes through.
	must ck rebind --old "$t1" --new "$t2"
	assert_eq "$t2" "$(sha1_of "$d/s.crt")" "s.crt"
	assert_file "$T/reloaded"
}
tcase_nosan "fiu-run's preloaded failures hit the sanitizer runtime's own calls" "faults: deploy with write/fsync/rename failing keeps the old files and pair, exit non-zero" \
	faults_deploy_keeps_old_files
