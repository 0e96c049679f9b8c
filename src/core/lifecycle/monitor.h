/*
 * monitor.h - one pass of the lifecycle monitor: expiry notices 1003
 * (about to expire, once per certificate and threshold), 1002 (expired)
 * and 12015 (the internal transport certificate expired) (DESIGN.md §6).
 */
#ifndef CK_MONITOR_H
#define CK_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"
#include "core/lifecycle/report.h"

/*
 * Reads the certificates that expire within the largest threshold (an
 * indexed range: the rest of the store is not read) and raises each notice
 * not raised before. A certificate that a newer one replaced gets none.
 * Without record ("what would happen at --at"), nothing is written and the
 * report says what would be raised. One entry per notice goes to out, a
 * page at a time once the page's notices are durable: memory does not grow
 * with the number of certificates due.
 */
enum ck_err ck_monitor(struct store *st, int64_t now, bool record, const struct ck_report *out);

/*
 * The whole lifecycle pass of `monitor --once` and of each daemon interval,
 * at `now`: renewals (autorenew), expiry notices, then the reload commands
 * still owed. The store is read afresh, so what other commands changed is
 * seen. Without record, nothing changes (what-if). To out, in this order:
 * one entry per renewal ("Renewal"), notice ("Id", "Kind"), binding moved
 * ("Site") and reload ("Reload").
 */
enum ck_err ck_monitor_pass(struct store *st, int64_t now, bool record,
			    const struct ck_report *out);

#endif
