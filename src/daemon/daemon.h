/*
 * daemon.h - certkeep's long-running process (DESIGN.md §1, §7): the
 * lifecycle pass every interval, and the CA service while it runs. The
 * HTTPS listener will live here too.
 */
#ifndef CK_DAEMON_H
#define CK_DAEMON_H

#include "store/store.h"
#include "base/err.h"

/* Runs on st until SIGTERM or SIGINT (after the pass in hand); SIGHUP
 * starts a pass at once. A pass every interval seconds: renewals, expiry
 * notices, owed reloads, reactions, the CA's CRL when due, then the
 * outbox. The CA service answers on the store's socket meanwhile (events
 * 1106 and 1107). A failed pass is logged and the next one retries;
 * only a failure to start or stop is returned. */
enum ck_err ck_daemon_run(struct store *st, int interval);

#endif
