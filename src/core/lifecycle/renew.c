/*
 * renew.c - automatic renewal by the monitor (DESIGN.md §7).
 *
 * Due certificates come from an index range (the last third of life, or
 * NotAfter within renew.days), so a pass over a large store with nothing
 * due reads nothing. Each renewal is its own transaction (clone's), and a
 * failure is recorded with its back-off in another, so a crash at any
 * point either renewed (the certificate is replaced: done) or did not
 * (the next pass tries again).
 */
#include "core/lifecycle/renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "core/ca/ca.h"
#include "core/certs/certs.h"
#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"

#define DAY 86400
#define BACKOFF_FIRST 3600
#define BACKOFF_MAX DAY

enum ck_err ck_autorenew_set(struct store *st, bool on, int days)
{
	enum ck_err rc = store_begin(st);

	if (rc == CK_OK)
		rc = ck_config_put_bool(st, CK_CFG_AUTORENEW, on);
	if (rc == CK_OK && days >= 0) {
		rc = ck_config_put_int(st, CK_CFG_RENEW_DAYS, days);
	}
	if (rc != CK_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

bool ck_autorenew_get(struct store *st, int *days)
{
	bool on = ck_config_bool(st, CK_CFG_AUTORENEW);

	if (days)
		*days = (int)ck_config_int(st, CK_CFG_RENEW_DAYS);
	return on;
}

struct due {
	char thumbprint[41];
	bool self_signed;
	bool revoked; /* by the store's CA: due now, whatever its age */
	int64_t not_before, not_after;
};

/* A page of due certificates, in an array the pass owns. */
struct dues {
	struct due *d;
	size_t n;
};

static int gather(const struct store_cert *c, void *arg)
{
	struct dues *l = arg;

	if (!c->has_key)
		return 0;
	snprintf(l->d[l->n].thumbprint, sizeof(l->d[0].thumbprint), "%s", c->thumbprint);
	l->d[l->n].self_signed = c->self_signed;
	l->d[l->n].revoked = false;
	l->d[l->n].not_before = c->not_before;
	l->d[l->n].not_after = c->not_after;
	l->n++;
	return 0;
}

/* Records a failed attempt and its back-off; event 1070. */
static enum ck_err record_failure(struct store *st, const char *thumb, int64_t now,
				  const char *why)
{
	struct store_renewal r;
	char next[32];
	int64_t wait = BACKOFF_FIRST;
	enum ck_err rc;
	int i;

	if (store_renewal_get(st, thumb, &r) != CK_OK) {
		ck_errmsg_clear();
		memset(&r, 0, sizeof(r));
	}
	r.failures++;
	for (i = 1; i < r.failures && wait < BACKOFF_MAX; i++)
		wait *= 2;
	if (wait > BACKOFF_MAX)
		wait = BACKOFF_MAX;
	r.last_attempt = now;
	r.next_attempt = now + wait;
	snprintf(r.last_error, sizeof(r.last_error), "%s", why);
	ck_time_format(r.next_attempt, next, sizeof(next));
	rc = store_begin(st);
	if (rc == CK_OK)
		rc = store_renewal_put(st, thumb, &r);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_RENEWAL_FAILED,
				   json_pack("{s:s, s:s, s:i, s:s}", "Thumbprint", thumb, "Error",
					     why, "Failures", r.failures, "NextAttempt", next),
				   "Certificate %s could not be renewed (%d time%s): %s. Next "
				   "attempt at %s.",
				   thumb, r.failures, r.failures == 1 ? "" : "s", why, next);
	if (rc == CK_OK)
		return ck_commit(st);
	ck_rollback(st);
	return rc;
}

/* Whether certkeep can renew it by itself: self-signed, or issued by the
 * built-in CA (clone does both). One issued by an outside authority needs
 * a new request; its expiry notices say so. */
static bool renewable(struct store *st, const struct due *d)
{
	return d->self_signed || ck_ca_issued(st, d->thumbprint);
}

/* Renews one certificate; CK_OK with new_thumb set, or the failure. */
static enum ck_err renew_one(struct store *st, const struct due *d, char new_thumb[41])
{
	char old[41];

