/*
 * test_pki.c - unit tests for src/pki/pki.h (DESIGN.md §3, §4).
 *
 * Keys: generation of each type and alias (one RSA key only, it is slow),
 * unknown types, PEM and DER round trips keeping pki_key_id, refusal of
 * garbage and of encrypted keys. Certificates: pki_selfsigned_make then
 * pki_cert_info_get (thumbprint and SHA-256 recomputed here with EVP,
 * CertificateDomains CN first without duplicates, serial, version, dates,
 * key type, extensions), host checks with certkeep's rules (SAN wildcards
 * match one label; the CN too, SANs or not), key
 * matching, PEM/DER parsing and a table of malformed inputs, chains,
 * PKCS#12 round trips and wrong passwords, PKCS#10 requests checked by
 * OpenSSL itself, clone from a template, and trust verdicts at times
 * inside and outside the validity. For the trusted cases the test's own
 * root is made the "system" store through SSL_CERT_FILE/SSL_CERT_DIR
 * (openssl-env(7)) before the first pki_cert_verify call, which loads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/fileio.h"
#include "pki/pki.h"
#include "unit_util.h"

#define NOT_BEFORE INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define NOT_AFTER INT64_C(1924992000)  /* 2031-01-01T00:00:00Z */
#define INSIDE INT64_C(1795428000)     /* 2026-11-23T10:00:00Z */

static const char *const mx1_domains[] = { "mx1", "mx1.contoso.test", "*.web.contoso.test" };

/* Made once for the whole group: generating keys is the slow part. */
static struct {
	struct pki_key *key, *other_key;
	struct pki_cert *cert;    /* CN=mx1, SAN mx1_domains, signed by key */
	struct pki_cert *trusted; /* CN=root.contoso.test, in the test trust store */
	char dir[64];             /* holds the trust store */
} g;

/* ---- helpers ---- */

static void hex_upper(const unsigned char *bin, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", bin[i]);
	out[2 * n] = '\0';
}

static void digest_hex(const EVP_MD *md, const uint8_t *data, size_t len, char *out)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, buf, &n, md, NULL), 1);
	hex_upper(buf, n, out);
}

static bool is_upper_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || islower((unsigned char)s[i]))
			return false;
	return true;
}

static struct pki_cert *make_cert(const struct pki_key *key, const char *cn,
				  const char *const *domains, size_t n_domains, int64_t nb,
				  int64_t na)
{
	struct pki_make_params p = {
		.subject_cn = cn,
		.domains = domains,
		.n_domains = n_domains,
		.not_before = nb,
		.not_after = na,
	};
	struct pki_cert *cert = NULL;

	if (pki_selfsigned_make(&p, key, &cert) != CK_OK)
		fail_msg("pki_selfsigned_make: %s", ck_errmsg());
	return cert;
}

static void cert_thumbprint(const struct pki_cert *cert, char out[PKI_THUMB_LEN + 1])
{
	struct pki_cert_info info;

	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	memcpy(out, info.thumbprint, PKI_THUMB_LEN + 1);
	pki_cert_info_clear(&info);
}

/* The certificate as OpenSSL reads it from our DER, for checks that
 * pki.h does not expose. */
static X509 *to_x509(const struct pki_cert *cert)
{
	const uint8_t *der;
	const unsigned char *p;
	size_t len;
	X509 *x;

	pki_cert_der(cert, &der, &len);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	return x;
}

/* A certificate built here with OpenSSL directly, for shapes that
 * pki_selfsigned_make never makes: a version 1 certificate, a subject with
 * several RDNs, SANs other than DNS names. Returned through pki_cert_parse. */
static struct pki_cert *raw_cert(EVP_PKEY *pkey, long version, const char *subject,
				 const char *san)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	struct pki_cert *cert = NULL;
	unsigned char *der = NULL;
	char field[32], value[96];
	const char *p = subject;
	int len;

	assert_non_null(x);
	name = X509_NAME_new();
	assert_non_null(name);
	/* subject: "C=US/O=Contoso, Ltd/CN=mx1" */
	while (*p != '\0') {
		const char *eq = strchr(p, '='), *end;

		assert_non_null(eq);
		end = strchr(eq, '/');
		if (end == NULL)
			end = eq + strlen(eq);
		snprintf(field, sizeof(field), "%.*s", (int)(eq - p), p);
		snprintf(value, sizeof(value), "%.*s", (int)(end - eq - 1), eq + 1);
		assert_int_equal(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
							    (const unsigned char *)value, -1, -1, 0),
				 1);
		p = *end ? end + 1 : end;
	}
	assert_int_equal(X509_set_version(x, version), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)NOT_BEFORE));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)NOT_AFTER));
	assert_int_equal(X509_set_pubkey(x, pkey), 1);
	if (san != NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	if (pki_cert_parse(der, (size_t)len, &cert) != CK_OK)
		fail_msg("pki_cert_parse of a raw certificate: %s", ck_errmsg());
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	return cert;
}

/* ---- group setup ---- */

static int group_setup(void **state)
{
	(void)state;
	if (pki_key_generate("ec:P-256", &g.key) != CK_OK ||
	    pki_key_generate("ec:P-256", &g.other_key) != CK_OK)
		return -1;
	g.cert = make_cert(g.key, "mx1", mx1_domains, 3, NOT_BEFORE, NOT_AFTER);
	g.trusted = make_cert(g.other_key, "root.contoso.test", NULL, 0, NOT_BEFORE, NOT_AFTER);
	snprintf(g.dir, sizeof(g.dir), "/tmp/ck-test-pki.XXXXXX");
	return mkdtemp(g.dir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/roots.pem", g.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/certs", g.dir);
	rmdir(path);
	rmdir(g.dir);
	pki_cert_free(g.cert);
	pki_cert_free(g.trusted);
	pki_key_free(g.key);
	pki_key_free(g.other_key);
	return 0;
}

