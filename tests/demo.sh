#!/bin/bash
# make demo: the certificate lifecycle, step by step, on a throwaway store.
# Every command shown is the real binary; nothing outside a temp directory
# is touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTKEEP_STORE="$work/store"
export PATH="$top/bin:$PATH"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

step "1. The host's self-signed certificate (CN = short name, SAN = short name + FQDN)"
run certkeep init --hostname mx1 --fqdn mx1.contoso.test
H=$(certkeep list --domain mx1.contoso.test --json | jq -r '.[0].Thumbprint')

step "2. A certificate for the web site, enabled for HTTPS"
run certkeep new --domain www.contoso.test --domain '*.web.contoso.test' --services HTTPS --days 90
W=$(certkeep list --domain www.contoso.test --json | jq -r '.[0].Thumbprint')

step "3. Enable SMTP on it too: enable adds, never removes"
run certkeep enable "${W:0:12}" --services SMTP

step "4. Which certificates cover a name (a wildcard covers one label)"
run certkeep list --domain shop.web.contoso.test

step "5. Renew the host certificate by cloning: new key, same names and services"
run certkeep clone "$H"

step "6. A request for a CA: the key stays in the store"
run certkeep new --domain api.contoso.test --request-out api.csr
run certkeep list

step "7. A test CA (openssl) issues it; import joins it to the waiting key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -subj /CN=Demo-CA -days 30 2>/dev/null
openssl x509 -req -in api.csr -CA ca.pem -CAkey ca.key -days 30 -copy_extensions copy \
	-out api.pem 2>/dev/null
run certkeep import --cert api.pem --chain ca.pem --json | jq '{Thumbprint, Subject, HasPrivateKey, Services, Status}'

step "8. Export it with its key as PKCS#12 (password from stdin, file mode 0600)"
A=$(certkeep list --domain api.contoso.test --json | jq -r '.[0].Thumbprint')
printf 'demo password\n' | run certkeep export "$A" --pkcs12 --out api.p12 --password-stdin
ls -l api.p12

step "9. Bad input changes nothing: a key that does not match"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
run certkeep import --cert api.pem --key other.key || echo "(exit status $?)"

step "10. Remove the web certificate"
run certkeep remove "$W"

step "11. The event log: every change with its event"
run certkeep events

step "Done"
echo "The store was $CERTKEEP_STORE (removed now)."
