/*
 * pki_ca.c - the CA itself: its key and certificate, and the certificates
 * it issues (DESIGN.md §8). Requests are read in pki_csr.c, CRLs made in
 * pki_crl.c.
 *
 * Key custody: the CA's private key reaches OpenSSL through ca_sign_ctx
 * alone; every CA signature (CA certificate, its request, issued
 * certificates, CRLs) is made with the context it returns.
 *
 * Speed: issuing is on the hot path of bulk submission, so the constant
 * extensions are encoded once per pki_ca and copied into each certificate
 * (no openssl.cnf parsing per certificate), and every signature copies a
 * context prepared once.
 */
#include "pki/pki_ca-int.h"
#include "pki/pki-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/*
 * The only use of the CA's private key: a SHA-256 digest-sign context over
 * it. Callers sign with it and free it at once; it never leaves this file
 * (pki_crl.c signs with copies of the prepared one, pki_ca_sign_copy).
 */
static EVP_MD_CTX *ca_sign_ctx(EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx != NULL && EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

EVP_MD_CTX *pki_ca_sign_copy(const struct pki_ca *ca)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx != NULL && !EVP_MD_CTX_copy_ex(ctx, ca->sign_once)) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* ---- building blocks ---- */

enum ck_err pki_ca_serial_new(char out[PKI_CA_SERIAL_HEX + 1])
{
	unsigned char rnd[PKI_CA_SERIAL_BYTES];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return pki_fail_ssl(CK_ECRYPTO, "no randomness for the serial number");
	rnd[0] &= 0x7f; /* positive (RFC 5280 §4.1.2.2) */
	if (rnd[0] == 0)
		rnd[0] = 0x01; /* 16 octets exactly: fixed width, so hex order is numeric */
	pki_hex(rnd, sizeof(rnd), out);
	return CK_OK;
}

static ASN1_INTEGER *serial_from_hex(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	if (BN_hex2bn(&bn, hex) > 0)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

/* An extension in openssl.cnf syntax (x509v3_config(5)); issuer/subject
 * give the context for key identifiers. */
static X509_EXTENSION *conf_ext(X509 *issuer, X509 *subject, X509_REQ *req, int nid,
				const char *value)
{
	X509V3_CTX ctx;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, subject, req, NULL, 0);
	return X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
}

static int add_conf_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e = conf_ext(issuer, x, NULL, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

static X509_NAME *name_cn(const char *cn)
{
	X509_NAME *name = X509_NAME_new();

	if (name != NULL && !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
							(const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(name);
		name = NULL;
	}
	return name;
}

/* Signs x with the CA key. */
static enum ck_err sign_cert(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = ca_sign_ctx(key);
	int ok = ctx != NULL && X509_sign_ctx(x, ctx) > 0;

	EVP_MD_CTX_free(ctx);
	return ok ? CK_OK : pki_fail_ssl(CK_ECRYPTO, "cannot sign the certificate");
}

/* ---- the CA certificate ---- */

enum ck_err pki_ca_make_root(const struct pki_key *key, const char *name, int64_t not_before,
			     int64_t not_after, struct pki_cert **out)
{
	char serial_hex[PKI_CA_SERIAL_HEX + 1];
	X509 *x = X509_new();
	X509_NAME *subject = name_cn(name);
	ASN1_INTEGER *serial = NULL;
	enum ck_err rc = pki_ca_serial_new(serial_hex);

	if (rc != CK_OK)
		goto out;
	serial = serial_from_hex(serial_hex);
	if (x == NULL || subject == NULL || serial == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, subject) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) ||
	    !X509_set_pubkey(x, key->pkey) ||
	    !add_conf_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_conf_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_conf_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !add_conf_ext(x, x, NID_authority_key_identifier, "keyid:always")) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the CA certificate");
		goto out;
	}
	rc = sign_cert(x, key->pkey);
	if (rc == CK_OK) {
		rc = pki_cert_wrap(x, out);
		x = NULL;
	}
