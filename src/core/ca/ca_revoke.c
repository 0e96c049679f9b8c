/*
 * ca_revoke.c - revocation and CRLs (DESIGN.md §8).
 *
 * A CRL is made inside the transaction that takes its number, so numbers
 * only ever increase and each number is used once; the file is published
 * (atomically) before that transaction commits, so a failed write leaves
 * no record of a CRL nobody can see.
 */
#include "core/ca/ca-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "core/events/events.h"
#include "base/fileio.h"

/* Finds the certificate by serial inside the open transaction. */
static enum ck_err find_serial(struct store *st, const char *serial_in,
			       struct store_ca_request *r)
{
	char serial[41];
	enum ck_err rc = ca_serial_normalize(serial_in, serial);

	return rc == CK_OK ? store_ca_get_by_serial(st, serial, r) : rc;
}

static enum ck_err finish(struct store *st, enum ck_err rc, json_t **out)
{
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK && *out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

enum ck_err ck_ca_revoke(struct store *st, const char *serial, const char *reason_name,
			 json_t **out)
{
	struct store_ca_request r;
	int reason = ck_ca_reason_parse(reason_name ? reason_name : "");
	enum ck_err rc;

	memset(&r, 0, sizeof(r));
	if (reason < 0)
		return ck_fail(CK_EUSAGE,
			       "--reason takes unspecified, keyCompromise, cACompromise, "
			       "affiliationChanged, superseded, cessationOfOperation, "
			       "certificateHold, privilegeWithdrawn or aACompromise");
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = find_serial(st, serial, &r);
	/* A hold may become a permanent revocation (RFC 5280 §5.3.1); any
	 * other revoked certificate stays as it is. */
	if (rc == CK_OK && r.revoked_when &&
	    (r.reason != PKI_REASON_HOLD || reason == PKI_REASON_HOLD))
		rc = ck_fail(CK_EINVAL, "certificate %s is already revoked (%s)", r.serial,
			     ck_ca_reason_name(r.reason));
	if (rc == CK_OK) {
		r.revoked_when = ck_now();
		r.reason = reason;
		snprintf(r.status, sizeof(r.status), "revoked");
		rc = store_ca_set_revoked(st, r.serial, r.revoked_when, reason);
	}
	if (rc == CK_OK) {
		*out = ck_ca_request_json(&r, NULL);
		rc = *out ? ck_event_emit(st, CK_EV_CA_CERT_REVOKED, json_incref(*out),
					  "Certificate %s (request %lld, %s) has been revoked: %s.",
					  r.serial, (long long)r.id, r.subject, reason_name)
			  : ck_fail(CK_ENOMEM, "out of memory");
	}
	rc = finish(st, rc, out);
	store_ca_request_clear(&r);
	return rc;
}

enum ck_err ck_ca_unrevoke(struct store *st, const char *serial, json_t **out)
{
	struct store_ca_request r;
	enum ck_err rc;

