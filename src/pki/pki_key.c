/*
 * pki_key.c - private keys: generation, parsing, PEM, identity
 * (DESIGN.md §3). Keys are EC P-256 by default; RSA 2048-4096 on request.
 */
#include "pki/pki-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

/* "2048" to "16384", a multiple of 8: what OpenSSL makes and a TLS peer
 * accepts; 0 for anything else. Smaller RSA keys are never made. */
static size_t rsa_bits(const char *s)
{
	size_t len = strspn(s, "0123456789");
	unsigned long bits;

	if (len < 4 || len > 5 || s[len] != '\0')
		return 0;
	bits = strtoul(s, NULL, 10);
	return bits >= 2048 && bits <= 16384 && bits % 8 == 0 ? (size_t)bits : 0;
}

/* The curve (EC) or the bits (RSA) a key type names; false if none. */
static bool key_kind(const char *type, const char **curve, size_t *bits)
{
	*curve = NULL;
	*bits = 0;
	if (strcasecmp(type, "ec") == 0 || strcasecmp(type, "ecdsa") == 0 ||
	    strcasecmp(type, "ec:P-256") == 0 || strcasecmp(type, "p256") == 0 ||
	    strcasecmp(type, "ec:prime256v1") == 0)
		*curve = "P-256";
	else if (strcasecmp(type, "ec:P-384") == 0 || strcasecmp(type, "p384") == 0)
		*curve = "P-384";
	else if (strcasecmp(type, "ec:P-521") == 0 || strcasecmp(type, "ec:secp521r1") == 0)
		*curve = "P-521";
	else if (strcasecmp(type, "rsa") == 0)
		*bits = 2048;
	else if (strncasecmp(type, "rsa:", 4) == 0)
		*bits = rsa_bits(type + 4);
	return *curve != NULL || *bits != 0;
}

enum ck_err pki_key_type_check(const char *type)
{
	const char *curve;
	size_t bits;

	if (key_kind(type, &curve, &bits))
		return CK_OK;
	return ck_fail(CK_EINVAL,
		       "unknown key type '%.40s': use ec:P-256, ec:P-384, ec:P-521 or rsa:BITS "
		       "(2048 to 16384: rsa:2048, rsa:3072, rsa:4096 ...)",
		       type);
}

enum ck_err pki_key_generate(const char *type, struct pki_key **out)
{
	EVP_PKEY *pkey = NULL;
	struct pki_key *k;
	const char *curve;
	size_t bits;

	if (!key_kind(type, &curve, &bits))
		return pki_key_type_check(type);
	if (curve)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	if (pkey == NULL)
		return pki_fail_ssl(CK_ECRYPTO, "key generation failed");
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	*out = k;
	return CK_OK;
}

/*
 * OpenSSL's random generator defaults to CTR_DRBG over AES-256, and setting
 * it up makes a process fetch every cipher of the provider: about 0.7 ms
 * here, 5% of a command that issues one certificate, which otherwise never
 * needs a cipher. Hash_DRBG over SHA-256 (NIST SP 800-90A, like CTR_DRBG)
 * uses a digest every command fetches anyway. This runs before OpenSSL
 * reads its configuration, so a [random] section in openssl.cnf still
 * decides.
 */
void pki_init(void)
{
	RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256");
	ERR_clear_error();
}

/* Refuses to prompt: an encrypted key must come as PKCS#12 with a password. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

enum ck_err pki_key_parse(const uint8_t *buf, size_t len, struct pki_key **out)
{
	EVP_PKEY *pkey = NULL;
	struct pki_key *k;
	BIO *bio;

	if (len == 0)
		return ck_fail(CK_EINVAL, "empty input: not an unencrypted private key");
	if (len > INT32_MAX)
		return ck_fail(CK_EINVAL, "key too large");
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		const unsigned char *p = buf;

		pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	ERR_clear_error();
	if (pkey == NULL)
		return ck_fail(CK_EINVAL, "not an unencrypted private key in PEM or DER "
					  "(for an encrypted key use a PKCS#12 file)");
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	*out = k;
	return CK_OK;
}

enum ck_err pki_key_to_pem(const struct pki_key *key, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	enum ck_err rc;

	if (bio == NULL)
		bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL))
		rc = pki_bio_string(bio, pem, len);
	else
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot encode the private key");
	BIO_free(bio);
	return rc;
}

void pki_key_type(const struct pki_key *key, char *buf, size_t n)
{
	int id = EVP_PKEY_get_base_id(key->pkey);
	char group[64];
	size_t glen = 0;

	if (id == EVP_PKEY_RSA) {
		snprintf(buf, n, "rsa:%d", EVP_PKEY_get_bits(key->pkey));
	} else if (id == EVP_PKEY_EC &&
		   EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						  sizeof(group), &glen)) {
		if (strcmp(group, "prime256v1") == 0)
			snprintf(buf, n, "ec:P-256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(buf, n, "ec:P-384");
		else if (strcmp(group, "secp521r1") == 0)
			snprintf(buf, n, "ec:P-521");
		else
			snprintf(buf, n, "ec:%.12s", group);
	} else {
		snprintf(buf, n, "%.15s", OBJ_nid2sn(id));
	}
}

/* SHA-256 over the DER SubjectPublicKeyInfo of any EVP_PKEY. */
static void spki_sha256(EVP_PKEY *pkey, char out[PKI_SHA256_LEN + 1])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(pkey, &der);

	if (n <= 0 || !EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL)) {
		memset(out, '0', PKI_SHA256_LEN);
		out[PKI_SHA256_LEN] = '\0';
	} else {
		pki_hex(md, 32, out);
	}
	OPENSSL_free(der);
}

void pki_key_id(const struct pki_key *key, char out[PKI_SHA256_LEN + 1])
{
	spki_sha256(key->pkey, out);
}

void pki_pubkey_id(EVP_PKEY *pkey, char out[PKI_SHA256_LEN + 1])
{
	spki_sha256(pkey, out);
}

void pki_key_free(struct pki_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}