out:
	X509_free(x);
	X509_NAME_free(subject);
	ASN1_INTEGER_free(serial);
	return rc;
}

enum ck_err pki_ca_make_request(const struct pki_key *key, const char *name,
				struct pki_req **out)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject = name_cn(name);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *bc = conf_ext(NULL, NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
	X509_EXTENSION *ku = conf_ext(NULL, NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	EVP_MD_CTX *ctx = NULL;
	enum ck_err rc = CK_ECRYPTO;

	if (req == NULL || subject == NULL || exts == NULL || bc == NULL || ku == NULL ||
	    !sk_X509_EXTENSION_push(exts, bc)) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the CA request");
		goto out;
	}
	bc = NULL;
	if (!sk_X509_EXTENSION_push(exts, ku)) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the CA request");
		goto out;
	}
	ku = NULL;
	ctx = ca_sign_ctx(key->pkey);
	if (ctx == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, key->pkey) ||
	    !X509_REQ_add_extensions(req, exts) || X509_REQ_sign_ctx(req, ctx) <= 0) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot sign the CA request");
		goto out;
	}
	rc = pki_req_wrap(req, out);
	req = NULL;
out:
	EVP_MD_CTX_free(ctx);
	X509_REQ_free(req);
	X509_NAME_free(subject);
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

bool pki_cert_is_ca(const struct pki_cert *cert)
{
	return X509_check_ca(cert->x509) == 1;
}

/* ---- the loaded CA ---- */

/* What the CA needs of its certificate, read field by field (d2i_X509
 * would decode the public key through OpenSSL 3.0's decoder framework, a
 * large share of a one-certificate process): the subject, NotAfter, the
 * subjectPublicKey bits and the subjectKeyIdentifier (SHA-1 of those bits
 * when it has none). */
struct ca_cert_fields {
	X509_NAME *subject;
	int64_t not_after;
	const uint8_t *key_bits;
	size_t key_bits_len;
	ASN1_OCTET_STRING *skid;
};

