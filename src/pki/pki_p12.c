/*
 * pki_p12.c - PKCS#12 import and export (DESIGN.md §3: import, export).
 */
#include "pki/pki-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

enum ck_err pki_p12_parse(const uint8_t *buf, size_t len, const char *password,
			  struct pki_cert **cert, struct pki_key **key, struct pki_chain **chain)
{
	const unsigned char *p = buf;
	PKCS12 *p12 = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	STACK_OF(X509) *ca = NULL;
	enum ck_err rc = CK_EINVAL;
	struct pki_key *k = NULL;
	struct pki_chain *ch = NULL;

	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (p12 == NULL) {
		ERR_clear_error();
		return ck_fail(CK_EINVAL, "not a PKCS#12 file (malformed DER)");
	}
	/* An empty password may have been encoded as no password at all. */
	if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, password, -1)) {
		if (password[0] == '\0' && PKCS12_verify_mac(p12, NULL, 0)) {
			password = NULL;
		} else {
			ERR_clear_error();
			rc = ck_fail(CK_EPASSWORD, "wrong password for the PKCS#12 file");
			goto out;
		}
	}
	if (!PKCS12_parse(p12, password, &pkey, &x, &ca)) {
		rc = pki_fail_ssl(CK_EINVAL, "cannot read the PKCS#12 file");
		goto out;
	}
	if (x == NULL || pkey == NULL) {
		rc = ck_fail(CK_EINVAL, "the PKCS#12 file must hold a certificate and its key");
		goto out;
	}
	k = calloc(1, sizeof(*k));
	ch = calloc(1, sizeof(*ch));
	if (k == NULL || ch == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	rc = pki_cert_wrap(x, cert);
	x = NULL;
	if (rc != CK_OK)
		goto out;
	k->pkey = pkey;
	pkey = NULL;
	ch->certs = ca ? ca : sk_X509_new_null();
	ca = NULL;
	*key = k;
	*chain = ch;
	k = NULL;
	ch = NULL;
	rc = CK_OK;
out:
	ERR_clear_error();
	free(k);
	pki_chain_free(ch);
	PKCS12_free(p12);
	EVP_PKEY_free(pkey);
	X509_free(x);
	sk_X509_pop_free(ca, X509_free);
	return rc;
}

enum ck_err pki_p12_make(const struct pki_cert *cert, const struct pki_key *key,
			 const struct pki_chain *chain, const char *password,
			 const char *friendly_name, uint8_t **out, size_t *len)
{
	PKCS12 *p12;
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	p12 = PKCS12_create_ex(password, friendly_name, key->pkey, cert->x509,
			       chain ? chain->certs : NULL, NID_aes_256_cbc, NID_aes_256_cbc,
			       PKCS12_DEFAULT_ITER, -1, 0, NULL, NULL);
	if (p12 == NULL)
		return pki_fail_ssl(CK_ECRYPTO, "cannot build the PKCS#12 file");
	/* Created without a MAC (-1) so that the MAC can be SHA-256, not SHA-1. */
	if (!PKCS12_set_mac(p12, password, -1, NULL, 0, PKCS12_DEFAULT_ITER, EVP_sha256())) {
		PKCS12_free(p12);
		return pki_fail_ssl(CK_ECRYPTO, "cannot protect the PKCS#12 file");
	}
	n = i2d_PKCS12(p12, &der);
	PKCS12_free(p12);
	if (n <= 0)
		return pki_fail_ssl(CK_ECRYPTO, "cannot encode the PKCS#12 file");
	copy = malloc((size_t)n);
	if (copy == NULL) {
		OPENSSL_free(der);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*out = copy;
	*len = (size_t)n;
	return CK_OK;
}