/* ---- keys ---- */

static void test_key_generate_types(void **state)
{
	static const struct {
		const char *type;
		const char *canonical;
	} cases[] = {
		{ "ec:P-256", "ec:P-256" }, { "ec", "ec:P-256" },      { "ecdsa", "ec:P-256" },
		{ "p256", "ec:P-256" },     { "EC:p-256", "ec:P-256" }, { "ec:P-384", "ec:P-384" },
		{ "rsa:2048", "rsa:2048" }, { "ec:P-521", "ec:P-521" }, { "ec:secp521r1", "ec:P-521" },
		{ "RSA:2056", "rsa:2056" },
	};
	char first_id[PKI_SHA256_LEN + 1] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pki_key *key = NULL;
		char type[PKI_KEYTYPE_MAX], id[PKI_SHA256_LEN + 1];

		if (pki_key_generate(cases[i].type, &key) != CK_OK)
			fail_msg("'%s': %s", cases[i].type, ck_errmsg());
		pki_key_type(key, type, sizeof(type));
		assert_string_equal(type, cases[i].canonical);
		pki_key_id(key, id);
		assert_true(is_upper_hex(id, PKI_SHA256_LEN));
		/* Every key is new. */
		assert_string_not_equal(id, first_id);
		if (i == 0)
			memcpy(first_id, id, sizeof(id));
		pki_key_free(key);
	}
}

static void test_key_generate_unknown_type(void **state)
{
	static const char *const bad[] = {
		"",	     "dsa",	  "ed25519",   "rsa:1024", "rsa:2047", "rsa:2050",
		"rsa:16392", "rsa:020480", "rsa:2048x", "rsa:",	   "ec:P-192", "ec:",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pki_key *key = NULL;

		if (pki_key_generate(bad[i], &key) != CK_EINVAL)
			fail_msg("key type '%s' was not refused", bad[i]);
		assert_null(key);
		assert_msg_contains("unknown key type");
	}
}

static void test_key_pem_round_trip(void **state)
{
	char *pem = NULL;
	size_t len = 0;
	struct pki_key *back = NULL;
	char id[PKI_SHA256_LEN + 1], back_id[PKI_SHA256_LEN + 1], type[PKI_KEYTYPE_MAX];

	(void)state;
	assert_int_equal(pki_key_to_pem(g.key, &pem, &len), CK_OK);
	assert_int_equal(strlen(pem), len);
	/* PKCS#8, unencrypted. */
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	assert_non_null(strstr(pem, "-----END PRIVATE KEY-----\n"));
	assert_int_equal(pki_key_parse((const uint8_t *)pem, len, &back), CK_OK);
	pki_key_id(g.key, id);
	pki_key_id(back, back_id);
	assert_string_equal(back_id, id);
	pki_key_type(back, type, sizeof(type));
	assert_string_equal(type, "ec:P-256");
	assert_true(pki_cert_matches_key(g.cert, back));
	pki_key_free(back);
	ck_free_secret(pem, len);
}

/* DER PKCS#8 and traditional "EC PRIVATE KEY" PEM, written by OpenSSL
 * from our PEM, read back to the same key. */
static void test_key_parse_der_and_traditional(void **state)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *in, *out;
	EVP_PKEY *pkey;
	unsigned char *der = NULL;
	char *trad;
	long trad_len;
	int der_len;
	struct pki_key *k1 = NULL, *k2 = NULL;
	char id[PKI_SHA256_LEN + 1], id1[PKI_SHA256_LEN + 1], id2[PKI_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(pki_key_to_pem(g.key, &pem, &len), CK_OK);
	in = BIO_new_mem_buf(pem, (int)len);
	pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	assert_non_null(pkey);
	BIO_free(in);

	der_len = i2d_PrivateKey(pkey, &der);
	assert_true(der_len > 0);
	assert_int_equal(pki_key_parse(der, (size_t)der_len, &k1), CK_OK);

	out = BIO_new(BIO_s_mem());
	assert_int_equal(
		PEM_write_bio_PrivateKey_traditional(out, pkey, NULL, NULL, 0, NULL, NULL), 1);
	trad_len = BIO_get_mem_data(out, &trad);
	assert_true(strncmp(trad, "-----BEGIN EC PRIVATE KEY-----", 30) == 0);
	assert_int_equal(pki_key_parse((const uint8_t *)trad, (size_t)trad_len, &k2), CK_OK);

	pki_key_id(g.key, id);
	pki_key_id(k1, id1);
	pki_key_id(k2, id2);
	assert_string_equal(id1, id);
	assert_string_equal(id2, id);

	BIO_free(out);
	OPENSSL_clear_free(der, (size_t)der_len);
	EVP_PKEY_free(pkey);
	pki_key_free(k1);
	pki_key_free(k2);
	ck_free_secret(pem, len);
}

/* Garbage, a certificate, and encrypted keys (PKCS#8 and legacy PEM
 * encryption) are refused without prompting for a password. */
