/*
 * certs_make.c - making certificates: the host's self-signed certificate
 * (init), new self-signed certificates or requests (new), and renewal by
 * cloning (clone) (DESIGN.md §3).
 */
#include "core/certs/certs-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ca.h"
#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "base/fileio.h"
#include "base/host.h"
#include "base/names.h"

#define DAY 86400

static enum ck_err check_days(int days)
{
	if (days < 1 || days > CK_MAX_DAYS)
		return ck_fail(CK_EINVAL, "--days must be between 1 and %d", CK_MAX_DAYS);
	return CK_OK;
}

/* Generates the key, makes the certificate and installs it, all or
 * nothing. */
static enum ck_err make_selfsigned(struct store *st, const struct pki_make_params *params,
				   const char *key_type, unsigned services,
				   const char *friendly_name, const char *action,
				   struct store_cert *row, struct pki_key **key_out)
{
	struct pki_key *key = NULL;
	struct pki_cert *cert = NULL;
	enum ck_err rc;

	rc = pki_key_generate(key_type ? key_type : CK_DEFAULT_KEY, &key);
	if (rc == CK_OK)
		rc = pki_selfsigned_make(params, key, &cert);
	if (rc == CK_OK)
		rc = certs_row_from_pki(cert, services, NULL, friendly_name, row);
	if (rc == CK_OK)
		rc = certs_install(st, row, key, action);
	pki_cert_free(cert);
	if (rc == CK_OK && key_out)
		*key_out = key;
	else
		pki_key_free(key);
	return rc;
}

/*
 * The host's names for init: what was given, completed from each other and
 * from the system. --fqdn alone gives the short name (its first label);
 * --hostname alone keeps the system's domain (mx1 + .contoso.test); a host
 * without a domain has FQDN = short name. n is the size of both buffers.
 */
static enum ck_err init_names(const struct ck_init_opts *o, char *short_name, char *fqdn,
			      size_t n)
{
	char sys_short[CK_DOMAIN_MAX + 1], sys_fqdn[CK_DOMAIN_MAX + 1];
	enum ck_err rc;
	char *dot;

	if (o->hostname == NULL || o->fqdn == NULL) {
		rc = ck_host_names(sys_short, sizeof(sys_short), sys_fqdn, sizeof(sys_fqdn));
		if (rc != CK_OK)
			return rc;
		snprintf(short_name, n, "%s", sys_short);
		snprintf(fqdn, n, "%s", sys_fqdn);
	}
	if (o->fqdn) {
		rc = ck_domain_normalize(o->fqdn, false, fqdn, n);
		if (rc != CK_OK)
			return rc;
		if (o->hostname == NULL) {
			snprintf(short_name, n, "%s", fqdn);
			dot = strchr(short_name, '.');
			if (dot)
				*dot = '\0';
		}
	}
	if (o->hostname) {
		rc = ck_domain_normalize(o->hostname, false, short_name, n);
		if (rc != CK_OK)
			return rc;
		if (strchr(short_name, '.'))
			return ck_fail(CK_EINVAL,
				       "--hostname takes the short host name (no dots): '%s'",
				       short_name);
		if (o->fqdn == NULL) {
			dot = strchr(sys_fqdn, '.');
			if (snprintf(fqdn, n, "%s%s", short_name, dot ? dot : "") >= (int)n)
				return ck_fail(CK_EINVAL, "host name too long");
		}
	}
	return CK_OK;
}

enum ck_err ck_init(struct store *st, const struct ck_init_opts *o, char thumb[41])
{
	char short_name[CK_DOMAIN_MAX + 1], fqdn[CK_DOMAIN_MAX + 1];
	const char *domains[2];
	struct pki_make_params params;
	struct store_cert row, existing;
	char *prev = NULL;
	int days = o->days ? o->days : CK_DEFAULT_DAYS;
	enum ck_err rc;

	memset(&row, 0, sizeof(row));
	rc = check_days(days);
	if (rc != CK_OK)
		return rc;
	rc = init_names(o, short_name, fqdn, sizeof(fqdn));
	if (rc != CK_OK)
		return rc;
	domains[0] = short_name;
	domains[1] = fqdn;
	params = (struct pki_make_params){
		.subject_cn = short_name,
		.domains = domains,
		.n_domains = strcmp(short_name, fqdn) == 0 ? 1 : 2,
		.not_before = ck_now(),
		.not_after = ck_now() + (int64_t)days * DAY,
	};

	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	if (!o->force && ck_config_stored(st, CK_CFG_HOST_CERTIFICATE, &prev) == CK_OK) {
		if (store_cert_find(st, prev, &existing) == CK_OK) {
			store_cert_clear(&existing);
			rc = ck_fail(CK_EEXIST,
				     "already initialised: the host certificate is %s (renew it with "
				     "'certkeep clone %s', or give --force for another)",
				     prev, prev);
			goto out;
		}
	}
	ck_errmsg_clear();
	rc = make_selfsigned(st, &params, o->key_type,
			     o->services_set ? o->services
					     : (CK_SVC_IMAP | CK_SVC_POP | CK_SVC_IIS | CK_SVC_SMTP),
			     "certkeep host certificate", "init", &row, NULL);
	if (rc == CK_OK)
		rc = ck_config_put(st, CK_CFG_HOST_CERTIFICATE, row.thumbprint);
	if (rc == CK_OK)
		rc = ck_config_put(st, CK_CFG_HOST_NAME, short_name);
	if (rc == CK_OK)
		rc = ck_config_put(st, CK_CFG_HOST_FQDN, fqdn);
out:
	free(prev);
	if (rc != CK_OK) {
		ck_rollback(st);
		store_cert_clear(&row);
		return rc;
	}
	snprintf(thumb, 41, "%s", row.thumbprint);
	store_cert_clear(&row);
	return ck_commit(st);
}

