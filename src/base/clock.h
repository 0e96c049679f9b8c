/*
 * clock.h - the one source of time (DESIGN.md §1).
 *
 * No other code calls time(): tests and what-if queries (--at TIME) set the
 * clock here, and every validity or expiry decision reads it.
 */
#ifndef CK_CLOCK_H
#define CK_CLOCK_H

#include <stdint.h>
#include <stddef.h>

#include "base/err.h"

/* Seconds since the epoch, UTC: the fixed time if one is set, else now. */
int64_t ck_now(void);

/* Fixes the clock at t (seconds since the epoch); ck_clock_reset undoes it. */
void ck_clock_set(int64_t t);
void ck_clock_reset(void);

/* Parses RFC 3339 UTC ("2026-11-23T10:00:00Z", fractional seconds and
 * numeric offsets accepted) or a plain date ("2026-11-23", midnight UTC). */
enum ck_err ck_time_parse(const char *s, int64_t *out);

/* Formats t as RFC 3339 UTC ("2026-11-23T10:00:00Z") into buf (>= 21). */
void ck_time_format(int64_t t, char *buf, size_t n);

#endif
