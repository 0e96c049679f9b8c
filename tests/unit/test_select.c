/*
 * test_select.c - unit tests for certificate selection (src/core/select.h),
 * service-account readability (src/base/account.h) and connectors with
 * their diagnosis (src/core/connectors.h); DESIGN.md §4, §6 and Exchange's
 * inbound STARTTLS selection (REFERENCE.md Part A §1.4).
 *
 * Each test runs on a fresh store in its own mkdtemp directory with the
 * clock fixed at NOW. Certificates are crafted with OpenSSL directly (any
 * CN, SANs, dates, issuer) and put into the store with ck_import, with or
 * without their key. One rule per test:
 *   names     exact; a wildcard covers one label, not two, not the parent;
 *             case-insensitive; IDNA A-labels (a U-label is refused);
 *             CN-only certificates; the CN counts even when SANs exist;
 *   eligible  no-private-key; service-not-enabled (with the enable fix);
 *             key-unreadable for "nobody" (the store is 0700 root),
 *             readable for "root" and when no account is given, also when
 *             the store was opened by a relative path;
 *             not-yet-valid (and the NotBefore boundary);
 *   ranking   an expired self-signed certificate is still chosen
 *             (expired, 12016); newest NotBefore wins among self-signed;
 *             equal NotBefore: the store order is not_before DESC, id DESC,
 *             so the LATER-INSERTED certificate wins and the other is
 *             "older"; a Valid CA-issued certificate beats a newer
 *             self-signed one (self-signed-outranked); an expired CA-issued
 *             one loses to a self-signed one (ca-issued-not-valid) but is
 *             chosen, expired, when there is no self-signed one; of two
 *             Valid CA-issued the newest wins (older);
 *   none      chosen -1 and Event 12014; ck_selection_json's fields.
 * ck_account_can_read: group not a member, group member, world-readable,
 * 0600, owner bits only, a directory without search permission, a closed
 * directory reached through a symbolic link, root, unknown account,
 * relative path. ck_diagnose: 12014 for a connector whose
 * FQDN only a non-SMTP certificate holds (fields Fqdn, Connector, Fixes,
 * CertificatesHoldingFqdn), clean after enabling SMTP; 12016 for an
 * expired certificate; TLS off is no event; no FQDN means the host's FQDN
 * recorded by init; a service account that cannot read the key.
 *
 * "Valid" needs a chain to a trusted root: main() makes a test CA and,
 * before any status is computed (pki_cert.c caches the trust store per
 * process), points SSL_CERT_DIR at a hashed directory holding only that CA
 * and SSL_CERT_FILE at its PEM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/account.h"
#include "core/certs/certs.h"
#include "base/clock.h"
#include "core/tls/connectors.h"
#include "core/events/events.h"
#include "base/names.h"
#include "core/tls/select.h"
#include "store/store.h"
#include "unit_util.h"

#define NOW INT64_C(1795000000) /* 2026-11-18T11:06:40Z */
#define DAY INT64_C(86400)

/* The test CA: the only trust anchor of this process. */
static EVP_PKEY *g_ca_key;
static X509 *g_ca_cert;
static char g_ca_dir[64];

/* ---- helpers: files and store ---- */

static int setup(void **state)
{
	*state = fx_new("select", NOW);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static bool json_array_has_string(const json_t *a, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++) {
		const char *v = json_string_value(json_array_get(a, i));

		if (v && strcmp(v, s) == 0)
			return true;
	}
	return false;
}

/* ---- helpers: the test CA ---- */

static void add_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		fail_msg("extension %d = %s refused", nid, value);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static X509_NAME *cn_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
						    -1, -1, 0),
			 1);
	return n;
}