static int ca_cert_read(const uint8_t *der, size_t len, struct ca_cert_fields *f)
{
	const uint8_t *p = der, *end = der + len, *tp, *tend, *vp, *vend, *kp, *kend;
	struct der_elem cert, tbs, e, subj, validity, nb, na, spki, alg, bits;
	const unsigned char *q;
	ASN1_TIME *t = NULL;
	struct tm tm;

	if (!pki_der_next(&p, end, &cert) || cert.tag != V_ASN1_SEQUENCE || p != end)
		return 0;
	p = cert.content;
	if (!pki_der_next(&p, cert.content + cert.len, &tbs) || tbs.tag != V_ASN1_SEQUENCE)
		return 0;
	tp = tbs.content;
	tend = tbs.content + tbs.len;
	if (!pki_der_next(&tp, tend, &e))
		return 0;
	if (e.cls == V_ASN1_CONTEXT_SPECIFIC && e.tag == 0 && !pki_der_next(&tp, tend, &e))
		return 0; /* [0] version, then the serial */
	/* signature, issuer, validity, subject, subjectPublicKeyInfo */
	if (!pki_der_next(&tp, tend, &e) || !pki_der_next(&tp, tend, &e) ||
	    !pki_der_next(&tp, tend, &validity) || validity.tag != V_ASN1_SEQUENCE ||
	    !pki_der_next(&tp, tend, &subj) || !pki_der_next(&tp, tend, &spki) ||
	    spki.tag != V_ASN1_SEQUENCE)
		return 0;
	vp = validity.content;
	vend = validity.content + validity.len;
	kp = spki.content;
	kend = spki.content + spki.len;
	if (!pki_der_next(&vp, vend, &nb) || !pki_der_next(&vp, vend, &na) || !pki_der_next(&kp, kend, &alg) ||
	    !pki_der_next(&kp, kend, &bits) || bits.tag != V_ASN1_BIT_STRING || bits.len < 2)
		return 0;
	q = na.start;
	t = d2i_ASN1_TIME(NULL, &q, na.content + na.len - na.start);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ASN1_TIME_free(t);
		return 0;
	}
	ASN1_TIME_free(t);
	f->not_after = (int64_t)timegm(&tm);
	q = subj.start;
	f->subject = d2i_X509_NAME(NULL, &q, subj.content + subj.len - subj.start);
	f->key_bits = bits.content + 1;
	f->key_bits_len = (size_t)bits.len - 1;
	/* The extensions ([3]) for the subjectKeyIdentifier. */
	while (f->subject != NULL && pki_der_next(&tp, tend, &e)) {
		STACK_OF(X509_EXTENSION) *exts;
		const uint8_t *xp = e.content;
		struct der_elem seq;
		int i;

		if (e.cls != V_ASN1_CONTEXT_SPECIFIC || e.tag != 3 ||
		    !pki_der_next(&xp, e.content + e.len, &seq))
			continue;
		q = seq.start;
		exts = d2i_X509_EXTENSIONS(NULL, &q, seq.content + seq.len - seq.start);
		i = X509v3_get_ext_by_NID(exts, NID_subject_key_identifier, -1);
		if (i >= 0)
			f->skid = X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts, i));
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (f->subject != NULL && f->skid == NULL) {
		unsigned char md[SHA_DIGEST_LENGTH];
		unsigned int mdlen = 0;

		f->skid = ASN1_OCTET_STRING_new();
		if (f->skid == NULL ||
		    !EVP_Digest(f->key_bits, f->key_bits_len, md, &mdlen, EVP_sha1(), NULL) ||
		    !ASN1_OCTET_STRING_set(f->skid, md, (int)mdlen)) {
			ASN1_OCTET_STRING_free(f->skid);
			f->skid = NULL;
		}
	}
	ERR_clear_error();
	return f->subject != NULL && f->skid != NULL;
}

/* The CA's EC key from its PKCS#8 file, built from its fields for the
 * same reason (the decoder framework); NULL for anything else, which then
 * takes the general path. */
