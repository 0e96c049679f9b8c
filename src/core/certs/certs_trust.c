/*
 * certs_trust.c - the trust anchors of a store: the system's trust store,
 * the store's own CA certificate and the anchors added with 'certkeep
 * trust anchor add' (DESIGN.md §3). Built once per store handle, kept in
 * its cache slot and dropped whenever an anchor changes, so Status and
 * selection never read anchors per certificate.
 */
#include "core/certs/certs-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "pki/pki_ca.h"
#include "core/ca/ca.h"

#define ANCHOR_FILE_MAX (1024 * 1024)

struct certs_trust {
	struct pki_anchors *anchors;
	char *ca_subject; /* the store CA's subject, NULL with none */
};

static void trust_free(void *p)
{
	struct certs_trust *t = p;

	pki_anchors_free(t->anchors);
	free(t->ca_subject);
	free(t);
}

static int add_row(const struct store_anchor *a, void *arg)
{
	struct pki_cert *cert = NULL;

	/* an anchor that no longer parses is skipped, not fatal to Status */
	if (pki_cert_parse(a->der, a->der_len, &cert) == CK_OK)
		pki_anchors_add(arg, cert);
	pki_cert_free(cert);
	ck_errmsg_clear();
	return 0;
}

static struct certs_trust *trust_get(struct store *st)
{
	struct certs_trust *t = store_cache(st);
	struct pki_cert *ca = NULL;
	struct pki_cert_info info;

	if (t != NULL)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL || pki_anchors_new(&t->anchors) != CK_OK) {
		free(t);
		return NULL;
	}
	if (ck_ca_cert_get(st, &ca) == CK_OK && pki_anchors_add(t->anchors, ca) == CK_OK &&
	    pki_cert_info_get(ca, &info) == CK_OK) {
		t->ca_subject = strdup(info.subject);
		pki_cert_info_clear(&info);
	}
	pki_cert_free(ca);
	store_anchor_each(st, add_row, t->anchors);
	ck_errmsg_clear();
	store_cache_set(st, t, trust_free);
	return t;
}

enum pki_trust certs_verify(struct store *st, const struct pki_cert *cert,
			    const struct pki_chain *chain, int64_t now, struct pki_chain **path)
{
	struct certs_trust *t = trust_get(st);

	return pki_cert_verify_in(t ? t->anchors : NULL, cert, chain, now, path);
}

bool certs_revoked_by_ca(struct store *st, const struct store_cert *c)
{
	struct certs_trust *t = trust_get(st);

	/* the issuer name first: one string compare for every other cert */
	return t && t->ca_subject && !c->self_signed && strcmp(c->issuer, t->ca_subject) == 0 &&
	       ck_ca_revoked(st, c->thumbprint, NULL);
}

/* ---- trust anchor add / remove / list ---- */

static json_t *anchor_json(const char *thumb, const char *subject, int64_t not_after,
			   int64_t added)
{
	char na[32], ad[32];

	ck_time_format(not_after, na, sizeof(na));
	ck_time_format(added, ad, sizeof(ad));
	return json_pack("{s:s, s:s, s:s, s:s}", "Thumbprint", thumb, "Subject", subject,
			 "NotAfter", na, "Added", ad);
}

/* One certificate of the file, checked and recorded. */
static enum ck_err add_one(struct store *st, const struct pki_cert *cert, int64_t now,
			   json_t *list)
{
	struct pki_cert_info info;
	struct store_anchor a;
	const uint8_t *der;
	size_t len;
	enum ck_err rc = pki_cert_info_get(cert, &info);

	if (rc != CK_OK)
		return rc;
	if (!pki_cert_is_ca(cert)) {
		rc = ck_fail(CK_EINVAL, "%s (%s) is not a CA certificate (basicConstraints "
					"CA:TRUE missing): only a CA can be a trust anchor",
			     info.thumbprint, info.subject);
		pki_cert_info_clear(&info);
		return rc;
	}
	memset(&a, 0, sizeof(a));
	snprintf(a.thumbprint, sizeof(a.thumbprint), "%s", info.thumbprint);
	snprintf(a.subject, sizeof(a.subject), "%s", info.subject);
	a.not_after = info.not_after;
	a.added = now;
	pki_cert_der(cert, &der, &len);
	a.der = der;
	a.der_len = len;
	rc = store_anchor_insert(st, &a);
	if (rc == CK_OK)
		json_array_append_new(list, anchor_json(a.thumbprint, a.subject, a.not_after, now));
	pki_cert_info_clear(&info);
	return rc;
}

enum ck_err ck_anchor_add(struct store *st, const uint8_t *buf, size_t len, json_t **out)
{
	struct pki_chain *chain = NULL;
	struct pki_cert *cert = NULL;
	json_t *list = json_array();
	int64_t now = ck_now();
	enum ck_err rc;
	size_t i;

	if (list == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (len > ANCHOR_FILE_MAX) {
		json_decref(list);
		return ck_fail(CK_EINVAL, "the anchor file is larger than 1 MiB");
	}
	/* a PEM bundle of one or more, else one DER certificate */
	if (pki_chain_parse(buf, len, &chain) != CK_OK) {
		chain = NULL;
		rc = pki_cert_parse(buf, len, &cert);
		if (rc != CK_OK) {
			json_decref(list);
			return rc;
		}
	}
	ck_errmsg_clear();
	rc = store_begin(st);
	if (rc == CK_OK && cert)
		rc = add_one(st, cert, now, list);
	for (i = 0; rc == CK_OK && i < pki_chain_count(chain); i++) {
		struct pki_cert *one = NULL;

		rc = pki_chain_get(chain, i, &one);
		if (rc == CK_OK)
			rc = add_one(st, one, now, list);
		pki_cert_free(one);
	}
	if (rc == CK_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	store_cache_set(st, NULL, NULL);
	pki_cert_free(cert);
	pki_chain_free(chain);
	if (rc != CK_OK) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return CK_OK;
}

enum ck_err ck_anchor_remove(struct store *st, const char *thumb)
{
	char up[41];
	size_t i, n = strlen(thumb);
	enum ck_err rc;

	if (n != 40)
		return ck_fail(CK_EINVAL, "a trust anchor is named by its whole thumbprint (40 "
					  "hex digits; see 'certkeep trust anchor list')");
	for (i = 0; i < n; i++) {
		if (!strchr("0123456789abcdefABCDEF", thumb[i]))
			return ck_fail(CK_EINVAL, "'%.40s' is not a thumbprint", thumb);
		up[i] = (char)(thumb[i] >= 'a' ? thumb[i] - 'a' + 'A' : thumb[i]);
	}
	up[n] = '\0';
	rc = store_begin(st);
	if (rc == CK_OK)
		rc = store_anchor_delete(st, up);
	if (rc == CK_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	store_cache_set(st, NULL, NULL);
	return rc;
}

static int list_row(const struct store_anchor *a, void *arg)
{
	return json_array_append_new(arg, anchor_json(a->thumbprint, a->subject, a->not_after,
						      a->added)) == 0
		       ? 0
		       : ck_fail(CK_ENOMEM, "out of memory");
}

enum ck_err ck_anchor_list(struct store *st, json_t **out)
{
	json_t *list = json_array();
	enum ck_err rc = list ? store_anchor_each(st, list_row, list)
			      : ck_fail(CK_ENOMEM, "out of memory");

	if (rc != CK_OK) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return CK_OK;
}