static void write_pem_cert(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

/* A root CA valid NOW - 20 y .. NOW + 20 y, written as g_ca_dir/ca.pem and
 * as g_ca_dir/<subject hash>.0; SSL_CERT_DIR and SSL_CERT_FILE point there. */
static void ca_make(void)
{
	char path[PATH_MAX];
	X509_NAME *name;
	unsigned long h;

	snprintf(g_ca_dir, sizeof(g_ca_dir), "/tmp/ck-test-select-ca-XXXXXX");
	if (mkdtemp(g_ca_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	g_ca_key = EVP_EC_gen("P-256");
	g_ca_cert = X509_new();
	if (g_ca_key == NULL || g_ca_cert == NULL)
		exit(1);
	name = cn_name("certkeep Select Test Root CA");
	X509_set_version(g_ca_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(g_ca_cert), 1);
	X509_set_subject_name(g_ca_cert, name);
	X509_set_issuer_name(g_ca_cert, name);
	X509_NAME_free(name);
	X509_set_pubkey(g_ca_cert, g_ca_key);
	ASN1_TIME_set(X509_getm_notBefore(g_ca_cert), (time_t)(NOW - 20 * 365 * DAY));
	ASN1_TIME_set(X509_getm_notAfter(g_ca_cert), (time_t)(NOW + 20 * 365 * DAY));
	add_ext(g_ca_cert, g_ca_cert, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(g_ca_cert, g_ca_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(g_ca_cert, g_ca_cert, NID_subject_key_identifier, "hash");
	if (X509_sign(g_ca_cert, g_ca_key, EVP_sha256()) <= 0)
		exit(1);
	snprintf(path, sizeof(path), "%s/ca.pem", g_ca_dir);
	write_pem_cert(path, g_ca_cert);
	setenv("SSL_CERT_FILE", path, 1);
	h = X509_NAME_hash_ex(X509_get_subject_name(g_ca_cert), NULL, NULL, NULL);
	snprintf(path, sizeof(path), "%s/%08lx.0", g_ca_dir, h);
	write_pem_cert(path, g_ca_cert);
	setenv("SSL_CERT_DIR", g_ca_dir, 1);
}

static void ca_free(void)
{
	EVP_PKEY_free(g_ca_key);
	X509_free(g_ca_cert);
	rm_rf(g_ca_dir);
}

/* ---- helpers: crafted certificates ---- */

struct spec {
	const char *cn;           /* NULL: no CN (the subject is O=certkeep-test) */
	const char *sans;         /* "DNS:a,DNS:b", or NULL: no SAN extension */
	int64_t nb, na;           /* NotBefore, NotAfter */
	bool ca_issued;           /* signed by the test CA, else self-signed */
	bool no_key;              /* import the certificate without its key */
	unsigned services;        /* 0 unless the key comes along */
};

static char *bio_text(BIO *b)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(b, &data);

	assert_true(n > 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/* Makes the certificate s describes on a fresh P-256 key and imports it;
 * thumb receives its thumbprint. */
static void put_cert(struct fx *fx, const struct spec *s, char thumb[41])
{
	static long serial = 100;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *subject;
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	char *cert_pem, *key_pem;
	struct ck_import_opts o = { 0 };
	bool joined = false;

	assert_non_null(key);
	assert_non_null(x);
	assert_non_null(cb);
	assert_non_null(kb);
	if (s->cn) {
		subject = cn_name(s->cn);
	} else {
		subject = X509_NAME_new();
		assert_non_null(subject);
		assert_int_equal(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
							    (const unsigned char *)"certkeep-test",
							    -1, -1, 0),
				 1);
	}
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_int_equal(X509_set_subject_name(x, subject), 1);
	assert_int_equal(X509_set_issuer_name(x, s->ca_issued ? X509_get_subject_name(g_ca_cert)
							      : subject),
			 1);
	X509_NAME_free(subject);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->na));
	add_ext(s->ca_issued ? g_ca_cert : x, x, NID_basic_constraints, "CA:FALSE");
	add_ext(s->ca_issued ? g_ca_cert : x, x, NID_ext_key_usage, "serverAuth,clientAuth");
	if (s->sans)
		add_ext(s->ca_issued ? g_ca_cert : x, x, NID_subject_alt_name, s->sans);
	if (s->ca_issued)
		add_ext(g_ca_cert, x, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(x, s->ca_issued ? g_ca_key : key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(cb, x), 1);
	assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1);
	cert_pem = bio_text(cb);
	key_pem = bio_text(kb);
	o.cert = (const uint8_t *)cert_pem;
	o.cert_len = strlen(cert_pem);
	if (!s->no_key) {
		o.key = (const uint8_t *)key_pem;
		o.key_len = strlen(key_pem);
	}
	o.services = s->services;
	o.services_set = true;
	if (ck_import(fx->st, &o, thumb, &joined) != CK_OK)
		fail_msg("ck_import %s: %s", s->cn ? s->cn : s->sans ? s->sans : "?", ck_errmsg());
	free(cert_pem);
	free(key_pem);
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A self-signed SMTP certificate for one name, valid NOW - 1 d .. + 1 y. */
static void put_simple(struct fx *fx, const char *name, char thumb[41])
{
	char sans[300];
	struct spec s = { .cn = name, .sans = sans, .nb = NOW - DAY, .na = NOW + 365 * DAY,
			  .services = CK_SVC_SMTP };

	snprintf(sans, sizeof(sans), "DNS:%s", name);
	put_cert(fx, &s, thumb);
}

/* ---- helpers: selection ---- */

static void sel_run(struct fx *fx, const char *fqdn, unsigned service, const char *account,
		    int64_t now, struct ck_selection *sel)
{
	if (ck_select(fx->st, fqdn, service, account, now, sel) != CK_OK)
		fail_msg("ck_select %s: %s", fqdn, ck_errmsg());
}

/* The candidate with this thumbprint; the test fails if there is none. */
static const struct ck_candidate *cand(const struct ck_selection *sel, const char *thumb)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (strcmp(sel->cands[i].thumbprint, thumb) == 0)
			return &sel->cands[i];
	fail_msg("%s is not a candidate", thumb);
	abort(); /* not reached: fail_msg does not return */
}

static void assert_chosen(const struct ck_selection *sel, const char *thumb)
{
	if (sel->chosen < 0)
		fail_msg("nothing chosen, expected %s", thumb);
	assert_string_equal(sel->cands[sel->chosen].thumbprint, thumb);
	assert_int_equal(sel->cands[sel->chosen].reason, CK_SEL_CHOSEN);
}

static void assert_verdict(const struct ck_selection *sel, const char *thumb,
			   enum ck_sel_reason want)
{
	const struct ck_candidate *k = cand(sel, thumb);

	if (k->reason != want)
		fail_msg("%s: verdict %s, expected %s (%s)", thumb, ck_sel_reason_name(k->reason),
			 ck_sel_reason_name(want), k->detail);
	assert_true(k->detail[0] != '\0');
}

/* ---- names ---- */

static void test_exact_name(void **state)
{
	struct fx *fx = *state;
	struct ck_selection sel;
	char mail[41], other[41];

	put_simple(fx, "mail.example.com", mail);
	put_simple(fx, "other.example.com", other);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_string_equal(sel.fqdn, "mail.example.com");
	assert_int_equal(sel.service, CK_SVC_SMTP);
	/* Only certificates holding the name are candidates. */
	assert_int_equal(sel.n, 1);
	assert_chosen(&sel, mail);
	assert_false(sel.expired);
	assert_true(sel.cands[0].self_signed);
	assert_true(sel.cands[0].has_key);
	assert_int_equal(sel.cands[0].status, CK_STATUS_UNTRUSTED);
	assert_contains(sel.cands[0].detail, "self-signed");
	ck_selection_clear(&sel);
	assert_int_equal(sel.n, 0);
	assert_null(sel.cands);
	assert_int_equal(sel.chosen, -1);

	/* A name no certificate holds, under a held one. */
	sel_run(fx, "x.mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	ck_selection_clear(&sel);
}

static void test_wildcard_one_label(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "*.example.com", .sans = "DNS:*.example.com", .nb = NOW - DAY,
			  .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char wild[41];

	put_cert(fx, &s, wild);
	sel_run(fx, "a.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 1);
	assert_chosen(&sel, wild);
	ck_selection_clear(&sel);
	/* An A-label is an ordinary label for the wildcard too. */
	sel_run(fx, "xn--bcher-kva.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, wild);
	ck_selection_clear(&sel);
}

static void test_wildcard_not_two_labels(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "*.example.com", .sans = "DNS:*.example.com", .nb = NOW - DAY,
			  .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char wild[41];

	put_cert(fx, &s, wild);
	sel_run(fx, "a.b.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	/* Listed, to be explained, but not chosen. */
	assert_int_equal(sel.n, 1);
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, wild, CK_SEL_NAME_MISMATCH);
	assert_contains(cand(&sel, wild)->detail, "a.b.example.com");
	assert_false(sel.expired);
	ck_selection_clear(&sel);
}

static void test_wildcard_not_parent(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "*.example.com", .sans = "DNS:*.example.com", .nb = NOW - DAY,
			  .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char wild[41];
	size_t i;

	put_cert(fx, &s, wild);
	sel_run(fx, "example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	for (i = 0; i < sel.n; i++)
		assert_int_equal(sel.cands[i].reason, CK_SEL_NAME_MISMATCH);
	ck_selection_clear(&sel);
}

static void test_case_insensitive(void **state)
{
	struct fx *fx = *state;
	/* A certificate whose SAN itself is in mixed case. */
	struct spec s = { .cn = "Upper.EXAMPLE.com", .sans = "DNS:Upper.EXAMPLE.com",
			  .nb = NOW - DAY, .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char mail[41], upper[41];

	put_simple(fx, "mail.example.com", mail);
	put_cert(fx, &s, upper);
	sel_run(fx, "MAIL.Example.COM", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_string_equal(sel.fqdn, "mail.example.com");
	assert_chosen(&sel, mail);
	ck_selection_clear(&sel);
	sel_run(fx, "upper.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, upper);
	ck_selection_clear(&sel);
	sel_run(fx, "UPPER.example.COM", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, upper);
	ck_selection_clear(&sel);
}

static void test_idna_a_label(void **state)
{
	struct fx *fx = *state;
	struct ck_selection sel;
	char idn[41];

	put_simple(fx, "xn--bcher-kva.example", idn);
	sel_run(fx, "xn--bcher-kva.example", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, idn);
	ck_selection_clear(&sel);
	sel_run(fx, "XN--BCHER-KVA.Example", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_string_equal(sel.fqdn, "xn--bcher-kva.example");
	assert_chosen(&sel, idn);
	ck_selection_clear(&sel);
	/* The U-label is not a DNS name: refused, nothing selected. */
	assert_int_equal(ck_select(fx->st, "b\xc3\xbc" "cher.example", CK_SVC_SMTP, NULL, NOW,
				   &sel),
			 CK_EINVAL);
	assert_int_equal(sel.chosen, -1);
	assert_int_equal(sel.n, 0);
	ck_selection_clear(&sel);
}

static void test_cn_only(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "legacy.example.com", .sans = NULL, .nb = NOW - DAY,
			  .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char t[41];

	put_cert(fx, &s, t);
	sel_run(fx, "legacy.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 1);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
	sel_run(fx, "a.legacy.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	ck_selection_clear(&sel);
}

static void test_cn_counts_with_sans(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "legacy.example.com", .sans = "DNS:www.example.com",
			  .nb = NOW - DAY, .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char t[41];

	put_cert(fx, &s, t);
	sel_run(fx, "legacy.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
	sel_run(fx, "www.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
}

/* ---- eligibility ---- */

static void test_no_private_key(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			  .nb = NOW - DAY, .na = NOW + 90 * DAY, .no_key = true };
	struct ck_selection sel;
	char t[41];

	put_cert(fx, &s, t);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 1);
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, t, CK_SEL_NO_KEY);
	assert_false(cand(&sel, t)->has_key);
	ck_selection_clear(&sel);
}

static void test_service_not_enabled(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			  .nb = NOW - DAY, .na = NOW + 90 * DAY, .services = CK_SVC_IIS };
	struct ck_selection sel;
	char t[41], fix[128];

	put_cert(fx, &s, t);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, t, CK_SEL_SERVICE_OFF);
	snprintf(fix, sizeof(fix), "certkeep enable %s --services SMTP", t);
	assert_contains(cand(&sel, t)->detail, fix);
	ck_selection_clear(&sel);
	/* The same certificate serves the service it is enabled for. */
	sel_run(fx, "mail.example.com", CK_SVC_IIS, NULL, NOW, &sel);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
}

static void test_not_yet_valid(void **state)
{
	struct fx *fx = *state;
	struct spec future = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			       .nb = NOW + DAY, .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct spec old = future;
	struct ck_selection sel;
	char f[41], o[41];

	put_cert(fx, &future, f);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, f, CK_SEL_NOT_YET_VALID);
	assert_contains(cand(&sel, f)->detail, "not valid before");
	ck_selection_clear(&sel);

	/* An older one is used meanwhile, though the future one is newer. */
	old.nb = NOW - 30 * DAY;
	put_cert(fx, &old, o);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, o);
	assert_verdict(&sel, f, CK_SEL_NOT_YET_VALID);
	ck_selection_clear(&sel);

	/* From its NotBefore on it is eligible, and the newest. */
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW + DAY, &sel);
	assert_chosen(&sel, f);
	assert_verdict(&sel, o, CK_SEL_OLDER);
	ck_selection_clear(&sel);
}

static void test_key_unreadable(void **state)
{
	struct fx *fx = *state;
	struct ck_selection sel;
	json_t *j;
	char t[41];

	if (getpwnam("nobody") == NULL)
		fail_msg("this test needs the account 'nobody'");
	put_simple(fx, "mail.example.com", t);
	/* The store is 0700 root: nobody cannot even reach the key. */
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, "nobody", NOW, &sel);
	assert_string_equal(sel.account, "nobody");
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, t, CK_SEL_KEY_UNREADABLE);
	assert_contains(cand(&sel, t)->detail, "nobody");
	assert_contains(cand(&sel, t)->detail, fx->base);
	j = ck_selection_json(&sel);
	assert_non_null(j);
	assert_field(j, "ServiceAccount", "nobody");
	assert_int_equal(json_integer_value(json_object_get(j, "Event")), 12014);
	json_decref(j);
	ck_selection_clear(&sel);

	sel_run(fx, "mail.example.com", CK_SVC_SMTP, "root", NOW, &sel);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
	/* No account: the key is not checked. */
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, t);
	assert_string_equal(sel.account, "");
	ck_selection_clear(&sel);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, "", NOW, &sel);
	assert_chosen(&sel, t);
	ck_selection_clear(&sel);
	/* An account that does not exist reads nothing. */
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, "no-such-user-ck", NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	assert_verdict(&sel, t, CK_SEL_KEY_UNREADABLE);
	assert_contains(cand(&sel, t)->detail, "no-such-user-ck");
	ck_selection_clear(&sel);
}

/*
 * A store opened by a relative path (certkeep --store store, or
 * CERTKEEP_STORE=store) has relative key paths; whether an account can read
 * the key does not depend on how the store was named: root reads it.
 */
static void test_key_readable_relative_store(void **state)
{
	struct fx *fx = *state;
	struct store *rel = NULL;
	struct ck_selection sel;
	char cwd[PATH_MAX], t[41], chosen[41], verdict[32], detail[512];
	size_t n;

	put_simple(fx, "mail.example.com", t);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->base), 0);
	if (store_open("store", false, &rel) != CK_OK) {
		assert_int_equal(chdir(cwd), 0);
		fail_msg("store_open store: %s", ck_errmsg());
	}
	assert_int_equal(ck_select(rel, "mail.example.com", CK_SVC_SMTP, "root", NOW, &sel),
			 CK_OK);
	assert_int_equal(chdir(cwd), 0);
	store_close(rel);
	/* Copied out first: a failure must not leak the selection. */
	snprintf(verdict, sizeof(verdict), "%s",
		 sel.n == 1 ? ck_sel_reason_name(sel.cands[0].reason) : "?");
	snprintf(detail, sizeof(detail), "%s", sel.n == 1 ? sel.cands[0].detail : "");
	snprintf(chosen, sizeof(chosen), "%s",
		 sel.chosen >= 0 ? sel.cands[sel.chosen].thumbprint : "(none)");
	n = sel.n;
	ck_selection_clear(&sel);
	assert_int_equal(n, 1);
	if (strcmp(chosen, t) != 0)
		fail_msg("not chosen for root with a relative store path: %s: %s", verdict, detail);
}

/* ---- ranking ---- */

static void test_expired_selfsigned_chosen(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			  .nb = NOW - 400 * DAY, .na = NOW - 10 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	json_t *j;
	char t[41];

	put_cert(fx, &s, t);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, t);
	assert_true(sel.expired);
	assert_int_equal(sel.cands[sel.chosen].status, CK_STATUS_DATE_INVALID);
	assert_contains(sel.cands[sel.chosen].detail, "12016");
	j = ck_selection_json(&sel);
	assert_true(json_is_true(json_object_get(j, "Expired")));
	assert_int_equal(json_integer_value(json_object_get(j, "Event")), 12016);
	json_decref(j);
	ck_selection_clear(&sel);

	/* At its NotAfter it has not expired yet. */
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, s.na, &sel);
	assert_chosen(&sel, t);
	assert_false(sel.expired);
	ck_selection_clear(&sel);
}

