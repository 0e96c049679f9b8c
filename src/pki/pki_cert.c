/*
 * pki_cert.c - reading certificates and what certkeep shows of them:
 * thumbprints, names, CertificateDomains, validity, trust (DESIGN.md §3, §4).
 *
 * Certificates come from outside and are hostile: every string taken from
 * one is escaped for display, and only syntactically valid DNS names become
 * CertificateDomains.
 */
#include "pki/pki-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/array.h"
#include "base/names.h"

enum ck_err pki_cert_wrap(X509 *x, struct pki_cert **out)
{
	struct pki_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	int n;

	if (c == NULL) {
		X509_free(x);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	n = i2d_X509(x, &der);
	if (n <= 0) {
		X509_free(x);
		free(c);
		return pki_fail_ssl(CK_ECRYPTO, "cannot encode certificate");
	}
	c->x509 = x;
	c->der = der;
	c->der_len = (size_t)n;
	*out = c;
	return CK_OK;
}

enum ck_err pki_cert_parse(const uint8_t *buf, size_t len, struct pki_cert **out)
{
	X509 *x = NULL;

	if (len == 0)
		return ck_fail(CK_EINVAL, "empty input: no certificate");
	if (len > INT32_MAX)
		return ck_fail(CK_EINVAL, "input too large");
	if (pki_looks_pem(buf, len)) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);

		if (bio == NULL)
			return ck_fail(CK_ENOMEM, "out of memory");
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (x == NULL) {
			ERR_clear_error();
			return ck_fail(CK_EINVAL,
				       "malformed PEM: no readable CERTIFICATE block");
		}
	} else {
		const unsigned char *p = buf;

		x = d2i_X509(NULL, &p, (long)len);
		if (x == NULL || p != buf + len) {
			X509_free(x);
			ERR_clear_error();
			return ck_fail(CK_EINVAL, "not a certificate: malformed DER (or PEM)");
		}
	}
	return pki_cert_wrap(x, out);
}

enum ck_err pki_chain_parse(const uint8_t *buf, size_t len, struct pki_chain **out)
{
	struct pki_chain *ch = NULL;
	enum ck_err rc = CK_EINVAL;
	BIO *bio = NULL;
	X509 *x;

	if (len > INT32_MAX)
		return ck_fail(CK_EINVAL, "input too large");
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL || (ch->certs = sk_X509_new_null()) == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(ch->certs, x)) {
			X509_free(x);
			rc = ck_fail(CK_ENOMEM, "out of memory");
			goto out;
		}
		if (sk_X509_num(ch->certs) > 32) {
			rc = ck_fail(CK_EINVAL, "chain has more than 32 certificates");
			goto out;
		}
	}
	/* The loop ends on EOF (PEM_R_NO_START_LINE) or on a broken block. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    sk_X509_num(ch->certs) == 0) {
		ERR_clear_error();
		rc = ck_fail(CK_EINVAL, "malformed PEM chain: no readable CERTIFICATE blocks");
		goto out;
	}
	ERR_clear_error();
	*out = ch;
	ch = NULL;
	rc = CK_OK;
out:
	BIO_free(bio);
	pki_chain_free(ch);
	return rc;
}

size_t pki_chain_count(const struct pki_chain *chain)
{
	return chain ? (size_t)sk_X509_num(chain->certs) : 0;
}

enum ck_err pki_chain_to_pem(const struct pki_chain *chain, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	enum ck_err rc;
	int i;

	if (bio == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	for (i = 0; chain && i < sk_X509_num(chain->certs); i++) {
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain->certs, i))) {
			BIO_free(bio);
			return pki_fail_ssl(CK_ECRYPTO, "cannot encode chain");
		}
	}
	rc = pki_bio_string(bio, pem, len);
	BIO_free(bio);
	return rc;
}

void pki_chain_free(struct pki_chain *chain)
{
	if (chain == NULL)
		return;
	sk_X509_pop_free(chain->certs, X509_free);
	free(chain);
}

void pki_cert_der(const struct pki_cert *cert, const uint8_t **der, size_t *len)
{
	*der = cert->der;
	*len = cert->der_len;
}

enum ck_err pki_cert_to_pem(const struct pki_cert *cert, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	enum ck_err rc;

	if (bio == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (!PEM_write_bio_X509(bio, cert->x509)) {
		BIO_free(bio);
		return pki_fail_ssl(CK_ECRYPTO, "cannot encode certificate");
	}
	rc = pki_bio_string(bio, pem, len);
	BIO_free(bio);
	return rc;
}

void pki_cert_free(struct pki_cert *cert)
{
	if (cert == NULL)
		return;
	X509_free(cert->x509);
	OPENSSL_free(cert->der);
	free(cert);
}

/* RFC 2253 text of a name; control and non-ASCII bytes escaped. */
static char *name_to_string(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s = NULL;
	unsigned long flags = XN_FLAG_RFC2253 | ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_ESC_MSB;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0)
		(void)pki_bio_string(bio, &s, NULL);
	BIO_free(bio);
	return s;
}

