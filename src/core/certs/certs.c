/*
 * certs.c - shared pieces of the certificate services, and the services
 * that change a certificate in place: enable, disable, remove
 * (DESIGN.md §3).
 */
#include "core/certs/certs-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "base/names.h"

enum ck_err certs_row_from_pki(const struct pki_cert *cert, unsigned services,
			       const char *chain_pem, const char *friendly_name,
			       struct store_cert *row)
{
	struct pki_cert_info info;
	const uint8_t *der;
	size_t der_len;
	enum ck_err rc;

	memset(row, 0, sizeof(*row));
	rc = pki_cert_info_get(cert, &info);
	if (rc != CK_OK)
		return rc;
	if (info.version != 3) {
		pki_cert_info_clear(&info);
		return ck_fail(CK_EINVAL, "certificate is X.509 version %d: only version 3 is kept",
			       info.version);
	}
	memcpy(row->thumbprint, info.thumbprint, sizeof(row->thumbprint));
	memcpy(row->sha256, info.sha256, sizeof(row->sha256));
	memcpy(row->key_id, info.key_id, sizeof(row->key_id));
	snprintf(row->serial, sizeof(row->serial), "%s", info.serial);
	snprintf(row->key_type, sizeof(row->key_type), "%s", info.key_type);
	row->subject = info.subject;
	row->issuer = info.issuer;
	row->domains = info.domains;
	row->n_domains = info.n_domains;
	info.subject = info.issuer = NULL;
	info.domains = NULL;
	info.n_domains = 0;
	row->not_before = info.not_before;
	row->not_after = info.not_after;
	row->version = info.version;
	row->self_signed = info.self_signed;
	row->services = services;
	row->added = ck_now();
	pki_cert_info_clear(&info);
	pki_cert_der(cert, &der, &der_len);
	row->der = malloc(der_len);
	row->chain_pem = chain_pem ? strdup(chain_pem) : NULL;
	row->friendly_name = friendly_name ? strdup(friendly_name) : NULL;
	if (row->der == NULL || (chain_pem && row->chain_pem == NULL) ||
	    (friendly_name && row->friendly_name == NULL)) {
		store_cert_clear(row);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	memcpy(row->der, der, der_len);
	row->der_len = der_len;
	return CK_OK;
}

json_t *certs_json_strings(char *const *list, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

static char *join_domains(char *const *list, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

enum ck_err certs_install(struct store *st, struct store_cert *row, const struct pki_key *key,
			  const char *action)
{
	char services[8], domains[512];
	enum ck_err rc;

	if (key != NULL) {
		char *pem = NULL;
		size_t len = 0;

		rc = pki_key_to_pem(key, &pem, &len);
		if (rc == CK_OK)
			rc = store_key_save(st, row->key_id, row->key_type, pem, len);
		ck_free_secret(pem, len);
		if (rc != CK_OK)
			return rc;
	}
	rc = store_cert_insert(st, row);
	if (rc != CK_OK)
		return rc;
	ck_services_compact(row->services, services, sizeof(services));
	return ck_event_emit(
		st, CK_EV_CERT_INSTALLED,
		json_pack("{s:s, s:s, s:o, s:s, s:s, s:b}", "Thumbprint", row->thumbprint,
			  "Subject", row->subject, "CertificateDomains",
			  certs_json_strings(row->domains, row->n_domains), "Services", services,
			  "Action", action, "HasPrivateKey", key != NULL || row->has_key),
		"A new certificate has been installed (%s): %s, %s; domains %s; services %s",
		action, row->thumbprint, row->subject,
		join_domains(row->domains, row->n_domains, domains, sizeof(domains)), services);
}

enum ck_err certs_replaced(struct store *st, const struct store_cert *old,
			   const struct store_cert *row)
{
	char *host = NULL;
	enum ck_err rc = store_cert_set_replaced_by(st, old->id, row->thumbprint);

	if (rc == CK_OK)
		rc = ck_event_emit(
			st, CK_EV_CERT_REPLACED,
			json_pack("{s:s, s:s, s:s, s:o}", "OldThumbprint", old->thumbprint,
				  "NewThumbprint", row->thumbprint, "Action", "renew",
				  "SubjectNames", certs_json_strings(row->domains, row->n_domains)),
			"A certificate has been replaced (renew). Old: %s, new: %s, subject %s.",
			old->thumbprint, row->thumbprint, row->subject);
	if (rc != CK_OK)
		return rc;
	/* The host's certificate moves to its renewal. */
	if (ck_config_stored(st, CK_CFG_HOST_CERTIFICATE, &host) == CK_OK &&
	    strcmp(host, old->thumbprint) == 0)
		rc = ck_config_put(st, CK_CFG_HOST_CERTIFICATE, row->thumbprint);
	free(host);
	if (rc == CK_OK)
		ck_errmsg_clear(); /* no host certificate is not a failure */
	return rc;
}

enum ck_err certs_domains_check(const char *const *in, size_t n, char ***out, size_t *n_out)
{
	char **list = NULL;
	size_t count = 0, i, j;
	enum ck_err rc = CK_OK;

	if (n == 0)
		return ck_fail(CK_EUSAGE, "give at least one --domain NAME");
	if (n > CK_MAX_DOMAINS)
		return ck_fail(CK_EINVAL, "too many domain names (at most %d)", CK_MAX_DOMAINS);
	for (i = 0; i < n && rc == CK_OK; i++) {
		char norm[CK_DOMAIN_MAX + 1];
		bool dup = false;

		rc = ck_domain_normalize(in[i], true, norm, sizeof(norm));
		if (rc != CK_OK)
			break;
		for (j = 0; j < count; j++)
			dup = dup || strcmp(list[j], norm) == 0;
		if (!dup)
			rc = ck_strlist_push(&list, &count, norm);
	}
	if (rc != CK_OK) {
		ck_strlist_free(list, count);
		return rc;
	}
	*out = list;
	*n_out = count;
	return CK_OK;
}

enum ck_err ck_services_change(struct store *st, const char *thumb, unsigned services,
			       bool enable, char thumb_out[41], unsigned *before, unsigned *after)
{
	struct store_cert c;
	char was[8], now[8];
	enum ck_err rc;
	unsigned next;

	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_cert_find(st, thumb, &c);
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	snprintf(thumb_out, 41, "%s", c.thumbprint);
	*before = c.services;
	next = enable ? (c.services | services) : (c.services & ~services);
	*after = next;
	if (enable && services && !c.has_key) {
		store_cert_clear(&c);
		ck_rollback(st);
		return ck_fail(CK_EINVAL,
			       "certificate %s has no private key in the store: a service cannot use it",
			       thumb_out);
	}
	if (next == c.services) {
		store_cert_clear(&c);
		ck_rollback(st);
		return CK_OK;
	}
	ck_services_compact(c.services, was, sizeof(was));
	ck_services_compact(next, now, sizeof(now));
	rc = store_cert_set_services(st, c.id, next);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_SERVICES_CHANGED,
				   json_pack("{s:s, s:s, s:s}", "Thumbprint", c.thumbprint,
					     "OldServices", was, "NewServices", now),
				   "Services of certificate %s changed: %s -> %s",
				   c.thumbprint, was, now);
	store_cert_clear(&c);
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

/* Removes a pending request (remove accepts their thumbprints too). */
static enum ck_err remove_request(struct store *st, const char *thumb, char removed[41])
{
	struct store_request r;
	enum ck_err rc = store_request_find(st, thumb, &r);

	if (rc != CK_OK)
		return rc;
	snprintf(removed, 41, "%s", r.thumbprint);
	rc = store_request_delete(st, r.id);
	if (rc == CK_OK)
		rc = store_key_release(st, r.key_id);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_CERT_DELETED,
				   json_pack("{s:s, s:s, s:b}", "Thumbprint", r.thumbprint,
					     "Subject", r.subject, "PendingRequest", 1),
				   "The pending request %s (%s) has been deleted.", r.thumbprint,
				   r.subject);
	store_request_clear(&r);
	return rc;
}

enum ck_err ck_remove(struct store *st, const char *thumb, char removed[41])
{
	return ck_remove_if(st, thumb, NULL, NULL, removed);
}

enum ck_err ck_remove_if(struct store *st, const char *thumb,
			 enum ck_err (*allow)(struct store *st, const char *thumbprint, void *arg),
			 void *arg, char removed[41])
{
	struct store_cert c;
	enum ck_err rc;

	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_cert_find(st, thumb, &c);
	if (rc == CK_ENOTFOUND) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", ck_errmsg());
		rc = remove_request(st, thumb, removed);
		if (rc == CK_ENOTFOUND)
			ck_fail(CK_ENOTFOUND, "%s", msg);
		goto done;
	}
	if (rc != CK_OK)
		goto done;
	snprintf(removed, 41, "%s", c.thumbprint);
	rc = allow ? allow(st, c.thumbprint, arg) : CK_OK;
	if (rc == CK_OK)
		rc = store_cert_delete(st, c.id);
	if (rc == CK_OK)
		rc = store_cert_repoint_replaced(st, c.thumbprint, c.replaced_by);
	if (rc == CK_OK)
		rc = store_key_release(st, c.key_id);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_CERT_DELETED,
				   json_pack("{s:s, s:s, s:o}", "Thumbprint", c.thumbprint,
					     "Subject", c.subject, "CertificateDomains",
					     certs_json_strings(c.domains, c.n_domains)),
				   "A certificate has been deleted: %s, %s.", c.thumbprint,
				   c.subject);
	store_cert_clear(&c);
done:
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}
