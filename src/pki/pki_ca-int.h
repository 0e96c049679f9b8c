/*
 * pki_ca-int.h - what the CA's files (pki_csr.c, pki_ca.c, pki_crl.c)
 * share and nothing else sees.
 */
#ifndef CK_PKI_CA_INT_H
#define CK_PKI_CA_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/pki-int.h"
#include "pki/pki_ca.h"

/* A request, decoded field by field (csr_decode in pki_csr.c says why). */
struct pki_csr {
	uint8_t *der;
	size_t der_len;
	X509_NAME *subject;
	STACK_OF(X509_EXTENSION) *exts; /* the extensionRequest, or NULL */
	X509_ALGOR *key_alg;            /* SubjectPublicKeyInfo.algorithm */
	uint8_t *key_bits;              /* subjectPublicKey, without the unused-bits octet */
	size_t key_bits_len;
	/* What the checks need of the public key, kept once the signature is
	 * verified; the key itself is freed then (bulk submission holds many
	 * requests, and a decoded key is most of a request's memory). */
	int key_id, key_size;
	char key_type[PKI_KEYTYPE_MAX];
	uint64_t rsa_e; /* the RSA public exponent, UINT64_MAX for 64 bits or more */
	/* A refused signature algorithm: its digest (NID_undef if none or
	 * unknown) and its name or OID, for the message. */
	int sig_md;
	char sig_alg[64];
};

struct pki_ca {
	X509_NAME *subject; /* the issuer name of what it signs */
	int64_t not_after;
	EVP_PKEY *key;
	/* A signing context set up once and copied for each certificate
	 * (setting one up costs a quarter of a signature; bulk submission
	 * copies it from several threads, which only read it). */
	EVP_MD_CTX *sign_once;
	/* Extensions every issued certificate carries, encoded once. */
	X509_EXTENSION *bc, *ku_ec, *ku_rsa, *eku, *aki, *cdp;
};


/* A copy of the CA's signing context, for one signature; free it with
 * EVP_MD_CTX_free. */
EVP_MD_CTX *pki_ca_sign_copy(const struct pki_ca *ca);

#endif