static void test_newest_selfsigned_wins(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			  .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char a[41], b[41], c[41];

	s.nb = NOW - 30 * DAY;
	put_cert(fx, &s, a);
	s.nb = NOW - 10 * DAY;
	put_cert(fx, &s, b);
	s.nb = NOW - 20 * DAY;
	put_cert(fx, &s, c);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 3);
	/* Candidates are newest NotBefore first. */
	assert_string_equal(sel.cands[0].thumbprint, b);
	assert_string_equal(sel.cands[1].thumbprint, c);
	assert_string_equal(sel.cands[2].thumbprint, a);
	assert_int_equal(sel.chosen, 0);
	assert_chosen(&sel, b);
	assert_verdict(&sel, c, CK_SEL_OLDER);
	assert_verdict(&sel, a, CK_SEL_OLDER);
	assert_contains(cand(&sel, a)->detail, b);
	ck_selection_clear(&sel);
}

/*
 * Equal NotBefore: the store lists by not_before DESC, then id DESC, and
 * the first eligible one wins, so the certificate inserted LATER is chosen
 * and the earlier one is "older". This is the documented tie behaviour.
 */
static void test_selfsigned_tie_later_inserted_wins(void **state)
{
	struct fx *fx = *state;
	struct spec s = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			  .nb = NOW - 5 * DAY, .na = NOW + 90 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char first[41], second[41], third[41];

	put_cert(fx, &s, first);
	put_cert(fx, &s, second);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 2);
	assert_string_equal(sel.cands[0].thumbprint, second);
	assert_chosen(&sel, second);
	assert_verdict(&sel, first, CK_SEL_OLDER);
	ck_selection_clear(&sel);

	/* Whatever the thumbprints: a third one, same NotBefore, wins again. */
	put_cert(fx, &s, third);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, third);
	ck_selection_clear(&sel);
}

