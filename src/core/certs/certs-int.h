/*
 * certs-int.h - helpers shared by the certs service files only.
 */
#ifndef CK_CERTS_INT_H
#define CK_CERTS_INT_H

#include "pki/pki.h"
#include "core/certs/certs.h"
#include "base/fileio.h"
#include "base/strlist.h"

/* Fills a store row from a parsed certificate. chain_pem and friendly_name
 * are copied. Clear with store_cert_clear. */
/* Verification against the store's trust anchors (certs_trust.c); path as
 * pki_cert_verify_in's. */
enum pki_trust certs_verify(struct store *st, const struct pki_cert *cert,
			    const struct pki_chain *chain, int64_t now, struct pki_chain **path);
/* True if the store's own CA issued c and has revoked it. */
bool certs_revoked_by_ca(struct store *st, const struct store_cert *c);

enum ck_err certs_row_from_pki(const struct pki_cert *cert, unsigned services,
			       const char *chain_pem, const char *friendly_name,
			       struct store_cert *row);

/* Inside an open transaction: saves key (if any), inserts the certificate
 * row and emits 1006 with action ("init", "new", "import", "clone"). */
enum ck_err certs_install(struct store *st, struct store_cert *row, const struct pki_key *key,
			  const char *action);

/* Inside an open transaction: old is replaced by its renewal row (its
 * replaced_by set, event 1001, and the host certificate moved to row if
 * it was old). */
enum ck_err certs_replaced(struct store *st, const struct store_cert *old,
			   const struct store_cert *row);

/* JSON array of strings. New reference. */
json_t *certs_json_strings(char *const *list, size_t n);

/* Validates and lower-cases each domain into a new list (duplicates
 * dropped); at least one, at most CK_MAX_DOMAINS. */
enum ck_err certs_domains_check(const char *const *in, size_t n, char ***out, size_t *n_out);

#endif
