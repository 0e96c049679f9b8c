/*
 * pki_ca.c - the CA's X.509 work: requests in, certificates and CRLs out
 * (DESIGN.md §8).
 *
 * Key custody: the CA's private key reaches OpenSSL through ca_sign_ctx
 * alone; every CA signature (CA certificate, its request, issued
 * certificates, CRLs) is made with the context it returns.
 *
 * Speed: issuing is on the hot path of bulk submission, so the constant
 * extensions are encoded once per pki_ca and copied into each certificate
 * (no openssl.cnf parsing per certificate), and a CRL is encoded entry by
 * entry into one buffer and signed as bytes (no million X509_REVOKED
 * objects, no sort).
 */
#include "pki_ca.h"
#include "pki-int.h"

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

/* A request, decoded field by field (see pki_csr_parse for why). */
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

struct pki_crl {
	struct pki_ca *ca;
	uint8_t *prefix, *suffix; /* the TBS fields before and after the entries */
	size_t prefix_len, suffix_len;
	uint8_t *entries;
	size_t len, cap;
	uint8_t last_serial[24];
	size_t last_len;
	X509_ALGOR *alg; /* owned copy of the signature algorithm */
};

/*
 * The only use of the CA's private key: a SHA-256 digest-sign context over
 * it. Callers sign with it and free it at once; it never leaves this file.
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

/* ---- requests ---- */

static bool looks_pem(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 11 <= len && i < 4096; i++)
		if (memcmp(buf + i, "-----BEGIN ", 11) == 0)
			return true;
	return false;
}

/* One DER element at *p (within end): its tag, its content and the
 * element's total extent; 0 when malformed (indefinite lengths refused). */
struct der_elem {
	int tag, cls;
	const uint8_t *start, *content;
	long len;
};

static int der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e)
{
	const unsigned char *q = *p;
	int r;

	if (*p >= end)
		return 0;
	e->start = *p;
	r = ASN1_get_object(&q, &e->len, &e->tag, &e->cls, end - *p);
	if (r & 0x80 || r == 0x21) /* error, or indefinite length */
		return 0;
	e->content = q;
	*p = q + e->len;
	return 1;
}

/* Domain parameters of P-256 (p384 false) or P-384, each made once per
 * process when first needed (a few hundred bytes, kept for the process's
 * life; a one-request process makes only its curve's). */
static EVP_PKEY *templates[2];
static CRYPTO_ONCE templates_once[2] = { CRYPTO_ONCE_STATIC_INIT, CRYPTO_ONCE_STATIC_INIT };

static void template_make(int i)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)(i ? "secp384r1" : "prime256v1"), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &templates[i], EVP_PKEY_KEY_PARAMETERS, params) <= 0)
		templates[i] = NULL;
	EVP_PKEY_CTX_free(ctx);
}

static void template_p256(void)
{
	template_make(0);
}

static void template_p384(void)
{
	template_make(1);
}

/* Requests may be read by several threads at once (bulk submission). */
static EVP_PKEY *curve_template(bool p384)
{
	if (!CRYPTO_THREAD_run_once(&templates_once[p384], p384 ? template_p384 : template_p256))
		return NULL;
	return templates[p384];
}

/* The public key from the SubjectPublicKeyInfo's parts, built from its
 * parameters (EC: curve and point; RSA: modulus and exponent). */
