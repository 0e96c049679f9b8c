/*
 * certs_view.c - what list and show display: Status computed at the time
 * asked, and every property as JSON (DESIGN.md §3, §10).
 */
#include "core/certs/certs-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/names.h"

static const char *const status_names[] = {
	[CK_STATUS_VALID] = "Valid",
	[CK_STATUS_DATE_INVALID] = "DateInvalid",
	[CK_STATUS_REVOKED] = "Revoked",
	[CK_STATUS_UNTRUSTED] = "Untrusted",
	[CK_STATUS_INVALID] = "Invalid",
	[CK_STATUS_PENDING_REQUEST] = "PendingRequest",
	[CK_STATUS_REVOCATION_CHECK_FAILURE] = "RevocationCheckFailure",
	[CK_STATUS_UNKNOWN] = "Unknown",
};

const char *ck_status_name(enum ck_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s]
									    : "Unknown";
}

/* Status and the chain verdict it came from. Dates first, as Exchange: an
 * expired certificate is DateInvalid whether or not it is trusted. */
static enum ck_status status_of(struct store *st, const struct store_cert *c, int64_t now,
				enum pki_trust *trust)
{
	struct pki_cert *cert = NULL;
	struct pki_chain *chain = NULL;
	enum ck_status s;

	*trust = PKI_TRUST_INVALID;
	if (pki_cert_parse(c->der, c->der_len, &cert) != CK_OK)
		return CK_STATUS_INVALID;
	if (c->chain_pem &&
	    pki_chain_parse((const uint8_t *)c->chain_pem, strlen(c->chain_pem), &chain) != CK_OK)
		chain = NULL;
	*trust = certs_verify(st, cert, chain, now, NULL);
	if (now < c->not_before || now > c->not_after)
		s = CK_STATUS_DATE_INVALID;
	else if (certs_revoked_by_ca(st, c))
		s = CK_STATUS_REVOKED; /* no CRL to fetch: the CA is in this store */
	else if (*trust == PKI_TRUST_OK)
		s = CK_STATUS_VALID;
	else if (*trust == PKI_TRUST_INVALID)
		s = CK_STATUS_INVALID;
	else if (*trust == PKI_TRUST_DATE)
		s = CK_STATUS_UNTRUSTED; /* an intermediate is outside its dates */
	else
		s = CK_STATUS_UNTRUSTED;
	pki_chain_free(chain);
	pki_cert_free(cert);
	return s;
}

enum ck_status ck_cert_status(struct store *st, const struct store_cert *c, int64_t now)
{
	enum pki_trust trust;

	return status_of(st, c, now, &trust);
}

static json_t *time_json(int64_t t)
{
	char buf[32];

	ck_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *ck_cert_json(struct store *st, const struct store_cert *c, int64_t now)
{
	char compact[8], longform[48], key_path[4096];
	enum pki_trust trust;
	enum ck_status s = status_of(st, c, now, &trust);
	json_t *o;

	ck_services_compact(c->services, compact, sizeof(compact));
	ck_services_long(c->services, longform, sizeof(longform));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:b, s:b, s:s,"
		      " s:i, s:s, s:o, s:I}",
		      "Thumbprint", c->thumbprint, "Sha256Fingerprint", c->sha256, "Subject",
		      c->subject, "Issuer", c->issuer, "SerialNumber", c->serial, "NotBefore",
		      time_json(c->not_before), "NotAfter", time_json(c->not_after),
		      "CertificateDomains", certs_json_strings(c->domains, c->n_domains),
		      "Services", compact, "ServicesList", longform, "Status", ck_status_name(s),
		      "IsSelfSigned", c->self_signed, "HasPrivateKey", c->has_key, "KeyType",
		      c->key_type, "Version", c->version, "RootCAType",
		      trust == PKI_TRUST_OK ? "ThirdParty" : c->self_signed ? "None" : "Unknown",
		      "Added", time_json(c->added), "DaysRemaining",
		      (json_int_t)((c->not_after - now) / 86400));
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "ReplacedBy",
			    c->replaced_by[0] ? json_string(c->replaced_by) : json_null());
	json_object_set_new(o, "FriendlyName",
			    c->friendly_name ? json_string(c->friendly_name) : json_null());
	json_object_set_new(o, "PublicKeyId", json_string(c->key_id));
	if (c->has_key) {
		store_key_path(st, c->key_id, key_path, sizeof(key_path));
		json_object_set_new(o, "PrivateKeyFile", json_string(key_path));
	} else {
		json_object_set_new(o, "PrivateKeyFile", json_null());
	}
	json_object_set_new(o, "HasChain", json_boolean(c->chain_pem != NULL));
	return o;
}