/* Why issuer did not issue subject, or NULL if it did: OpenSSL's own issuer
 * test (names, key identifiers, keyUsage keyCertSign), a CA certificate
 * (basicConstraints, or a v1 root), and the signature under its key. */
static const char *not_issued_by(X509 *subject, X509 *issuer)
{
	EVP_PKEY *pub;
	int err = X509_check_issued(issuer, subject);

	if (err != X509_V_OK)
		return X509_verify_cert_error_string(err);
	if (X509_check_ca(issuer) == 0)
		return "it is not a CA certificate";
	pub = X509_get0_pubkey(issuer);
	if (pub == NULL)
		return "its public key cannot be read";
	if (X509_verify(subject, pub) != 1)
		return X509_verify_cert_error_string(X509_V_ERR_CERT_SIGNATURE_FAILURE);
	return NULL;
}

enum ck_err pki_chain_check(const struct pki_cert *leaf, const struct pki_chain *chain)
{
	X509 *below = leaf->x509;
	int i, n = sk_X509_num(chain->certs);

	for (i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain->certs, i);
		const char *why = not_issued_by(below, x);

		if (why != NULL) {
			char *above = name_to_string(X509_get_subject_name(x));
			char *under = name_to_string(X509_get_subject_name(below));
			char what[32];
			enum ck_err rc;

			if (i == 0)
				snprintf(what, sizeof(what), "the certificate");
			else
				snprintf(what, sizeof(what), "chain certificate %d", i);
			rc = ck_fail(CK_EINVAL,
				     "chain certificate %d (%s) does not issue %s (%s): %s; the "
				     "chain must list each issuer in order, from the leaf's up",
				     i + 1, above ? above : "?", what, under ? under : "?", why);
			free(above);
			free(under);
			ERR_clear_error();
			return rc;
		}
		below = x;
	}
	ERR_clear_error();
	return CK_OK;
}

/* Adds a name to the domain list if it is a valid DNS name and new. */
static enum ck_err add_domain(struct pki_cert_info *info, const unsigned char *data, int len)
{
	char raw[CK_DOMAIN_MAX + 2], norm[CK_DOMAIN_MAX + 1];
	char **grown;
	size_t i;

	if (len <= 0 || len > CK_DOMAIN_MAX || memchr(data, 0, (size_t)len) != NULL)
		return CK_OK;
	memcpy(raw, data, (size_t)len);
	raw[len] = '\0';
	if (ck_domain_normalize(raw, true, norm, sizeof(norm)) != CK_OK) {
		ck_errmsg_clear();
		return CK_OK;
	}
	for (i = 0; i < info->n_domains; i++)
		if (strcmp(info->domains[i], norm) == 0)
			return CK_OK;
	grown = ck_array_grow(info->domains, info->n_domains, sizeof(*grown));
	if (grown == NULL)
		return CK_ENOMEM;
	info->domains = grown;
	info->domains[info->n_domains] = strdup(norm);
	if (info->domains[info->n_domains] == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	info->n_domains++;
	return CK_OK;
}

static int64_t asn1_time_to_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* The subject's (last) CN as UTF-8, or NULL if there is none or if it
 * holds a NUL or a control character: such a CN is no host name, and a NUL
 * would let "good.example\0.evil.test" pass for "good.example". */
static char *subject_cn(X509 *x)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int idx = -1, last = -1, i;
	unsigned char *utf8 = NULL;
	char *s = NULL;
	int n;

	while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
		last = idx;
	if (last < 0)
		return NULL;
	n = ASN1_STRING_to_UTF8(&utf8,
				X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
	for (i = 0; i < n; i++)
		if (utf8[i] < 0x20 || utf8[i] == 0x7f)
			n = -1;
	if (n >= 0) {
		s = malloc((size_t)n + 1);
		if (s) {
			memcpy(s, utf8, (size_t)n);
			s[n] = '\0';
		}
	}
	OPENSSL_free(utf8);
	return s;
}

enum ck_err pki_cert_info_get(const struct pki_cert *cert, struct pki_cert_info *info)
{
	X509 *x = cert->x509;
	GENERAL_NAMES *sans = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	const ASN1_INTEGER *serial;
	EVP_PKEY *pub;
	enum ck_err rc = CK_ENOMEM;
	int i;