static EVP_PKEY *pubkey_build(const X509_ALGOR *alg, const uint8_t *bits, size_t n)
{
	const ASN1_OBJECT *aobj = NULL;
	const void *pval = NULL;
	int ptype = 0, nid;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	unsigned char *nbuf = NULL, *ebuf = NULL;

	X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(aobj);
	if (nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT) {
		int curve = OBJ_obj2nid(pval);
		EVP_PKEY *tmpl;

		if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1)
			return NULL;
		/* Copying a key that has the curve already is much cheaper than
		 * setting the curve up again for every request (bulk). */
		tmpl = curve_template(curve == NID_secp384r1);
		pkey = tmpl ? EVP_PKEY_dup(tmpl) : NULL;
		if (pkey != NULL && EVP_PKEY_set1_encoded_public_key(pkey, bits, n) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		return pkey;
	} else if (nid == NID_rsaEncryption) {
		/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
		const unsigned char *q;
		ASN1_INTEGER *ai_n = NULL, *ai_e = NULL;
		struct der_elem seq;
		const uint8_t *p = bits, *end = bits + n;

		if (!der_next(&p, end, &seq) || seq.tag != V_ASN1_SEQUENCE || p != end)
			return NULL;
		q = seq.content;
		ai_n = d2i_ASN1_INTEGER(NULL, &q, seq.len);
		if (ai_n != NULL)
			ai_e = d2i_ASN1_INTEGER(NULL, &q, seq.content + seq.len - q);
		if (ai_e != NULL && q == seq.content + seq.len) {
			bn_n = ASN1_INTEGER_to_BN(ai_n, NULL);
			bn_e = ASN1_INTEGER_to_BN(ai_e, NULL);
		}
		ASN1_INTEGER_free(ai_n);
		ASN1_INTEGER_free(ai_e);
		if (bn_n == NULL || bn_e == NULL || BN_is_negative(bn_n) || BN_is_negative(bn_e) ||
		    BN_num_bits(bn_n) > 16384)
			goto out;
		/* OSSL_PARAM integers are native-endian. */
		nbuf = OPENSSL_malloc((size_t)BN_num_bytes(bn_n) + 1);
		ebuf = OPENSSL_malloc((size_t)BN_num_bytes(bn_e) + 1);
		if (nbuf == NULL || ebuf == NULL)
			goto out;
		params[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N, nbuf,
						    (size_t)BN_num_bytes(bn_n) + 1);
		params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, ebuf,
						    (size_t)BN_num_bytes(bn_e) + 1);
		params[2] = OSSL_PARAM_construct_end();
		if (!OSSL_PARAM_set_BN(&params[0], bn_n) || !OSSL_PARAM_set_BN(&params[1], bn_e))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		return NULL;
	}
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(nbuf);
	OPENSSL_free(ebuf);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* Finds the extensionRequest (PKCS#9) among the request's attributes. */
static int read_attributes(struct pki_csr *c, const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		const unsigned char *q = p;
		X509_ATTRIBUTE *attr = d2i_X509_ATTRIBUTE(NULL, &q, end - p);
		int ok = 1;

		if (attr == NULL)
			return 0;
		p = q;
		if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(attr)) == NID_ext_req) {
			ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(attr, 0);
			const unsigned char *e;

			ok = c->exts == NULL && t != NULL && t->type == V_ASN1_SEQUENCE;
			if (ok) {
				e = t->value.sequence->data;
				c->exts = d2i_X509_EXTENSIONS(NULL, &e, t->value.sequence->length);
				ok = c->exts != NULL;
			}
		}
		X509_ATTRIBUTE_free(attr);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * Reads the request's fields one by one with OpenSSL's DER primitives
 * rather than d2i_X509_REQ: OpenSSL 3.0 decodes a request's public key
 * through its decoder framework, which costs more than verifying the
 * signature, and bulk submission reads many requests. The key is built
 * from its parameters (EVP_PKEY_fromdata) and the signature checked over
 * the exact bytes of certificationRequestInfo (RFC 2986 §4.2).
 */