static EVP_PKEY *ca_key_fast(const uint8_t *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	unsigned char *der = NULL;
	long n = 0;
	const uint8_t *p, *end, *ep, *eend;
	struct der_elem info, ver, alg, oct, ec, ecver, priv, e;
	X509_ALGOR *algor = NULL;
	const ASN1_OBJECT *aobj = NULL;
	const void *pval = NULL;
	const uint8_t *pub = NULL;
	size_t pub_len = 0;
	int ptype = 0, curve;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	const unsigned char *q;

	if (bio == NULL || !PEM_bytes_read_bio(&der, &n, NULL, PEM_STRING_PKCS8INF, bio, NULL, NULL))
		goto out;
	p = der;
	end = der + n;
	if (!pki_der_next(&p, end, &info) || info.tag != V_ASN1_SEQUENCE)
		goto out;
	p = info.content;
	end = info.content + info.len;
	if (!pki_der_next(&p, end, &ver) || !pki_der_next(&p, end, &alg) || !pki_der_next(&p, end, &oct) ||
	    oct.tag != V_ASN1_OCTET_STRING)
		goto out;
	q = alg.start;
	algor = d2i_X509_ALGOR(NULL, &q, alg.content + alg.len - alg.start);
	if (algor == NULL)
		goto out;
	X509_ALGOR_get0(&aobj, &ptype, &pval, algor);
	if (OBJ_obj2nid(aobj) != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_OBJECT)
		goto out;
	curve = OBJ_obj2nid(pval);
	if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1)
		goto out;
	/* ECPrivateKey ::= SEQUENCE { 1, privateKey OCTET STRING,
	 *   [0] parameters OPTIONAL, [1] publicKey BIT STRING OPTIONAL } */
	ep = oct.content;
	eend = oct.content + oct.len;
	if (!pki_der_next(&ep, eend, &ec) || ec.tag != V_ASN1_SEQUENCE)
		goto out;
	ep = ec.content;
	eend = ec.content + ec.len;
	if (!pki_der_next(&ep, eend, &ecver) || !pki_der_next(&ep, eend, &priv) ||
	    priv.tag != V_ASN1_OCTET_STRING)
		goto out;
	while (pki_der_next(&ep, eend, &e)) {
		const uint8_t *bp = e.content;
		struct der_elem b;

		if (e.cls == V_ASN1_CONTEXT_SPECIFIC && e.tag == 1 &&
		    pki_der_next(&bp, e.content + e.len, &b) && b.tag == V_ASN1_BIT_STRING && b.len > 1) {
			pub = b.content + 1;
			pub_len = (size_t)b.len - 1;
		}
	}
	if (pub == NULL)
		goto out;
	d = BN_secure_new();
	bld = OSSL_PARAM_BLD_new();
	if (d == NULL || bld == NULL || BN_bin2bn(priv.content, (int)priv.len, d) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(curve), 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EVP_PKEY_CTX_free(ctx);
	X509_ALGOR_free(algor);
	if (der)
		OPENSSL_clear_free(der, (size_t)n);
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

enum ck_err pki_ca_open(const uint8_t *cert_der, size_t cert_len, const uint8_t *key_pem,
			size_t key_len, const char *crl_url, struct pki_ca **out)
{
	struct pki_ca *ca = calloc(1, sizeof(*ca));
	struct ca_cert_fields f = { 0 };
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *pub = NULL;
	size_t pub_len;
	enum ck_err rc;

	if (ca == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (cert_len > INT32_MAX || !ca_cert_read(cert_der, cert_len, &f)) {
		rc = ck_fail(CK_ECRYPTO, "the CA certificate is unreadable");
		goto fail;
	}
	ca->subject = f.subject;
	f.subject = NULL;
	ca->not_after = f.not_after;
	ca->key = key_len < INT32_MAX ? ca_key_fast(key_pem, key_len) : NULL;
	if (ca->key == NULL) {
		struct pki_key *key = NULL;

		rc = pki_key_parse(key_pem, key_len, &key);
		if (rc != CK_OK) {
			ck_errmsg_prefix("the CA key");
			goto fail;
		}
		ca->key = key->pkey;
		key->pkey = NULL;
		pki_key_free(key);
	}
	/* The key is the certificate's: the same public key bits. */
	pub_len = EVP_PKEY_get1_encoded_public_key(ca->key, &pub);
	if (pub == NULL) { /* RSA: the bits are the RSAPublicKey DER */
		int n = i2d_PublicKey(ca->key, &pub);

		pub_len = n > 0 ? (size_t)n : 0;
	}
	if (pub == NULL || pub_len != f.key_bits_len || memcmp(pub, f.key_bits, pub_len) != 0) {
		ERR_clear_error();
		rc = ck_fail(CK_ECRYPTO, "the CA key does not match the CA certificate");
		goto fail;
	}
	ca->bc = conf_ext(NULL, NULL, NULL, NID_basic_constraints, "critical,CA:FALSE");
	ca->ku_ec = conf_ext(NULL, NULL, NULL, NID_key_usage, "critical,digitalSignature");
	ca->ku_rsa = conf_ext(NULL, NULL, NULL, NID_key_usage,
			      "critical,digitalSignature,keyEncipherment");
	ca->eku = conf_ext(NULL, NULL, NULL, NID_ext_key_usage, "serverAuth,clientAuth");
	akid = AUTHORITY_KEYID_new();
	if (akid != NULL) {
		akid->keyid = f.skid;
		f.skid = NULL;
		ca->aki = X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid);
	}
	if (crl_url != NULL && *crl_url != '\0') {
		char value[1100];

		snprintf(value, sizeof(value), "URI:%.1024s", crl_url);
		ca->cdp = conf_ext(NULL, NULL, NULL, NID_crl_distribution_points, value);
		if (ca->cdp == NULL) {
			rc = pki_fail_ssl(CK_EINVAL, "ca.crl_url is not a usable URI");
			goto fail;
		}
	}
	ca->sign_once = ca_sign_ctx(ca->key);
	if (ca->bc == NULL || ca->ku_ec == NULL || ca->ku_rsa == NULL || ca->eku == NULL ||
	    ca->aki == NULL || ca->sign_once == NULL) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot prepare the certificate extensions");
		goto fail;
	}
	AUTHORITY_KEYID_free(akid);
	OPENSSL_free(pub);
	*out = ca;
	return CK_OK;
fail:
	AUTHORITY_KEYID_free(akid);
	OPENSSL_free(pub);
	X509_NAME_free(f.subject);
	ASN1_OCTET_STRING_free(f.skid);
	pki_ca_free(ca);
	return rc;
}

