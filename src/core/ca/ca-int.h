/*
 * ca-int.h - what the CA's files share (ca_records.c, used by ca.c,
 * ca_policy.c, ca_issue.c and ca_revoke.c) and nothing else sees.
 */
#ifndef CK_CA_INT_H
#define CK_CA_INT_H

#include "pki/pki_ca.h"
#include "core/ca/ca.h"
#include "core/events/config.h"

/* Loads the CA for signing: its certificate from the store and its key
 * from ca/ca.key. The only reader of the key file. */
enum ck_err ca_load(struct store *st, struct pki_ca **out);

/* Issues the certificate for request r (r->id set, inside the open
 * transaction): a fresh serial, retried on the (unlikely) collision with a
 * stored one; records the certificate and fills r's certificate fields.
 * *pem receives the certificate's PEM, *cert (optional) the certificate. */
enum ck_err ca_issue_one(struct store *st, struct pki_ca *ca, const struct pki_csr *csr,
			 const struct ck_ca_decision *d, int64_t now, struct store_ca_request *r,
			 char **pem, struct pki_cert **cert);

/* Serial numbers come from here; tests replace it to force collisions. */
extern enum ck_err (*ca_serial_fn)(char out[PKI_CA_SERIAL_HEX + 1]);

/* True if s is 1..max bytes with no control characters (it may end up
 * in mail headers and logs). */
bool ca_text_ok(const char *s, size_t max);

/* Upper-case hex serial from user input (colons and spaces dropped). */
enum ck_err ca_serial_normalize(const char *in, char out[41]);

/* Sets key to t as ISO 8601 text in o, unless t is 0. */
void ca_put_time(json_t *o, const char *key, int64_t t);

/* The PEM of a stored certificate DER. */
enum ck_err ca_der_pem(const uint8_t *der, size_t len, char **pem);

#endif