static int csr_decode(struct pki_csr *c)
{
	const uint8_t *p = c->der, *end = c->der + c->der_len, *ip, *iend, *kp, *kend;
	struct der_elem outer, info, ver, subj, spki, alg, bits, attrs, sigalg, sig;
	const unsigned char *q;
	X509_ALGOR *salg = NULL;
	const ASN1_OBJECT *sobj = NULL;
	int md_nid = 0, pk_nid = 0, ok = 0;
	EVP_MD_CTX *vctx = NULL;
	EVP_PKEY *pub = NULL;

	if (!der_next(&p, end, &outer) || outer.tag != V_ASN1_SEQUENCE || p != end)
		return 0;
	p = outer.content;
	end = outer.content + outer.len;
	if (!der_next(&p, end, &info) || info.tag != V_ASN1_SEQUENCE ||
	    !der_next(&p, end, &sigalg) || !der_next(&p, end, &sig) ||
	    sig.tag != V_ASN1_BIT_STRING || sig.len < 2 || sig.content[0] != 0 || p != end)
		return 0;
	ip = info.content;
	iend = info.content + info.len;
	if (!der_next(&ip, iend, &ver) || ver.tag != V_ASN1_INTEGER || ver.len != 1 ||
	    ver.content[0] != 0 || !der_next(&ip, iend, &subj) ||
	    subj.tag != V_ASN1_SEQUENCE || !der_next(&ip, iend, &spki) ||
	    spki.tag != V_ASN1_SEQUENCE || !der_next(&ip, iend, &attrs) || attrs.tag != 0 ||
	    attrs.cls != V_ASN1_CONTEXT_SPECIFIC || ip != iend)
		return 0;
	q = subj.start;
	c->subject = d2i_X509_NAME(NULL, &q, subj.content + subj.len - subj.start);
	kp = spki.content;
	kend = spki.content + spki.len;
	if (c->subject == NULL || q != subj.content + subj.len || !der_next(&kp, kend, &alg) ||
	    !der_next(&kp, kend, &bits) || bits.tag != V_ASN1_BIT_STRING || bits.len < 2 ||
	    bits.content[0] != 0 || kp != kend)
		return 0;
	q = alg.start;
	c->key_alg = d2i_X509_ALGOR(NULL, &q, alg.content + alg.len - alg.start);
	if (c->key_alg == NULL || q != alg.content + alg.len)
		return 0;
	c->key_bits_len = (size_t)bits.len - 1;
	c->key_bits = OPENSSL_memdup(bits.content + 1, c->key_bits_len);
	if (c->key_bits == NULL || !read_attributes(c, attrs.content, attrs.content + attrs.len))
		return 0;
	pub = pubkey_build(c->key_alg, c->key_bits, c->key_bits_len);
	if (pub == NULL)
		return -2; /* a key type we do not certify */
	/* The signature: its algorithm must fit the key (no RSA-PSS here). */
	q = sigalg.start;
	salg = d2i_X509_ALGOR(NULL, &q, sigalg.content + sigalg.len - sigalg.start);
	if (salg != NULL)
		X509_ALGOR_get0(&sobj, NULL, NULL, salg);
	if (salg == NULL || !OBJ_find_sigid_algs(OBJ_obj2nid(sobj), &md_nid, &pk_nid) ||
	    md_nid == NID_undef ||
	    (pk_nid == NID_rsaEncryption) != (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)) {
		ok = -1;
		goto out;
	}
	vctx = EVP_MD_CTX_new();
	ok = vctx != NULL &&
	     EVP_DigestVerifyInit_ex(vctx, NULL, OBJ_nid2sn(md_nid), NULL, NULL, pub, NULL) == 1 &&
	     EVP_DigestVerify(vctx, sig.content + 1, (size_t)sig.len - 1, info.start,
			      (size_t)(info.content + info.len - info.start)) == 1
		     ? 1
		     : -1;
	if (ok == 1) {
		struct pki_key k = { .pkey = pub };

		c->key_id = EVP_PKEY_get_base_id(pub);
		c->key_size = EVP_PKEY_get_bits(pub);
		pki_key_type(&k, c->key_type, sizeof(c->key_type));
	}
out:
	EVP_MD_CTX_free(vctx);
	X509_ALGOR_free(salg);
	EVP_PKEY_free(pub);
	return ok;
}

enum ck_err pki_csr_parse(const uint8_t *buf, size_t len, struct pki_csr **out)
{
	struct pki_csr *c;
	int r;

