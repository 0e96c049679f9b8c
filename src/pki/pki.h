/*
 * pki.h - every X.509, key and PKCS operation certkeep needs, on OpenSSL 3
 * (DESIGN.md §1, §3).
 *
 * Only the pki module includes OpenSSL headers; the rest of certkeep sees the
 * opaque types below and plain C strings. Ownership: X_new, X_parse and X_make
 * return objects the caller frees with the matching X_free; get0 borrows;
 * char/uint8_t buffers returned through pointers are malloc'ed and owned by
 * the caller (key PEM buffers must be freed with ck_free_secret).
 */
#ifndef CK_PKI_H
#define CK_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct pki_key;
struct pki_cert;
struct pki_req;
struct pki_chain; /* a list of certificates (chain/intermediates) */

#define PKI_THUMB_LEN 40   /* SHA-1 hex */
#define PKI_SHA256_LEN 64  /* SHA-256 hex */
#define PKI_SERIAL_MAX 80  /* 40 octets in hex */
#define PKI_KEYTYPE_MAX 16 /* "ec:P-256", "rsa:4096" */

/* Call first, before any other pki function: chooses OpenSSL's random
 * generator (see pki_key.c). */
void pki_init(void);

/* ---- keys ---- */

/* Generates a key. type: "ec:P-256" (also "ec", "ecdsa", "p256"),
 * "ec:P-384", "rsa:2048", "rsa:3072", "rsa:4096". */
enum ck_err pki_key_generate(const char *type, struct pki_key **out);
/* CK_OK if pki_key_generate takes type, else CK_EINVAL with the types it
 * takes. */
enum ck_err pki_key_type_check(const char *type);

/* Reads an unencrypted private key (PKCS#8 or traditional PEM, or DER). */
enum ck_err pki_key_parse(const uint8_t *buf, size_t len, struct pki_key **out);

/* PKCS#8 PEM, unencrypted (for the store's 0600 key files). */
enum ck_err pki_key_to_pem(const struct pki_key *key, char **pem, size_t *len);

/* Canonical type string ("ec:P-256", "rsa:2048") into buf (>= PKI_KEYTYPE_MAX). */
void pki_key_type(const struct pki_key *key, char *buf, size_t n);

/* SHA-256 of the DER SubjectPublicKeyInfo, hex: the key's identity. */
void pki_key_id(const struct pki_key *key, char out[PKI_SHA256_LEN + 1]);

void pki_key_free(struct pki_key *key);

/* ---- certificates ---- */

/* Parses one certificate, PEM or DER (format detected). DER must be exactly
 * one certificate; in PEM the first CERTIFICATE block is taken and text
 * around blocks is ignored, as OpenSSL does (files written by
 * "openssl x509 -text" or "openssl pkcs12" carry such text). */
enum ck_err pki_cert_parse(const uint8_t *buf, size_t len, struct pki_cert **out);

/* Parses a PEM bundle of one or more certificates (for --chain). */
enum ck_err pki_chain_parse(const uint8_t *buf, size_t len, struct pki_chain **out);
size_t pki_chain_count(const struct pki_chain *chain);
/* A copy of the i-th certificate (0: the first). */
enum ck_err pki_chain_get(const struct pki_chain *chain, size_t i, struct pki_cert **out);
/* Each chain certificate in turn issued the one before it (the first, the
 * leaf): issuer and subject names, key identifiers, keyUsage, CA, and the
 * signature, as OpenSSL's verification checks them. The message names the
 * first that does not fit. Dates are not checked: an expired intermediate
 * is reported by status, not refused at import. */
enum ck_err pki_chain_check(const struct pki_cert *leaf, const struct pki_chain *chain);
/* PEM of every certificate in the chain, concatenated. */
enum ck_err pki_chain_to_pem(const struct pki_chain *chain, char **pem, size_t *len);
void pki_chain_free(struct pki_chain *chain);

void pki_cert_der(const struct pki_cert *cert, const uint8_t **der, size_t *len); /* get0 */
enum ck_err pki_cert_to_pem(const struct pki_cert *cert, char **pem, size_t *len);
void pki_cert_free(struct pki_cert *cert);

/* Everything certkeep shows or indexes about a certificate. Strings are
 * escaped for display (no control characters survive). */
