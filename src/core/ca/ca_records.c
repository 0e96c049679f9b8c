/*
 * ca_records.c - what the CA's files share: loading the CA for signing,
 * request rows as the properties events and output carry, serial
 * numbers, revocation reasons and the checks on stored text
 * (DESIGN.md §8). It uses no other file of the CA, so none of them
 * depends on another in a circle.
 */
#include "core/ca/ca-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fileio.h"

static const struct {
	int code;
	const char *name;
} reasons[] = {
	{ PKI_REASON_UNSPECIFIED, "unspecified" },
	{ PKI_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ PKI_REASON_CA_COMPROMISE, "cACompromise" },
	{ PKI_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ PKI_REASON_SUPERSEDED, "superseded" },
	{ PKI_REASON_CESSATION, "cessationOfOperation" },
	{ PKI_REASON_HOLD, "certificateHold" },
	{ PKI_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ PKI_REASON_AA_COMPROMISE, "aACompromise" },
};

int ck_ca_reason_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

const char *ck_ca_reason_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return "unknown";
}

bool ca_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	const unsigned char *p;

	if (n == 0 || n > max)
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

enum ck_err ca_serial_normalize(const char *in, char out[41])
{
	size_t o = 0;

	for (; *in; in++) {
		char c = *in;

		if (c == ':' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 32);
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) || o >= 40)
			return ck_fail(CK_EINVAL, "invalid serial number: give up to 40 hex digits");
		out[o++] = c;
	}
	out[o] = '\0';
	if (o == 0)
		return ck_fail(CK_EINVAL, "empty serial number");
	return CK_OK;
}

enum ck_err ca_der_pem(const uint8_t *der, size_t len, char **pem)
{
	return pki_der_to_pem(der, len, pem);
}

void ca_put_time(json_t *o, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0)
		return;
	ck_time_format(t, buf, sizeof(buf));
	json_object_set_new(o, key, json_string(buf));
}

static const char *disposition_name(const char *status)
{
	if (strcmp(status, "issued") == 0)
		return "Issued";
	if (strcmp(status, "pending") == 0)
		return "Pending";
	if (strcmp(status, "denied") == 0)
		return "Denied";
	return "Revoked";
}

json_t *ck_ca_request_json(const struct store_ca_request *r, const char *pem)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "RequestID", (json_int_t)r->id,
			      "RequesterName", r->requester ? r->requester : "", "RequesterEmail",
			      r->email ? r->email : "", "DistinguishedName",
			      r->subject ? r->subject : "", "Disposition",
			      disposition_name(r->status), "DispositionMessage",
			      r->message ? r->message : "");

	if (o == NULL)
		return NULL;
	ca_put_time(o, "SubmittedWhen", r->submitted);
	ca_put_time(o, "ResolvedWhen", r->resolved);
	if (r->serial[0]) {
		json_object_set_new(o, "SerialNumber", json_string(r->serial));
		json_object_set_new(o, "CertificateHash", json_string(r->sha1));
		ca_put_time(o, "NotBefore", r->not_before);
		ca_put_time(o, "NotAfter", r->not_after);
	}
	if (r->revoked_when) {
		ca_put_time(o, "RevokedWhen", r->revoked_when);
		json_object_set_new(o, "RevokedReason", json_string(ck_ca_reason_name(r->reason)));
	}
	if (pem)
		json_object_set_new(o, "RawCertificate", json_string(pem));
	return o;
}

enum ck_err ca_load(struct store *st, struct pki_ca **out)
{
	struct store_ca_state s;
	char path[PATH_MAX], *url = NULL;
	uint8_t *key = NULL;
	size_t key_len = 0;
	enum ck_err rc = store_ca_state_get(st, &s);

	if (rc != CK_OK)
		return rc;
	if (s.cert == NULL) {
		store_ca_state_clear(&s);
		return ck_fail(CK_EINVAL, "the CA waits for its certificate from the parent CA: "
					  "'certkeep ca install CERT'");
	}
	store_ca_key_path(st, path, sizeof(path));
	rc = ck_read_file(path, 64 * 1024, &key, &key_len);
	if (rc == CK_OK) {
		if (ck_config_stored(st, CK_CFG_CA_CRL_URL, &url) != CK_OK)
			url = NULL;
		ck_errmsg_clear();
		rc = pki_ca_open(s.cert, s.cert_len, key, key_len, url, out);
	}
	if (key)
		ck_free_secret(key, key_len);
	free(url);
	store_ca_state_clear(&s);
	return rc;
}