	if (len == 0)
		return ck_fail(CK_EINVAL, "empty input: not a certificate request");
	if (len > INT32_MAX)
		return ck_fail(CK_EINVAL, "certificate request too large");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (looks_pem(buf, len)) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);
		unsigned char *data = NULL;
		long n = 0;

		if (bio && PEM_bytes_read_bio(&data, &n, NULL, PEM_STRING_X509_REQ, bio, NULL, NULL) &&
		    n > 0) {
			c->der = malloc((size_t)n);
			if (c->der) {
				memcpy(c->der, data, (size_t)n);
				c->der_len = (size_t)n;
			}
		}
		OPENSSL_free(data);
		BIO_free(bio);
	} else {
		c->der = malloc(len);
		if (c->der) {
			memcpy(c->der, buf, len);
			c->der_len = len;
		}
	}
	r = c->der ? csr_decode(c) : 0;
	ERR_clear_error();
	if (r == 1) {
		*out = c;
		return CK_OK;
	}
	pki_csr_free(c);
	if (r == -1)
		return ck_fail(CK_EINVAL, "the certificate request's signature is not valid "
					  "(no proof of possession of the key)");
	if (r == -2)
		return ck_fail(CK_EINVAL, "unsupported key type in the certificate request: use "
					  "ec:P-256, ec:P-384 or RSA of 2048 bits or more");
	return ck_fail(CK_EINVAL, "not a PKCS#10 certificate request (PEM or DER), "
				  "or a truncated one");
}

void pki_csr_free(struct pki_csr *csr)
{
	if (csr == NULL)
		return;
	free(csr->der);
	X509_NAME_free(csr->subject);
	sk_X509_EXTENSION_pop_free(csr->exts, X509_EXTENSION_free);
	X509_ALGOR_free(csr->key_alg);
	OPENSSL_free(csr->key_bits);
	free(csr);
}

void pki_csr_der(const struct pki_csr *csr, const uint8_t **der, size_t *len)
{
	*der = csr->der;
	*len = csr->der_len;
}

/* An ASN.1 string as a C string; *bad when it holds a NUL byte. */
static char *string_of(const ASN1_STRING *s, bool utf8, bool *bad)
{
	unsigned char *u = NULL;
	char *copy;
	int n;

	if (utf8) {
		n = ASN1_STRING_to_UTF8(&u, s);
		if (n < 0) {
			*bad = true;
			return NULL;
		}
	} else {
		n = ASN1_STRING_length(s);
	}
	copy = malloc((size_t)n + 1);
	if (copy != NULL) {
		memcpy(copy, utf8 ? u : ASN1_STRING_get0_data(s), (size_t)n);
		copy[n] = '\0';
		if (strlen(copy) != (size_t)n)
			*bad = true;
	}
	OPENSSL_free(u);
	return copy;
}

enum ck_err pki_csr_info_get(const struct pki_csr *csr, struct pki_csr_info *info)
{
	const X509_NAME *subject = csr->subject;
	const STACK_OF(X509_EXTENSION) *exts = csr->exts;
	GENERAL_NAMES *sans = NULL;
	int i, id;

	memset(info, 0, sizeof(*info));
	i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (i >= 0) {
		info->cn = string_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)),
				     true, &info->bad_string);
		if (X509_NAME_get_index_by_NID(subject, NID_commonName, i) >= 0)
			info->bad_string = true;
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_subject_alt_name)
			continue;
		GENERAL_NAMES_free(sans);
		sans = X509V3_EXT_d2i(e);
		if (sans == NULL)
			info->other_names = true; /* undecodable: refuse rather than guess */
	}
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		char **grown;

		if (gn->type != GEN_DNS) {
			info->other_names = true;
			continue;
		}
		grown = realloc(info->dns, (info->n_dns + 1) * sizeof(*grown));
		if (grown == NULL)
			break;
		info->dns = grown;
		info->dns[info->n_dns] = string_of(gn->d.dNSName, false, &info->bad_string);
		if (info->dns[info->n_dns] != NULL)
			info->n_dns++;
	}
	GENERAL_NAMES_free(sans);
	ERR_clear_error();

	id = csr->key_id;
	info->key_bits = csr->key_size;
	info->key_rsa = id == EVP_PKEY_RSA;
	info->key_ec = id == EVP_PKEY_EC;
	snprintf(info->key_type, sizeof(info->key_type), "%s", csr->key_type);
	return CK_OK;
}