struct pki_cert_info {
	char thumbprint[PKI_THUMB_LEN + 1]; /* SHA-1 of the DER, upper-case hex */
	char sha256[PKI_SHA256_LEN + 1];    /* SHA-256 of the DER, upper-case hex */
	char key_id[PKI_SHA256_LEN + 1];    /* pki_key_id of its public key */
	char serial[PKI_SERIAL_MAX + 1];    /* upper-case hex */
	char key_type[PKI_KEYTYPE_MAX];
	char *subject; /* RFC 2253, e.g. "CN=mx1" */
	char *issuer;
	char *subject_cn; /* NULL if none, or if it holds control characters */
	int64_t not_before, not_after;
	int version; /* 1, 2, 3 */
	bool self_signed;
	/* CertificateDomains: CN first, then SAN DNS names, lower-case, no
	 * duplicates; names that are not valid DNS names are left out. */
	char **domains;
	size_t n_domains;
};
enum ck_err pki_cert_info_get(const struct pki_cert *cert, struct pki_cert_info *info);
void pki_cert_info_clear(struct pki_cert_info *info);

/* True if key is the private half of cert's public key. */
bool pki_cert_matches_key(const struct pki_cert *cert, const struct pki_key *key);

/* Name check with certkeep's fixed rules (DESIGN.md §4): SAN DNS names via
 * X509_check_host with no partial wildcards and never the subject, then the
 * subject CN compared the same way, SANs or not: Exchange selects on "the
 * name in Subject or SAN", as CertificateDomains holds both. A wildcard is
 * only the whole left-most label and covers exactly one label. Returns true
 * on a match. */
bool pki_cert_check_host(const struct pki_cert *cert, const char *name);

enum pki_trust {
	PKI_TRUST_OK,        /* chains to a trusted root at time t */
	PKI_TRUST_DATE,      /* outside its validity at time t */
	PKI_TRUST_UNTRUSTED, /* self-signed, or no chain to a trusted root */
	PKI_TRUST_INVALID,   /* a signature or structure problem */
};
/* Verifies cert (with optional untrusted intermediates) against the
 * system's trust store at time t. */
enum pki_trust pki_cert_verify(const struct pki_cert *cert, const struct pki_chain *chain,
			       int64_t t);

/* Trust anchors: the system's trust store (read as pki_cert_verify reads
 * it) plus the CA certificates a caller adds. Built once and used for
 * every verification; an added anchor may be an intermediate. */
struct pki_anchors;
enum ck_err pki_anchors_new(struct pki_anchors **out);
enum ck_err pki_anchors_add(struct pki_anchors *a, const struct pki_cert *ca);
void pki_anchors_free(struct pki_anchors *a);
/* pki_cert_verify against a (NULL: the system's only). When path is not
 * NULL and the verdict is PKI_TRUST_OK, *path receives the certificates
 * the chain was built through: leaf and self-signed root left out, NULL
 * when none are left. */
enum pki_trust pki_cert_verify_in(const struct pki_anchors *a, const struct pki_cert *cert,
				  const struct pki_chain *chain, int64_t t,
				  struct pki_chain **path);

/* ---- making certificates and requests ---- */

struct pki_make_params {
	/* Either a template whose subject and subjectAltName are copied
	 * verbatim (clone), or subject_cn and domains. */
	const struct pki_cert *template_cert;
	const char *subject_cn;
	const char *const *domains;  /* SAN DNS names, already validated */
	size_t n_domains;
	int64_t not_before;
	int64_t not_after;
};

/* A self-signed v3 TLS server/client certificate (serverAuth, clientAuth;
 * random 16-byte serial; SHA-256). */
enum ck_err pki_selfsigned_make(const struct pki_make_params *p, const struct pki_key *key,
				struct pki_cert **out);

/* A PKCS#10 request for the same subject and SANs, signed by key. */
enum ck_err pki_req_make(const struct pki_make_params *p, const struct pki_key *key,
			 struct pki_req **out);
enum ck_err pki_req_to_pem(const struct pki_req *req, char **pem, size_t *len);
/* SHA-1 of the request's DER, upper-case hex (its "thumbprint"). */
void pki_req_thumbprint(const struct pki_req *req, char out[PKI_THUMB_LEN + 1]);
void pki_req_der(const struct pki_req *req, const uint8_t **der, size_t *len); /* get0 */
void pki_req_free(struct pki_req *req);

/* ---- PKCS#12 ---- */

/* Reads a PKCS#12 file: its certificate, key and other certificates.
 * A wrong password gives CK_EPASSWORD. */
enum ck_err pki_p12_parse(const uint8_t *buf, size_t len, const char *password,
			  struct pki_cert **cert, struct pki_key **key, struct pki_chain **chain);

/* Writes a PKCS#12 (AES-256-CBC, PBKDF2, SHA-256 MAC) of cert, key, chain. */
enum ck_err pki_p12_make(const struct pki_cert *cert, const struct pki_key *key,
			 const struct pki_chain *chain, const char *password,
			 const char *friendly_name, uint8_t **out, size_t *len);

/* ---- helpers ---- */

/* Hex-encodes bin (upper case) into out (>= 2 * n + 1). */
void pki_hex(const uint8_t *bin, size_t n, char *out);

#endif