static void test_key_parse_refusals(void **state)
{
	char *pem = NULL, *cert_pem = NULL;
	size_t len = 0, cert_len = 0;
	BIO *in, *enc8, *enc_legacy;
	EVP_PKEY *pkey;
	char *p8, *legacy;
	long p8_len, legacy_len;
	size_t i;

	(void)state;
	assert_int_equal(pki_key_to_pem(g.key, &pem, &len), CK_OK);
	assert_int_equal(pki_cert_to_pem(g.cert, &cert_pem, &cert_len), CK_OK);
	in = BIO_new_mem_buf(pem, (int)len);
	pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	assert_non_null(pkey);
	BIO_free(in);

	enc8 = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(enc8, pkey, EVP_aes_256_cbc(),
						  (const unsigned char *)"secret", 6, NULL, NULL),
			 1);
	p8_len = BIO_get_mem_data(enc8, &p8);
	assert_non_null(strstr(p8, "ENCRYPTED"));
	enc_legacy = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(enc_legacy, pkey, EVP_aes_256_cbc(),
							      (const unsigned char *)"secret", 6,
							      NULL, NULL),
			 1);
	legacy_len = BIO_get_mem_data(enc_legacy, &legacy);
	assert_non_null(strstr(legacy, "Proc-Type: 4,ENCRYPTED"));

	{
		const struct {
			const char *what;
			const uint8_t *buf;
			size_t len;
		} cases[] = {
			{ "empty", (const uint8_t *)"", 0 },
			{ "garbage", (const uint8_t *)"this is not a key\n", 18 },
			{ "truncated PEM", (const uint8_t *)pem, len / 2 },
			{ "certificate", (const uint8_t *)cert_pem, cert_len },
			{ "encrypted PKCS#8", (const uint8_t *)p8, (size_t)p8_len },
			{ "encrypted legacy PEM", (const uint8_t *)legacy, (size_t)legacy_len },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct pki_key *key = NULL;

			if (pki_key_parse(cases[i].buf, cases[i].len, &key) != CK_EINVAL)
				fail_msg("%s was not refused", cases[i].what);
			assert_null(key);
			assert_msg_contains("unencrypted private key");
		}
	}
	/* The refusals left nothing in OpenSSL's error queue. */
	assert_int_equal(ERR_peek_error(), 0);

	BIO_free(enc8);
	BIO_free(enc_legacy);
	EVP_PKEY_free(pkey);
	free(cert_pem);
	ck_free_secret(pem, len);
}

/* ---- certificates: what pki_cert_info_get reports ---- */

