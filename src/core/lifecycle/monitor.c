/*
 * monitor.c - expiry notices, each once (DESIGN.md §6).
 *
 * A notice is remembered in the notices table in the same transaction as
 * its event, so a crash can neither lose a notice nor raise it twice.
 */
#include "core/lifecycle/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle/bindings.h"
#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "core/lifecycle/renew.h"

#define DAY 86400
#define MAX_THRESHOLDS CK_CONFIG_DAYS_MAX

/* Thresholds in days, largest first. */
static size_t thresholds(struct store *st, int out[MAX_THRESHOLDS])
{
	size_t n = ck_config_days(st, CK_CFG_MONITOR_THRESHOLDS, out, MAX_THRESHOLDS), i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] < out[j]; j--) {
			int t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

struct due {
	char thumbprint[41];
	char subject[256];
	int64_t not_after;
};

/* Due certificates read, and notices committed, at once: a pass holds a
 * page of them (and its report entries), never the whole range. */
#define PAGE 256

struct dues {
	struct due *d;
	size_t n;
};

static int gather(const struct store_cert *c, void *arg)
{
	struct dues *l = arg;

	snprintf(l->d[l->n].thumbprint, sizeof(l->d[0].thumbprint), "%s", c->thumbprint);
	snprintf(l->d[l->n].subject, sizeof(l->d[0].subject), "%s", c->subject);
	l->d[l->n].not_after = c->not_after;
	l->n++;
	return 0;
}

/* Raises (or, without record, reports) one notice once. */
static enum ck_err notice(struct store *st, bool record, json_t *report, const struct due *d,
			  const char *kind, int id, int days, int64_t now)
{
	char when[32];
	bool fresh = false;
	enum ck_err rc;

	if (!record) {
		if (!store_notice_exists(st, d->thumbprint, kind))
			json_array_append_new(report, json_pack("{s:i, s:s, s:s, s:b}", "Id", id,
								"Thumbprint", d->thumbprint, "Kind",
								kind, "Recorded", 0));
		return CK_OK;
	}
	rc = store_notice_add(st, d->thumbprint, kind, now, &fresh);
	if (rc != CK_OK || !fresh)
		return rc;
	ck_time_format(d->not_after, when, sizeof(when));
	json_array_append_new(report, json_pack("{s:i, s:s, s:s, s:b}", "Id", id, "Thumbprint",
						d->thumbprint, "Kind", kind, "Recorded", 1));
	if (id == CK_EV_CERT_EXPIRING)
		return ck_event_emit(st, id,
				     json_pack("{s:s, s:s, s:s, s:i}", "Thumbprint", d->thumbprint,
					       "Subject", d->subject, "NotAfter", when,
					       "ThresholdDays", days),
				     "Certificate %s (%s) expires within %d day%s, at %s.",
				     d->thumbprint, d->subject, days, days == 1 ? "" : "s", when);
	if (id == CK_EV_INTERNAL_CERT_EXPIRED)
		return ck_event_emit(st, id, json_pack("{s:s}", "Thumbprint", d->thumbprint),
				     "An internal transport certificate expired. Thumbprint:%s",
				     d->thumbprint);
	return ck_event_emit(st, id,
			     json_pack("{s:s, s:s, s:s}", "Thumbprint", d->thumbprint, "Subject",
				       d->subject, "NotAfter", when),
			     "Certificate %s (%s) expired at %s.", d->thumbprint, d->subject,
			     when);
}

/* The internal transport certificate: the designated one (trust publish
 * THUMBPRINT), else the host's certificate made by init. */
static bool is_internal(struct store *st, const char *thumb)
{
	char *designated = NULL, *host = NULL;
	bool yes;

	if (ck_config_stored(st, CK_CFG_TRUST_CERTIFICATE, &designated) == CK_OK && designated[0])
		yes = strcmp(designated, thumb) == 0;
	else
		yes = ck_config_stored(st, CK_CFG_HOST_CERTIFICATE, &host) == CK_OK &&
		      strcmp(host, thumb) == 0;
	free(designated);
	free(host);
	ck_errmsg_clear();
	return yes;
}

/* The notices of one due certificate. */
static enum ck_err notices_of(struct store *st, bool record, json_t *entries,
			      const struct due *d, const int *th, size_t n_th, int64_t now)
{
	enum ck_err rc = CK_OK;
	size_t k;

	if (now > d->not_after) {
		rc = notice(st, record, entries, d, "expired", CK_EV_CERT_EXPIRED, 0, now);
		if (rc == CK_OK && is_internal(st, d->thumbprint))
			rc = notice(st, record, entries, d, "internal-expired",
				    CK_EV_INTERNAL_CERT_EXPIRED, 0, now);
		return rc;
	}
	/* The smallest threshold crossed is announced; the larger ones
	 * crossed with it are marked as done, so a monitor that was off
	 * for weeks does not announce 30, 7 and 1 days at once. */
	for (k = n_th; k-- > 0 && rc == CK_OK;) {
		char kind[32];

		if (now < d->not_after - (int64_t)th[k] * DAY)
			continue;
		snprintf(kind, sizeof(kind), "expiring-%d", th[k]);
		if (record && store_notice_exists(st, d->thumbprint, kind))
			break;
		rc = notice(st, record, entries, d, kind, CK_EV_CERT_EXPIRING, th[k], now);
		for (; record && rc == CK_OK && k-- > 0;) {
			bool fresh;

			snprintf(kind, sizeof(kind), "expiring-%d", th[k]);
			rc = store_notice_add(st, d->thumbprint, kind, now, &fresh);
		}
		break;
	}
	return rc;
}

enum ck_err ck_monitor(struct store *st, int64_t now, bool record, const struct ck_report *out)
{
	int th[MAX_THRESHOLDS];
	size_t n_th = thresholds(st, th), i;
	struct store_page page = { .limit = PAGE };
	struct due d[PAGE];
	struct dues l = { d, 0 };
	json_t *entries = json_array();
	enum ck_err rc = CK_OK;

	if (entries == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	/* A transaction per page: each notice is written with its event, and
	 * a page's entries are handed out once the page is durable. */
	do {
		l.n = 0;
		rc = store_cert_each_expiring(st, now + (int64_t)(n_th ? th[0] : 0) * DAY, &page,
					      gather, &l);
		if (rc == CK_OK && record && l.n > 0)
			rc = store_begin(st);
		for (i = 0; rc == CK_OK && i < l.n; i++)
			rc = notices_of(st, record, entries, &l.d[i], th, n_th, now);
		if (record && l.n > 0) {
			if (rc == CK_OK)
				rc = ck_commit(st);
			else
				ck_rollback(st);
		}
		if (rc == CK_OK)
			rc = ck_report_flush(out, entries);
	} while (rc == CK_OK && page.n == page.limit);
	json_decref(entries);
	return rc;
}

/* Collects entries that are few (one per binding) before handing them on. */
enum ck_err ck_monitor_pass(struct store *st, int64_t now, bool record,
			    const struct ck_report *out)
{
	json_t *moves = json_array();
	enum ck_err rc;

	if (moves == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	/* Renewals first: a certificate just renewed is replaced and gets no
	 * expiry notice. */
	rc = ck_renew_pass(st, now, record, out);
	if (rc == CK_OK)
		rc = ck_monitor(st, now, record, out);
	/* Both run even if the first fails: one stuck binding must not keep
	 * other servers from their owed reloads. The first failure is kept. */
	if (rc == CK_OK && record) {
		char why[512];
		enum ck_err moved = ck_bindings_catch_up(st, moves);

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		rc = ck_reloads_owed(st, moves);
		if (moved != CK_OK)
			rc = ck_fail(moved, "%s", why);
	}
	/* What moved is reported even when a binding failed: it happened. */
	if (json_array_size(moves) > 0) {
		char why[512];
		enum ck_err flushed;

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		flushed = ck_report_flush(out, moves);
		if (rc == CK_OK)
			rc = flushed;
		else
			ck_fail(rc, "%s", why);
	}
	json_decref(moves);
	return rc;
}
