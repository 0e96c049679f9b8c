/*
 * pki_ca.h - the certificate authority's X.509 work: reading PKCS#10
 * requests, making the CA certificate (or its request to a parent CA),
 * issuing certificates and building CRLs (DESIGN.md §8).
 *
 * The CA's private key is used in one function only (pki_ca.c,
 * ca_sign_ctx); the core's CA service is the only caller of this header
 * that loads that key. Ownership as in pki.h: X_new, X_parse and X_open
 * return objects freed with the matching X_free; strings and buffers handed back
 * through pointers are malloc'ed and owned by the caller.
 */
#ifndef CK_PKI_CA_H
#define CK_PKI_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

#define PKI_CA_SERIAL_BYTES 16
#define PKI_CA_SERIAL_HEX (2 * PKI_CA_SERIAL_BYTES)

/* CRL reason codes (RFC 5280 §5.3.1). */
enum pki_crl_reason {
	PKI_REASON_UNSPECIFIED = 0,
	PKI_REASON_KEY_COMPROMISE = 1,
	PKI_REASON_CA_COMPROMISE = 2,
	PKI_REASON_AFFILIATION_CHANGED = 3,
	PKI_REASON_SUPERSEDED = 4,
	PKI_REASON_CESSATION = 5,
	PKI_REASON_HOLD = 6,
	PKI_REASON_PRIVILEGE_WITHDRAWN = 9,
	PKI_REASON_AA_COMPROMISE = 10,
};

/* ---- requests ---- */

struct pki_csr;

/* Parses a PKCS#10 request, PEM or DER, and checks its signature against
 * its own public key (proof of possession). Safe to call from several
 * threads at once. Garbage, truncation, trailing bytes after DER, a bad
 * signature and a signature that is not RSA PKCS#1 v1.5 or ECDSA over
 * SHA-256, SHA-384 or SHA-512 (MD5, SHA-1, SHA-224, RSA-PSS) all fail
 * with CK_EINVAL. */
enum ck_err pki_csr_parse(const uint8_t *buf, size_t len, struct pki_csr **out);
void pki_csr_free(struct pki_csr *csr);
void pki_csr_der(const struct pki_csr *csr, const uint8_t **der, size_t *len); /* get0 */

/* What a request asks for, unvalidated: names are the bytes as given (the
 * caller checks them with the names module). */
struct pki_csr_info {
	char *cn;         /* subject CN, NULL if none */
	char **dns;       /* subjectAltName DNS names */
	size_t n_dns;
	bool bad_string;  /* a CN or DNS name holding a NUL byte, or several CNs */
	bool other_names; /* SAN entries that are not DNS names (IP, e-mail, URI) */
	char key_type[PKI_KEYTYPE_MAX]; /* "ec:P-256", "rsa:2048", "ED25519" */
	bool key_rsa, key_ec;
	int key_bits;
	uint64_t rsa_e; /* RSA public exponent; UINT64_MAX when 64 bits or more */
};
enum ck_err pki_csr_info_get(const struct pki_csr *csr, struct pki_csr_info *info);
void pki_csr_info_clear(struct pki_csr_info *info);

/* ---- the CA ---- */

/* A self-signed CA certificate: CN=name, basicConstraints critical
 * CA:TRUE, keyUsage critical keyCertSign and cRLSign, subject and
 * authority key identifiers, a random 16-octet serial. */
enum ck_err pki_ca_make_root(const struct pki_key *key, const char *name, int64_t not_before,
			     int64_t not_after, struct pki_cert **out);
/* A request for a parent CA asking for the same CA extensions. */
enum ck_err pki_ca_make_request(const struct pki_key *key, const char *name,
				struct pki_req **out);
/* True if cert says CA:TRUE in basicConstraints. */
bool pki_cert_is_ca(const struct pki_cert *cert);

/* A fresh serial number: 16 random octets, positive, the first non-zero
 * (so always 32 hex digits, and hex order is numeric order). */
enum ck_err pki_ca_serial_new(char out[PKI_CA_SERIAL_HEX + 1]);

/* The CA loaded for signing: its certificate and its key, checked to
 * match. crl_url (may be NULL) goes into every certificate issued as the
 * CRL distribution point. */
struct pki_ca;
enum ck_err pki_ca_open(const uint8_t *cert_der, size_t cert_len, const uint8_t *key_pem,
			size_t key_len, const char *crl_url, struct pki_ca **out);
void pki_ca_free(struct pki_ca *ca);
/* The CA certificate's NotAfter (nothing it issues may outlive it). */
int64_t pki_ca_not_after(const struct pki_ca *ca);

struct pki_ca_issue {
	const struct pki_csr *csr; /* its public key is certified */
	const char *serial;        /* PKI_CA_SERIAL_HEX hex digits */
	const char *cn;            /* validated; the whole subject */
	const char *const *dns;    /* validated SAN DNS names */
	size_t n_dns;
	int64_t not_before, not_after;
};
/* Issues an end-entity TLS certificate: the subject is CN only (other
 * attributes of the request are not copied), SAN DNS names,
 * basicConstraints CA:FALSE, keyUsage digitalSignature (+keyEncipherment
 * for RSA), extendedKeyUsage serverAuth and clientAuth, subject and
 * authority key identifiers, the CRL distribution point if set. sha1
 * receives the certificate's SHA-1 (its thumbprint), *der its DER
 * (malloc'ed; pki_cert_parse reads it). Safe to call from several threads
 * on one pki_ca. */
enum ck_err pki_ca_issue(struct pki_ca *ca, const struct pki_ca_issue *p, uint8_t **der,
			 size_t *der_len, char sha1[PKI_THUMB_LEN + 1]);

/* PEM of a certificate's DER, encoded directly (no parse, no re-encoding). */
enum ck_err pki_der_to_pem(const uint8_t *der, size_t len, char **pem);

/* ---- CRLs, streamed ---- */

/* A CRL under construction. Entries must be added in increasing serial
 * order (the store's index gives them so); they are encoded at once into
 * one buffer, so memory is about 50 bytes per entry and the work O(n),
 * with no sort at the end. */
struct pki_crl;
enum ck_err pki_crl_begin(struct pki_ca *ca, int64_t number, int64_t this_update,
			  int64_t next_update, struct pki_crl **out);
enum ck_err pki_crl_add(struct pki_crl *crl, const char *serial_hex, int64_t when, int reason);
/* Signs the CRL and hands out its encoding (PEM when pem, else DER). */
enum ck_err pki_crl_finish(struct pki_crl *crl, bool pem, uint8_t **out, size_t *len);
void pki_crl_free(struct pki_crl *crl);

#endif