static void test_selfsigned_info(void **state)
{
	struct pki_cert_info info;
	const uint8_t *der;
	size_t der_len, i;
	char want[2 * EVP_MAX_MD_SIZE + 1], key_id[PKI_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(pki_cert_info_get(g.cert, &info), CK_OK);
	pki_cert_der(g.cert, &der, &der_len);

	assert_true(is_upper_hex(info.thumbprint, PKI_THUMB_LEN));
	digest_hex(EVP_sha1(), der, der_len, want);
	assert_string_equal(info.thumbprint, want);
	assert_true(is_upper_hex(info.sha256, PKI_SHA256_LEN));
	digest_hex(EVP_sha256(), der, der_len, want);
	assert_string_equal(info.sha256, want);

	assert_int_equal(info.n_domains, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(info.domains[i], mx1_domains[i]);
	assert_string_equal(info.subject, "CN=mx1");
	assert_string_equal(info.issuer, "CN=mx1");
	assert_string_equal(info.subject_cn, "mx1");
	assert_true(info.self_signed);
	assert_int_equal(info.version, 3);
	assert_string_equal(info.key_type, "ec:P-256");
	assert_int_equal(info.not_before, NOT_BEFORE);
	assert_int_equal(info.not_after, NOT_AFTER);
	/* A random 16-octet positive serial: 32 hex digits, top bit clear. */
	assert_true(is_upper_hex(info.serial, 32));
	assert_true(info.serial[0] >= '0' && info.serial[0] <= '7');
	assert_false(info.serial[0] == '0' && info.serial[1] == '0');
	pki_key_id(g.key, key_id);
	assert_string_equal(info.key_id, key_id);

	pki_cert_info_clear(&info);
	assert_null(info.domains);
	assert_null(info.subject);
}

/* CertificateDomains: CN first, SANs lower-cased and de-duplicated, with
 * the CN itself repeated in the SANs only once. */
static void test_info_domains_dedup(void **state)
{
	static const char *const sans[] = { "Mail.Contoso.Test", "mail.contoso.test",
					     "autodiscover.contoso.test", "MAIL.contoso.test" };
	struct pki_cert *cert = make_cert(g.key, "mail.contoso.test", sans, 4, NOT_BEFORE,
					  NOT_AFTER);
	struct pki_cert_info info;

	(void)state;
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	assert_int_equal(info.n_domains, 2);
	assert_string_equal(info.domains[0], "mail.contoso.test");
	assert_string_equal(info.domains[1], "autodiscover.contoso.test");
	pki_cert_info_clear(&info);
	pki_cert_free(cert);
}

/* Two certificates from the same parameters differ in serial and hence
 * thumbprint; the extensions are those pki.h promises. */
static void test_selfsigned_serial_and_extensions(void **state)
{
	struct pki_cert *again = make_cert(g.key, "mx1", mx1_domains, 3, NOT_BEFORE, NOT_AFTER);
	struct pki_cert_info a, b;
	X509 *x = to_x509(g.cert);

	(void)state;
	assert_int_equal(pki_cert_info_get(g.cert, &a), CK_OK);
	assert_int_equal(pki_cert_info_get(again, &b), CK_OK);
	assert_string_not_equal(a.serial, b.serial);
	assert_string_not_equal(a.thumbprint, b.thumbprint);
	assert_string_equal(a.key_id, b.key_id);
	pki_cert_info_clear(&a);
	pki_cert_info_clear(&b);
	pki_cert_free(again);

	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	X509_free(x);
}

/* Validity after 2049 is encoded as GeneralizedTime; it must read back. */
static void test_selfsigned_far_future(void **state)
{
	const int64_t far = INT64_C(2695420800); /* 2055-06-01T00:00:00Z */
	struct pki_cert *cert = make_cert(g.key, "mx1", NULL, 0, NOT_BEFORE, far);
	struct pki_cert_info info;

	(void)state;
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	assert_int_equal(info.not_after, far);
	pki_cert_info_clear(&info);
	pki_cert_free(cert);
}

/* A version 1 certificate with a multi-RDN subject, made by OpenSSL. */
static void test_info_v1_certificate(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct pki_cert *cert;
	struct pki_cert_info info;

	(void)state;
	assert_non_null(pkey);
	cert = raw_cert(pkey, X509_VERSION_1, "C=US/O=Contoso, Ltd/CN=Legacy.Contoso.Test", NULL);
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	assert_int_equal(info.version, 1);
	assert_true(info.self_signed);
	assert_string_equal(info.serial, "1092");
	assert_string_equal(info.subject, "CN=Legacy.Contoso.Test,O=Contoso\\, Ltd,C=US");
	assert_string_equal(info.subject_cn, "Legacy.Contoso.Test");
	assert_int_equal(info.n_domains, 1);
	assert_string_equal(info.domains[0], "legacy.contoso.test");
	pki_cert_info_clear(&info);
	pki_cert_free(cert);
	EVP_PKEY_free(pkey);
}

/* ---- host names (DESIGN.md §4) ---- */

static void test_check_host_table(void **state)
{
	static const struct {
		const char *name;
		bool match;
	} cases[] = {
		{ "mx1.contoso.test", true },
		{ "MX1.Contoso.Test", true },
		{ "mx1", true },
		{ "a.web.contoso.test", true },
		{ "A.WEB.contoso.test", true },
		{ "a.b.web.contoso.test", false }, /* a wildcard matches one label */
		{ "web.contoso.test", false },
		{ "mx2.contoso.test", false },
		{ "contoso.test", false },
		{ "mx1.contoso.test.evil", false },
		{ "xmx1.contoso.test", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pki_cert_check_host(g.cert, cases[i].name) != cases[i].match)
			fail_msg("'%s' should %smatch", cases[i].name, cases[i].match ? "" : "not ");
}

/* No SAN at all: the CN is compared, by the same rules. */
static void test_check_host_cn_only(void **state)
{
	struct pki_cert *plain = make_cert(g.key, "mx9.contoso.test", NULL, 0, NOT_BEFORE, NOT_AFTER);
	struct pki_cert *wild = make_cert(g.key, "*.cn.contoso.test", NULL, 0, NOT_BEFORE, NOT_AFTER);
	struct pki_cert_info info;
	X509 *x = to_x509(plain);

	(void)state;
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	X509_free(x);
	assert_true(pki_cert_check_host(plain, "mx9.contoso.test"));
	assert_true(pki_cert_check_host(plain, "MX9.CONTOSO.TEST"));
	assert_false(pki_cert_check_host(plain, "mx8.contoso.test"));
	assert_false(pki_cert_check_host(plain, "a.mx9.contoso.test"));
	assert_int_equal(pki_cert_info_get(plain, &info), CK_OK);
	assert_int_equal(info.n_domains, 1);
	assert_string_equal(info.domains[0], "mx9.contoso.test");
	pki_cert_info_clear(&info);

	assert_true(pki_cert_check_host(wild, "a.cn.contoso.test"));
	assert_false(pki_cert_check_host(wild, "cn.contoso.test"));
	assert_false(pki_cert_check_host(wild, "a.b.cn.contoso.test"));
	pki_cert_free(plain);
	pki_cert_free(wild);
}

/* The CN counts even when SANs exist, as Exchange selects on "the name in
 * Subject or SAN" (and CertificateDomains lists both), whatever OpenSSL's
 * own CN fallback does in this version. */
static void test_check_host_cn_with_san(void **state)
{
	static const char *const sans[] = { "mx1.contoso.test" };
	struct pki_cert *cert = make_cert(g.key, "legacy.contoso.test", sans, 1, NOT_BEFORE,
					  NOT_AFTER);

	(void)state;
	assert_true(pki_cert_check_host(cert, "mx1.contoso.test"));
	assert_true(pki_cert_check_host(cert, "legacy.contoso.test"));
	assert_false(pki_cert_check_host(cert, "a.legacy.contoso.test"));
	pki_cert_free(cert);
}

/* SAN entries that are not valid DNS names (made here on purpose: the
 * caller is meant to validate domains) are left out of the domains, and a
 * partial or too-wide wildcard matches nothing. */
static void test_check_host_bad_san_entries(void **state)
{
	static const char *const sans[] = { "w*.contoso.test", "*.test", "bad_name.contoso.test",
					    "mx1.contoso.test" };
	struct pki_cert *cert = make_cert(g.key, "mx1", sans, 4, NOT_BEFORE, NOT_AFTER);
	struct pki_cert_info info;

	(void)state;
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	assert_int_equal(info.n_domains, 2);
	assert_string_equal(info.domains[0], "mx1");
	assert_string_equal(info.domains[1], "mx1.contoso.test");
	pki_cert_info_clear(&info);

	assert_true(pki_cert_check_host(cert, "mx1.contoso.test"));
	assert_false(pki_cert_check_host(cert, "www.contoso.test"));
	assert_false(pki_cert_check_host(cert, "w.contoso.test"));
	assert_false(pki_cert_check_host(cert, "contoso.test"));
	assert_true(pki_cert_check_host(cert, "mx1")); /* the CN counts, SANs or not */
	pki_cert_free(cert);
}

static void test_cert_matches_key(void **state)
{
	(void)state;
	assert_true(pki_cert_matches_key(g.cert, g.key));
	assert_false(pki_cert_matches_key(g.cert, g.other_key));
	assert_true(pki_cert_matches_key(g.trusted, g.other_key));
	assert_false(pki_cert_matches_key(g.trusted, g.key));
	assert_int_equal(ERR_peek_error(), 0);
}

/* ---- parsing ---- */

static void test_cert_parse_pem_and_der(void **state)
{
	char *pem = NULL;
	size_t pem_len = 0, der_len, i, o;
	const uint8_t *der;
	struct pki_cert *from_pem = NULL, *from_der = NULL, *from_crlf = NULL;
	char want[PKI_THUMB_LEN + 1], got[PKI_THUMB_LEN + 1];
	char *crlf;

	(void)state;
	cert_thumbprint(g.cert, want);
	assert_int_equal(pki_cert_to_pem(g.cert, &pem, &pem_len), CK_OK);
	assert_int_equal(strlen(pem), pem_len);
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	assert_int_equal(pki_cert_parse((const uint8_t *)pem, pem_len, &from_pem), CK_OK);
	cert_thumbprint(from_pem, got);
	assert_string_equal(got, want);

	pki_cert_der(g.cert, &der, &der_len);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(pki_cert_parse(der, der_len, &from_der), CK_OK);
	cert_thumbprint(from_der, got);
	assert_string_equal(got, want);

	/* The same PEM with Windows line ends. */
	crlf = malloc(2 * pem_len + 1);
	assert_non_null(crlf);
	for (i = 0, o = 0; i < pem_len; i++) {
		if (pem[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = pem[i];
	}
	assert_int_equal(pki_cert_parse((const uint8_t *)crlf, o, &from_crlf), CK_OK);
	cert_thumbprint(from_crlf, got);
	assert_string_equal(got, want);

	free(crlf);
	free(pem);
	pki_cert_free(from_pem);
	pki_cert_free(from_der);
	pki_cert_free(from_crlf);
}

static void test_cert_parse_refusals(void **state)
{
	char *pem = NULL, *bad64, *key_pem = NULL, *req_pem = NULL;
	size_t pem_len = 0, key_len = 0, req_len = 0, der_len, i;
	const uint8_t *der;
	uint8_t random_bytes[512], *der_plus;
	struct pki_req *req = NULL;
	struct pki_make_params p = { .subject_cn = "mx1" };
	uint32_t x = 2463534242u;

	(void)state;
	assert_int_equal(pki_cert_to_pem(g.cert, &pem, &pem_len), CK_OK);
	assert_int_equal(pki_key_to_pem(g.key, &key_pem, &key_len), CK_OK);
	assert_int_equal(pki_req_make(&p, g.key, &req), CK_OK);
	assert_int_equal(pki_req_to_pem(req, &req_pem, &req_len), CK_OK);
	pki_cert_der(g.cert, &der, &der_len);
	for (i = 0; i < sizeof(random_bytes); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		random_bytes[i] = (uint8_t)x;
	}
	/* Invalid base64 characters in the middle of the body. */
	bad64 = strdup(pem);
	assert_non_null(bad64);
	memcpy(bad64 + pem_len / 2, "!!**!!", 6);
	der_plus = malloc(der_len + 1);
	assert_non_null(der_plus);
	memcpy(der_plus, der, der_len);
	der_plus[der_len] = 0x00;

	{
		const struct {
			const char *what;
			const uint8_t *buf;
			size_t len;
		} cases[] = {
			{ "empty", (const uint8_t *)"", 0 },
			{ "random bytes", random_bytes, sizeof(random_bytes) },
			{ "text", (const uint8_t *)"hello, world\n", 13 },
			{ "DER cut by one byte", der, der_len - 1 },
			{ "DER cut in half", der, der_len / 2 },
			{ "one DER byte", der, 1 },
			{ "DER with a trailing byte", der_plus, der_len + 1 },
			{ "PEM with corrupted base64", (const uint8_t *)bad64, pem_len },
			{ "PEM without its END line", (const uint8_t *)pem, pem_len - 20 },
			{ "PEM header only", (const uint8_t *)pem, 28 },
			{ "PRIVATE KEY block", (const uint8_t *)key_pem, key_len },
			{ "CERTIFICATE REQUEST block", (const uint8_t *)req_pem, req_len },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct pki_cert *cert = NULL;

			ck_errmsg_clear();
			if (pki_cert_parse(cases[i].buf, cases[i].len, &cert) != CK_EINVAL)
				fail_msg("%s was not refused", cases[i].what);
			assert_null(cert);
			if (ck_errmsg()[0] == '\0')
				fail_msg("%s: no message", cases[i].what);
		}
	}
	assert_int_equal(ERR_peek_error(), 0);

	free(der_plus);
	free(bad64);
	free(req_pem);
	pki_req_free(req);
	ck_free_secret(key_pem, key_len);
	free(pem);
}

/* ---- chains ---- */

static void test_chain_parse(void **state)
{
	char *a = NULL, *b = NULL, *both, *out = NULL;
	size_t a_len = 0, b_len = 0, out_len = 0;
	struct pki_chain *chain = NULL, *again = NULL;

	(void)state;
	assert_int_equal(pki_cert_to_pem(g.cert, &a, &a_len), CK_OK);
	assert_int_equal(pki_cert_to_pem(g.trusted, &b, &b_len), CK_OK);
	both = malloc(a_len + b_len + 1);
	assert_non_null(both);
	memcpy(both, a, a_len);
	memcpy(both + a_len, b, b_len + 1);

	assert_int_equal(pki_chain_parse((const uint8_t *)both, a_len + b_len, &chain), CK_OK);
	assert_int_equal(pki_chain_count(chain), 2);
	/* Written back in the same order, byte for byte. */
	assert_int_equal(pki_chain_to_pem(chain, &out, &out_len), CK_OK);
	assert_int_equal(out_len, a_len + b_len);
	assert_string_equal(out, both);
	assert_int_equal(pki_chain_parse((const uint8_t *)out, out_len, &again), CK_OK);
	assert_int_equal(pki_chain_count(again), 2);
	assert_int_equal(pki_chain_count(NULL), 0);

	pki_chain_free(again);
	pki_chain_free(chain);
	free(out);
	free(both);
	free(a);
	free(b);
}

static void test_chain_parse_refusals(void **state)
{
	char *a = NULL, *broken;
	size_t a_len = 0, der_len, i;
	const uint8_t *der;

	(void)state;
	assert_int_equal(pki_cert_to_pem(g.cert, &a, &a_len), CK_OK);
	pki_cert_der(g.cert, &der, &der_len);
	/* A good certificate followed by a damaged one. */
	broken = malloc(2 * a_len + 1);
	assert_non_null(broken);
	memcpy(broken, a, a_len);
	memcpy(broken + a_len, a, a_len + 1);
	memcpy(broken + a_len + a_len / 2, "!!!!", 4);

	{
		const struct {
			const char *what;
			const uint8_t *buf;
			size_t len;
		} cases[] = {
			{ "empty", (const uint8_t *)"", 0 },
			{ "garbage", (const uint8_t *)"garbage\n", 8 },
			{ "DER", der, der_len },
			{ "good then damaged", (const uint8_t *)broken, 2 * a_len },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct pki_chain *chain = NULL;

			if (pki_chain_parse(cases[i].buf, cases[i].len, &chain) != CK_EINVAL)
				fail_msg("%s was not refused", cases[i].what);
			assert_null(chain);
			assert_msg_contains("malformed PEM chain");
		}
	}
	free(broken);
	free(a);
}

/* At most 32 certificates in a chain: an input limit, checked. */
static void test_chain_parse_limit(void **state)
{
	char *a = NULL, *many;
	size_t a_len = 0, i;
	struct pki_chain *chain = NULL;

	(void)state;
	assert_int_equal(pki_cert_to_pem(g.cert, &a, &a_len), CK_OK);
	many = malloc(33 * a_len);
	assert_non_null(many);
	for (i = 0; i < 33; i++)
		memcpy(many + i * a_len, a, a_len);
	assert_int_equal(pki_chain_parse((const uint8_t *)many, 32 * a_len, &chain), CK_OK);
	assert_int_equal(pki_chain_count(chain), 32);
	pki_chain_free(chain);
	chain = NULL;
	assert_int_equal(pki_chain_parse((const uint8_t *)many, 33 * a_len, &chain), CK_EINVAL);
	assert_null(chain);
	assert_msg_contains("more than 32");
	free(many);
	free(a);
}

/* ---- PKCS#10 ---- */

static void test_req_read_by_openssl(void **state)
{
	struct pki_make_params p = {
		.subject_cn = "mx1",
		.domains = mx1_domains,
		.n_domains = 3,
	};
	struct pki_req *req = NULL;
	char *pem = NULL, thumb[PKI_THUMB_LEN + 1], want[2 * EVP_MAX_MD_SIZE + 1];
	char key_id[PKI_SHA256_LEN + 1];
	size_t len = 0, der_len;
	const uint8_t *der;
	unsigned char *pub = NULL, *reenc = NULL;
	int pub_len, reenc_len, i;
	BIO *bio;
	X509_REQ *x;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *sans;

	(void)state;
	assert_int_equal(pki_req_make(&p, g.key, &req), CK_OK);
	assert_int_equal(pki_req_to_pem(req, &pem, &len), CK_OK);
	assert_int_equal(strlen(pem), len);
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);

	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	assert_int_equal(X509_REQ_verify(x, X509_REQ_get0_pubkey(x)), 1);
	assert_int_equal(X509_REQ_get_version(x), X509_REQ_VERSION_1);

	/* Signed for our key: its SubjectPublicKeyInfo hashes to pki_key_id. */
	pub_len = i2d_PUBKEY(X509_REQ_get0_pubkey(x), &pub);
	assert_true(pub_len > 0);
	digest_hex(EVP_sha256(), pub, (size_t)pub_len, want);
	pki_key_id(g.key, key_id);
	assert_string_equal(want, key_id);

	/* Subject CN=mx1 and the three SAN DNS names, in order. */
	{
		char cn[16];

		assert_int_equal(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(x),
							   NID_commonName, cn, sizeof(cn)),
				 3);
		assert_string_equal(cn, "mx1");
	}
	exts = X509_REQ_get_extensions(x);
	assert_non_null(exts);
	sans = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_non_null(sans);
	assert_int_equal(sk_GENERAL_NAME_num(sans), 3);
	for (i = 0; i < 3; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		assert_int_equal(gn->type, GEN_DNS);
		assert_int_equal(ASN1_STRING_length(gn->d.dNSName), strlen(mx1_domains[i]));
		assert_memory_equal(ASN1_STRING_get0_data(gn->d.dNSName), mx1_domains[i],
				    strlen(mx1_domains[i]));
	}

	/* pki_req_der is the DER inside the PEM; the thumbprint is its SHA-1. */
	pki_req_der(req, &der, &der_len);
	reenc_len = i2d_X509_REQ(x, &reenc);
	assert_int_equal((size_t)reenc_len, der_len);
	assert_memory_equal(reenc, der, der_len);
	pki_req_thumbprint(req, thumb);
	digest_hex(EVP_sha1(), der, der_len, want);
	assert_string_equal(thumb, want);

	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	OPENSSL_free(pub);
	OPENSSL_free(reenc);
	X509_REQ_free(x);
	free(pem);
	pki_req_free(req);
}

/* ---- PKCS#12 ---- */

static void test_p12_round_trip(void **state)
{
	uint8_t *p12 = NULL;
	size_t len = 0;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	struct pki_chain *chain = NULL;
	char want[PKI_THUMB_LEN + 1], got[PKI_THUMB_LEN + 1];
	char id[PKI_SHA256_LEN + 1], back_id[PKI_SHA256_LEN + 1];
	const unsigned char *p;
	PKCS12 *parsed;
	const X509_ALGOR *mac_alg = NULL;
	const ASN1_OBJECT *mac_obj = NULL;

	(void)state;
	assert_int_equal(pki_p12_make(g.cert, g.key, NULL, "s3cret pass", "mx1", &p12, &len),
			 CK_OK);
	assert_int_equal(pki_p12_parse(p12, len, "s3cret pass", &cert, &key, &chain), CK_OK);
	cert_thumbprint(g.cert, want);
	cert_thumbprint(cert, got);
	assert_string_equal(got, want);
	assert_true(pki_cert_matches_key(cert, key));
	pki_key_id(g.key, id);
	pki_key_id(key, back_id);
	assert_string_equal(back_id, id);
	assert_int_equal(pki_chain_count(chain), 0);

	/* The MAC is SHA-256, as pki.h promises, not PKCS#12's SHA-1 default. */
	p = p12;
	parsed = d2i_PKCS12(NULL, &p, (long)len);
	assert_non_null(parsed);
	PKCS12_get0_mac(NULL, &mac_alg, NULL, NULL, parsed);
	assert_non_null(mac_alg);
	X509_ALGOR_get0(&mac_obj, NULL, NULL, mac_alg);
	assert_int_equal(OBJ_obj2nid(mac_obj), NID_sha256);
	PKCS12_free(parsed);

	pki_cert_free(cert);
	pki_key_free(key);
	pki_chain_free(chain);
	free(p12);
}

static void test_p12_with_chain_and_empty_password(void **state)
{
	char *pem = NULL;
	size_t pem_len = 0, len = 0;
	struct pki_chain *in_chain = NULL, *chain = NULL;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	uint8_t *p12 = NULL;

	(void)state;
	assert_int_equal(pki_cert_to_pem(g.trusted, &pem, &pem_len), CK_OK);
	assert_int_equal(pki_chain_parse((const uint8_t *)pem, pem_len, &in_chain), CK_OK);
	assert_int_equal(pki_p12_make(g.cert, g.key, in_chain, "", NULL, &p12, &len), CK_OK);
	assert_int_equal(pki_p12_parse(p12, len, "", &cert, &key, &chain), CK_OK);
	assert_true(pki_cert_matches_key(cert, key));
	assert_int_equal(pki_chain_count(chain), 1);
	/* A password where none was set is wrong too. */
	{
		struct pki_cert *c2 = NULL;
		struct pki_key *k2 = NULL;
		struct pki_chain *ch2 = NULL;

		assert_int_equal(pki_p12_parse(p12, len, "x", &c2, &k2, &ch2), CK_EPASSWORD);
		assert_null(c2);
	}
	pki_cert_free(cert);
	pki_key_free(key);
	pki_chain_free(chain);
	pki_chain_free(in_chain);
	free(p12);
	free(pem);
}

static void test_p12_refusals(void **state)
{
	uint8_t *p12 = NULL;
	size_t len = 0;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	struct pki_chain *chain = NULL;
	const uint8_t *der;
	size_t der_len;

	(void)state;
	assert_int_equal(pki_p12_make(g.cert, g.key, NULL, "right", "mx1", &p12, &len), CK_OK);

	assert_int_equal(pki_p12_parse(p12, len, "wrong", &cert, &key, &chain), CK_EPASSWORD);
	assert_msg_contains("wrong password");
	assert_int_equal(pki_p12_parse(p12, len, "", &cert, &key, &chain), CK_EPASSWORD);
	assert_int_equal(pki_p12_parse(p12, len, "Right", &cert, &key, &chain), CK_EPASSWORD);

	assert_int_equal(pki_p12_parse((const uint8_t *)"garbage", 7, "right", &cert, &key, &chain),
			 CK_EINVAL);
	assert_int_equal(pki_p12_parse(p12, len / 2, "right", &cert, &key, &chain), CK_EINVAL);
	/* A certificate is not a PKCS#12 file. */
	pki_cert_der(g.cert, &der, &der_len);
	assert_int_equal(pki_p12_parse(der, der_len, "right", &cert, &key, &chain), CK_EINVAL);
	assert_null(cert);
	assert_null(key);
	assert_null(chain);
	assert_int_equal(ERR_peek_error(), 0);
	free(p12);
}

/* ---- clone ---- */

/* A clone copies the template's subject and subjectAltName exactly (here
 * a multi-RDN subject and an IP address SAN that pki.h would never make)
 * with a new key, serial and validity. */
static void test_clone_from_template(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct pki_cert *tmpl, *clone = NULL;
	struct pki_cert_info a, b;
	struct pki_make_params p = { 0 };
	struct pki_req *req = NULL;
	const uint8_t *req_der;
	const unsigned char *q;
	size_t req_len, i;
	X509 *xa, *xb;
	X509_REQ *xr;
	char id[PKI_SHA256_LEN + 1];

	(void)state;
	assert_non_null(pkey);
	tmpl = raw_cert(pkey, X509_VERSION_3, "C=US/O=Contoso, Ltd/OU=Mail/CN=mx1.contoso.test",
			"DNS:mx1.contoso.test,DNS:mail.contoso.test,IP:192.0.2.7");
	p.template_cert = tmpl;
	p.not_before = NOT_BEFORE + 86400;
	p.not_after = NOT_AFTER + 86400;
	assert_int_equal(pki_selfsigned_make(&p, g.key, &clone), CK_OK);

	assert_int_equal(pki_cert_info_get(tmpl, &a), CK_OK);
	assert_int_equal(pki_cert_info_get(clone, &b), CK_OK);
	assert_string_equal(b.subject, a.subject);
	assert_string_equal(b.subject, "CN=mx1.contoso.test,OU=Mail,O=Contoso\\, Ltd,C=US");
	assert_int_equal(b.n_domains, a.n_domains);
	for (i = 0; i < a.n_domains; i++)
		assert_string_equal(b.domains[i], a.domains[i]);
	assert_string_not_equal(b.thumbprint, a.thumbprint);
	assert_string_not_equal(b.serial, a.serial);
	assert_string_not_equal(b.key_id, a.key_id);
	pki_key_id(g.key, id);
	assert_string_equal(b.key_id, id);
	assert_int_equal(b.not_before, NOT_BEFORE + 86400);
	assert_int_equal(b.not_after, NOT_AFTER + 86400);
	assert_true(b.self_signed);

	/* Subject DER and SAN extension bytes are identical. */
	xa = to_x509(tmpl);
	xb = to_x509(clone);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(xa), X509_get_subject_name(xb)), 0);
	{
		const ASN1_OCTET_STRING *sa = X509_EXTENSION_get_data(
			X509_get_ext(xa, X509_get_ext_by_NID(xa, NID_subject_alt_name, -1)));
		const ASN1_OCTET_STRING *sb = X509_EXTENSION_get_data(
			X509_get_ext(xb, X509_get_ext_by_NID(xb, NID_subject_alt_name, -1)));

		assert_int_equal(ASN1_OCTET_STRING_cmp(sa, sb), 0);
	}

	/* A request from the same template carries the same subject. */
	assert_int_equal(pki_req_make(&p, g.key, &req), CK_OK);
	pki_req_der(req, &req_der, &req_len);
	q = req_der;
	xr = d2i_X509_REQ(NULL, &q, (long)req_len);
	assert_non_null(xr);
	assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(xr), X509_get_subject_name(xa)),
			 0);

	X509_REQ_free(xr);
	pki_req_free(req);
	X509_free(xa);
	X509_free(xb);
	pki_cert_info_clear(&a);
	pki_cert_info_clear(&b);
	pki_cert_free(clone);
	pki_cert_free(tmpl);
	EVP_PKEY_free(pkey);
}

