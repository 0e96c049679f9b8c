# shellcheck shell=bash
# Deployment against an account that can write a binding's directory
# (DESIGN.md §7; src/core/deploy.c, securepath.c): a real unprivileged
# account plants links where certkeep looks, repoints the current
# generation, swaps generations and the directory itself for links, and
# races certkeep while it deploys. Nothing outside the binding may change,
# no key may appear outside it, and each attempt is refused with a message
# naming the directory, or harmless. Directories other accounts can write
# are refused with the fix; paths under /dev, /proc, FIFOs and directories
# are refused by bind add.

# hostile_setup: an account $U (group $G) of its own for this case, removed
# when the case ends however it ends; $B a directory reachable by it
# (outside $T, which is 0700), with $B/victim, root's files that no
# deployment may touch, and $B/home, the account's own directory.
hostile_setup() {
	U="ckhostile$BASHPID"
	B=$(mktemp -d /tmp/certkeep-hostile.XXXXXX) || fail "mktemp"
	# shellcheck disable=SC2064
	trap "hostile_cleanup '$U' '$B'" EXIT
	trap 'exit 1' TERM
	# Other cases add accounts at the same time: useradd may find the
	# account files locked for a moment.
	local i
	for i in $(seq 1 50); do
		useradd --no-create-home --user-group --shell /usr/sbin/nologin "$U" 2> "$T/useradd.err" &&
			break
		sleep 0.1
	done
	id "$U" > /dev/null 2>&1 || fail "useradd $U: $(cat "$T/useradd.err")"
	G=$(id -gn "$U")
	chmod 755 "$B"
	mkdir -p "$B/victim/sub" "$B/home"
	for i in 1 2 3; do
		printf 'root data %s\n' "$i" > "$B/victim/f$i"
		printf 'deep %s\n' "$i" > "$B/victim/sub/g$i"
	done
	ln -s f1 "$B/victim/l1"
	chown "$U:$G" "$B/home"
	victim_snapshot before
}

# hostile_cleanup USER DIR
hostile_cleanup() {
	[ -n "${SWAPPER:-}" ] && kill "$SWAPPER" 2> /dev/null && wait "$SWAPPER" 2> /dev/null
	local i
	for i in $(seq 1 50); do
		userdel "$1" 2> /dev/null
		id "$1" > /dev/null 2>&1 || break
		sleep 0.1
	done
	getent group "$1" > /dev/null && groupdel "$1" 2> /dev/null
	rm -rf "$2"
}

# as_user COMMAND...: runs COMMAND as $U, with no other group.
as_user() {
	setpriv --reuid "$U" --regid "$G" --clear-groups -- "$@"
}

# victim_snapshot NAME: every entry of $B/victim with type, mode, owner,
# size, link target, time of change, and the checksum of every file.
victim_snapshot() {
	(cd "$B/victim" && find . -printf '%p %y %m %u %s %l %C@\n' | sort) > "$T/victim.$1"
	(cd "$B/victim" && find . -type f -exec sha256sum {} + | sort -k2) >> "$T/victim.$1"
}

assert_victim_unchanged() {
	victim_snapshot now
	cmp -s "$T/victim.before" "$T/victim.now" || {
		diff "$T/victim.before" "$T/victim.now" | head -10 | sed 's/^/    /' >&2
		fail "files outside the binding changed ($1)"
	}
}