void pki_csr_info_clear(struct pki_csr_info *info)
{
	size_t i;

	free(info->cn);
	for (i = 0; i < info->n_dns; i++)
		free(info->dns[i]);
	free(info->dns);
	memset(info, 0, sizeof(*info));
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
	struct pki_req *r = NULL;
	unsigned char *der = NULL;
	enum ck_err rc = CK_ECRYPTO;
	int n;

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
	n = i2d_X509_REQ(req, &der);
	r = calloc(1, sizeof(*r));
	if (n <= 0 || r == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	r->req = req;
	r->der = der;
	r->der_len = (size_t)n;
	*out = r;
	req = NULL;
	der = NULL;
	r = NULL;
	rc = CK_OK;
out:
	free(r);
	OPENSSL_free(der);
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

	if (!der_next(&p, end, &cert) || cert.tag != V_ASN1_SEQUENCE || p != end)
		return 0;
	p = cert.content;
	if (!der_next(&p, cert.content + cert.len, &tbs) || tbs.tag != V_ASN1_SEQUENCE)
		return 0;
	tp = tbs.content;
	tend = tbs.content + tbs.len;
	if (!der_next(&tp, tend, &e))
		return 0;
	if (e.cls == V_ASN1_CONTEXT_SPECIFIC && e.tag == 0 && !der_next(&tp, tend, &e))
		return 0; /* [0] version, then the serial */
	/* signature, issuer, validity, subject, subjectPublicKeyInfo */
	if (!der_next(&tp, tend, &e) || !der_next(&tp, tend, &e) ||
	    !der_next(&tp, tend, &validity) || validity.tag != V_ASN1_SEQUENCE ||
	    !der_next(&tp, tend, &subj) || !der_next(&tp, tend, &spki) ||
	    spki.tag != V_ASN1_SEQUENCE)
		return 0;
	vp = validity.content;
	vend = validity.content + validity.len;
	kp = spki.content;
	kend = spki.content + spki.len;
	if (!der_next(&vp, vend, &nb) || !der_next(&vp, vend, &na) || !der_next(&kp, kend, &alg) ||
	    !der_next(&kp, kend, &bits) || bits.tag != V_ASN1_BIT_STRING || bits.len < 2)
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
	while (f->subject != NULL && der_next(&tp, tend, &e)) {
		STACK_OF(X509_EXTENSION) *exts;
		const uint8_t *xp = e.content;
		struct der_elem seq;
		int i;

		if (e.cls != V_ASN1_CONTEXT_SPECIFIC || e.tag != 3 ||
		    !der_next(&xp, e.content + e.len, &seq))
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
	if (!der_next(&p, end, &info) || info.tag != V_ASN1_SEQUENCE)
		goto out;
	p = info.content;
	end = info.content + info.len;
	if (!der_next(&p, end, &ver) || !der_next(&p, end, &alg) || !der_next(&p, end, &oct) ||
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
	if (!der_next(&ep, eend, &ec) || ec.tag != V_ASN1_SEQUENCE)
		goto out;
	ep = ec.content;
	eend = ec.content + ec.len;
	if (!der_next(&ep, eend, &ecver) || !der_next(&ep, eend, &priv) ||
	    priv.tag != V_ASN1_OCTET_STRING)
		goto out;
	while (der_next(&ep, eend, &e)) {
		const uint8_t *bp = e.content;
		struct der_elem b;

		if (e.cls == V_ASN1_CONTEXT_SPECIFIC && e.tag == 1 &&
		    der_next(&bp, e.content + e.len, &b) && b.tag == V_ASN1_BIT_STRING && b.len > 1) {
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
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_MD_CTX_copy_ex(ctx, ca->sign_once) &&
		 X509_sign_ctx(x, ctx) > 0;

	EVP_MD_CTX_free(ctx);
	return ok ? CK_OK : pki_fail_ssl(CK_ECRYPTO, "cannot sign the certificate");
}

enum ck_err pki_ca_issue(struct pki_ca *ca, const struct pki_ca_issue *p, uint8_t **der,
			 size_t *der_len, char sha1[PKI_THUMB_LEN + 1])
{
	X509 *x = X509_new();
	X509_NAME *subject = name_cn(p->cn);
	ASN1_INTEGER *serial = serial_from_hex(p->serial);
	unsigned char md[EVP_MAX_MD_SIZE], *enc = NULL;
	unsigned int mdlen = 0;
	int n;
	bool rsa = p->csr->key_id == EVP_PKEY_RSA;
	enum ck_err rc;

	if (x == NULL || subject == NULL || serial == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) || !X509_set_subject_name(x, subject) ||
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
	X509_NAME_free(subject);
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

/* ---- CRLs ---- */

/* Appends n bytes to the CRL's entry buffer, growing it geometrically. */
static int put(struct pki_crl *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		uint8_t *grown;

		while (cap < c->len + n)
			cap *= 2;
		grown = realloc(c->entries, cap);
		if (grown == NULL)
			return 0;
		c->entries = grown;
		c->cap = cap;
	}
	memcpy(c->entries + c->len, p, n);
	c->len += n;
	return 1;
}

/* DER tag and length into buf (>= 6); returns the header's size. */
static size_t der_header(uint8_t *buf, uint8_t tag, size_t len)
{
	size_t n = 0, i, bytes = 0;

	buf[n++] = tag;
	if (len < 128) {
		buf[n++] = (uint8_t)len;
		return n;
	}
	for (i = len; i > 0; i >>= 8)
		bytes++;
	buf[n++] = (uint8_t)(0x80 | bytes);
	for (i = bytes; i > 0; i--)
		buf[n++] = (uint8_t)(len >> (8 * (i - 1)));
	return n;
}

/* Reads the DER header at p (within end): sets *hdr and *len of content. */
static int der_read(const uint8_t *p, const uint8_t *end, size_t *hdr, size_t *len)
{
	size_t n, i;

	if (end - p < 2)
		return 0;
	if (p[1] < 128) {
		*hdr = 2;
		*len = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n)
			return 0;
		*len = 0;
		for (i = 0; i < n; i++)
			*len = (*len << 8) | p[2 + i];
		*hdr = 2 + n;
	}
	return *len <= (size_t)(end - p) - *hdr;
}

enum ck_err pki_crl_begin(struct pki_ca *ca, int64_t number, int64_t this_update,
			  int64_t next_update, struct pki_crl **out)
{
	struct pki_crl *c = calloc(1, sizeof(*c));
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t1 = ASN1_TIME_new(), *t2 = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	EVP_MD_CTX *ctx = NULL;
	unsigned char *tbs = NULL;
	const X509_ALGOR *alg = NULL;
	const uint8_t *p, *end, *split = NULL;
	size_t hdr, len;
	enum ck_err rc = CK_ECRYPTO;
	int n;

	if (c == NULL || crl == NULL || t1 == NULL || t2 == NULL || num == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	c->ca = ca;
	/* The fields around the entries, made and signed by OpenSSL once (the
	 * signature also fixes the AlgorithmIdentifier for the key). */
	ctx = ca_sign_ctx(ca->key);
	if (ctx == NULL || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, ca->subject) ||
	    !ASN1_TIME_set(t1, (time_t)this_update) || !ASN1_TIME_set(t2, (time_t)next_update) ||
	    !X509_CRL_set1_lastUpdate(crl, t1) || !X509_CRL_set1_nextUpdate(crl, t2) ||
	    !ASN1_INTEGER_set_int64(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0)) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot build the CRL");
		goto out;
	}
	if (!X509_CRL_add_ext(crl, ca->aki, -1) || X509_CRL_sign_ctx(crl, ctx) <= 0) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot sign the CRL");
		goto out;
	}
	X509_CRL_get0_signature(crl, NULL, &alg);
	c->alg = X509_ALGOR_dup(alg);
	n = i2d_re_X509_CRL_tbs(crl, &tbs);
	if (c->alg == NULL || n <= 0) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot encode the CRL");
		goto out;
	}
	/* Split the TBSCertList before crlExtensions ([0]), where the
	 * revokedCertificates SEQUENCE belongs (RFC 5280 §5.1). */
	p = tbs;
	end = tbs + n;
	if (!der_read(p, end, &hdr, &len) || p[0] != 0x30)
		goto bad;
	for (p += hdr; p < end; p += hdr + len) {
		if (!der_read(p, end, &hdr, &len))
			goto bad;
		if (p[0] == 0xa0) {
			split = p;
			break;
		}
	}
	if (split == NULL)
		goto bad;
	hdr = 0;
	der_read(tbs, end, &hdr, &len);
	c->prefix_len = (size_t)(split - tbs) - hdr;
	c->suffix_len = (size_t)(end - split);
	c->prefix = malloc(c->prefix_len);
	c->suffix = malloc(c->suffix_len);
	if (c->prefix == NULL || c->suffix == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(c->prefix, tbs + hdr, c->prefix_len);
	memcpy(c->suffix, split, c->suffix_len);
	*out = c;
	c = NULL;
	rc = CK_OK;
	goto out;
bad:
	rc = ck_fail(CK_ECRYPTO, "unexpected CRL encoding");
out:
	pki_crl_free(c);
	OPENSSL_free(tbs);
	EVP_MD_CTX_free(ctx);
	X509_CRL_free(crl);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(num);
	return rc;
}

/* UTCTime through 2049, GeneralizedTime after (RFC 5280 §5.1.2.6). */
static size_t der_time(uint8_t *buf, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];
	size_t n;

	gmtime_r(&tt, &tm);
	if (tm.tm_year + 1900 < 2050) {
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		buf[0] = 0x17;
	} else {
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		buf[0] = 0x18;
	}
	n = strlen(s);
	buf[1] = (uint8_t)n;
	memcpy(buf + 2, s, n);
	return n + 2;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

enum ck_err pki_crl_add(struct pki_crl *c, const char *serial_hex, int64_t when, int reason)
{
	uint8_t serial[24], entry[96], head[8];
	size_t slen = 0, i, n = 0, hlen, len = strlen(serial_hex);
	/* Extensions: SEQUENCE { SEQUENCE { reasonCode OID, OCTET STRING {
	 * ENUMERATED } } }; omitted for unspecified (RFC 5280 §5.3.1). */
	static const uint8_t reason_ext[] = { 0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d,
					      0x15, 0x04, 0x03, 0x0a, 0x01 };

	if (len == 0 || len > 40 || reason < 0 || reason > 10)
		return ck_fail(CK_EINVAL, "bad CRL entry '%.48s'", serial_hex);
	serial[slen++] = 0; /* room for a sign octet */
	for (i = 0; i < len; i++) {
		int v = hexval(serial_hex[i]);

		if (v < 0)
			return ck_fail(CK_EINVAL, "bad serial number '%.48s'", serial_hex);
		/* An odd count of digits: the first one is a whole octet. */
		if ((len - i) % 2 == 0) {
			serial[slen] = (uint8_t)(v << 4);
		} else {
			if (i == 0)
				serial[slen] = 0;
			serial[slen++] |= (uint8_t)v;
		}
	}
	/* Minimal two's complement: drop leading zero octets, keep one when the
	 * next octet's top bit is set. */
	i = 0;
	while (i + 1 < slen && serial[i] == 0 && !(serial[i + 1] & 0x80))
		i++;
	/* Entries must come in increasing order: the encoding is the CRL's. */
	if (c->last_len && (slen - i < c->last_len ||
			    (slen - i == c->last_len && memcmp(serial + i, c->last_serial, c->last_len) <= 0)))
		return ck_fail(CK_EINVAL, "CRL entries out of order at %.48s", serial_hex);
	memcpy(c->last_serial, serial + i, slen - i);
	c->last_len = slen - i;
	entry[n++] = 0x02;
	entry[n++] = (uint8_t)(slen - i);
	memcpy(entry + n, serial + i, slen - i);
	n += slen - i;
	n += der_time(entry + n, when);
	if (reason != PKI_REASON_UNSPECIFIED) {
		memcpy(entry + n, reason_ext, sizeof(reason_ext));
		n += sizeof(reason_ext);
		entry[n++] = (uint8_t)reason;
	}
	hlen = der_header(head, 0x30, n);
	if (!put(c, head, hlen) || !put(c, entry, n))
		return ck_fail(CK_ENOMEM, "out of memory");
	return CK_OK;
}

enum ck_err pki_crl_finish(struct pki_crl *c, bool pem, uint8_t **out, size_t *out_len)
{
	uint8_t h1[8], h2[8], h3[8], bit[8];
	size_t l1, l2 = 0, l3, lb, tbs_len, body, total, sig_len = 0, off = 0;
	unsigned char *alg = NULL, *sig = NULL;
	uint8_t *der = NULL, *tbs;
	EVP_MD_CTX *ctx = NULL;
	enum ck_err rc = CK_ECRYPTO;
	int alg_len = i2d_X509_ALGOR(c->alg, &alg);

	if (alg_len <= 0)
		return pki_fail_ssl(CK_ECRYPTO, "cannot encode the CRL");
	/* TBSCertList = SEQUENCE { prefix, [SEQUENCE { entries }], suffix } */
	if (c->len > 0)
		l2 = der_header(h2, 0x30, c->len);
	tbs_len = c->prefix_len + (c->len ? l2 + c->len : 0) + c->suffix_len;
	l1 = der_header(h1, 0x30, tbs_len);
	tbs = malloc(l1 + tbs_len);
	if (tbs == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(tbs, h1, l1);
	off = l1;
	memcpy(tbs + off, c->prefix, c->prefix_len);
	off += c->prefix_len;
	if (c->len) {
		memcpy(tbs + off, h2, l2);
		off += l2;
		memcpy(tbs + off, c->entries, c->len);
		off += c->len;
	}
	memcpy(tbs + off, c->suffix, c->suffix_len);
	off += c->suffix_len;
	/* The entries are in tbs now: give their buffer back early. */
	free(c->entries);
	c->entries = NULL;
	c->cap = 0;
	ctx = ca_sign_ctx(c->ca->key);
	if (ctx == NULL || EVP_DigestSign(ctx, NULL, &sig_len, tbs, off) != 1 ||
	    (sig = OPENSSL_malloc(sig_len)) == NULL ||
	    EVP_DigestSign(ctx, sig, &sig_len, tbs, off) != 1) {
		rc = pki_fail_ssl(CK_ECRYPTO, "cannot sign the CRL");
		goto out;
	}
	/* CertificateList = SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } */
	lb = der_header(bit, 0x03, sig_len + 1);
	body = off + (size_t)alg_len + lb + 1 + sig_len;
	l3 = der_header(h3, 0x30, body);
	total = l3 + body;
	der = malloc(total);
	if (der == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(der, h3, l3);
	memcpy(der + l3, tbs, off);
	memcpy(der + l3 + off, alg, (size_t)alg_len);
	memcpy(der + l3 + off + alg_len, bit, lb);
	der[l3 + off + alg_len + lb] = 0; /* no unused bits */
	memcpy(der + l3 + off + alg_len + lb + 1, sig, sig_len);
	free(tbs);
	tbs = NULL;
	if (pem) {
		BIO *bio = BIO_new(BIO_s_mem());

		rc = bio && PEM_write_bio(bio, PEM_STRING_X509_CRL, "", der, (long)total) > 0
			     ? pki_bio_string(bio, (char **)out, out_len)
			     : pki_fail_ssl(CK_ECRYPTO, "cannot encode the CRL");
		BIO_free(bio);
	} else {
		*out = der;
		*out_len = total;
		der = NULL;
		rc = CK_OK;
	}
out:
	free(tbs);
	free(der);
	OPENSSL_free(sig);
	OPENSSL_free(alg);
	EVP_MD_CTX_free(ctx);
	return rc;
}

void pki_crl_free(struct pki_crl *c)
{
	if (c == NULL)
		return;
	free(c->prefix);
	free(c->suffix);
	free(c->entries);
	X509_ALGOR_free(c->alg);
	free(c);
}
