/*
 * select.c - certificate selection for a TLS endpoint, with the reason
 * every candidate won or lost (DESIGN.md §4).
 *
 * Candidates come from the domain index (the name itself and a wildcard
 * for each of its parents), so a selection reads a handful of rows at any
 * store size; each is then checked with pki_cert_check_host, which decides
 * the wildcard rules, and ranked by the rules in select.h.
 */
#include "core/tls/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"
#include "base/array.h"
#include "base/account.h"
#include "base/clock.h"
#include "base/names.h"

static const char *const reason_names[] = {
	[CK_SEL_CHOSEN] = "chosen",
	[CK_SEL_NAME_MISMATCH] = "name-mismatch",
	[CK_SEL_NO_KEY] = "no-private-key",
	[CK_SEL_SERVICE_OFF] = "service-not-enabled",
	[CK_SEL_KEY_UNREADABLE] = "key-unreadable",
	[CK_SEL_NOT_YET_VALID] = "not-yet-valid",
	[CK_SEL_REVOKED] = "revoked",
	[CK_SEL_OUTRANKED_BY_CA] = "self-signed-outranked",
	[CK_SEL_NOT_VALID_CA] = "ca-issued-not-valid",
	[CK_SEL_OLDER] = "older",
};

const char *ck_sel_reason_name(enum ck_sel_reason r)
{
	return (unsigned)r < sizeof(reason_names) / sizeof(reason_names[0]) ? reason_names[r]
									    : "unknown";
}

struct collect {
	struct ck_selection *sel;
	struct store *st;
	int64_t now;
	enum ck_err rc;
};

/* Applies the eligibility rules (2) to one candidate; ranking comes later.
 * CK_SEL_CHOSEN here means "eligible". */
static void judge(struct collect *col, const struct store_cert *c, struct ck_candidate *k)
{
	struct ck_selection *sel = col->sel;
	const char *svc = ck_service_name(sel->service);
	struct pki_cert *cert = NULL;
	bool named;

	named = pki_cert_parse(c->der, c->der_len, &cert) == CK_OK &&
		pki_cert_check_host(cert, sel->fqdn);
	pki_cert_free(cert);
	k->reason = CK_SEL_CHOSEN;
	if (!named) {
		k->reason = CK_SEL_NAME_MISMATCH;
		snprintf(k->detail, sizeof(k->detail),
			 "no CertificateDomain covers %s (a wildcard covers exactly one label)",
			 sel->fqdn);
	} else if (!c->has_key) {
		k->reason = CK_SEL_NO_KEY;
		snprintf(k->detail, sizeof(k->detail), "the store has no private key for it");
	} else if (!(c->services & sel->service)) {
		k->reason = CK_SEL_SERVICE_OFF;
		snprintf(k->detail, sizeof(k->detail),
			 "%s is not enabled on it: certkeep enable %s --services %s", svc,
			 c->thumbprint, svc);
	} else if (sel->account[0]) {
		char path[4096], why[200];
		bool ok = false;

		store_key_path(col->st, c->key_id, path, sizeof(path));
		if (ck_account_can_read(sel->account, path, &ok, why, sizeof(why)) != CK_OK) {
			snprintf(why, sizeof(why), "%s", ck_errmsg());
			ok = false;
		}
		if (!ok) {
			k->reason = CK_SEL_KEY_UNREADABLE;
			snprintf(k->detail, sizeof(k->detail),
				 "the private key is not readable by %s: %s; give the service a "
				 "copy it can read (certkeep export %s --with-key --out FILE, then "
				 "chown) or run it as an account that can",
				 sel->account, why, c->thumbprint);
		}
	}
	if (k->reason == CK_SEL_CHOSEN && col->now < c->not_before) {
		char when[32];

		ck_time_format(c->not_before, when, sizeof(when));
		k->reason = CK_SEL_NOT_YET_VALID;
		snprintf(k->detail, sizeof(k->detail), "not valid before %s", when);
	}
	if (k->reason == CK_SEL_CHOSEN && k->status == CK_STATUS_REVOKED) {
		k->reason = CK_SEL_REVOKED;
		snprintf(k->detail, sizeof(k->detail),
			 "revoked by this store's CA (certkeep ca list --status revoked); with "
			 "autorenew on, the next monitor pass replaces it");
	}
}

static int collect_one(const struct store_cert *c, void *arg)
{
	struct collect *col = arg;
	struct ck_selection *sel = col->sel;
	struct ck_candidate *grown, *k;

	grown = ck_array_grow(sel->cands, sel->n, sizeof(*grown));
	if (grown == NULL) {
		col->rc = CK_ENOMEM;
		return CK_ENOMEM;
	}
	sel->cands = grown;
	k = &sel->cands[sel->n];
	memset(k, 0, sizeof(*k));
	snprintf(k->thumbprint, sizeof(k->thumbprint), "%s", c->thumbprint);
	k->subject = strdup(c->subject);
	if (k->subject == NULL) {
		col->rc = ck_fail(CK_ENOMEM, "out of memory");
		return CK_ENOMEM;
	}
	sel->n++;
	k->not_before = c->not_before;
	k->not_after = c->not_after;
	k->self_signed = c->self_signed;
	k->has_key = c->has_key;
	k->services = c->services;
	k->status = ck_cert_status(col->st, c, col->now);
	judge(col, c, k);
	return 0;
}