# assert_key_only_inside DIR KEYFILE: no file under $B outside DIR, nor
# directly in /tmp, holds the key deployed at KEYFILE.
assert_key_only_inside() {
	local line f
	line=$(sed -n 2p "$2")
	[ -n "$line" ] || fail "no key at $2"
	f=$(grep -rlF -- "$line" "$B" /tmp/*.pem 2> /dev/null | grep -v "^$1/" | head -3)
	[ -z "$f" ] || fail "key material outside $1: $f"
}

# The binding's owner is trusted with its own directory: what it plants
# there is never followed, emptied, read or written through.
hostile_owner_plants() {
	local t1 t2 d gen
	hostile_setup
	d="$B/home/tls"
	as_user mkdir "$d" "$B/home/evil"
	as_user sh -c "printf 'evil\n' > '$B/home/evil/cert.pem'"
	must ck new --domain hostile.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	must ck new --domain hostile.test.example --services IIS --json
	t2=$(json_get .Thumbprint)
	must ck bind add web --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key" --owner "$U" --group "$G"
	assert_owner "$d/www.key" "$U"
	assert_mode "$d/www.key" 600

	# A generation name planted as a link to root's files: the monitor's
	# sweep and the next deployment's clean-up leave both alone.
	as_user ln -s "$B/victim" "$d/.certkeep+web+0123456789abcdef"
	must ck monitor --once
	must ck rebind --old "$t1" --new "$t2"
	assert_victim_unchanged "planted generation link"
	[ -L "$d/.certkeep+web+0123456789abcdef" ] || fail "the planted link was replaced"

	# The current generation repointed at the account's own files: the
	# next deployment switches to a new generation by rename and leaves the
	# account's directory as it was.
	as_user ln -sfn "$B/home/evil" "$d/.certkeep+web"
	must ck rebind --old "$t2" --new "$t1"
	gen=$(readlink "$d/.certkeep+web")
	[[ $gen == .certkeep+web+* ]] || fail "current generation is '$gen'"
	assert_owner "$d/$gen" root
	assert_eq "evil" "$(cat "$B/home/evil/cert.pem")" "the account's own file"
	assert_eq "$t1" "$(sha1_of "$d/www.crt")" "www.crt"

	# The current generation swapped for a link to root's files (the
	# account's server would read them: its own choice), and the key path
	# swapped for a link to one of them: the clean-up and the next
	# deployment replace or drop names, never what they point to.
	as_user mv "$d/$gen" "$d/moved"
	as_user ln -s "$B/victim" "$d/$gen"
	as_user rm "$d/www.key"
	as_user ln -s "$B/victim/f1" "$d/www.key"
	must ck monitor --once
	must ck rebind --old "$t1" --new "$t2"
	assert_victim_unchanged "generation and key swapped for links"
	assert_eq "$t2" "$(sha1_of "$d/www.crt")" "www.crt"
	assert_eq "$(pub_of_cert "$d/www.crt")" "$(pub_of_key "$d/www.key")" "www.key"
	must ck bind list --json
	assert_jq 'map(.FilesMatch) == [true]'
	assert_key_only_inside "$B/home" "$d/www.key"
}
tcase "hostile: links the binding's owner plants in its directory are never followed or emptied" \
	hostile_owner_plants

# The directory belongs to another account than root and the binding's
# owner: bind add refuses it; a binding whose directory was given away
# later is refused by rebind, and the monitor's sweep leaves it alone.
hostile_untrusted_dir() {
	local t1 t2 d uid
	hostile_setup
	d="$B/tls"
	uid=$(id -u "$U")
	mkdir "$d"
	chown "$U" "$d"
	must ck new --domain untrusted.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	must ck new --domain untrusted.test.example --services IIS --json
	t2=$(json_get .Thumbprint)
	expect_exit 1 ck bind add web --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key"
	assert_err_one_line
	assert_err_contains "'$d' is owned by uid $uid"
	[ -z "$(ls -A "$d")" ] || fail "a refused bind add wrote into $d"

	# Bound while root's, then handed to the account: the original attack
	# (a generation name planted as a link, then the monitor and a rebind).
	chown root:root "$d"
	must ck bind add web --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key"
	chown "$U" "$d"
	as_user ln -s "$B/victim" "$d/.certkeep+web+0123456789abcdef"
	as_user ln -s "$B/victim" "$d/.certkeep+web+fedcba9876543210"
	must ck monitor --once
	expect_exit 1 ck rebind --old "$t1" --new "$t2"
	assert_err_contains "'$d' is owned by uid $uid"
	assert_victim_unchanged "planted links in a directory the account owns"
	assert_eq "$t1" "$(sha1_of "$d/www.crt")" "www.crt"
	must ck events --id 1053 --json
	assert_jq "length == 1 and (.[0].Fields.Error | contains(\"$d\"))"
}
tcase "hostile: a directory another account owns is refused by bind add and rebind; nothing followed" \
	hostile_untrusted_dir

# The binding's directory renamed and replaced by a link, then the same
# swaps and the plants above raced by a loop running as the account while
# certkeep deploys 200 times.
hostile_race() {
	local t1 t2 d i rc ok=0 refused=0 old new
	hostile_setup
	d="$B/home/tls"
	as_user mkdir "$d" "$B/home/evil"
	must ck new --domain race.test.example --services IIS --json
	t1=$(json_get .Thumbprint)
	must ck new --domain race.test.example --services IIS --json
	t2=$(json_get .Thumbprint)
	must ck bind add web --endpoint 127.0.0.1:443 --service IIS --thumbprint "$t1" \
		--cert-file "$d/www.crt" --key-file "$d/www.key" --combined-file "$d/www.pem" \
		--owner "$U"

	# Renamed and replaced by a link to root's files: refused by name.
	as_user mv "$d" "$d.real"
	as_user ln -s "$B/victim" "$d"
	expect_exit 1 ck rebind --old "$t1" --new "$t2"
	assert_err_contains "'$d' is a symbolic link"
	must ck monitor --once
	assert_victim_unchanged "directory replaced by a link"
	as_user rm "$d"
	as_user mv "$d.real" "$d"

	# As the account, started directly so that $! is the loop itself.
	# shellcheck disable=SC2016
	setpriv --reuid "$U" --regid "$G" --clear-groups -- bash -c '
		d=$1 v=$2 e=$3
		while :; do
			mv "$d" "$d.x" && ln -s "$v" "$d"
			rm -f "$d" && mv "$d.x" "$d"
			ln -sfn "$v" "$d/.certkeep+web+0123456789abcdef"
			ln -sfn "$e" "$d/.certkeep+web.new" && mv -T "$d/.certkeep+web.new" "$d/.certkeep+web"
			for g in "$d"/.certkeep+web+*; do
				[ -d "$g" ] && [ ! -L "$g" ] && mv "$g" "$g.x" && ln -s "$v" "$g"
			done
			ln -sfn "$v/f2" "$d/www.key"
		done' swapper "$d" "$B/victim" "$B/home/evil" > /dev/null 2>&1 &
	SWAPPER=$!
	old=$t1 new=$t2
	for i in $(seq 1 200); do
		"$CK" rebind --old "$old" --new "$new" > "$T/out" 2> "$T/err" && rc=0 || rc=$?
		if [ "$rc" -eq 0 ]; then
			grep -qx "web: moved" "$T/out" || fail "rebind $i: $(cat "$T/out")"
			ok=$((ok + 1))
			old=$new new=$old
		else
			grep -qF -- "$d" "$T/err" ||
				fail "rebind $i failed without naming $d (exit $rc): $(cat "$T/err")"
			refused=$((refused + 1))
		fi
	done
	kill "$SWAPPER"
	wait "$SWAPPER" 2> /dev/null
	SWAPPER=
	echo "race: $ok deployed, $refused refused" > "${HOSTILE_RACE_LOG:-/dev/null}"
	[ "$ok" -gt 0 ] || fail "no rebind went through while raced"
	assert_victim_unchanged "racing swapper"
	# The account's directory put straight, the next deployment is whole.
	[ -L "$d" ] && as_user rm "$d"
	[ -d "$d.x" ] && as_user mv "$d.x" "$d"
	as_user rm -f "$d/www.key"
	must ck rebind --old "$old" --new "$new"
	assert_eq "$new" "$(sha1_of "$d/www.crt")" "www.crt"
	assert_eq "$(pub_of_cert "$d/www.crt")" "$(pub_of_key "$d/www.key")" "www.key"
	assert_eq "$(pub_of_cert "$d/www.pem")" "$(pub_of_key "$d/www.pem")" "www.pem"
	assert_key_only_inside "$B/home" "$d/www.key"
	[ -z "$(find "$B/home" \( -name key.pem -o -name combined.pem \) \( ! -perm 600 -o ! -user "$U" \))" ] ||
		fail "a key file is not 0600 and the account's"
	assert_victim_unchanged "after the race"
}
tcase "hostile: the binding directory renamed, swapped for links, raced by its owner over 200 rebinds" \
	hostile_race

# Directories other accounts can write, with the fix; the sticky-bit
# exception for parents; paths bind add refuses.
hostile_refusals() {
	local t p d gid fifo
	hostile_setup
	p="$B/pub" d="$B/pub/tls"
	gid=$(getent group "$G" | cut -d: -f3)
	mkdir -p "$d"
	must ck new --domain refuse.test.example --services IIS --json
	t=$(json_get .Thumbprint)
	bind_try() {
		expect_exit "$1" ck bind add "s$RANDOM" --endpoint 127.0.0.1:443 --service IIS \
			--thumbprint "$t" --cert-file "$2" --key-file "${2%.crt}.key"
	}
	chgrp "$G" "$d"
	chmod 775 "$d"
	bind_try 1 "$d/a.crt"
	assert_err_one_line
	assert_err_contains "'$d' is writable by group $gid: make it writable only by root or the binding's owner (chmod g-w '$d')"
	chmod 757 "$d"
	bind_try 1 "$d/a.crt"
	assert_err_contains "'$d' is writable by every account"
	assert_err_contains "(chmod o-w '$d')"
	# The sticky bit does not make the binding's own directory safe...
	chmod 1777 "$d"
	bind_try 1 "$d/a.crt"
	assert_err_contains "'$d' is writable by its group and every account"
	[ -z "$(ls -A "$d")" ] || fail "a refused bind add wrote into $d"
	# ...a parent writable by a group is refused, as sticky it is safe.
	chmod 755 "$d"
	chgrp "$G" "$p"
	chmod 775 "$p"
	bind_try 1 "$d/a.crt"
	assert_err_contains "'$p' is writable by group $gid"
	chmod 1777 "$p"
	bind_try 0 "$d/a.crt"
	assert_file "$d/a.crt"
	# A parent a plain account owns, even with no write bit.
	chown "$U" "$p"
	chmod 755 "$p"
	bind_try 1 "$d/b.crt"
	assert_err_contains "'$p' is owned by uid $(id -u "$U")"
	chown root "$p"

	# Paths that are not for certificates and keys.
	bind_try 1 /dev/shm/ck-hostile.crt
	assert_err_contains "under /dev"
	bind_try 1 /proc/ck-hostile.crt
	assert_err_contains "under /proc"
	bind_try 1 /sys/ck-hostile.crt
	assert_err_contains "under /sys"
	fifo="$d/fifo.crt"
	mkfifo "$fifo"
	bind_try 1 "$fifo"
	assert_err_contains "is a FIFO"
	mkdir "$d/dir.crt"
	bind_try 1 "$d/dir.crt"
	assert_err_contains "is a directory"
	ln -s "$B/victim/f1" "$d/l.crt"
	bind_try 1 "$d/l.crt"
	assert_err_contains "symbolic link certkeep did not make"
	bind_try 1 "$d/../pub/tls/c.crt"
	assert_err_contains "plain file path"
	must ck bind list --json
	assert_jq 'length == 1'
	assert_victim_unchanged "refusals"
}
tcase "hostile: group- and world-writable directories and parents refused with the fix; sticky parents ok; /dev, /proc, FIFO, directory paths refused" \
	hostile_refusals