	memset(&r, 0, sizeof(r));
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = find_serial(st, serial, &r);
	if (rc == CK_OK && (r.revoked_when == 0 || r.reason != PKI_REASON_HOLD))
		rc = ck_fail(CK_EINVAL,
			     "certificate %s is %s: only a certificateHold can be taken back",
			     r.serial, r.revoked_when ? ck_ca_reason_name(r.reason) : "not revoked");
	if (rc == CK_OK)
		rc = store_ca_clear_revoked(st, r.serial);
	if (rc == CK_OK) {
		r.revoked_when = 0;
		r.reason = -1;
		snprintf(r.status, sizeof(r.status), "issued");
		*out = ck_ca_request_json(&r, NULL);
		rc = *out ? ck_event_emit(st, CK_EV_CA_CERT_UNREVOKED, json_incref(*out),
					  "Certificate %s (request %lld, %s) is no longer on hold.",
					  r.serial, (long long)r.id, r.subject)
			  : ck_fail(CK_ENOMEM, "out of memory");
	}
	rc = finish(st, rc, out);
	store_ca_request_clear(&r);
	return rc;
}

struct crl_fill {
	struct pki_crl *crl;
	int64_t count;
	enum ck_err rc;
};

static int crl_entry(const char *serial, int64_t when, int reason, void *arg)
{
	struct crl_fill *f = arg;

	f->rc = pki_crl_add(f->crl, serial, when, reason);
	f->count++;
	return f->rc != CK_OK ? (int)f->rc : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum ck_err ck_ca_crl(struct store *st, const struct ck_ca_crl_opts *o, json_t **out,
		      char **pem_out)
{
	struct store_ca_state s;
	struct pki_ca *ca = NULL;
	struct crl_fill fill = { 0 };
	char *path = NULL, t1[32], t2[32];
	uint8_t *data = NULL;
	size_t len = 0;
	int hours = o->hours;
	int64_t now = ck_now(), next, number = 0;
	bool der;
	enum ck_err rc;

	memset(&s, 0, sizeof(s));
	*out = NULL;
	if (hours == 0)
		hours = (int)ck_config_int(st, CK_CFG_CA_CRL_HOURS);
	if (hours <= 0 || hours > ck_config_keys[CK_CFG_CA_CRL_HOURS].max)
		hours = CK_CFG_DEF_CA_CRL_HOURS;
	next = now + (int64_t)hours * 3600;
	if (o->out)
		path = strdup(o->out);
	else if (ck_config_stored(st, CK_CFG_CA_CRL_PATH, &path) != CK_OK || *path == '\0') {
		free(path);
		path = NULL;
	}
	ck_errmsg_clear();
	if (path == NULL && pem_out == NULL)
		return ck_fail(CK_EUSAGE, "give --out FILE or set %s", ck_config_name(CK_CFG_CA_CRL_PATH));
	der = path && (ends_with(path, ".crl") || ends_with(path, ".der"));
	rc = ca_load(st, &ca);
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = store_ca_crl_record(st, now, next, &number);
	if (rc == CK_OK)
		rc = pki_crl_begin(ca, number, now, next, &fill.crl);
	if (rc == CK_OK) {
		rc = store_ca_each_revoked(st, crl_entry, &fill);
		if (fill.rc != CK_OK)
			rc = fill.rc;
	}
	if (rc == CK_OK)
		rc = pki_crl_finish(fill.crl, !der, &data, &len);
	if (rc == CK_OK) {
		ck_time_format(now, t1, sizeof(t1));
		ck_time_format(next, t2, sizeof(t2));
		*out = json_pack("{s:I, s:s, s:s, s:I}", "CRLNumber", (json_int_t)number,
				 "ThisUpdate", t1, "NextUpdate", t2, "RevokedCount",
				 (json_int_t)fill.count);
		if (*out && path)
			json_object_set_new(*out, "Path", json_string(path));
		rc = *out ? ck_event_emit(st, CK_EV_CA_CRL_ISSUED, json_incref(*out),
					  "CRL %lld has been issued with %lld revoked certificates; "
					  "next update %s.",
					  (long long)number, (long long)fill.count, t2)
			  : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc == CK_OK && path)
		rc = ck_write_output(path, data, len, 0644);
	rc = finish(st, rc, out);
	if (rc == CK_OK && path == NULL) {
		*pem_out = (char *)data;
		data = NULL;
	}
out:
	free(data);
	free(path);
	pki_crl_free(fill.crl);
	pki_ca_free(ca);
	store_ca_state_clear(&s);
	return rc;
}

enum ck_err ck_ca_crl_due(struct store *st, bool *due)
{
	struct store_ca_state s;
	enum ck_err rc = store_ca_state_get(st, &s);
	int64_t period, margin;

	*due = false;
	if (rc == CK_ENOTFOUND) {
		ck_errmsg_clear();
		return CK_OK;
	}
	if (rc != CK_OK)
		return rc;
	if (s.cert != NULL) {
		/* A tenth of the CRL's life, at least an hour, but at most half
		 * of it: a CRL valid for an hour is remade every half hour, not
		 * on every pass. */
		period = s.crl_next_update - s.crl_this_update;
		margin = period / 10 > 3600 ? period / 10 : 3600;
		if (margin > period / 2)
			margin = period / 2;
		*due = s.crl_number == 0 || ck_now() >= s.crl_next_update - margin;
	}
	store_ca_state_clear(&s);
	return CK_OK;
}

bool ck_ca_revoked(struct store *st, const char *thumb, char serial[41])
{
	struct store_ca_request r;
	bool yes = false;

	if (store_ca_get_by_sha1(st, thumb, &r) == CK_OK) {
		yes = r.revoked_when != 0;
		if (serial)
			snprintf(serial, 41, "%s", r.serial);
		store_ca_request_clear(&r);
	}
	ck_errmsg_clear();
	return yes;
}