static void test_valid_ca_beats_newer_selfsigned(void **state)
{
	struct fx *fx = *state;
	struct spec ca = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			   .nb = NOW - 30 * DAY, .na = NOW + 300 * DAY, .ca_issued = true,
			   .services = CK_SVC_SMTP };
	struct spec ss = ca;
	struct ck_selection sel;
	char c[41], s[41];

	ss.ca_issued = false;
	ss.nb = NOW - DAY;
	put_cert(fx, &ca, c);
	put_cert(fx, &ss, s);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 2);
	/* The trust setup works: the CA-issued one is Valid. */
	assert_false(cand(&sel, c)->self_signed);
	assert_int_equal(cand(&sel, c)->status, CK_STATUS_VALID);
	assert_true(cand(&sel, s)->self_signed);
	assert_int_equal(cand(&sel, s)->status, CK_STATUS_UNTRUSTED);
	/* The self-signed one is newer, and listed first, yet loses. */
	assert_string_equal(sel.cands[0].thumbprint, s);
	assert_chosen(&sel, c);
	assert_contains(cand(&sel, c)->detail, "Valid CA-issued");
	assert_verdict(&sel, s, CK_SEL_OUTRANKED_BY_CA);
	assert_contains(cand(&sel, s)->detail, c);
	assert_false(sel.expired);
	ck_selection_clear(&sel);
}

static void test_expired_ca_loses_to_selfsigned(void **state)
{
	struct fx *fx = *state;
	struct spec ca = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			   .nb = NOW - 100 * DAY, .na = NOW - DAY, .ca_issued = true,
			   .services = CK_SVC_SMTP };
	struct spec ss = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			   .nb = NOW - 200 * DAY, .na = NOW + 300 * DAY, .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char c[41], s[41];

	put_cert(fx, &ca, c);
	put_cert(fx, &ss, s);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(cand(&sel, c)->status, CK_STATUS_DATE_INVALID);
	/* The expired CA-issued one is newer, and still loses. */
	assert_string_equal(sel.cands[0].thumbprint, c);
	assert_chosen(&sel, s);
	assert_false(sel.expired);
	assert_verdict(&sel, c, CK_SEL_NOT_VALID_CA);
	assert_contains(cand(&sel, c)->detail, "DateInvalid");
	assert_contains(cand(&sel, c)->detail, s);
	ck_selection_clear(&sel);
}

static void test_expired_ca_chosen_without_selfsigned(void **state)
{
	struct fx *fx = *state;
	struct spec ca = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			   .nb = NOW - 100 * DAY, .na = NOW - DAY, .ca_issued = true,
			   .services = CK_SVC_SMTP };
	struct ck_selection sel;
	json_t *j;
	char c[41], older[41];

	put_cert(fx, &ca, c);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, c);
	assert_true(sel.expired);
	assert_contains(sel.cands[sel.chosen].detail, "12016");
	j = ck_selection_json(&sel);
	assert_int_equal(json_integer_value(json_object_get(j, "Event")), 12016);
	assert_true(json_is_true(json_object_get(j, "Expired")));
	json_decref(j);
	ck_selection_clear(&sel);

	/* Two of them: the newest, the other "older". */
	ca.nb = NOW - 300 * DAY;
	put_cert(fx, &ca, older);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_chosen(&sel, c);
	assert_verdict(&sel, older, CK_SEL_OLDER);
	ck_selection_clear(&sel);
}

static void test_two_valid_ca_newest_wins(void **state)
{
	struct fx *fx = *state;
	struct spec ca = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			   .nb = NOW - 5 * DAY, .na = NOW + 300 * DAY, .ca_issued = true,
			   .services = CK_SVC_SMTP };
	struct ck_selection sel;
	char newer[41], older[41];

	put_cert(fx, &ca, newer);
	ca.nb = NOW - 60 * DAY;
	put_cert(fx, &ca, older);
	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(cand(&sel, newer)->status, CK_STATUS_VALID);
	assert_int_equal(cand(&sel, older)->status, CK_STATUS_VALID);
	assert_chosen(&sel, newer);
	assert_verdict(&sel, older, CK_SEL_OLDER);
	assert_contains(cand(&sel, older)->detail, newer);
	ck_selection_clear(&sel);
}

