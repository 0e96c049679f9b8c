/*
 * pki_make.c - making self-signed certificates and PKCS#10 requests
 * (DESIGN.md §3: init, new, clone).
 */
#include "pki/pki-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* The subject: the template's (clone) or CN=<subject_cn>. */
static X509_NAME *make_subject(const struct pki_make_params *p)
{
	X509_NAME *name = NULL;

	if (p->template_cert != NULL)
		return X509_NAME_dup(X509_get_subject_name(p->template_cert->x509));
	name = X509_NAME_new();
	if (name == NULL ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)p->subject_cn, -1, -1, 0)) {
		X509_NAME_free(name);
		return NULL;
	}
	return name;
}

/* The SANs: the template's exactly (an empty list if it had none), or one
 * DNS name per domain. */
static GENERAL_NAMES *make_sans(const struct pki_make_params *p)
{
	GENERAL_NAMES *gens;
	size_t i;

	if (p->template_cert != NULL) {
		gens = X509_get_ext_d2i(p->template_cert->x509, NID_subject_alt_name, NULL, NULL);
		ERR_clear_error();
		return gens ? gens : GENERAL_NAMES_new();
	}
	gens = GENERAL_NAMES_new();
	if (gens == NULL)
		return NULL;
	for (i = 0; i < p->n_domains; i++) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		if (gn == NULL || ia5 == NULL ||
		    !ASN1_STRING_set(ia5, p->domains[i], (int)strlen(p->domains[i]))) {
			GENERAL_NAME_free(gn);
			ASN1_IA5STRING_free(ia5);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		if (!sk_GENERAL_NAME_push(gens, gn)) {
			GENERAL_NAME_free(gn);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
	}
	return gens;
}

/* Adds one extension given in openssl.cnf syntax (x509v3_config(5)). */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

enum ck_err pki_selfsigned_make(const struct pki_make_params *p, const struct pki_key *key,
				struct pki_cert **out)
{
	enum ck_err rc = CK_ECRYPTO;
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	GENERAL_NAMES *sans = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	unsigned char rnd[16];
	const char *ku;

	if (x == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = pki_fail_ssl(CK_ECRYPTO, "no randomness for the serial number");
		goto out;
	}
	rnd[0] &= 0x7f; /* positive */
	rnd[0] |= 0x01; /* and exactly 16 octets, no leading zero */
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	name = make_subject(p);
	sans = make_sans(p);
	if (serial == NULL || name == NULL || sans == NULL) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the certificate");
		goto out;
	}
	ku = EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_RSA
		     ? "critical,digitalSignature,keyEncipherment"
		     : "critical,digitalSignature";
	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, serial) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)p->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)p->not_after) ||
	    !X509_set_pubkey(x, key->pkey) ||
	    (sk_GENERAL_NAME_num(sans) > 0 &&
	     !X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0, 0)) ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, NID_key_usage, ku) ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_authority_key_identifier, "keyid:always")) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the certificate");
		goto out;
	}
	if (X509_sign(x, key->pkey, EVP_sha256()) <= 0) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot sign the certificate");
		goto out;
	}
	rc = pki_cert_wrap(x, out);
	x = NULL;
out:
	X509_free(x);
	X509_NAME_free(name);
	GENERAL_NAMES_free(sans);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

enum ck_err pki_req_wrap(X509_REQ *req, struct pki_req **out)
{
	struct pki_req *r = calloc(1, sizeof(*r));
	unsigned char *der = NULL;
	int n = r != NULL ? i2d_X509_REQ(req, &der) : 0;

	if (n <= 0) {
		free(r);
		X509_REQ_free(req);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	r->req = req;
	r->der = der;
	r->der_len = (size_t)n;
	*out = r;
	return CK_OK;
}

enum ck_err pki_req_make(const struct pki_make_params *p, const struct pki_key *key,
			 struct pki_req **out)
{
	enum ck_err rc = CK_ECRYPTO;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = make_subject(p);
	GENERAL_NAMES *sans = make_sans(p);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;

	if (req == NULL || name == NULL || sans == NULL || exts == NULL) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the request");
		goto out;
	}
	if (sk_GENERAL_NAME_num(sans) > 0) {
		ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, sans);
		if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
			rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the request");
			goto out;
		}
		ext = NULL;
	}
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key->pkey) ||
	    (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(req, exts)) ||
	    X509_REQ_sign(req, key->pkey, EVP_sha256()) <= 0) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot sign the request");
		goto out;
	}
	rc = pki_req_wrap(req, out);
	req = NULL;
out:
	X509_REQ_free(req);
	X509_NAME_free(name);
	GENERAL_NAMES_free(sans);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

enum ck_err pki_req_to_pem(const struct pki_req *req, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	enum ck_err rc;

	if (bio == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (PEM_write_bio_X509_REQ(bio, req->req))
		rc = pki_bio_string(bio, pem, len);
	else
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot encode the request");
	BIO_free(bio);
	return rc;
}

void pki_req_thumbprint(const struct pki_req *req, char out[PKI_THUMB_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(req->der, req->der_len, md, &mdlen, EVP_sha1(), NULL))
		mdlen = 0;
	pki_hex(md, mdlen, out);
}

void pki_req_der(const struct pki_req *req, const uint8_t **der, size_t *len)
{
	*der = req->der;
	*len = req->der_len;
}

void pki_req_free(struct pki_req *req)
{
	if (req == NULL)
		return;
	X509_REQ_free(req->req);
	OPENSSL_free(req->der);
	free(req);
}