	return ck_clone(st, d->thumbprint, 0, new_thumb, old);
}

/* Due certificates read at once: the pass holds a page, not the store. */
#define PAGE 256

/* Renews (or reports) one due certificate; *renewed counts renewals. */
static enum ck_err renew_due(struct store *st, const struct due *d, int64_t now, bool record,
			     int max, int *renewed, json_t *entries)
{
	struct store_renewal r;
	char new_thumb[41] = "";
	enum ck_err one;

	if (store_renewal_get(st, d->thumbprint, &r) == CK_OK && r.next_attempt > now) {
		json_array_append_new(entries, json_pack("{s:s, s:s, s:i, s:s}", "Thumbprint",
							 d->thumbprint, "Renewal", "waiting",
							 "Failures", r.failures, "LastError",
							 r.last_error));
		return CK_OK;
	}
	ck_errmsg_clear();
	/* Never in the first half of a life: a --renew-days longer than a
	 * certificate's validity would otherwise renew its renewal at every
	 * pass (and a renewal made earlier in this pass is seen again here). */
	if (!d->revoked && now < d->not_before + (d->not_after - d->not_before) / 2)
		return CK_OK;
	if (!renewable(st, d)) {
		json_array_append_new(entries, json_pack("{s:s, s:s}", "Thumbprint", d->thumbprint,
							 "Renewal", "manual"));
		return CK_OK;
	}
	if (!record || *renewed >= max) {
		json_array_append_new(entries,
				      json_pack("{s:s, s:s}", "Thumbprint", d->thumbprint,
						"Renewal", record ? "next pass" : "would renew"));
		return CK_OK;
	}
	one = renew_one(st, d, new_thumb);
	(*renewed)++;
	if (one == CK_OK) {
		enum ck_err rc = store_begin(st);

		if (rc == CK_OK)
			rc = store_renewal_clear(st, d->thumbprint);
		rc = rc == CK_OK ? store_commit(st) : (store_rollback(st), rc);
		json_array_append_new(entries, json_pack("{s:s, s:s, s:s}", "Thumbprint",
							 d->thumbprint, "Renewal", "renewed",
							 "NewThumbprint", new_thumb));
		return rc;
	} else {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		json_array_append_new(entries, json_pack("{s:s, s:s, s:s}", "Thumbprint",
							 d->thumbprint, "Renewal", "failed",
							 "Error", why));
		return record_failure(st, d->thumbprint, now, why);
	}
}

/* Certificates of the host store the store's CA revoked, still current and
 * with their key: due now (a revoked certificate is never selected). */
struct revoked {
	struct store *st;
	struct due *d;
	size_t n;
	enum ck_err rc;
};

static int gather_revoked(const char *serial, int64_t when, int reason, void *arg)
{
	struct revoked *l = arg;
	struct store_ca_request r;
	struct store_cert c;
	struct due *grown;

	(void)when;
	(void)reason;
	if (store_ca_get_by_serial(l->st, serial, &r) != CK_OK) {
		ck_errmsg_clear();
		return 0;
	}
	memset(&c, 0, sizeof(c));
	if (store_cert_find(l->st, r.sha1, &c) == CK_OK && c.has_key && !c.replaced_by[0]) {
		grown = ck_array_grow(l->d, l->n, sizeof(*grown));
		if (grown == NULL) {
			l->rc = ck_fail(CK_ENOMEM, "out of memory");
		} else {
			l->d = grown;
			memset(&l->d[l->n], 0, sizeof(l->d[0]));
			snprintf(l->d[l->n].thumbprint, sizeof(l->d[0].thumbprint), "%s",
				 c.thumbprint);
			l->d[l->n].not_before = c.not_before;
			l->d[l->n].not_after = c.not_after;
			l->d[l->n].revoked = true;
			l->n++;
		}
	}
	ck_errmsg_clear();
	store_cert_clear(&c);
	store_ca_request_clear(&r);
	return l->rc == CK_OK ? 0 : l->rc;
}

static enum ck_err renew_revoked(struct store *st, int64_t now, bool record, int max,
				 int *renewed, json_t *entries, const struct ck_report *out)
{
	struct revoked l = { st, NULL, 0, CK_OK };
	enum ck_err rc = store_ca_each_revoked(st, gather_revoked, &l);
	size_t i;

	if (rc == CK_ENOTFOUND) /* no CA */
		rc = CK_OK;
	if (l.rc != CK_OK)
		rc = l.rc;
	for (i = 0; rc == CK_OK && i < l.n; i++) {
		rc = renew_due(st, &l.d[i], now, record, max, renewed, entries);
		if (rc == CK_OK)
			rc = ck_report_flush(out, entries);
	}
	free(l.d);
	ck_errmsg_clear();
	return rc;
}

enum ck_err ck_renew_pass(struct store *st, int64_t now, bool record,
			  const struct ck_report *out)
{
	struct store_page page = { .limit = PAGE };
	struct due d[PAGE];
	struct dues l = { d, 0 };
	int days = 0, max = (int)ck_config_int(st, CK_CFG_RENEW_MAX_PER_PASS);
	int renewed = 0;
	json_t *entries = json_array();
	enum ck_err rc = CK_OK;
	size_t i;

	if (entries == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (!ck_autorenew_get(st, &days)) {
		json_decref(entries);
		return CK_OK;
	}
	do {
		l.n = 0;
		if (days > 0)
			rc = store_cert_each_expiring(st, now + (int64_t)days * DAY, &page, gather,
						      &l);
		else
			rc = store_cert_each_in_last_third(st, now, &page, gather, &l);
		for (i = 0; rc == CK_OK && i < l.n; i++) {
			rc = renew_due(st, &l.d[i], now, record, max, &renewed, entries);
			if (rc == CK_OK)
				rc = ck_report_flush(out, entries);
		}
	} while (rc == CK_OK && page.n == page.limit);
	if (rc == CK_OK)
		rc = renew_revoked(st, now, record, max, &renewed, entries, out);
	json_decref(entries);
	return rc;
}