/* Every verdict at once, and what wins among them. */
static void test_mixed_candidates(void **state)
{
	struct fx *fx = *state;
	struct spec base = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			     .nb = NOW - 10 * DAY, .na = NOW + 300 * DAY,
			     .services = CK_SVC_SMTP };
	struct spec s;
	struct ck_selection sel;
	char valid_ca[41], ss[41], off[41], nokey[41], future[41], wild[41], bad_ca[41];

	s = base;
	s.ca_issued = true;
	s.nb = NOW - 50 * DAY;
	put_cert(fx, &s, valid_ca);
	s = base;
	put_cert(fx, &s, ss);
	s = base;
	s.services = CK_SVC_IMAP;
	put_cert(fx, &s, off);
	s = base;
	s.no_key = true;
	s.services = 0;
	put_cert(fx, &s, nokey);
	s = base;
	s.nb = NOW + 10 * DAY;
	put_cert(fx, &s, future);
	s = base;
	s.cn = "*.example.com";
	s.sans = "DNS:*.example.com";
	put_cert(fx, &s, wild); /* covers mail.example.com: eligible, self-signed */
	s = base;
	s.ca_issued = true;
	s.na = NOW - DAY;
	s.nb = NOW - 20 * DAY;
	put_cert(fx, &s, bad_ca);

	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 7);
	assert_chosen(&sel, valid_ca);
	assert_verdict(&sel, off, CK_SEL_SERVICE_OFF);
	assert_verdict(&sel, nokey, CK_SEL_NO_KEY);
	assert_verdict(&sel, future, CK_SEL_NOT_YET_VALID);
	assert_verdict(&sel, ss, CK_SEL_OUTRANKED_BY_CA);
	assert_verdict(&sel, wild, CK_SEL_OUTRANKED_BY_CA);
	assert_verdict(&sel, bad_ca, CK_SEL_NOT_VALID_CA);
	ck_selection_clear(&sel);

	/* For a.b.example.com nothing fits; the wildcard is a mismatch. */
	sel_run(fx, "a.b.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.n, 1);
	assert_verdict(&sel, wild, CK_SEL_NAME_MISMATCH);
	ck_selection_clear(&sel);
}

/* ---- no candidates, JSON, refusals ---- */

