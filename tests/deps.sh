#!/bin/sh
# Installs the Debian packages given as arguments that are not installed yet.
# Runs apt-get only as root and only when something is missing; a non-root
# user with everything installed gets no prompt at all.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing (run 'make check' as root, or apt-get install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test server only: no configuration, and (with the image's
# policy-rc.d) not started; the tests run their own instances.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
