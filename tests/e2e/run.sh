#!/bin/bash
# certkeep's end-to-end suite: the real binary (bin/certkeep) against
# throwaway stores. Cases live in tests/e2e/t_*.sh; the runner and helpers
# in tests/e2e/lib.sh.
#
#   bash tests/e2e/run.sh [PATTERN]    run every case (whose name contains PATTERN)
#
# Prints "ok NAME" or "FAIL NAME" (with the reason) per case and ends with
# "e2e: N passed, M failed"; exits non-zero when a case failed.
# Needs: jq openssl sqlite3 setpriv unshare timeout (Debian: jq openssl
# sqlite3 util-linux coreutils).
set -u
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
E2E_TOP=$(cd "$E2E_DIR/../.." && pwd)
CK=${CK:-${CERTKEEP_BIN:-$E2E_TOP/bin/certkeep}}
export E2E_DIR E2E_TOP CK
unset CERTKEEP_STORE
# shellcheck source=tests/e2e/lib.sh
source "$E2E_DIR/lib.sh"

if [ "${1:-}" = "--case" ]; then
	shift
	e2e_run_case "$@"
fi
e2e_main "$@"