/* new --request-out: the key goes into the store, the request to a file. */
static enum ck_err new_request(struct store *st, const struct ck_new_opts *o,
			       const struct pki_make_params *params, unsigned services,
			       char thumb[41])
{
	struct store_request r;
	char subject[CK_DOMAIN_MAX + 8];
	struct pki_key *key = NULL;
	struct pki_req *req = NULL;
	char *key_pem = NULL, *req_pem = NULL;
	size_t key_len = 0, req_len = 0;
	const uint8_t *der;
	enum ck_err rc;

	memset(&r, 0, sizeof(r));
	rc = pki_key_generate(o->key_type ? o->key_type : CK_DEFAULT_KEY, &key);
	if (rc == CK_OK)
		rc = pki_req_make(params, key, &req);
	if (rc == CK_OK)
		rc = pki_key_to_pem(key, &key_pem, &key_len);
	if (rc == CK_OK)
		rc = pki_req_to_pem(req, &req_pem, &req_len);
	if (rc != CK_OK)
		goto out;
	pki_req_thumbprint(req, r.thumbprint);
	pki_key_id(key, r.key_id);
	pki_key_type(key, r.key_type, sizeof(r.key_type));
	pki_req_der(req, &der, &r.der_len);
	r.der = (uint8_t *)der;
	if (snprintf(subject, sizeof(subject), "CN=%s", params->subject_cn) >= (int)sizeof(subject)) {
		rc = ck_fail(CK_EINVAL, "subject too long");
		goto out;
	}
	r.subject = subject;
	r.domains = (char **)params->domains;
	r.n_domains = params->n_domains;
	r.services = services;
	r.created = ck_now();

	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = store_key_save(st, r.key_id, r.key_type, key_pem, key_len);
	if (rc == CK_OK)
		rc = store_request_insert(st, &r);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_REQUEST_CREATED,
				   json_pack("{s:s, s:s, s:o, s:s}", "Thumbprint", r.thumbprint,
					     "Subject", subject, "CertificateDomains",
					     certs_json_strings(r.domains, r.n_domains), "RequestFile",
					     o->request_out),
				   "A certificate request has been created: %s for CN=%s, written to %s.",
				   r.thumbprint, params->subject_cn, o->request_out);
	/* The file is written last, atomically: if it cannot be, the store
	 * keeps nothing of the request either. */
	if (rc == CK_OK)
		rc = ck_write_output(o->request_out, req_pem, req_len, 0644);
	if (rc != CK_OK) {
		ck_rollback(st);
		goto out;
	}
	rc = ck_commit(st);
	if (rc == CK_OK)
		snprintf(thumb, 41, "%s", r.thumbprint);
out:
	ck_free_secret(key_pem, key_len);
	free(req_pem);
	pki_req_free(req);
	pki_key_free(key);
	return rc;
}

enum ck_err ck_new(struct store *st, const struct ck_new_opts *o, char thumb[41])
{
	struct pki_make_params params;
	struct store_cert row;
	char **domains = NULL;
	size_t n = 0;
	int days = o->days ? o->days : CK_DEFAULT_DAYS;
	unsigned services =
		o->services_set ? o->services : (CK_SVC_IMAP | CK_SVC_POP | CK_SVC_SMTP);
	enum ck_err rc;