json_t *ck_request_json(const struct store_request *r)
{
	char compact[8], longform[48];

	ck_services_compact(r->services, compact, sizeof(compact));
	ck_services_long(r->services, longform, sizeof(longform));
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:s, s:o, s:s}", "Thumbprint",
			 r->thumbprint, "Subject", r->subject, "CertificateDomains",
			 certs_json_strings(r->domains, r->n_domains), "Services", compact,
			 "ServicesList", longform, "Status", "PendingRequest", "IsSelfSigned", 0,
			 "HasPrivateKey", 1, "KeyType", r->key_type, "Added",
			 time_json(r->created), "PublicKeyId", r->key_id);
}

struct list_ctx {
	struct store *st;
	int64_t now;
	int (*fn)(json_t *item, void *arg);
	void *arg;
	const char *thumb_prefix;
};

static int each_cert(const struct store_cert *c, void *arg)
{
	struct list_ctx *ctx = arg;
	json_t *item = ck_cert_json(ctx->st, c, ctx->now);
	int r;

	if (item == NULL)
		return CK_ENOMEM;
	r = ctx->fn(item, ctx->arg);
	json_decref(item);
	return r;
}

static int each_request(const struct store_request *r, void *arg)
{
	struct list_ctx *ctx = arg;
	json_t *item;
	int ret;

	if (ctx->thumb_prefix &&
	    strncmp(r->thumbprint, ctx->thumb_prefix, strlen(ctx->thumb_prefix)) != 0)
		return 0;
	item = ck_request_json(r);
	if (item == NULL)
		return CK_ENOMEM;
	ret = ctx->fn(item, ctx->arg);
	json_decref(item);
	return ret;
}

enum ck_err ck_list(struct store *st, const struct ck_list_opts *o, int64_t now,
		    int (*fn)(json_t *item, void *arg), void *arg)
{
	char domain[CK_DOMAIN_MAX + 1], wild[CK_DOMAIN_MAX + 3], thumb[41];
	const char *names[2];
	struct store_cert_filter f = { 0 };
	struct list_ctx ctx = { st, now, fn, arg, NULL };
	enum ck_err rc;

	if (o->domain) {
		const char *dot;

		rc = ck_domain_normalize(o->domain, true, domain, sizeof(domain));
		if (rc != CK_OK)
			return rc;
		names[f.n_domains++] = domain;
		/* A wildcard certificate for the parent covers one label more. */
		dot = strchr(domain, '.');
		if (domain[0] != '*' && dot && strchr(dot + 1, '.')) {
			snprintf(wild, sizeof(wild), "*%s", dot);
			names[f.n_domains++] = wild;
		}
		f.domains = names;
	}
	if (o->thumbprint) {
		size_t i, n = 0;

		for (i = 0; o->thumbprint[i] && n < 40; i++) {
			char ch = o->thumbprint[i];

			if (ch == ' ' || ch == ':')
				continue;
			if (ch >= 'a' && ch <= 'f')
				ch = (char)(ch - 32);
			if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')))
				return ck_fail(CK_EINVAL, "invalid thumbprint '%.60s': hex digits only",
					       o->thumbprint);
			thumb[n++] = ch;
		}
		thumb[n] = '\0';
		f.thumb_prefix = thumb;
		ctx.thumb_prefix = thumb;
	}
	f.services = o->services;
	rc = store_cert_each(st, &f, each_cert, &ctx);
	if (rc == CK_OK && o->domain == NULL && o->services == 0)
		rc = store_request_each(st, each_request, &ctx);
	return rc;
}

enum ck_err ck_show(struct store *st, const char *thumb, int64_t now, json_t **out)
{
	struct store_cert c;
	struct store_request r;
	enum ck_err rc = store_cert_find(st, thumb, &c);

	if (rc == CK_OK) {
		*out = ck_cert_json(st, &c, now);
		store_cert_clear(&c);
		return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	}
	if (rc != CK_ENOTFOUND)
		return rc;
	rc = store_request_find(st, thumb, &r);
	if (rc == CK_ENOTFOUND)
		return ck_fail(CK_ENOTFOUND, "no certificate or pending request with thumbprint %s",
			       thumb);
	if (rc != CK_OK)
		return rc;
	*out = ck_request_json(&r);
	store_request_clear(&r);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}