void pki_ca_free(struct pki_ca *ca)
{
	if (ca == NULL)
		return;
	X509_NAME_free(ca->subject);
	EVP_PKEY_free(ca->key);
	EVP_MD_CTX_free(ca->sign_once);
	X509_EXTENSION_free(ca->bc);
	X509_EXTENSION_free(ca->ku_ec);
	X509_EXTENSION_free(ca->ku_rsa);
	X509_EXTENSION_free(ca->eku);
	X509_EXTENSION_free(ca->aki);
	X509_EXTENSION_free(ca->cdp);
	free(ca);
}

int64_t pki_ca_not_after(const struct pki_ca *ca)
{
	return ca->not_after;
}

/* subjectKeyIdentifier: SHA-1 of the subjectPublicKey bits (RFC 5280
 * §4.2.1.2 method 1), computed directly rather than through the config
 * parser. */
static int add_ski(X509 *x)
{
	const unsigned char *pk = NULL;
	unsigned char md[SHA_DIGEST_LENGTH];
	unsigned int mdlen = 0;
	ASN1_OCTET_STRING *oct = NULL;
	int pklen = 0, ok;

	if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, X509_get_X509_PUBKEY(x)) ||
	    !EVP_Digest(pk, (size_t)pklen, md, &mdlen, EVP_sha1(), NULL))
		return 0;
	oct = ASN1_OCTET_STRING_new();
	ok = oct != NULL && ASN1_OCTET_STRING_set(oct, md, (int)mdlen) &&
	     X509_add1_ext_i2d(x, NID_subject_key_identifier, oct, 0, 0);
	ASN1_OCTET_STRING_free(oct);
	return ok;
}

/* The request's SubjectPublicKeyInfo copied as it was into the
 * certificate: X509_set_pubkey would re-encode the key through OpenSSL 3's
 * encoder framework, a large share of a one-certificate process. */
static int copy_pubkey(X509 *x, const struct pki_csr *csr)
{
	const ASN1_OBJECT *aobj = NULL;
	const void *pval = NULL;
	ASN1_OBJECT *obj = NULL;
	unsigned char *copy = NULL;
	void *param = NULL;
	int ptype = V_ASN1_UNDEF;

	X509_ALGOR_get0(&aobj, &ptype, &pval, csr->key_alg);
	obj = OBJ_dup(aobj);
	copy = OPENSSL_memdup(csr->key_bits, csr->key_bits_len);
	if (ptype == V_ASN1_OBJECT)
		param = OBJ_dup(pval);
	else if (ptype != V_ASN1_NULL)
		ptype = V_ASN1_UNDEF; /* EC names a curve; RSA has NULL: nothing else */
	if (obj == NULL || copy == NULL || (ptype == V_ASN1_OBJECT && param == NULL) ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), obj, ptype, param, copy,
				    (int)csr->key_bits_len)) {
		ASN1_OBJECT_free(obj);
		OPENSSL_free(copy);
		ASN1_OBJECT_free(param);
		return 0;
	}
	return 1;
}