	memset(&row, 0, sizeof(row));
	rc = check_days(days);
	if (rc == CK_OK)
		rc = certs_domains_check(o->domains, o->n_domains, &domains, &n);
	if (rc != CK_OK)
		return rc;
	/* X.520 caps a CN at 64 characters; a DNS name may be longer. */
	if (strlen(domains[0]) > 64) {
		rc = ck_fail(CK_EINVAL,
			     "the first --domain becomes the subject CN, which holds at most 64 "
			     "characters: give a shorter name first ('%.40s...' is %zu)",
			     domains[0], strlen(domains[0]));
		store_cert_clear(&row);
		ck_strlist_free(domains, n);
		return rc;
	}
	params = (struct pki_make_params){
		.subject_cn = domains[0],
		.domains = (const char *const *)domains,
		.n_domains = n,
		.not_before = ck_now(),
		.not_after = ck_now() + (int64_t)days * DAY,
	};
	if (o->request_out) {
		rc = new_request(st, o, &params, services, thumb);
		goto out;
	}
	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = make_selfsigned(st, &params, o->key_type, services, o->friendly_name, "new", &row,
			     NULL);
	if (rc != CK_OK) {
		ck_rollback(st);
		goto out;
	}
	rc = ck_commit(st);
	if (rc == CK_OK)
		snprintf(thumb, 41, "%s", row.thumbprint);
out:
	store_cert_clear(&row);
	ck_strlist_free(domains, n);
	return rc;
}

/* The clone's key is made like the old one, except that an RSA key under
 * 2048 bits (which certkeep never makes) becomes RSA 2048: a renewal must
 * not fail, or stay weak, because the old certificate was. */
static void clone_key_type(const char *old, char *out, size_t n)
{
	if (strncmp(old, "rsa:", 4) == 0 && strtol(old + 4, NULL, 10) < 2048)
		snprintf(out, n, "rsa:2048");
	else
		snprintf(out, n, "%s", old);
}

/* A certificate the built-in CA issued is renewed through it: a new key
 * of the same type, the CA signs (ca.h), and the host store records the
 * replacement (events 1101, 1006, 1001), all in the caller's transaction. */
static enum ck_err renew_through_ca(struct store *st, const struct store_cert *old, int days,
				    struct store_cert *row)
{
	struct pki_key *key = NULL;
	struct pki_cert *cert = NULL;
	enum ck_err rc;

	/* The old validity length, rounded to days; at least one. */
	if (days == 0)
		days = (int)((old->not_after - old->not_before + 43200) / DAY);
	if (days < 1)
		days = 1;
	rc = pki_key_generate(old->key_type, &key);
	if (rc == CK_OK)
		rc = ck_ca_sign_renewal(st, old->der, old->der_len, days, key, &cert);
	if (rc == CK_OK)
		rc = certs_row_from_pki(cert, old->services, old->chain_pem, old->friendly_name,
					row);
	if (rc == CK_OK)
		rc = certs_install(st, row, key, "renew");
	if (rc == CK_OK)
		rc = certs_replaced(st, old, row);
	pki_cert_free(cert);
	pki_key_free(key);
	return rc;
}

enum ck_err ck_clone(struct store *st, const char *thumb, int days, char new_thumb[41],
		     char old_thumb[41])
{
	char key_type[sizeof(((struct store_cert *)0)->key_type)];
	struct store_cert old, row;
	struct pki_cert *cert = NULL;
	struct pki_make_params params;
	int64_t length;
	enum ck_err rc;

	memset(&row, 0, sizeof(row));
	memset(&old, 0, sizeof(old));
	if (days != 0 && check_days(days) != CK_OK)
		return CK_EINVAL;
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_cert_find(st, thumb, &old);
	if (rc != CK_OK)
		goto out;
	snprintf(old_thumb, 41, "%s", old.thumbprint);
	if (old.replaced_by[0]) {
		rc = ck_fail(CK_EINVAL,
			     "certificate %s was already replaced by %s: clone that one instead",
			     old.thumbprint, old.replaced_by);
		goto out;
	}
	if (!old.self_signed && ck_ca_issued(st, old.thumbprint)) {
		rc = renew_through_ca(st, &old, days, &row);
		goto out;
	}
	if (!old.self_signed) {
		rc = ck_fail(CK_EINVAL,
			     "certificate %s is issued by %s, not self-signed: renew it through its "
			     "CA ('certkeep new --domain ... --request-out FILE')",
			     old.thumbprint, old.issuer);
		goto out;
	}
	rc = pki_cert_parse(old.der, old.der_len, &cert);
	if (rc != CK_OK)
		goto out;
	length = days ? (int64_t)days * DAY : old.not_after - old.not_before;
	if (length <= 0)
		length = (int64_t)CK_DEFAULT_DAYS * DAY;
	params = (struct pki_make_params){
		.template_cert = cert,
		.not_before = ck_now(),
		.not_after = ck_now() + length,
	};
	clone_key_type(old.key_type, key_type, sizeof(key_type));
	rc = make_selfsigned(st, &params, key_type, old.services, old.friendly_name, "clone", &row,
			     NULL);
	if (rc == CK_OK)
		rc = certs_replaced(st, &old, &row);
out:
	pki_cert_free(cert);
	if (rc != CK_OK) {
		ck_rollback(st);
	} else {
		rc = ck_commit(st);
		if (rc == CK_OK)
			snprintf(new_thumb, 41, "%s", row.thumbprint);
	}
	store_cert_clear(&old);
	store_cert_clear(&row);
	return rc;
}
