/*
 * renew.h - automatic renewal (DESIGN.md §7): a certificate inside its
 * renewal window is renewed by the monitor, self-signed ones by cloning.
 */
#ifndef CK_RENEW_H
#define CK_RENEW_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"
#include "core/lifecycle/report.h"


/* autorenew on|off (config keys autorenew, renew.days; at most
 * renew.max_per_pass renewals a pass, so a store that was off for long
 * renews in steps). days > 0: the
 * window is the last `days` days before NotAfter; 0: the last third of the
 * certificate's life; -1: leave the window as it is. */
enum ck_err ck_autorenew_set(struct store *st, bool on, int days);
bool ck_autorenew_get(struct store *st, int *days);

/*
 * One pass at `now`: each certificate not replaced by another, with a
 * private key, whose window has begun and whose back-off (after failures)
 * has passed, is renewed (never in the first half of its life, whatever
 * --renew-days says): a self-signed one by clone (event 1001, new
 * validity as long as the old one's). A failure is event 1070 and the next
 * attempt waits 1 h, 2 h, 4 h, ... (at most a day). A renewed certificate
 * is replaced, so it is never renewed twice in its window. Without record,
 * nothing changes and the report says what would be done. Hands out one
 * entry per certificate, each once its renewal (or failure) is durable;
 * due certificates are read a page at a time, so memory does not grow
 * with their number.
 */
enum ck_err ck_renew_pass(struct store *st, int64_t now, bool record,
			  const struct ck_report *out);

#endif
