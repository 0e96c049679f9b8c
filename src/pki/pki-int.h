/*
 * pki-int.h - the pki module's private types, shared by its files only.
 */
#ifndef CK_PKI_INT_H
#define CK_PKI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/pki.h"

struct pki_key {
	EVP_PKEY *pkey;
};

struct pki_cert {
	X509 *x509;
	uint8_t *der;
	size_t der_len;
};

struct pki_req {
	X509_REQ *req;
	uint8_t *der;
	size_t der_len;
};

struct pki_chain {
	STACK_OF(X509) *certs;
};

/* Sets the message to "what: <OpenSSL's reason>", draining the error queue,
 * and returns code. */
enum ck_err pki_fail_ssl(enum ck_err code, const char *what);

/* Wraps an X509 (taking ownership) into a pki_cert with its cached DER. */
enum ck_err pki_cert_wrap(X509 *x, struct pki_cert **out);

/* Wraps an X509_REQ (taking ownership) into a pki_req with its DER. */
enum ck_err pki_req_wrap(X509_REQ *req, struct pki_req **out);

/* Copies a memory BIO's contents into a new NUL-terminated string
 * (len may be NULL). */
enum ck_err pki_bio_string(BIO *bio, char **out, size_t *len);

/* One DER element at *p (within end), read by OpenSSL's ASN1_get_object:
 * its tag and class, its content and the element's start; 0 when
 * malformed or running past end (indefinite lengths refused). Advances *p
 * past it. The one reader of length-prefixed DER in certkeep (pki_der.c). */
struct der_elem {
	int tag, cls;
	const uint8_t *start, *content;
	long len;
};
int pki_der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e);

/* Whether input given as PEM-or-DER is PEM: a "-----BEGIN " in its first
 * 4 KiB (DER never holds one that early: it starts with a SEQUENCE). */
bool pki_looks_pem(const uint8_t *buf, size_t len);

/* pki_key_id for a bare public key (a certificate's or a request's). */
void pki_pubkey_id(EVP_PKEY *pkey, char out[PKI_SHA256_LEN + 1]);

#endif
