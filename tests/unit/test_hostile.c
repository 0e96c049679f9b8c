/*
 * test_hostile.c - hostile inputs that once got through: a NUL inside a
 * certificate's CN ("null-prefix" names), control characters in a CN,
 * dates outside a self-signed certificate's validity, impossible calendar
 * dates, and a size limit near SIZE_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "base/clock.h"
#include "base/fileio.h"
#include "pki/pki.h"

static struct pki_cert *cn_cert(const unsigned char *cn, int len)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	struct pki_cert *c = NULL;
	int dl;

	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING, cn, len, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_TIME_set(X509_getm_notBefore(x), 1767225600);
	ASN1_TIME_set(X509_getm_notAfter(x), 1924992000);
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	dl = i2d_X509(x, &der);
	assert_int_equal(pki_cert_parse(der, (size_t)dl, &c), CK_OK);
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
	return c;
}

static void test_nul_in_cn(void **s)
{
	struct pki_cert *c = cn_cert((const unsigned char *)"good.example\0.evil.test", 23);
	struct pki_cert_info info;

	(void)s;
	assert_false(pki_cert_check_host(c, "good.example"));
	assert_int_equal(pki_cert_info_get(c, &info), CK_OK);
	assert_int_equal(info.n_domains, 0);
	pki_cert_info_clear(&info);
	pki_cert_free(c);
}

static void test_cn_control_characters(void **s)
{
	const char *evil = "evil\r\nX-Injected: 1\x1b[31m";
	struct pki_cert *c = cn_cert((const unsigned char *)evil, (int)strlen(evil));
	struct pki_cert_info info;

	(void)s;
	assert_int_equal(pki_cert_info_get(c, &info), CK_OK);
	assert_null(info.subject_cn); /* no host name, and nothing raw to print */
	assert_null(strpbrk(info.subject, "\r\n\x1b"));
	pki_cert_info_clear(&info);
	pki_cert_free(c);
}

static void test_verify_dates_first(void **s)
{
	struct pki_key *k;
	struct pki_cert *c;
	struct pki_make_params p = { .subject_cn = "mx1", .not_before = 1767225600,
				     .not_after = 1924992000 };

	(void)s;
	assert_int_equal(pki_key_generate("ec", &k), CK_OK);
	assert_int_equal(pki_selfsigned_make(&p, k, &c), CK_OK);
	assert_int_equal(pki_cert_verify(c, NULL, 1924992001), PKI_TRUST_DATE);
	pki_cert_free(c);
	pki_key_free(k);
}

static void test_impossible_dates(void **s)
{
	int64_t t;

	(void)s;
	assert_int_equal(ck_time_parse("2026-02-30", &t), CK_EINVAL);
	assert_int_equal(ck_time_parse("2026-04-31T00:00:00Z", &t), CK_EINVAL);
	assert_int_equal(ck_time_parse("2026-11-23T10:00:61Z", &t), CK_EINVAL);
}

static void test_read_file_size_max(void **s)
{
	uint8_t *b = NULL;
	size_t l;

	(void)s;
	assert_int_equal(ck_read_file("/etc/hostname", SIZE_MAX, &b, &l), CK_OK);
	free(b);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_nul_in_cn), cmocka_unit_test(test_cn_control_characters),
		cmocka_unit_test(test_verify_dates_first),
		cmocka_unit_test(test_impossible_dates),
		cmocka_unit_test(test_read_file_size_max),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
