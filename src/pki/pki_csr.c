/*
 * pki_csr.c - certificate requests (PKCS#10) for the CA: read, verified
 * (proof of possession) and described for the policy (DESIGN.md §8).
 * csr_decode says why they are read field by field.
 */
#include "pki/pki_ca-int.h"
#include "pki/pki-int.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/array.h"


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

/* Each thread keeps one EC key per curve and gives it each request's
 * point in turn: copying the curve's template for every request cost 3.7
 * of the 62 us a request's check takes. The key is handed out with a
 * reference taken, and the caller drops it before the thread's next
 * request, so no one else ever sees it change. */
struct ec_scratch {
	EVP_PKEY *key[2];
};
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_ready;

static void scratch_free(void *arg)
{
	struct ec_scratch *s = arg;

	EVP_PKEY_free(s->key[0]);
	EVP_PKEY_free(s->key[1]);
	free(s);
}

static void scratch_init(void)
{
	scratch_ready = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's key for the curve, or NULL (then a copy of the template
 * serves, as it would anyway). */
static EVP_PKEY *ec_scratch(bool p384, EVP_PKEY *tmpl)
{
	struct ec_scratch *s;

	if (pthread_once(&scratch_once, scratch_init) != 0 || !scratch_ready)
		return NULL;
	s = pthread_getspecific(scratch_key);
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || pthread_setspecific(scratch_key, s) != 0) {
			free(s);
			return NULL;
		}
	}
	if (s->key[p384] == NULL)
		s->key[p384] = EVP_PKEY_dup(tmpl);
	return s->key[p384];
}

/* The exponent for the policy, UINT64_MAX when it has 64 bits or more. */
static uint64_t exponent_of(const BIGNUM *e)
{
	unsigned char b[8];
	uint64_t v = 0;
	size_t i;

	if (BN_num_bits(e) >= 64 || BN_bn2binpad(e, b, sizeof(b)) != (int)sizeof(b))
		return UINT64_MAX;
	for (i = 0; i < sizeof(b); i++)
		v = v << 8 | b[i];
	return v;
}

/* The public key from the SubjectPublicKeyInfo's parts, built from its
 * parameters (EC: curve and point; RSA: modulus and exponent, which goes
 * to *rsa_e). */
static EVP_PKEY *pubkey_build(const X509_ALGOR *alg, const uint8_t *bits, size_t n,
			      uint64_t *rsa_e)
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
		/* A key that has the curve already is much cheaper than setting
		 * the curve up again for every request (bulk). */
		tmpl = curve_template(curve == NID_secp384r1);
		pkey = tmpl ? ec_scratch(curve == NID_secp384r1, tmpl) : NULL;
		if (pkey != NULL && !EVP_PKEY_up_ref(pkey))
			pkey = NULL;
		if (pkey == NULL && tmpl != NULL)
			pkey = EVP_PKEY_dup(tmpl);
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

		if (!pki_der_next(&p, end, &seq) || seq.tag != V_ASN1_SEQUENCE || p != end)
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
		*rsa_e = exponent_of(bn_e);
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
 * through its decoder framework (about 100 us per key here, twice the
 * signature check), and bulk submission reads many requests. The key is
 * built from its parameters (about 4 us) and the signature checked over
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

	if (!pki_der_next(&p, end, &outer) || outer.tag != V_ASN1_SEQUENCE || p != end)
		return 0;
	p = outer.content;
	end = outer.content + outer.len;
	if (!pki_der_next(&p, end, &info) || info.tag != V_ASN1_SEQUENCE ||
	    !pki_der_next(&p, end, &sigalg) || !pki_der_next(&p, end, &sig) ||
	    sig.tag != V_ASN1_BIT_STRING || sig.len < 2 || sig.content[0] != 0 || p != end)
		return 0;
	ip = info.content;
	iend = info.content + info.len;
	if (!pki_der_next(&ip, iend, &ver) || ver.tag != V_ASN1_INTEGER || ver.len != 1 ||
	    ver.content[0] != 0 || !pki_der_next(&ip, iend, &subj) ||
	    subj.tag != V_ASN1_SEQUENCE || !pki_der_next(&ip, iend, &spki) ||
	    spki.tag != V_ASN1_SEQUENCE || !pki_der_next(&ip, iend, &attrs) || attrs.tag != 0 ||
	    attrs.cls != V_ASN1_CONTEXT_SPECIFIC || ip != iend)
		return 0;
	q = subj.start;
	c->subject = d2i_X509_NAME(NULL, &q, subj.content + subj.len - subj.start);
	kp = spki.content;
	kend = spki.content + spki.len;
	if (c->subject == NULL || q != subj.content + subj.len || !pki_der_next(&kp, kend, &alg) ||
	    !pki_der_next(&kp, kend, &bits) || bits.tag != V_ASN1_BIT_STRING || bits.len < 2 ||
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
	pub = pubkey_build(c->key_alg, c->key_bits, c->key_bits_len, &c->rsa_e);
	if (pub == NULL)
		return -2; /* a key type we do not certify */
	/* The signature: over SHA-256, SHA-384 or SHA-512 only, refused
	 * before it is checked, since MD5 and SHA-1 have practical collisions
	 * and the Web PKI dropped them; PKCS#1 v1.5 or ECDSA only (RSA-PSS
	 * parameters are not read here); and its algorithm must fit the key. */
	q = sigalg.start;
	salg = d2i_X509_ALGOR(NULL, &q, sigalg.content + sigalg.len - sigalg.start);
	if (salg == NULL) {
		ok = -1;
		goto out;
	}
	X509_ALGOR_get0(&sobj, NULL, NULL, salg);
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(sobj), &md_nid, &pk_nid))
		md_nid = pk_nid = NID_undef;
	if (md_nid != NID_sha256 && md_nid != NID_sha384 && md_nid != NID_sha512) {
		c->sig_md = md_nid;
		if (OBJ_obj2txt(c->sig_alg, sizeof(c->sig_alg), sobj, 0) <= 0)
			snprintf(c->sig_alg, sizeof(c->sig_alg), "unknown");
		ok = -3;
		goto out;
	}
	if ((pk_nid == NID_rsaEncryption) != (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)) {
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

/* Why a request's signature algorithm is refused (csr_decode gave -3). */
static enum ck_err weak_signature(const struct pki_csr *c)
{
	if (c->sig_md != NID_undef)
		return ck_fail(CK_EINVAL,
			       "weak signature: the certificate request is signed with %s "
			       "(%s); only SHA-256, SHA-384 and SHA-512 are accepted",
			       OBJ_nid2sn(c->sig_md), c->sig_alg);
	return ck_fail(CK_EINVAL,
		       "unsupported signature algorithm %s in the certificate request: only RSA "
		       "(PKCS#1 v1.5) and ECDSA with SHA-256, SHA-384 or SHA-512 are accepted",
		       c->sig_alg);
}

enum ck_err pki_csr_parse(const uint8_t *buf, size_t len, struct pki_csr **out)
{
	struct pki_csr *c;
	enum ck_err rc;
	int r;

	if (len == 0)
		return ck_fail(CK_EINVAL, "empty input: not a certificate request");
	if (len > INT32_MAX)
		return ck_fail(CK_EINVAL, "certificate request too large");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (pki_looks_pem(buf, len)) {
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
	rc = r == -3 ? weak_signature(c) : CK_OK;
	pki_csr_free(c);
	if (r == -3)
		return rc;
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
		grown = ck_array_grow(info->dns, info->n_dns, sizeof(*grown));
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
	info->rsa_e = csr->rsa_e;
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