static int add_sans(X509 *x, const char *const *dns, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;
	int ok = gens != NULL;

	for (i = 0; ok && i < n; i++) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		ok = gn != NULL && ia5 != NULL && ASN1_STRING_set(ia5, dns[i], (int)strlen(dns[i]));
		if (ok) {
			GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
			ia5 = NULL;
			ok = sk_GENERAL_NAME_push(gens, gn) > 0;
			if (ok)
				gn = NULL;
		}
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(ia5);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	GENERAL_NAMES_free(gens);
	return ok;
}

/* Signs an issued certificate with a copy of the CA's prepared context. */
static enum ck_err sign_issued(X509 *x, const struct pki_ca *ca)
{
	EVP_MD_CTX *ctx = pki_ca_sign_copy(ca);
	int ok = ctx != NULL && X509_sign_ctx(x, ctx) > 0;

	EVP_MD_CTX_free(ctx);
	return ok ? CK_OK : pki_fail_ssl(CK_ECRYPTO, "cannot sign the certificate");
}

enum ck_err pki_ca_issue(struct pki_ca *ca, const struct pki_ca_issue *p, uint8_t **der,
			 size_t *der_len, char sha1[PKI_THUMB_LEN + 1])
{
	X509 *x = X509_new();
	ASN1_INTEGER *serial = serial_from_hex(p->serial);
	unsigned char md[EVP_MAX_MD_SIZE], *enc = NULL;
	unsigned int mdlen = 0;
	int n;
	bool rsa = p->csr->key_id == EVP_PKEY_RSA;
	enum ck_err rc;

	/* The CN goes straight into the certificate's own name: building a
	 * name and setting it would copy it once more (an encode and a decode). */
	if (x == NULL || serial == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_NAME_add_entry_by_NID(X509_get_subject_name(x), NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)p->cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, ca->subject) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)p->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)p->not_after) ||
	    !copy_pubkey(x, p->csr) || !X509_add_ext(x, ca->bc, -1) ||
	    !X509_add_ext(x, rsa ? ca->ku_rsa : ca->ku_ec, -1) || !X509_add_ext(x, ca->eku, -1) ||
	    (p->n_dns > 0 && !add_sans(x, p->dns, p->n_dns)) || !add_ski(x) ||
	    !X509_add_ext(x, ca->aki, -1) || (ca->cdp && !X509_add_ext(x, ca->cdp, -1))) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the certificate");
		goto out;
	}
	rc = sign_issued(x, ca);
	if (rc != CK_OK)
		goto out;
	n = i2d_X509(x, &enc);
	if (n <= 0 || !EVP_Digest(enc, (size_t)n, md, &mdlen, EVP_sha1(), NULL)) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot encode the certificate");
		goto out;
	}
	pki_hex(md, mdlen, sha1);
	*der = malloc((size_t)n);
	if (*der == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, enc, (size_t)n);
	*der_len = (size_t)n;
out:
	OPENSSL_free(enc);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	return rc;
}

enum ck_err pki_der_to_pem(const uint8_t *der, size_t len, char **pem)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	size_t lines = (len + 47) / 48, cap, off, i;
	char *out;

	if (len == 0 || len > INT32_MAX / 2)
		return ck_fail(CK_EINVAL, "bad certificate length");
	/* 48 octets make one line of 64 base64 characters (RFC 7468). */
	cap = sizeof(head) + sizeof(tail) + lines * 66;
	out = malloc(cap);
	if (out == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(out, head, sizeof(head) - 1);
	off = sizeof(head) - 1;
	for (i = 0; i < len; i += 48) {
		int n = EVP_EncodeBlock((unsigned char *)out + off, der + i,
					(int)(len - i < 48 ? len - i : 48));

		off += (size_t)n;
		out[off++] = '\n';
	}
	memcpy(out + off, tail, sizeof(tail));
	*pem = out;
	return CK_OK;
}