/* Rule 3 over the eligible candidates (already newest first). */
static void rank(struct ck_selection *sel, int64_t now)
{
	int best = -1, first_self = -1, first_other = -1;
	size_t i;

	for (i = 0; i < sel->n; i++) {
		const struct ck_candidate *k = &sel->cands[i];

		if (k->reason != CK_SEL_CHOSEN)
			continue;
		if (!k->self_signed && k->status == CK_STATUS_VALID && best < 0)
			best = (int)i;
		else if (k->self_signed && first_self < 0)
			first_self = (int)i;
		else if (!k->self_signed && k->status != CK_STATUS_VALID && first_other < 0)
			first_other = (int)i;
	}
	sel->chosen = best >= 0 ? best : first_self >= 0 ? first_self : first_other;
	if (sel->chosen < 0)
		return;
	for (i = 0; i < sel->n; i++) {
		struct ck_candidate *k = &sel->cands[i];
		const struct ck_candidate *w = &sel->cands[sel->chosen];

		if (k->reason != CK_SEL_CHOSEN || (int)i == sel->chosen)
			continue;
		if (k->self_signed && best >= 0) {
			k->reason = CK_SEL_OUTRANKED_BY_CA;
			snprintf(k->detail, sizeof(k->detail),
				 "self-signed: a Valid CA-issued certificate (%s) ranks first",
				 w->thumbprint);
		} else if (!k->self_signed && k->status != CK_STATUS_VALID &&
			   sel->chosen != first_other) {
			k->reason = CK_SEL_NOT_VALID_CA;
			snprintf(k->detail, sizeof(k->detail),
				 "CA-issued but %s: a %s certificate (%s) ranks first",
				 ck_status_name(k->status),
				 w->self_signed ? "self-signed" : "Valid CA-issued", w->thumbprint);
		} else {
			k->reason = CK_SEL_OLDER;
			snprintf(k->detail, sizeof(k->detail),
				 "an equally ranked certificate (%s) has a newer NotBefore",
				 w->thumbprint);
		}
	}
	sel->expired = now > sel->cands[sel->chosen].not_after;
	snprintf(sel->cands[sel->chosen].detail, sizeof(sel->cands[0].detail), "%s%s",
		 best >= 0 ? "the newest Valid CA-issued certificate"
		 : first_self >= 0 ? "no Valid CA-issued certificate: the newest self-signed one"
				   : "no Valid or self-signed certificate: the newest CA-issued one",
		 sel->expired ? "; it has expired and is still used (event 12016)" : "");
}

enum ck_err ck_select(struct store *st, const char *fqdn, unsigned service,
		      const char *account, int64_t now, struct ck_selection *out)
{
	char names[STORE_FILTER_DOMAINS][CK_DOMAIN_MAX + 2];
	const char *list[STORE_FILTER_DOMAINS];
	struct store_cert_filter f = { 0 };
	struct collect col = { out, st, now, CK_OK };
	const char *p;
	enum ck_err rc;

	memset(out, 0, sizeof(*out));
	out->chosen = -1;
	rc = ck_domain_normalize(fqdn, false, out->fqdn, sizeof(out->fqdn));
	if (rc != CK_OK)
		return rc;
	if (ck_service_name(service) == NULL)
		return ck_fail(CK_EINVAL, "select one service at a time");
	out->service = service;
	if (account && *account && !ck_account_name_valid(account))
		return ck_fail(CK_EINVAL, "invalid account name '%.40s'", account);
	snprintf(out->account, sizeof(out->account), "%s", account ? account : "");
	/* The name itself, then "*.parent" for every parent: a wildcard that
	 * is too wide still shows up, to be explained as a mismatch. */
	snprintf(names[0], sizeof(names[0]), "%s", out->fqdn);
	list[f.n_domains++] = names[0];
	for (p = strchr(out->fqdn, '.'); p && f.n_domains < STORE_FILTER_DOMAINS;
	     p = strchr(p + 1, '.')) {
		snprintf(names[f.n_domains], sizeof(names[0]), "*%s", p);
		list[f.n_domains] = names[f.n_domains];
		f.n_domains++;
	}
	f.domains = list;
	rc = store_cert_each(st, &f, collect_one, &col);
	if (col.rc != CK_OK)
		rc = col.rc;
	if (rc != CK_OK) {
		ck_selection_clear(out);
		return rc;
	}
	rank(out, now);
	return CK_OK;
}

void ck_selection_clear(struct ck_selection *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->cands[i].subject);
	free(s->cands);
	memset(s, 0, sizeof(*s));
	s->chosen = -1;
}

static json_t *time_json(int64_t t)
{
	char buf[32];

	ck_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *candidate_json(const struct ck_candidate *k)
{
	char compact[8];

	ck_services_compact(k->services, compact, sizeof(compact));
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:b, s:s, s:s, s:s, s:s}", "Thumbprint",
			 k->thumbprint, "Subject", k->subject, "NotBefore",
			 time_json(k->not_before), "NotAfter", time_json(k->not_after),
			 "IsSelfSigned", k->self_signed, "HasPrivateKey", k->has_key, "Services",
			 compact, "Status", ck_status_name(k->status), "Verdict",
			 ck_sel_reason_name(k->reason), "Reason", k->detail);
}

json_t *ck_selection_json(const struct ck_selection *s)
{
	json_t *cands = json_array();
	size_t i;

	for (i = 0; cands && i < s->n; i++)
		json_array_append_new(cands, candidate_json(&s->cands[i]));
	return json_pack("{s:s, s:s, s:s?, s:o, s:b, s:o, s:o}", "Fqdn", s->fqdn, "Service",
			 ck_service_name(s->service), "ServiceAccount",
			 s->account[0] ? s->account : NULL, "Selected",
			 s->chosen >= 0 ? candidate_json(&s->cands[s->chosen]) : json_null(),
			 "Expired", s->expired, "Event",
			 s->chosen < 0 ? json_integer(12014)
			 : s->expired ? json_integer(12016)
				      : json_null(),
			 "Candidates", cands);
}