	memset(info, 0, sizeof(*info));
	if (!EVP_Digest(cert->der, cert->der_len, md, &mdlen, EVP_sha1(), NULL))
		return pki_fail_ssl(CK_ECRYPTO, "SHA-1 failed");
	pki_hex(md, mdlen, info->thumbprint);
	if (!EVP_Digest(cert->der, cert->der_len, md, &mdlen, EVP_sha256(), NULL))
		return pki_fail_ssl(CK_ECRYPTO, "SHA-256 failed");
	pki_hex(md, mdlen, info->sha256);

	serial = X509_get0_serialNumber(x);
	if (serial->length > 40)
		return ck_fail(CK_EINVAL, "certificate serial number longer than 40 octets");
	pki_hex(serial->data, (size_t)serial->length, info->serial);

	pub = X509_get0_pubkey(x);
	if (pub == NULL)
		return ck_fail(CK_EINVAL, "certificate has an unreadable public key");
	pki_pubkey_id(pub, info->key_id);
	{
		struct pki_key tmp = { pub };

		pki_key_type(&tmp, info->key_type, sizeof(info->key_type));
	}

	info->subject = name_to_string(X509_get_subject_name(x));
	info->issuer = name_to_string(X509_get_issuer_name(x));
	if (info->subject == NULL || info->issuer == NULL)
		goto fail;
	info->not_before = asn1_time_to_unix(X509_get0_notBefore(x));
	info->not_after = asn1_time_to_unix(X509_get0_notAfter(x));
	info->version = (int)X509_get_version(x) + 1;
	/* Self-signed: names (and key identifiers) match and its own key
	 * verifies the signature. Not X509_check_issued, which also demands
	 * keyCertSign and so calls a self-signed TLS leaf "not self-issued". */
	info->self_signed = X509_self_signed(x, 1) == 1;
	ERR_clear_error();

	info->subject_cn = subject_cn(x);
	if (info->subject_cn &&
	    add_domain(info, (const unsigned char *)info->subject_cn,
		       (int)strlen(info->subject_cn)) != CK_OK)
		goto fail;
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type != GEN_DNS)
			continue;
		if (add_domain(info, ASN1_STRING_get0_data(gn->d.dNSName),
			       ASN1_STRING_length(gn->d.dNSName)) != CK_OK)
			goto fail;
	}
	GENERAL_NAMES_free(sans);
	return CK_OK;
fail:
	GENERAL_NAMES_free(sans);
	pki_cert_info_clear(info);
	return ck_fail(rc, "out of memory reading certificate");
}

void pki_cert_info_clear(struct pki_cert_info *info)
{
	size_t i;

	free(info->subject);
	free(info->issuer);
	free(info->subject_cn);
	for (i = 0; i < info->n_domains; i++)
		free(info->domains[i]);
	free(info->domains);
	memset(info, 0, sizeof(*info));
}

bool pki_cert_matches_key(const struct pki_cert *cert, const struct pki_key *key)
{
	int ok = X509_check_private_key(cert->x509, key->pkey);

	ERR_clear_error();
	return ok == 1;
}

bool pki_cert_check_host(const struct pki_cert *cert, const char *name)
{
	const unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
				   X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
	char *cn;
	int r;

	r = X509_check_host(cert->x509, name, 0, flags, NULL);
	if (r == 1)
		return true;
	/* The CN, with the same rules: checked against a throwaway certificate
	 * whose only SAN is that CN, so OpenSSL's matcher (not ours) decides. */
	cn = subject_cn(cert->x509);
	r = 0;
	if (cn != NULL) {
		X509 *tmp = X509_new();
		GENERAL_NAMES *gens = GENERAL_NAMES_new();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		if (tmp && gens && gn && ia5 && ASN1_STRING_set(ia5, cn, (int)strlen(cn))) {
			GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
			ia5 = NULL;
			if (sk_GENERAL_NAME_push(gens, gn)) {
				gn = NULL;
				if (X509_add1_ext_i2d(tmp, NID_subject_alt_name, gens, 0, 0))
					r = X509_check_host(tmp, name, 0, flags, NULL);
			}
		}
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(gn);
		GENERAL_NAMES_free(gens);
		X509_free(tmp);
		free(cn);
	}
	ERR_clear_error();
	return r == 1;
}