/* ---- trust ---- */

/* Must run before anything else calls pki_cert_verify: the trust store is
 * read once per process. g.trusted becomes the only root. */
static void test_verify(void **state)
{
	char roots[PATH_MAX], certs_dir[PATH_MAX];
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	snprintf(roots, sizeof(roots), "%s/roots.pem", g.dir);
	snprintf(certs_dir, sizeof(certs_dir), "%s/certs", g.dir);
	assert_int_equal(mkdir(certs_dir, 0700), 0);
	assert_int_equal(pki_cert_to_pem(g.trusted, &pem, &len), CK_OK);
	assert_int_equal(ck_write_atomic(roots, pem, len, 0644), CK_OK);
	free(pem);
	assert_int_equal(setenv("SSL_CERT_FILE", roots, 1), 0);
	assert_int_equal(setenv("SSL_CERT_DIR", certs_dir, 1), 0);

	/* Self-signed and not a trusted root. */
	assert_int_equal(pki_cert_verify(g.cert, NULL, INSIDE), PKI_TRUST_UNTRUSTED);
	assert_int_equal(pki_cert_verify(g.cert, NULL, NOT_BEFORE), PKI_TRUST_UNTRUSTED);
	/* Out of its dates: DATE, even though it is also untrusted. */
	assert_int_equal(pki_cert_verify(g.cert, NULL, NOT_AFTER + 1), PKI_TRUST_DATE);
	assert_int_equal(pki_cert_verify(g.cert, NULL, NOT_BEFORE - 1), PKI_TRUST_DATE);

	/* The trusted root: OK inside its validity, DATE outside it. */
	assert_int_equal(pki_cert_verify(g.trusted, NULL, INSIDE), PKI_TRUST_OK);
	assert_int_equal(pki_cert_verify(g.trusted, NULL, NOT_AFTER - 1), PKI_TRUST_OK);
	assert_int_equal(pki_cert_verify(g.trusted, NULL, NOT_AFTER + 1), PKI_TRUST_DATE);
	assert_int_equal(pki_cert_verify(g.trusted, NULL, NOT_AFTER + 86400 * 365), PKI_TRUST_DATE);
	assert_int_equal(pki_cert_verify(g.trusted, NULL, NOT_BEFORE - 1), PKI_TRUST_DATE);
	assert_int_equal(ERR_peek_error(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify), /* first: it sets up the trust store */
		cmocka_unit_test(test_key_generate_types),
		cmocka_unit_test(test_key_generate_unknown_type),
		cmocka_unit_test(test_key_pem_round_trip),
		cmocka_unit_test(test_key_parse_der_and_traditional),
		cmocka_unit_test(test_key_parse_refusals),
		cmocka_unit_test(test_selfsigned_info),
		cmocka_unit_test(test_info_domains_dedup),
		cmocka_unit_test(test_selfsigned_serial_and_extensions),
		cmocka_unit_test(test_selfsigned_far_future),
		cmocka_unit_test(test_info_v1_certificate),
		cmocka_unit_test(test_check_host_table),
		cmocka_unit_test(test_check_host_cn_only),
		cmocka_unit_test(test_check_host_cn_with_san),
		cmocka_unit_test(test_check_host_bad_san_entries),
		cmocka_unit_test(test_cert_matches_key),
		cmocka_unit_test(test_cert_parse_pem_and_der),
		cmocka_unit_test(test_cert_parse_refusals),
		cmocka_unit_test(test_chain_parse),
		cmocka_unit_test(test_chain_parse_refusals),
		cmocka_unit_test(test_chain_parse_limit),
		cmocka_unit_test(test_req_read_by_openssl),
		cmocka_unit_test(test_p12_round_trip),
		cmocka_unit_test(test_p12_with_chain_and_empty_password),
		cmocka_unit_test(test_p12_refusals),
		cmocka_unit_test(test_clone_from_template),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