static void test_no_candidates(void **state)
{
	struct fx *fx = *state;
	struct ck_selection sel;
	json_t *j;

	sel_run(fx, "mail.example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	assert_int_equal(sel.chosen, -1);
	assert_int_equal(sel.n, 0);
	assert_false(sel.expired);
	j = ck_selection_json(&sel);
	assert_non_null(j);
	assert_field(j, "Fqdn", "mail.example.com");
	assert_field(j, "Service", "SMTP");
	assert_true(json_is_null(json_object_get(j, "Selected")));
	assert_true(json_is_false(json_object_get(j, "Expired")));
	assert_int_equal(json_integer_value(json_object_get(j, "Event")), 12014);
	assert_true(json_is_array(json_object_get(j, "Candidates")));
	assert_int_equal(json_array_size(json_object_get(j, "Candidates")), 0);
	json_decref(j);
	ck_selection_clear(&sel);
}

static void test_selection_json(void **state)
{
	struct fx *fx = *state;
	struct spec off = { .cn = "mail.example.com", .sans = "DNS:mail.example.com",
			    .nb = NOW - 2 * DAY, .na = NOW + 90 * DAY, .services = CK_SVC_IIS };
	struct ck_selection sel;
	json_t *j, *selected, *cands, *c0, *c1;
	char t[41], o[41];

	put_simple(fx, "mail.example.com", t); /* NotBefore NOW - 1 d */
	put_cert(fx, &off, o);
	sel_run(fx, "Mail.Example.com", CK_SVC_SMTP, NULL, NOW, &sel);
	j = ck_selection_json(&sel);
	assert_non_null(j);
	assert_field(j, "Fqdn", "mail.example.com");
	assert_field(j, "Service", "SMTP");
	assert_true(json_is_null(json_object_get(j, "ServiceAccount")));
	assert_true(json_is_false(json_object_get(j, "Expired")));
	assert_true(json_is_null(json_object_get(j, "Event")));
	selected = json_object_get(j, "Selected");
	assert_true(json_is_object(selected));
	assert_field(selected, "Thumbprint", t);
	assert_field(selected, "Verdict", "chosen");
	assert_field(selected, "Subject", "CN=mail.example.com");
	assert_field(selected, "Status", "Untrusted");
	assert_field(selected, "Services", "....S");
	assert_field(selected, "NotBefore", "2026-11-17T11:06:40Z");
	assert_true(json_is_true(json_object_get(selected, "IsSelfSigned")));
	assert_true(json_is_true(json_object_get(selected, "HasPrivateKey")));
	cands = json_object_get(j, "Candidates");
	assert_int_equal(json_array_size(cands), 2);
	c0 = json_array_get(cands, 0);
	c1 = json_array_get(cands, 1);
	assert_field(c0, "Thumbprint", t);
	assert_field(c0, "Verdict", "chosen");
	assert_contains(json_string_value(json_object_get(c0, "Reason")), "self-signed");
	assert_field(c1, "Thumbprint", o);
	assert_field(c1, "Verdict", "service-not-enabled");
	assert_field(c1, "Services", "...W.");
	assert_contains(json_string_value(json_object_get(c1, "Reason")), "--services SMTP");
	json_decref(j);
	ck_selection_clear(&sel);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(ck_sel_reason_name(CK_SEL_CHOSEN), "chosen");
	assert_string_equal(ck_sel_reason_name(CK_SEL_NAME_MISMATCH), "name-mismatch");
	assert_string_equal(ck_sel_reason_name(CK_SEL_NO_KEY), "no-private-key");
	assert_string_equal(ck_sel_reason_name(CK_SEL_SERVICE_OFF), "service-not-enabled");
	assert_string_equal(ck_sel_reason_name(CK_SEL_KEY_UNREADABLE), "key-unreadable");
	assert_string_equal(ck_sel_reason_name(CK_SEL_NOT_YET_VALID), "not-yet-valid");
	assert_string_equal(ck_sel_reason_name(CK_SEL_OUTRANKED_BY_CA), "self-signed-outranked");
	assert_string_equal(ck_sel_reason_name(CK_SEL_NOT_VALID_CA), "ca-issued-not-valid");
	assert_string_equal(ck_sel_reason_name(CK_SEL_OLDER), "older");
	assert_string_equal(ck_sel_reason_name((enum ck_sel_reason)99), "unknown");
}

static void test_select_refuses(void **state)
{
	struct fx *fx = *state;
	struct ck_selection sel;
	char t[41];

	put_simple(fx, "mail.example.com", t);
	assert_int_equal(ck_select(fx->st, "mail.example.com", CK_SVC_SMTP | CK_SVC_IIS, NULL,
				   NOW, &sel),
			 CK_EINVAL);
	assert_int_equal(sel.chosen, -1);
	assert_int_equal(sel.n, 0);
	assert_int_equal(ck_select(fx->st, "mail.example.com", 0, NULL, NOW, &sel), CK_EINVAL);
	assert_int_equal(ck_select(fx->st, "*.example.com", CK_SVC_SMTP, NULL, NOW, &sel),
			 CK_EINVAL);
	assert_int_equal(ck_select(fx->st, "a..example.com", CK_SVC_SMTP, NULL, NOW, &sel),
			 CK_EINVAL);
	assert_int_equal(ck_select(fx->st, "", CK_SVC_SMTP, NULL, NOW, &sel), CK_EINVAL);
	assert_int_equal(sel.n, 0);
	assert_null(sel.cands);
	ck_selection_clear(&sel);
}

/* ---- ck_account_can_read ---- */

/* base made reachable (0755) with a file of this mode, owner and group. */
static void acct_file(struct fx *fx, const char *name, mode_t mode, uid_t uid, gid_t gid,
		      char *path, size_t n)
{
	FILE *f;

	assert_int_equal(chmod(fx->base, 0755), 0);
	snprintf(path, n, "%s/%s", fx->base, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chown(path, uid, gid), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static const struct passwd *nobody(void)
{
	const struct passwd *pw = getpwnam("nobody");

	if (pw == NULL)
		fail_msg("this test needs the account 'nobody'");
	return pw;
}

/* A group nobody is not in (primary or supplementary). */
static gid_t foreign_gid(void)
{
	const struct passwd *pw = nobody();
	gid_t groups[256];
	int n = 256, i;
	gid_t g;

	assert_true(getgrouplist("nobody", pw->pw_gid, groups, &n) >= 0);
	for (g = 0; g < 1000; g++) {
		bool member = false;

		for (i = 0; i < n; i++)
			member = member || groups[i] == g;
		if (!member && getgrgid(g) != NULL)
			return g;
	}
	fail_msg("no group without nobody found");
	return 0;
}

static void test_account_group_not_member(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], why[512];
	bool ok = true;

	acct_file(fx, "key.pem", 0640, 0, foreign_gid(), path, sizeof(path));
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_false(ok);
	assert_contains(why, path);
	assert_contains(why, "nobody");
}

static void test_account_group_member(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], why[512];
	bool ok = false;

	acct_file(fx, "key.pem", 0640, 0, nobody()->pw_gid, path, sizeof(path));
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_true(ok);
}

static void test_account_world_readable(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_MAX], path[PATH_MAX + 16], why[512];
	bool ok = false;

	/* base/sub/key.pem, 0644 in 0755 directories. */
	assert_int_equal(chmod(fx->base, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/sub", fx->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(why, sizeof(why), "unchanged");
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_true(ok);
	assert_string_equal(why, "");
	/* why may be NULL. */
	ok = false;
	assert_int_equal(ck_account_can_read("nobody", path, &ok, NULL, 0), CK_OK);
	assert_true(ok);
}

static void test_account_0600(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], why[512];
	bool ok = true;

	acct_file(fx, "key.pem", 0600, 0, 0, path, sizeof(path));
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_false(ok);
	assert_contains(why, path);
	assert_contains(why, "0600");
	/* root reads everything, even mode 0000. */
	assert_int_equal(chmod(path, 0), 0);
	ok = false;
	assert_int_equal(ck_account_can_read("root", path, &ok, why, sizeof(why)), CK_OK);
	assert_true(ok);
}

static void test_account_owner_bits_only(void **state)
{
	struct fx *fx = *state;
	const struct passwd *pw = nobody();
	char path[PATH_MAX], why[512];
	bool ok = false;

	acct_file(fx, "own.pem", 0600, pw->pw_uid, foreign_gid(), path, sizeof(path));
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_true(ok);
	/* The owner is judged by the owner bits alone, as the kernel does. */
	assert_int_equal(chmod(path, 0044), 0);
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_false(ok);
	assert_contains(why, path);
}

static void test_account_dir_without_search(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_MAX], path[PATH_MAX + 16], why[512];
	bool ok = true;

	assert_int_equal(chmod(fx->base, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/locked", fx->base);
	assert_int_equal(mkdir(dir, 0754), 0);
	assert_int_equal(chmod(dir, 0754), 0); /* others: read, no search */
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_false(ok);
	assert_contains(why, dir);
	assert_contains(why, "enter");
	assert_null(strstr(why, "key.pem"));

	/* The store itself (0700 under a 0700 mkdtemp directory). */
	assert_int_equal(chmod(fx->base, 0700), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	assert_false(ok);
	assert_contains(why, fx->base);
}

/*
 * The kernel needs search permission on every directory it walks, those a
 * symbolic link leads to included: base/link -> base/hidden/store with
 * base/hidden 0700 is unreadable for nobody, although base/link (followed)
 * looks like an open 0755 directory.
 */
static void test_account_symlinked_dir(void **state)
{
	struct fx *fx = *state;
	char hidden[PATH_MAX], target[PATH_MAX + 8], link[PATH_MAX], path[PATH_MAX + 16];
	char why[512];
	bool ok = true;
	FILE *f;

	assert_int_equal(chmod(fx->base, 0755), 0);
	snprintf(hidden, sizeof(hidden), "%s/hidden", fx->base);
	assert_int_equal(mkdir(hidden, 0700), 0);
	snprintf(target, sizeof(target), "%s/store", hidden);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(chmod(target, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", fx->base);
	assert_int_equal(symlink(target, link), 0);
	snprintf(path, sizeof(path), "%s/key.pem", link);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ck_account_can_read("nobody", path, &ok, why, sizeof(why)), CK_OK);
	if (ok)
		fail_msg("nobody judged able to read %s, but %s (0700 root) is on the way", path,
			 hidden);
	assert_contains(why, hidden);
}

static void test_account_unknown_and_bad_path(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], why[512];
	bool ok = true;

	acct_file(fx, "key.pem", 0644, 0, 0, path, sizeof(path));
	assert_int_equal(ck_account_can_read("no-such-user-ck", path, &ok, why, sizeof(why)),
			 CK_ENOTFOUND);
	assert_false(ok);
	assert_contains(ck_errmsg(), "no-such-user-ck");
	ok = true;
	assert_int_equal(ck_account_can_read("nobody", "key.pem", &ok, why, sizeof(why)),
			 CK_EINVAL);
	assert_false(ok);
	ok = true;
	snprintf(path, sizeof(path), "%s/missing.pem", fx->base);
	assert_true(ck_account_can_read("nobody", path, &ok, why, sizeof(why)) != CK_OK);
	assert_false(ok);
}

/* ---- connectors and diagnose ---- */

static void init_mx1(struct fx *fx, char thumb[41])
{
	struct ck_init_opts o = { .hostname = "mx1", .fqdn = "mx1.contoso.test" };

	if (ck_init(fx->st, &o, thumb) != CK_OK)
		fail_msg("ck_init: %s", ck_errmsg());
}

static void new_cert(struct fx *fx, const char *domain, unsigned services, int days,
		     char thumb[41])
{
	const char *domains[] = { domain };
	struct ck_new_opts o = { .domains = domains, .n_domains = 1, .days = days,
				 .services = services, .services_set = services != 0 };

	if (ck_new(fx->st, &o, thumb) != CK_OK)
		fail_msg("ck_new %s: %s", domain, ck_errmsg());
}

static void add_connector(struct fx *fx, const char *name, const char *fqdn, bool tls,
			  const char *account)
{
	struct ck_connector_opts o = { .name = name, .type = "receive", .fqdn = fqdn, .tls = tls,
				       .service_account = account };

	if (ck_connector_add(fx->st, &o) != CK_OK)
		fail_msg("ck_connector_add %s: %s", name, ck_errmsg());
}

/* Runs ck_diagnose at now; returns the number of problems, the report in
 * *report (new reference). */
static int diagnose(struct fx *fx, int64_t now, json_t **report)
{
	int problems = -1;

	if (ck_diagnose(fx->st, now, true, report, &problems) != CK_OK)
		fail_msg("ck_diagnose: %s", ck_errmsg());
	assert_true(json_is_array(*report));
	return problems;
}

static void test_diagnose_non_smtp_cert(void **state)
{
	struct fx *fx = *state;
	json_t *report, *e, *f, *fixes;
	char host[41], t[41];
	const char *fix0, *fix1;

	init_mx1(fx, host);
	add_connector(fx, "Internet", "mail.contoso.test", true, NULL);
	new_cert(fx, "mail.contoso.test", CK_SVC_IIS, 0, t);

	assert_int_equal(diagnose(fx, NOW, &report), 1);
	assert_int_equal(json_array_size(report), 1);
	e = json_array_get(report, 0);
	assert_field(e, "Connector", "Internet");
	assert_field(e, "Fqdn", "mail.contoso.test");
	assert_field(e, "Result", "no-certificate");
	json_decref(report);

	assert_int_equal(count_events(fx->st, CK_EV_NO_CERT_FOR_FQDN), 1);
	assert_int_equal(count_events(fx->st, CK_EV_STARTTLS_CERT_EXPIRED), 0);
	f = last_event_fields(fx->st, CK_EV_NO_CERT_FOR_FQDN);
	assert_field(f, "Fqdn", "mail.contoso.test");
	assert_field(f, "Connector", "Internet");
	fixes = json_object_get(f, "Fixes");
	assert_true(json_is_array(fixes));
	assert_int_equal(json_array_size(fixes), 2);
	fix0 = json_string_value(json_array_get(fixes, 0));
	fix1 = json_string_value(json_array_get(fixes, 1));
	assert_contains(fix0, "certkeep new --domain");
	assert_contains(fix0, "--services SMTP");
	assert_contains(fix1, "certkeep enable");
	assert_contains(fix1, "--services SMTP");
	assert_true(json_is_array(json_object_get(f, "CertificatesHoldingFqdn")));
	assert_true(json_array_has_string(json_object_get(f, "CertificatesHoldingFqdn"), t));
	/* The host certificate does not hold the name. */
	assert_false(json_array_has_string(json_object_get(f, "CertificatesHoldingFqdn"), host));
	json_decref(f);

	/* Enabling SMTP on it fixes the connector: no problem, no new event. */
	{
		char out[41];
		unsigned was = 0, now = 0;

		assert_int_equal(ck_services_change(fx->st, t, CK_SVC_SMTP, true, out, &was, &now),
				 CK_OK);
		assert_int_equal(now, CK_SVC_IIS | CK_SVC_SMTP);
	}
	assert_int_equal(diagnose(fx, NOW, &report), 0);
	e = json_array_get(report, 0);
	assert_field(e, "Result", "ok");
	assert_field(json_object_get(json_object_get(e, "Selection"), "Selected"), "Thumbprint", t);
	json_decref(report);
	assert_int_equal(count_events(fx->st, CK_EV_NO_CERT_FOR_FQDN), 1);
}

static void test_diagnose_no_cert_at_all(void **state)
{
	struct fx *fx = *state;
	json_t *report, *f;

	add_connector(fx, "Internet", "mail.contoso.test", true, NULL);
	add_connector(fx, "Partner", "partner.contoso.test", true, NULL);
	assert_int_equal(diagnose(fx, NOW, &report), 2);
	assert_int_equal(json_array_size(report), 2);
	json_decref(report);
	assert_int_equal(count_events(fx->st, CK_EV_NO_CERT_FOR_FQDN), 2);
	f = last_event_fields(fx->st, CK_EV_NO_CERT_FOR_FQDN);
	assert_int_equal(json_array_size(json_object_get(f, "CertificatesHoldingFqdn")), 0);
	assert_int_equal(json_array_size(json_object_get(f, "Fixes")), 2);
	json_decref(f);
}

static void test_diagnose_expired_12016(void **state)
{
	struct fx *fx = *state;
	json_t *report, *e, *f;
	char t[41];

	add_connector(fx, "Internet", "mail.contoso.test", true, NULL);
	new_cert(fx, "mail.contoso.test", CK_SVC_SMTP, 30, t);
	assert_int_equal(diagnose(fx, NOW, &report), 0);
	json_decref(report);
	assert_int_equal(count_events(fx->st, CK_EV_STARTTLS_CERT_EXPIRED), 0);

	assert_int_equal(diagnose(fx, NOW + 31 * DAY, &report), 1);
	e = json_array_get(report, 0);
	assert_field(e, "Result", "expired");
	assert_true(json_is_true(json_object_get(json_object_get(e, "Selection"), "Expired")));
	json_decref(report);
	assert_int_equal(count_events(fx->st, CK_EV_STARTTLS_CERT_EXPIRED), 1);
	assert_int_equal(count_events(fx->st, CK_EV_NO_CERT_FOR_FQDN), 0);
	f = last_event_fields(fx->st, CK_EV_STARTTLS_CERT_EXPIRED);
	assert_field(f, "Fqdn", "mail.contoso.test");
	assert_field(f, "Connector", "Internet");
	assert_field(f, "Thumbprint", t);
	json_decref(f);
}

static void test_diagnose_tls_off(void **state)
{
	struct fx *fx = *state;
	json_t *report, *e;
	int before;

	add_connector(fx, "Relay", "relay.contoso.test", false, NULL);
	before = count_events(fx->st, 0);
	assert_int_equal(diagnose(fx, NOW, &report), 0);
	assert_int_equal(json_array_size(report), 1);
	e = json_array_get(report, 0);
	assert_field(e, "Connector", "Relay");
	assert_field(e, "Result", "tls-off");
	json_decref(report);
	assert_int_equal(count_events(fx->st, 0), before);
	assert_int_equal(count_events(fx->st, CK_EV_NO_CERT_FOR_FQDN), 0);
}

static void test_diagnose_host_fqdn(void **state)
{
	struct fx *fx = *state;
	json_t *report, *e, *list, *c, *f;
	char host[41];

	init_mx1(fx, host);
	add_connector(fx, "Default", NULL, true, NULL);
	assert_int_equal(ck_connector_list(fx->st, &list), CK_OK);
	assert_int_equal(json_array_size(list), 1);
	c = json_array_get(list, 0);
	assert_field(c, "Name", "Default");
	assert_field(c, "Fqdn", "mx1.contoso.test");
	assert_true(json_is_true(json_object_get(c, "FqdnFromHost")));
	assert_true(json_is_true(json_object_get(c, "Tls")));
	json_decref(list);

	assert_int_equal(diagnose(fx, NOW, &report), 0);
	e = json_array_get(report, 0);
	assert_field(e, "Fqdn", "mx1.contoso.test");
	assert_field(e, "Result", "ok");
	assert_field(json_object_get(json_object_get(e, "Selection"), "Selected"), "Thumbprint",
		     host);
	json_decref(report);

	/* Without SMTP on the host certificate: 12014 for the host's FQDN. */
	{
		char out[41];
		unsigned was = 0, now = 0;

		assert_int_equal(ck_services_change(fx->st, host, CK_SVC_SMTP, false, out, &was,
						    &now),
				 CK_OK);
	}
	assert_int_equal(diagnose(fx, NOW, &report), 1);
	json_decref(report);
	f = last_event_fields(fx->st, CK_EV_NO_CERT_FOR_FQDN);
	assert_field(f, "Fqdn", "mx1.contoso.test");
	assert_field(f, "Connector", "Default");
	assert_true(json_array_has_string(json_object_get(f, "CertificatesHoldingFqdn"), host));
	json_decref(f);
}

static void test_diagnose_service_account(void **state)
{
	struct fx *fx = *state;
	json_t *report, *e, *f, *cands;
	char t[41];

	(void)nobody();
	new_cert(fx, "mail.contoso.test", CK_SVC_SMTP, 0, t);
	add_connector(fx, "Internet", "mail.contoso.test", true, "nobody");
	assert_int_equal(diagnose(fx, NOW, &report), 1);
	e = json_array_get(report, 0);
	assert_field(e, "Result", "no-certificate");
	cands = json_object_get(json_object_get(e, "Selection"), "Candidates");
	assert_int_equal(json_array_size(cands), 1);
	assert_field(json_array_get(cands, 0), "Verdict", "key-unreadable");
	json_decref(report);
	f = last_event_fields(fx->st, CK_EV_NO_CERT_FOR_FQDN);
	assert_true(json_array_has_string(json_object_get(f, "CertificatesHoldingFqdn"), t));
	json_decref(f);
}

static void test_connector_add_remove(void **state)
{
	struct fx *fx = *state;
	struct ck_connector_opts o = { .name = "Internet", .type = "receive",
				       .fqdn = "Mail.Contoso.TEST", .tls = true };
	json_t *list, *f;

	assert_int_equal(ck_connector_add(fx->st, &o), CK_OK);
	assert_int_equal(count_events(fx->st, CK_EV_CONNECTOR_ADDED), 1);
	f = last_event_fields(fx->st, CK_EV_CONNECTOR_ADDED);
	assert_field(f, "Connector", "Internet");
	assert_field(f, "Fqdn", "mail.contoso.test");
	json_decref(f);
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EEXIST);

	o.name = "bad name";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EINVAL);
	o.name = "";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EINVAL);
	o.name = "Other";
	o.type = "sideways";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EUSAGE);
	o.type = "send";
	o.fqdn = "bad..name";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EINVAL);
	o.fqdn = "*.contoso.test";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EINVAL);
	o.fqdn = NULL;
	o.service_account = "bad account";
	assert_int_equal(ck_connector_add(fx->st, &o), CK_EINVAL);
	assert_int_equal(count_events(fx->st, CK_EV_CONNECTOR_ADDED), 1);

	assert_int_equal(ck_connector_list(fx->st, &list), CK_OK);
	assert_int_equal(json_array_size(list), 1);
	assert_field(json_array_get(list, 0), "Fqdn", "mail.contoso.test");
	assert_true(json_is_false(json_object_get(json_array_get(list, 0), "FqdnFromHost")));
	json_decref(list);

	assert_int_equal(ck_connector_remove(fx->st, "Nope"), CK_ENOTFOUND);
	assert_int_equal(ck_connector_remove(fx->st, "Internet"), CK_OK);
	assert_int_equal(count_events(fx->st, CK_EV_CONNECTOR_REMOVED), 1);
	assert_int_equal(ck_connector_list(fx->st, &list), CK_OK);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exact_name),
		T(test_wildcard_one_label),
		T(test_wildcard_not_two_labels),
		T(test_wildcard_not_parent),
		T(test_case_insensitive),
		T(test_idna_a_label),
		T(test_cn_only),
		T(test_cn_counts_with_sans),
		T(test_no_private_key),
		T(test_service_not_enabled),
		T(test_not_yet_valid),
		T(test_key_unreadable),
		T(test_key_readable_relative_store),
		T(test_expired_selfsigned_chosen),
		T(test_newest_selfsigned_wins),
		T(test_selfsigned_tie_later_inserted_wins),
		T(test_valid_ca_beats_newer_selfsigned),
		T(test_expired_ca_loses_to_selfsigned),
		T(test_expired_ca_chosen_without_selfsigned),
		T(test_two_valid_ca_newest_wins),
		T(test_mixed_candidates),
		T(test_no_candidates),
		T(test_selection_json),
		cmocka_unit_test(test_reason_names),
		T(test_select_refuses),
		T(test_account_group_not_member),
		T(test_account_group_member),
		T(test_account_world_readable),
		T(test_account_0600),
		T(test_account_owner_bits_only),
		T(test_account_dir_without_search),
		T(test_account_symlinked_dir),
		T(test_account_unknown_and_bad_path),
		T(test_diagnose_non_smtp_cert),
		T(test_diagnose_no_cert_at_all),
		T(test_diagnose_expired_12016),
		T(test_diagnose_tls_off),
		T(test_diagnose_host_fqdn),
		T(test_diagnose_service_account),
		T(test_connector_add_remove),
	};
	int failed;

	/* Before the first status is computed: the trust store is cached. */
	ca_make();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	ca_free();
	return failed;
}
