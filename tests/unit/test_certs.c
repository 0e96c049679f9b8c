/*
 * test_certs.c - unit tests for the certificate services of src/core/certs.h
 * and the event writing of src/core/events.h (DESIGN.md §1, §3, §6).
 *
 * Each test runs on a fresh store in its own mkdtemp directory with the
 * clock fixed at NOW, so validity dates are exact. Covered: init (the host's
 * names, services, five years, once unless forced, a host without a
 * domain), new (domain normalisation, default services and days, bounds,
 * invalid input changing nothing, --request-out with its pending request
 * and key, an unwritable request file changing nothing), import (joining a
 * pending request's key to the certificate a test CA issued for it, a key
 * that does not match, garbage, duplicates, PKCS#12 round trips and wrong
 * passwords), export (PEM, PEM with key, PKCS#12, never a key without a
 * file, an unwritable file leaving no event), enable/disable, clone (new
 * key, same names and services, validity, replaced_by, events 1006 and
 * 1001, the host certificate moving), remove (certificates, shared keys,
 * pending requests), status (Untrusted, DateInvalid on both sides), show
 * and list, and ck_event_emit/ck_commit/ck_rollback. "Store unchanged"
 * means the same certificates, requests, events and files under keys/.
 * The test CA is built with OpenSSL directly: certkeep's own pki never
 * signs for another key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/certs/certs.h"
#include "base/clock.h"
#include "core/events/events.h"
#include "base/fileio.h"
#include "base/names.h"
#include "pki/pki.h"
#include "store/store.h"
#include "unit_util.h"

#define NOW INT64_C(1795000000) /* 2026-11-18T10:13:20Z */
#define DAY INT64_C(86400)
#define SVC_IPWS (CK_SVC_IMAP | CK_SVC_POP | CK_SVC_IIS | CK_SVC_SMTP)
#define SVC_IPS (CK_SVC_IMAP | CK_SVC_POP | CK_SVC_SMTP)

/* ---- helpers: files and store ---- */

static int setup(void **state)
{
	*state = fx_new("certs", NOW);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* base/name into buf. */
static void tmp_path(const struct fx *fx, const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", fx->base, name);
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return sb.st_mode & 07777;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;

	if (ck_read_file(path, CK_INPUT_MAX, &buf, len) != CK_OK)
		fail_msg("read %s: %s", path, ck_errmsg());
	return buf;
}

static bool key_file_exists(const struct fx *fx, const char *key_id)
{
	char path[PATH_MAX];

	store_key_path(fx->st, key_id, path, sizeof(path));
	return exists(path);
}

static int count_one_cert(const struct store_cert *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int count_certs(struct store *st)
{
	struct store_cert_filter all = { 0 };
	int n = 0;

	assert_int_equal(store_cert_each(st, &all, count_one_cert, &n), CK_OK);
	return n;
}

static int count_one_request(const struct store_request *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int count_requests(struct store *st)
{
	int n = 0;

	assert_int_equal(store_request_each(st, count_one_request, &n), CK_OK);
	return n;
}

/* What "the store is unchanged" compares. */
struct snap {
	int certs, requests, events, keys;
};

static struct snap snap_take(struct fx *fx)
{
	return (struct snap){ count_certs(fx->st), count_requests(fx->st),
			      count_events(fx->st, 0), key_files(fx) };
}

static void assert_snap(struct fx *fx, struct snap before)
{
	struct snap now = snap_take(fx);

	assert_int_equal(now.certs, before.certs);
	assert_int_equal(now.requests, before.requests);
	assert_int_equal(now.events, before.events);
	assert_int_equal(now.keys, before.keys);
}

static void find_cert(struct fx *fx, const char *thumb, struct store_cert *c)
{
	if (store_cert_find(fx->st, thumb, c) != CK_OK)
		fail_msg("store_cert_find %s: %s", thumb, ck_errmsg());
}

static void assert_domains(const struct store_cert *c, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(c->n_domains, n);
	for (i = 0; i < n; i++)
		assert_string_equal(c->domains[i], want[i]);
}

/* ---- helpers: making certificates ---- */

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

/* new --request-out base/name; returns the request's thumbprint. */
static void new_request(struct fx *fx, const char *domain, unsigned services, const char *name,
			char thumb[41])
{
	const char *domains[] = { domain, "alt.example.org" };
	char path[PATH_MAX];
	struct ck_new_opts o = { .domains = domains, .n_domains = 2, .services = services,
				 .services_set = services != 0, .request_out = path };

	tmp_path(fx, name, path, sizeof(path));
	if (ck_new(fx->st, &o, thumb) != CK_OK)
		fail_msg("ck_new --request-out: %s", ck_errmsg());
}

/* A throwaway CA, with OpenSSL directly. */
struct test_ca {
	EVP_PKEY *key;
	X509_NAME *name;
};

static void ca_init(struct test_ca *ca)
{
	ca->key = EVP_EC_gen("P-256");
	assert_non_null(ca->key);
	ca->name = X509_NAME_new();
	assert_non_null(ca->name);
	assert_int_equal(X509_NAME_add_entry_by_txt(ca->name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"Test Issuing CA", -1,
						    -1, 0),
			 1);
}

static void ca_free(struct test_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_NAME_free(ca->name);
}

/* Signs the PKCS#10 request in the PEM file path: a v3 certificate for its
 * subject, key and extensions, valid NOW - 1 h to NOW + 365 d. Returns the
 * certificate's PEM (malloc'ed). */
static char *ca_sign_file(const struct test_ca *ca, const char *path, size_t *len)
{
	STACK_OF(X509_EXTENSION) *exts;
	X509_REQ *req;
	X509 *x;
	BIO *in, *out;
	char *data = NULL, *pem;
	long n;
	int i;

	in = BIO_new_file(path, "r");
	assert_non_null(in);
	req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL);
	BIO_free(in);
	assert_non_null(req);
	/* The request is signed by the key it carries. */
	assert_int_equal(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);

	x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234), 1);
	assert_int_equal(X509_set_issuer_name(x, ca->name), 1);
	assert_int_equal(X509_set_subject_name(x, X509_REQ_get_subject_name(req)), 1);
	assert_int_equal(X509_set_pubkey(x, X509_REQ_get0_pubkey(req)), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(NOW - 3600)));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(NOW + 365 * DAY)));
	exts = X509_REQ_get_extensions(req);
	for (i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++)
		assert_int_equal(X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_sign(x, ca->key, EVP_sha256()) > 0);

	out = BIO_new(BIO_s_mem());
	assert_non_null(out);
	assert_int_equal(PEM_write_bio_X509(out, x), 1);
	n = BIO_get_mem_data(out, &data);
	assert_true(n > 0);
	pem = malloc((size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
	BIO_free(out);
	X509_free(x);
	X509_REQ_free(req);
	return pem;
}

/* A pending request for www.example.org answered by the test CA and
 * imported; returns the certificate's thumbprint. */
static void issue_via_request(struct fx *fx, unsigned services, char thumb[41])
{
	struct test_ca ca;
	char req_thumb[41], path[PATH_MAX];
	char *pem;
	size_t len;
	bool joined = false;
	struct ck_import_opts o = { 0 };

	new_request(fx, "www.example.org", services, "req.pem", req_thumb);
	ca_init(&ca);
	tmp_path(fx, "req.pem", path, sizeof(path));
	pem = ca_sign_file(&ca, path, &len);
	o.cert = (const uint8_t *)pem;
	o.cert_len = len;
	if (ck_import(fx->st, &o, thumb, &joined) != CK_OK)
		fail_msg("ck_import: %s", ck_errmsg());
	assert_true(joined);
	free(pem);
	ca_free(&ca);
}

/* A self-signed certificate made with pki for key, as PEM. */
static char *selfsigned_pem(const struct pki_key *key, const char *cn, size_t *len)
{
	const char *domains[] = { cn };
	struct pki_make_params p = { .subject_cn = cn, .domains = domains, .n_domains = 1,
				     .not_before = NOW, .not_after = NOW + 90 * DAY };
	struct pki_cert *cert = NULL;
	char *pem = NULL;

	assert_int_equal(pki_selfsigned_make(&p, key, &cert), CK_OK);
	assert_int_equal(pki_cert_to_pem(cert, &pem, len), CK_OK);
	pki_cert_free(cert);
	return pem;
}

/* ck_list collector: thumbprints and statuses, in order. */
struct listed {
	char thumbs[8][41];
	char status[8][32];
	int n;
};

static int collect_listed(json_t *item, void *arg)
{
	struct listed *l = arg;
	const char *t = json_string_value(json_object_get(item, "Thumbprint"));
	const char *s = json_string_value(json_object_get(item, "Status"));

	assert_non_null(t);
	assert_non_null(s);
	if (l->n < 8) {
		snprintf(l->thumbs[l->n], 41, "%s", t);
		snprintf(l->status[l->n], 32, "%s", s);
	}
	l->n++;
	return 0;
}

static struct listed list(struct fx *fx, const struct ck_list_opts *o)
{
	struct listed l = { .n = 0 };

	if (ck_list(fx->st, o, ck_now(), collect_listed, &l) != CK_OK)
		fail_msg("ck_list: %s", ck_errmsg());
	return l;
}

/* ---- init ---- */

static void test_init_host_certificate(void **state)
{
	struct fx *fx = *state;
	const char *want[] = { "mx1", "mx1.contoso.test" };
	struct store_cert c;
	char thumb[41], *v = NULL;
	json_t *f;

	init_mx1(fx, thumb);
	assert_int_equal(count_certs(fx->st), 1);
	find_cert(fx, thumb, &c);
	assert_string_equal(c.subject, "CN=mx1");
	assert_domains(&c, want, 2);
	assert_int_equal(c.services, SVC_IPWS);
	assert_int_equal(c.not_before, NOW);
	assert_int_equal(c.not_after - c.not_before, 1826 * DAY);
	assert_true(c.self_signed);
	assert_true(c.has_key);
	assert_string_equal(c.key_type, "ec:P-256");
	assert_true(key_file_exists(fx, c.key_id));
	assert_string_equal(c.replaced_by, "");
	store_cert_clear(&c);

	assert_int_equal(count_events(fx->st, CK_EV_CERT_INSTALLED), 1);
	f = last_event_fields(fx->st, CK_EV_CERT_INSTALLED);
	assert_field(f, "Thumbprint", thumb);
	assert_field(f, "Action", "init");
	assert_field(f, "Services", "IP.WS");
	assert_true(json_is_true(json_object_get(f, "HasPrivateKey")));
	json_decref(f);

	assert_int_equal(store_config_get(fx->st, "host.certificate", &v), CK_OK);
	assert_string_equal(v, thumb);
	free(v);
	assert_int_equal(store_config_get(fx->st, "host.fqdn", &v), CK_OK);
	assert_string_equal(v, "mx1.contoso.test");
	free(v);
}

static void test_init_twice(void **state)
{
	struct fx *fx = *state;
	struct ck_init_opts o = { .hostname = "mx1", .fqdn = "mx1.contoso.test" };
	char first[41], second[41] = "", *v = NULL;
	struct snap before;

	init_mx1(fx, first);
	before = snap_take(fx);
	assert_int_equal(ck_init(fx->st, &o, second), CK_EEXIST);
	assert_snap(fx, before);
	assert_int_equal(before.certs, 1);
	assert_int_equal(before.events, 1);

	o.force = true;
	assert_int_equal(ck_init(fx->st, &o, second), CK_OK);
	assert_string_not_equal(second, first);
	assert_int_equal(count_certs(fx->st), 2);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_INSTALLED), 2);
	assert_int_equal(key_files(fx), 2);
	assert_int_equal(store_config_get(fx->st, "host.certificate", &v), CK_OK);
	assert_string_equal(v, second);
	free(v);
}

static void test_init_after_host_certificate_removed(void **state)
{
	struct fx *fx = *state;
	char first[41], removed[41], second[41];

	init_mx1(fx, first);
	assert_int_equal(ck_remove(fx->st, first, removed), CK_OK);
	/* The recorded host certificate is gone: init may make a new one. */
	init_mx1(fx, second);
	assert_int_equal(count_certs(fx->st), 1);
}

static void test_init_host_without_domain(void **state)
{
	struct fx *fx = *state;
	struct ck_init_opts o = { .hostname = "vm", .fqdn = "vm" };
	const char *want[] = { "vm" };
	struct store_cert c;
	char thumb[41];

	assert_int_equal(ck_init(fx->st, &o, thumb), CK_OK);
	find_cert(fx, thumb, &c);
	assert_string_equal(c.subject, "CN=vm");
	assert_domains(&c, want, 1);
	store_cert_clear(&c);
}

static void test_init_refuses_bad_input(void **state)
{
	struct fx *fx = *state;
	struct ck_init_opts dotted = { .hostname = "mx1.contoso", .fqdn = "mx1.contoso.test" };
	struct ck_init_opts bad_fqdn = { .hostname = "mx1", .fqdn = "mx1..contoso.test" };
	struct ck_init_opts days = { .hostname = "mx1", .fqdn = "mx1.contoso.test", .days = -1 };
	struct snap before = snap_take(fx);
	char thumb[41];

	assert_int_equal(ck_init(fx->st, &dotted, thumb), CK_EINVAL);
	assert_int_equal(ck_init(fx->st, &bad_fqdn, thumb), CK_EINVAL);
	assert_int_equal(ck_init(fx->st, &days, thumb), CK_EINVAL);
	days.days = CK_MAX_DAYS + 1;
	assert_int_equal(ck_init(fx->st, &days, thumb), CK_EINVAL);
	assert_snap(fx, before);
}

/* ---- new ---- */

static void test_new_normalizes_domains(void **state)
{
	struct fx *fx = *state;
	const char *in[] = { "WWW.Example.COM", "*.web.example.com", "www.example.com" };
	const char *want[] = { "www.example.com", "*.web.example.com" };
	struct ck_new_opts o = { .domains = in, .n_domains = 3, .friendly_name = "web" };
	struct store_cert c;
	char thumb[41];
	json_t *f;

	assert_int_equal(ck_new(fx->st, &o, thumb), CK_OK);
	find_cert(fx, thumb, &c);
	assert_string_equal(c.subject, "CN=www.example.com");
	assert_domains(&c, want, 2);
	assert_int_equal(c.services, SVC_IPS);
	assert_int_equal(c.not_after - c.not_before, CK_DEFAULT_DAYS * DAY);
	assert_true(c.self_signed);
	assert_true(c.has_key);
	assert_string_equal(c.friendly_name, "web");
	store_cert_clear(&c);
	f = last_event_fields(fx->st, CK_EV_CERT_INSTALLED);
	assert_field(f, "Action", "new");
	assert_field(f, "Thumbprint", thumb);
	json_decref(f);
}

static void test_new_invalid_domain_changes_nothing(void **state)
{
	struct fx *fx = *state;
	const char *bad[][2] = {
		{ "ok.example.com", "bad_name.example.com" },
		{ "ok.example.com", "*.com" },
		{ "ok.example.com", "www.*.example.com" },
		{ "ok.example.com", "-lead.example.com" },
	};
	struct snap before = snap_take(fx);
	char thumb[41];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ck_new_opts o = { .domains = bad[i], .n_domains = 2 };

		if (ck_new(fx->st, &o, thumb) != CK_EINVAL)
			fail_msg("ck_new accepted %s", bad[i][1]);
	}
	assert_snap(fx, before);
	assert_int_equal(before.certs + before.events + before.keys, 0);
}

static void test_new_days(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = { "days.example.com" };
	struct ck_new_opts o = { .domains = domains, .n_domains = 1 };
	struct store_cert c;
	struct snap before = snap_take(fx);
	char thumb[41];

	o.days = -1;
	assert_int_equal(ck_new(fx->st, &o, thumb), CK_EINVAL);
	o.days = CK_MAX_DAYS + 1;
	assert_int_equal(ck_new(fx->st, &o, thumb), CK_EINVAL);
	assert_snap(fx, before);

	o.days = 30;
	assert_int_equal(ck_new(fx->st, &o, thumb), CK_OK);
	find_cert(fx, thumb, &c);
	assert_int_equal(c.not_before, NOW);
	assert_int_equal(c.not_after, NOW + 30 * DAY);
	store_cert_clear(&c);

	o.days = CK_MAX_DAYS;
	assert_int_equal(ck_new(fx->st, &o, thumb), CK_OK);
	find_cert(fx, thumb, &c);
	assert_int_equal(c.not_after - c.not_before, CK_MAX_DAYS * DAY);
	store_cert_clear(&c);
}

static void test_new_request_out(void **state)
{
	struct fx *fx = *state;
	struct store_request r;
	struct listed l;
	struct ck_list_opts all = { 0 };
	char thumb[41], path[PATH_MAX];
	uint8_t *pem;
	size_t len;
	json_t *f;

	new_request(fx, "www.example.org", CK_SVC_IIS, "req.pem", thumb);
	tmp_path(fx, "req.pem", path, sizeof(path));
	assert_true(exists(path));
	pem = slurp(path, &len);
	assert_non_null(strstr((const char *)pem, "-----BEGIN CERTIFICATE REQUEST-----"));
	free(pem);

	assert_int_equal(count_certs(fx->st), 0);
	assert_int_equal(store_request_find(fx->st, thumb, &r), CK_OK);
	assert_string_equal(r.subject, "CN=www.example.org");
	assert_int_equal(r.services, CK_SVC_IIS);
	assert_int_equal(r.n_domains, 2);
	assert_true(store_key_exists(fx->st, r.key_id));
	assert_true(key_file_exists(fx, r.key_id));
	assert_int_equal(key_files(fx), 1);
	store_request_clear(&r);

	l = list(fx, &all);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.thumbs[0], thumb);
	assert_string_equal(l.status[0], "PendingRequest");

	f = last_event_fields(fx->st, CK_EV_REQUEST_CREATED);
	assert_field(f, "Thumbprint", thumb);
	assert_field(f, "RequestFile", path);
	json_decref(f);
}

static void test_new_request_out_unwritable(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = { "www.example.org" };
	char path[PATH_MAX], thumb[41];
	struct ck_new_opts o = { .domains = domains, .n_domains = 1, .request_out = path };
	struct snap before = snap_take(fx);

	tmp_path(fx, "no-such-dir/req.pem", path, sizeof(path));
	assert_int_not_equal(ck_new(fx->st, &o, thumb), CK_OK);
	assert_false(exists(path));
	assert_snap(fx, before);
	assert_int_equal(before.requests + before.events + before.keys, 0);
}

/*
 * Regression (src/store/store_requests.c store_request_insert): a request's domains
 * are joined into a fixed 4096-byte buffer, so ck_new --request-out fails
 * with CK_EINVAL ("too many domain names in one request") for 60 valid names
 * (59 of 72 characters), well inside CK_MAX_DOMAINS (100) that certs.h
 * publishes; the same names make a self-signed certificate without trouble.
 */
static void test_new_request_many_domains(void **state)
{
	struct fx *fx = *state;
	char names[60][80], path[PATH_MAX], thumb[41];
	const char *domains[60];
	struct ck_new_opts o = { .domains = domains, .n_domains = 60, .request_out = path };
	struct store_request r;
	size_t i;

	/* The first (the CN) short: a CN holds at most 64 characters. */
	snprintf(names[0], sizeof(names[0]), "www.example.com");
	domains[0] = names[0];
	for (i = 1; i < 60; i++) {
		snprintf(names[i], sizeof(names[i]), "host%02zu-%s.example.com", i,
			 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
		domains[i] = names[i];
	}
	/* A self-signed certificate for the same names is fine. */
	o.request_out = NULL;
	if (ck_new(fx->st, &o, thumb) != CK_OK)
		fail_msg("ck_new with 60 domains: %s", ck_errmsg());
	o.request_out = path;
	tmp_path(fx, "many.pem", path, sizeof(path));
	if (ck_new(fx->st, &o, thumb) != CK_OK)
		fail_msg("ck_new --request-out with 60 domains: %s", ck_errmsg());
	assert_int_equal(store_request_find(fx->st, thumb, &r), CK_OK);
	assert_int_equal(r.n_domains, 60);
	assert_string_equal(r.domains[59], names[59]);
	store_request_clear(&r);
}

/*
 * Regression (src/core/certs_make.c ck_new, via src/pki/pki_make.c make_subject):
 * a valid DNS name of more than 64 characters (ck_domain_normalize accepts
 * up to 253) as the first domain cannot be a subject CN (X.520
 * ub-common-name), and ck_new fails with CK_ECRYPTO "cannot build the
 * request: string too long", an OpenSSL error, instead of treating it as
 * input: either CK_EINVAL with a message naming the 64-character limit, or
 * a certificate whose long name is in the SAN only. Nothing may be stored.
 */
static void test_new_long_first_domain(void **state)
{
	struct fx *fx = *state;
	const char *domains[] = {
		"a-rather-long-host-name-for-a-mail-server.with-a-long.example.com",
	};
	struct ck_new_opts o = { .domains = domains, .n_domains = 1 };
	struct snap before = snap_take(fx);
	char thumb[41];
	enum ck_err rc;

	assert_true(strlen(domains[0]) > 64);
	rc = ck_new(fx->st, &o, thumb);
	if (rc != CK_OK && rc != CK_EINVAL)
		fail_msg("ck_new with a %zu-character name: code %d (%s), expected CK_OK or "
			 "CK_EINVAL",
			 strlen(domains[0]), rc, ck_errmsg());
	if (rc == CK_EINVAL)
		assert_snap(fx, before);
}

/* ---- import ---- */

static void test_import_joins_request(void **state)
{
	struct fx *fx = *state;
	struct test_ca ca;
	struct store_request r;
	struct store_cert c;
	struct ck_import_opts o = { 0 };
	char req_thumb[41], thumb[41], path[PATH_MAX], key_id[65];
	const char *want[] = { "www.example.org", "alt.example.org" };
	bool joined = false;
	char *pem;
	size_t len;
	json_t *f;

	new_request(fx, "www.example.org", CK_SVC_IIS | CK_SVC_SMTP, "req.pem", req_thumb);
	assert_int_equal(store_request_find(fx->st, req_thumb, &r), CK_OK);
	snprintf(key_id, sizeof(key_id), "%s", r.key_id);
	store_request_clear(&r);

	ca_init(&ca);
	tmp_path(fx, "req.pem", path, sizeof(path));
	pem = ca_sign_file(&ca, path, &len);
	o.cert = (const uint8_t *)pem;
	o.cert_len = len;
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_OK);
	assert_true(joined);

	assert_int_equal(count_requests(fx->st), 0);
	assert_int_equal(store_request_find(fx->st, req_thumb, &r), CK_ENOTFOUND);
	find_cert(fx, thumb, &c);
	assert_string_equal(c.key_id, key_id);
	assert_true(c.has_key);
	assert_false(c.self_signed);
	assert_int_equal(c.services, CK_SVC_IIS | CK_SVC_SMTP); /* from the request */
	assert_domains(&c, want, 2);
	store_cert_clear(&c);
	assert_true(key_file_exists(fx, key_id));
	assert_int_equal(key_files(fx), 1);
	f = last_event_fields(fx->st, CK_EV_CERT_INSTALLED);
	assert_field(f, "Thumbprint", thumb);
	assert_field(f, "Action", "import-request");
	json_decref(f);

	/* The same certificate again: it is there already. */
	{
		struct snap before = snap_take(fx);
		char again[41];

		assert_int_equal(ck_import(fx->st, &o, again, &joined), CK_EEXIST);
		assert_false(joined);
		assert_snap(fx, before);
	}
	free(pem);
	ca_free(&ca);
}

static void test_import_mismatching_key(void **state)
{
	struct fx *fx = *state;
	struct pki_key *key = NULL, *other = NULL;
	struct ck_import_opts o = { 0 };
	struct snap before = snap_take(fx);
	char *cert_pem, *key_pem = NULL, thumb[41];
	size_t cert_len, key_len = 0;
	bool joined = true;

	assert_int_equal(pki_key_generate("ec:P-256", &key), CK_OK);
	assert_int_equal(pki_key_generate("ec:P-256", &other), CK_OK);
	cert_pem = selfsigned_pem(key, "mismatch.example.com", &cert_len);
	assert_int_equal(pki_key_to_pem(other, &key_pem, &key_len), CK_OK);
	o.cert = (const uint8_t *)cert_pem;
	o.cert_len = cert_len;
	o.key = (const uint8_t *)key_pem;
	o.key_len = key_len;
	o.services = CK_SVC_SMTP;
	o.services_set = true;
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_EINVAL);
	assert_false(joined);
	assert_snap(fx, before);

	free(cert_pem);
	ck_free_secret(key_pem, key_len);
	pki_key_free(key);
	pki_key_free(other);
}

static void test_import_garbage(void **state)
{
	struct fx *fx = *state;
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
				   "-----END CERTIFICATE-----\n";
	struct ck_import_opts o = { .cert = (const uint8_t *)junk, .cert_len = sizeof(junk) - 1 };
	struct snap before = snap_take(fx);
	char thumb[41];
	bool joined;

	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_EINVAL);
	o = (struct ck_import_opts){ .cert = (const uint8_t *)"\x30\x82\x01", .cert_len = 3 };
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_EINVAL);
	o = (struct ck_import_opts){ .p12 = (const uint8_t *)junk, .p12_len = sizeof(junk) - 1,
				     .password = "x" };
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_EINVAL);
	assert_snap(fx, before);
}

static void test_import_without_key(void **state)
{
	struct fx *fx = *state;
	struct pki_key *key = NULL;
	struct ck_import_opts o = { 0 };
	struct store_cert c;
	struct snap before;
	char *pem, thumb[41];
	size_t len;
	bool joined = true;

	assert_int_equal(pki_key_generate("ec:P-256", &key), CK_OK);
	pem = selfsigned_pem(key, "nokey.example.com", &len);
	o.cert = (const uint8_t *)pem;
	o.cert_len = len;
	/* A service cannot use a certificate without its key. */
	o.services = CK_SVC_SMTP;
	o.services_set = true;
	before = snap_take(fx);
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_EINVAL);
	assert_snap(fx, before);

	o.services = 0;
	o.services_set = false;
	assert_int_equal(ck_import(fx->st, &o, thumb, &joined), CK_OK);
	assert_false(joined);
	find_cert(fx, thumb, &c);
	assert_false(c.has_key);
	assert_int_equal(c.services, 0);
	store_cert_clear(&c);
	assert_int_equal(key_files(fx), 0);

	/* Nor can a service be enabled on it later. */
	{
		char out[41];
		unsigned was = 99, now = 99;

		before = snap_take(fx);
		assert_int_equal(ck_services_change(fx->st, thumb, CK_SVC_SMTP, true, out, &was,
						    &now),
				 CK_EINVAL);
		assert_snap(fx, before);
		find_cert(fx, thumb, &c);
		assert_int_equal(c.services, 0);
		store_cert_clear(&c);
	}
	free(pem);
	pki_key_free(key);
}

static void test_pkcs12_round_trip(void **state)
{
	struct fx *fx = *state;
	struct ck_export_opts eo = { .pkcs12 = true, .password = "s3cret" };
	struct ck_import_opts io = { 0 };
	struct store_cert c;
	struct snap before;
	char thumb[41], again[41], removed[41], path[PATH_MAX];
	uint8_t *p12;
	size_t len;
	bool joined = true;
	json_t *f;

	new_cert(fx, "p12.example.com", CK_SVC_SMTP, 0, thumb);
	tmp_path(fx, "out.p12", path, sizeof(path));
	eo.out = path;
	assert_int_equal(ck_export(fx->st, thumb, &eo), CK_OK);
	assert_int_equal(mode_of(path), 0600);
	f = last_event_fields(fx->st, CK_EV_CERT_EXPORTED);
	assert_field(f, "Thumbprint", thumb);
	assert_field(f, "Format", "PKCS12");
	assert_true(json_is_true(json_object_get(f, "WithPrivateKey")));
	json_decref(f);

	assert_int_equal(ck_remove(fx->st, thumb, removed), CK_OK);
	assert_int_equal(key_files(fx), 0);

	p12 = slurp(path, &len);
	io.p12 = p12;
	io.p12_len = len;
	io.password = "wrong";
	before = snap_take(fx);
	assert_int_equal(ck_import(fx->st, &io, again, &joined), CK_EPASSWORD);
	assert_snap(fx, before);

	io.password = "s3cret";
	io.services = CK_SVC_SMTP;
	io.services_set = true;
	assert_int_equal(ck_import(fx->st, &io, again, &joined), CK_OK);
	assert_false(joined);
	assert_string_equal(again, thumb);
	find_cert(fx, thumb, &c);
	assert_true(c.has_key);
	assert_int_equal(c.services, CK_SVC_SMTP);
	assert_true(key_file_exists(fx, c.key_id));
	store_cert_clear(&c);
	free(p12);
}

/* ---- export ---- */

/* Export's sink for tests: keeps a copy of what would be printed, or fails
 * like a full disk when asked to. */
struct sink_buf {
	char *data;
	size_t len;
	bool fail;
};

static enum ck_err sink_collect(const char *pem, size_t len, void *arg)
{
	struct sink_buf *b = arg;

	if (b->fail)
		return ck_fail(CK_EIO, "cannot write output: No space left on device");
	b->data = malloc(len + 1);
	assert_non_null(b->data);
	memcpy(b->data, pem, len);
	b->data[len] = '\0';
	b->len = len;
	return CK_OK;
}

static enum ck_err export_mem(struct store *st, const char *thumb, struct ck_export_opts *o,
			      char **pem, size_t *len)
{
	struct sink_buf b = { 0 };
	enum ck_err rc;

	o->sink = sink_collect;
	o->sink_arg = &b;
	rc = ck_export(st, thumb, o);
	*pem = b.data;
	*len = b.len;
	return rc;
}

/* Output that cannot be written records no export. */
static void test_export_failed_output(void **state)
{
	struct fx *fx = *state;
	struct sink_buf b = { .fail = true };
	struct ck_export_opts o = { .sink = sink_collect, .sink_arg = &b };
	char thumb[41];

	new_cert(fx, "full.example.com", 0, 0, thumb);
	assert_int_equal(ck_export(fx->st, thumb, &o), CK_EIO);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_EXPORTED), 0);
}

static void test_export_pem(void **state)
{
	struct fx *fx = *state;
	struct ck_export_opts plain = { 0 };
	struct ck_export_opts with_key = { .with_key = true };
	struct ck_export_opts p12 = { .pkcs12 = true, .password = "x" };
	struct pki_cert *cert = NULL;
	struct pki_cert_info info;
	struct snap before;
	char thumb[41], *pem = NULL;
	size_t len = 0;
	json_t *f;

	new_cert(fx, "export.example.com", 0, 0, thumb);
	assert_int_equal(export_mem(fx->st, thumb, &plain, &pem, &len), CK_OK);
	assert_non_null(pem);
	assert_int_equal(strlen(pem), len);
	assert_null(strstr(pem, "PRIVATE KEY"));
	assert_int_equal(pki_cert_parse((const uint8_t *)pem, len, &cert), CK_OK);
	assert_int_equal(pki_cert_info_get(cert, &info), CK_OK);
	assert_string_equal(info.thumbprint, thumb);
	pki_cert_info_clear(&info);
	pki_cert_free(cert);
	free(pem);
	f = last_event_fields(fx->st, CK_EV_CERT_EXPORTED);
	assert_field(f, "Format", "PEM");
	assert_false(json_is_true(json_object_get(f, "WithPrivateKey")));
	json_decref(f);

	/* A key is never returned in memory (to be printed): only to a file. */
	before = snap_take(fx);
	pem = NULL;
	assert_int_equal(export_mem(fx->st, thumb, &with_key, &pem, &len), CK_EUSAGE);
	assert_null(pem);
	assert_int_equal(export_mem(fx->st, thumb, &p12, &pem, &len), CK_EUSAGE);
	assert_null(pem);
	assert_int_equal(export_mem(fx->st, "0000000000", &plain, &pem, &len), CK_ENOTFOUND);
	assert_snap(fx, before);
}

static void test_export_files(void **state)
{
	struct fx *fx = *state;
	char thumb[41], key_out[PATH_MAX], cert_out[PATH_MAX];
	struct ck_export_opts with_key = { .with_key = true, .out = key_out };
	struct ck_export_opts plain = { .out = cert_out };
	uint8_t *data;
	size_t len;

	new_cert(fx, "files.example.com", 0, 0, thumb);
	tmp_path(fx, "with-key.pem", key_out, sizeof(key_out));
	tmp_path(fx, "cert.pem", cert_out, sizeof(cert_out));
	assert_int_equal(ck_export(fx->st, thumb, &with_key), CK_OK);
	assert_int_equal(ck_export(fx->st, thumb, &plain), CK_OK);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_EXPORTED), 2);

	assert_int_equal(mode_of(key_out), 0600);
	data = slurp(key_out, &len);
	assert_non_null(strstr((const char *)data, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr((const char *)data, "PRIVATE KEY-----"));
	ck_free_secret(data, len);

	assert_int_equal(mode_of(cert_out), 0644);
	data = slurp(cert_out, &len);
	assert_non_null(strstr((const char *)data, "-----BEGIN CERTIFICATE-----"));
	assert_null(strstr((const char *)data, "PRIVATE KEY"));
	free(data);
}

static void test_export_unwritable(void **state)
{
	struct fx *fx = *state;
	char thumb[41], out[PATH_MAX];
	struct ck_export_opts plain = { .out = out };
	struct ck_export_opts p12 = { .pkcs12 = true, .password = "x", .out = out };
	struct snap before;

	new_cert(fx, "unwritable.example.com", 0, 0, thumb);
	tmp_path(fx, "no-such-dir/cert.pem", out, sizeof(out));
	before = snap_take(fx);
	assert_int_not_equal(ck_export(fx->st, thumb, &plain), CK_OK);
	assert_int_not_equal(ck_export(fx->st, thumb, &p12), CK_OK);
	assert_false(exists(out));
	assert_int_equal(count_events(fx->st, CK_EV_CERT_EXPORTED), 0);
	assert_snap(fx, before);
}

/* ---- enable, disable ---- */

static void test_services_change(void **state)
{
	struct fx *fx = *state;
	char thumb[41], out[41];
	unsigned before = 0, after = 0;
	struct store_cert c;
	json_t *f;

	new_cert(fx, "svc.example.com", 0, 0, thumb);
	assert_int_equal(count_events(fx->st, CK_EV_SERVICES_CHANGED), 0);

	assert_int_equal(ck_services_change(fx->st, thumb, CK_SVC_IIS, true, out, &before, &after),
			 CK_OK);
	assert_string_equal(out, thumb);
	assert_int_equal(before, SVC_IPS);
	assert_int_equal(after, SVC_IPWS);
	assert_int_equal(count_events(fx->st, CK_EV_SERVICES_CHANGED), 1);
	f = last_event_fields(fx->st, CK_EV_SERVICES_CHANGED);
	assert_field(f, "Thumbprint", thumb);
	assert_field(f, "OldServices", "IP..S");
	assert_field(f, "NewServices", "IP.WS");
	json_decref(f);

	/* enable never removes: asking for SMTP alone keeps the others. */
	assert_int_equal(ck_services_change(fx->st, thumb, CK_SVC_SMTP, true, out, &before, &after),
			 CK_OK);
	assert_int_equal(before, SVC_IPWS);
	assert_int_equal(after, SVC_IPWS);
	assert_int_equal(count_events(fx->st, CK_EV_SERVICES_CHANGED), 1); /* nothing changed */

	assert_int_equal(ck_services_change(fx->st, thumb, CK_SVC_IMAP | CK_SVC_POP, false, out,
					    &before, &after),
			 CK_OK);
	assert_int_equal(before, SVC_IPWS);
	assert_int_equal(after, CK_SVC_IIS | CK_SVC_SMTP);
	assert_int_equal(count_events(fx->st, CK_EV_SERVICES_CHANGED), 2);
	find_cert(fx, thumb, &c);
	assert_int_equal(c.services, CK_SVC_IIS | CK_SVC_SMTP);
	store_cert_clear(&c);

	/* Disabling what is not enabled changes nothing. */
	assert_int_equal(ck_services_change(fx->st, thumb, CK_SVC_UM, false, out, &before, &after),
			 CK_OK);
	assert_int_equal(after, before);
	assert_int_equal(count_events(fx->st, CK_EV_SERVICES_CHANGED), 2);

	assert_int_equal(ck_services_change(fx->st, "ABCDEF0123", CK_SVC_IIS, true, out, &before,
					    &after),
			 CK_ENOTFOUND);
}

/* ---- clone ---- */

static void test_clone(void **state)
{
	struct fx *fx = *state;
	struct store_cert old, fresh;
	char thumb[41], new_thumb[41], old_thumb[41], *v = NULL;
	const int64_t later = NOW + 100 * DAY;
	size_t i;
	json_t *f;

	init_mx1(fx, thumb);
	ck_clock_set(later);
	assert_int_equal(ck_clone(fx->st, thumb, 0, new_thumb, old_thumb), CK_OK);
	assert_string_equal(old_thumb, thumb);
	assert_string_not_equal(new_thumb, thumb);
	assert_int_equal(count_certs(fx->st), 2);

	find_cert(fx, thumb, &old);
	find_cert(fx, new_thumb, &fresh);
	assert_string_equal(old.replaced_by, new_thumb);
	assert_string_equal(fresh.replaced_by, "");
	assert_string_equal(fresh.subject, old.subject);
	assert_int_equal(fresh.n_domains, old.n_domains);
	for (i = 0; i < old.n_domains; i++)
		assert_string_equal(fresh.domains[i], old.domains[i]);
	assert_int_equal(fresh.services, old.services);
	assert_string_equal(fresh.key_type, old.key_type);
	assert_string_not_equal(fresh.key_id, old.key_id);
	assert_true(fresh.self_signed);
	assert_true(fresh.has_key);
	assert_true(old.has_key); /* the old one keeps its key */
	assert_int_equal(fresh.not_before, later);
	assert_int_equal(fresh.not_after - fresh.not_before, old.not_after - old.not_before);
	assert_true(key_file_exists(fx, fresh.key_id));
	assert_true(key_file_exists(fx, old.key_id));
	store_cert_clear(&old);
	store_cert_clear(&fresh);

	assert_int_equal(count_events(fx->st, CK_EV_CERT_INSTALLED), 2);
	f = last_event_fields(fx->st, CK_EV_CERT_INSTALLED);
	assert_field(f, "Thumbprint", new_thumb);
	assert_field(f, "Action", "clone");
	json_decref(f);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_REPLACED), 1);
	f = last_event_fields(fx->st, CK_EV_CERT_REPLACED);
	assert_field(f, "OldThumbprint", thumb);
	assert_field(f, "NewThumbprint", new_thumb);
	json_decref(f);

	/* The host's certificate moves to its renewal. */
	assert_int_equal(store_config_get(fx->st, "host.certificate", &v), CK_OK);
	assert_string_equal(v, new_thumb);
	free(v);
}

static void test_clone_days_and_other_certs(void **state)
{
	struct fx *fx = *state;
	struct store_cert c;
	char host[41], web[41], new_thumb[41], old_thumb[41], *v = NULL;

	init_mx1(fx, host);
	new_cert(fx, "web.example.com", CK_SVC_IIS, 30, web);
	assert_int_equal(ck_clone(fx->st, web, 10, new_thumb, old_thumb), CK_OK);
	find_cert(fx, new_thumb, &c);
	assert_int_equal(c.not_after - c.not_before, 10 * DAY);
	assert_int_equal(c.services, CK_SVC_IIS);
	store_cert_clear(&c);
	/* Not the host's certificate: host.certificate stays. */
	assert_int_equal(store_config_get(fx->st, "host.certificate", &v), CK_OK);
	assert_string_equal(v, host);
	free(v);

	/* Clone of a clone, with the old length (10 days). */
	assert_int_equal(ck_clone(fx->st, new_thumb, 0, web, old_thumb), CK_OK);
	find_cert(fx, web, &c);
	assert_int_equal(c.not_after - c.not_before, 10 * DAY);
	store_cert_clear(&c);
}

static void test_clone_refusals(void **state)
{
	struct fx *fx = *state;
	char issued[41], self[41], new_thumb[41], old_thumb[41];
	struct snap before;

	issue_via_request(fx, CK_SVC_SMTP, issued);
	new_cert(fx, "self.example.com", 0, 0, self);
	before = snap_take(fx);
	assert_int_equal(ck_clone(fx->st, issued, 0, new_thumb, old_thumb), CK_EINVAL);
	assert_int_equal(ck_clone(fx->st, self, -1, new_thumb, old_thumb), CK_EINVAL);
	assert_int_equal(ck_clone(fx->st, self, CK_MAX_DAYS + 1, new_thumb, old_thumb),
			 CK_EINVAL);
	assert_int_equal(ck_clone(fx->st, "0000000000", 0, new_thumb, old_thumb), CK_ENOTFOUND);
	assert_snap(fx, before);
}

/* ---- remove ---- */

static void test_remove(void **state)
{
	struct fx *fx = *state;
	struct store_cert c;
	char thumb[41], removed[41], key_id[65], prefix[9];
	json_t *f;

	new_cert(fx, "gone.example.com", 0, 0, thumb);
	find_cert(fx, thumb, &c);
	snprintf(key_id, sizeof(key_id), "%s", c.key_id);
	store_cert_clear(&c);
	assert_true(key_file_exists(fx, key_id));

	snprintf(prefix, sizeof(prefix), "%.8s", thumb);
	assert_int_equal(ck_remove(fx->st, prefix, removed), CK_OK);
	assert_string_equal(removed, thumb);
	assert_int_equal(store_cert_find(fx->st, thumb, &c), CK_ENOTFOUND);
	assert_false(key_file_exists(fx, key_id));
	assert_false(store_key_exists(fx->st, key_id));
	assert_int_equal(key_files(fx), 0);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_DELETED), 1);
	f = last_event_fields(fx->st, CK_EV_CERT_DELETED);
	assert_field(f, "Thumbprint", thumb);
	json_decref(f);

	assert_int_equal(ck_remove(fx->st, thumb, removed), CK_ENOTFOUND);
	assert_int_equal(count_events(fx->st, CK_EV_CERT_DELETED), 1);
}

static void test_remove_keeps_shared_key(void **state)
{
	struct fx *fx = *state;
	struct pki_key *key = NULL;
	char *a_pem, *b_pem, *key_pem = NULL, a[41], b[41], removed[41], key_id[65];
	size_t a_len, b_len, key_len = 0;
	struct ck_import_opts o = { 0 };
	bool joined;

	assert_int_equal(pki_key_generate("ec:P-256", &key), CK_OK);
	pki_key_id(key, key_id);
	a_pem = selfsigned_pem(key, "a.example.com", &a_len);
	b_pem = selfsigned_pem(key, "b.example.com", &b_len);
	assert_int_equal(pki_key_to_pem(key, &key_pem, &key_len), CK_OK);
	o.key = (const uint8_t *)key_pem;
	o.key_len = key_len;
	o.cert = (const uint8_t *)a_pem;
	o.cert_len = a_len;
	assert_int_equal(ck_import(fx->st, &o, a, &joined), CK_OK);
	o.cert = (const uint8_t *)b_pem;
	o.cert_len = b_len;
	assert_int_equal(ck_import(fx->st, &o, b, &joined), CK_OK);
	assert_int_equal(key_files(fx), 1);

	assert_int_equal(ck_remove(fx->st, a, removed), CK_OK);
	assert_true(store_key_exists(fx->st, key_id)); /* b still uses it */
	assert_true(key_file_exists(fx, key_id));
	assert_int_equal(ck_remove(fx->st, b, removed), CK_OK);
	assert_false(store_key_exists(fx->st, key_id));
	assert_false(key_file_exists(fx, key_id));

	free(a_pem);
	free(b_pem);
	ck_free_secret(key_pem, key_len);
	pki_key_free(key);
}

static void test_remove_pending_request(void **state)
{
	struct fx *fx = *state;
	struct store_request r;
	char thumb[41], removed[41], key_id[65];
	json_t *f;

	new_request(fx, "www.example.org", 0, "req.pem", thumb);
	assert_int_equal(store_request_find(fx->st, thumb, &r), CK_OK);
	snprintf(key_id, sizeof(key_id), "%s", r.key_id);
	store_request_clear(&r);

	assert_int_equal(ck_remove(fx->st, thumb, removed), CK_OK);
	assert_string_equal(removed, thumb);
	assert_int_equal(count_requests(fx->st), 0);
	assert_false(key_file_exists(fx, key_id));
	assert_int_equal(key_files(fx), 0);
	f = last_event_fields(fx->st, CK_EV_CERT_DELETED);
	assert_field(f, "Thumbprint", thumb);
	assert_true(json_is_true(json_object_get(f, "PendingRequest")));
	json_decref(f);
}

/* ---- status, show, list ---- */

static void test_status(void **state)
{
	struct fx *fx = *state;
	struct store_cert c;
	char thumb[41];

	new_cert(fx, "status.example.com", 0, 30, thumb);
	find_cert(fx, thumb, &c);
	assert_int_equal(ck_cert_status(fx->st, &c, ck_now()), CK_STATUS_UNTRUSTED);
	assert_string_equal(ck_status_name(CK_STATUS_UNTRUSTED), "Untrusted");
	ck_clock_set(c.not_after + 1);
	assert_int_equal(ck_cert_status(fx->st, &c, ck_now()), CK_STATUS_DATE_INVALID);
	ck_clock_set(c.not_before - 1);
	assert_int_equal(ck_cert_status(fx->st, &c, ck_now()), CK_STATUS_DATE_INVALID);
	ck_clock_set(c.not_after);
	assert_int_equal(ck_cert_status(fx->st, &c, ck_now()), CK_STATUS_UNTRUSTED);
	assert_string_equal(ck_status_name(CK_STATUS_DATE_INVALID), "DateInvalid");
	store_cert_clear(&c);
}

static void test_show(void **state)
{
	struct fx *fx = *state;
	char thumb[41], req[41], prefix[9];
	json_t *o = NULL;
	json_t *domains;

	init_mx1(fx, thumb);
	snprintf(prefix, sizeof(prefix), "%.8s", thumb);
	assert_int_equal(ck_show(fx->st, prefix, ck_now(), &o), CK_OK);
	assert_non_null(o);
	assert_field(o, "Thumbprint", thumb);
	assert_field(o, "Services", "IP.WS");
	assert_field(o, "Status", "Untrusted");
	assert_field(o, "Subject", "CN=mx1");
	assert_true(json_is_true(json_object_get(o, "HasPrivateKey")));
	assert_true(json_is_true(json_object_get(o, "IsSelfSigned")));
	domains = json_object_get(o, "CertificateDomains");
	assert_int_equal(json_array_size(domains), 2);
	assert_string_equal(json_string_value(json_array_get(domains, 0)), "mx1");
	json_decref(o);

	ck_clock_set(NOW + 1827 * DAY);
	assert_int_equal(ck_show(fx->st, thumb, ck_now(), &o), CK_OK);
	assert_field(o, "Status", "DateInvalid");
	json_decref(o);
	ck_clock_set(NOW);

	new_request(fx, "www.example.org", 0, "req.pem", req);
	assert_int_equal(ck_show(fx->st, req, ck_now(), &o), CK_OK);
	assert_field(o, "Thumbprint", req);
	assert_field(o, "Status", "PendingRequest");
	json_decref(o);

	o = NULL;
	assert_int_equal(ck_show(fx->st, "0000000000", ck_now(), &o), CK_ENOTFOUND);
	assert_null(o);
}

static void test_list(void **state)
{
	struct fx *fx = *state;
	char a[41], b[41], req[41], wild[41];
	const char *wild_domains[] = { "*.web.example.com" };
	struct ck_new_opts wo = { .domains = wild_domains, .n_domains = 1,
				  .services = CK_SVC_IIS, .services_set = true };
	struct ck_list_opts o = { 0 };
	struct listed l;

	new_cert(fx, "a.example.com", CK_SVC_SMTP, 0, a);
	ck_clock_set(NOW + 10);
	new_cert(fx, "b.example.com", CK_SVC_SMTP | CK_SVC_IIS, 0, b);
	ck_clock_set(NOW + 20);
	assert_int_equal(ck_new(fx->st, &wo, wild), CK_OK);
	new_request(fx, "r.example.com", 0, "req.pem", req);

	/* Newest first, then the pending request. */
	l = list(fx, &o);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.thumbs[0], wild);
	assert_string_equal(l.thumbs[1], b);
	assert_string_equal(l.thumbs[2], a);
	assert_string_equal(l.thumbs[3], req);
	assert_string_equal(l.status[0], "Untrusted");
	assert_string_equal(l.status[3], "PendingRequest");

	o = (struct ck_list_opts){ .domain = "A.Example.Com" };
	l = list(fx, &o);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.thumbs[0], a);
	/* A wildcard for the parent covers one more label. */
	o = (struct ck_list_opts){ .domain = "x.web.example.com" };
	l = list(fx, &o);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.thumbs[0], wild);
	o = (struct ck_list_opts){ .domain = "bad_name" };
	assert_int_equal(ck_list(fx->st, &o, ck_now(), collect_listed, &l), CK_EINVAL);

	o = (struct ck_list_opts){ .services = CK_SVC_IIS };
	l = list(fx, &o);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.thumbs[0], wild);
	assert_string_equal(l.thumbs[1], b);

	o = (struct ck_list_opts){ .thumbprint = req };
	l = list(fx, &o);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.thumbs[0], req);
}

/* ---- events ---- */

struct last_event {
	int id;
	char level[16], source[32], message[128], fields[128];
};

static int keep_event(const struct store_event *ev, void *arg)
{
	struct last_event *e = arg;

	e->id = ev->id;
	snprintf(e->level, sizeof(e->level), "%s", ev->level);
	snprintf(e->source, sizeof(e->source), "%s", ev->source);
	snprintf(e->message, sizeof(e->message), "%s", ev->message);
	snprintf(e->fields, sizeof(e->fields), "%s", ev->fields);
	return 0;
}

static void test_event_emit(void **state)
{
	struct fx *fx = *state;
	struct store_event_filter all = { 0 };
	struct last_event e = { 0 };

	assert_null(ck_event_kind(4242));
	assert_string_equal(ck_event_kind(1001)->name, "CertificateReplaced");
	assert_string_equal(ck_event_kind(1003)->level, "warning");

	/* Outside a transaction: refused (and the fields freed, for LSan). */
	assert_int_not_equal(ck_event_emit(fx->st, CK_EV_CERT_EXPIRED, json_pack("{s:i}", "n", 1),
					   "expired %d", 1),
			     CK_OK);
	assert_int_equal(count_events(fx->st, 0), 0);

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_event_emit(fx->st, 4242, json_pack("{s:i}", "n", 1), "unknown"),
			 CK_ERROR);
	assert_int_equal(ck_event_emit(fx->st, CK_EV_CERT_EXPIRED, json_pack("{s:i}", "n", 2),
					   "rolled back %d", 2),
			 CK_OK);
	ck_rollback(fx->st);
	assert_int_equal(count_events(fx->st, 0), 0);

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_event_emit(fx->st, CK_EV_CERT_EXPIRED,
				       json_pack("{s:s, s:s}", "Thumbprint", "AB", "A", "z"),
				       "certificate %s expired", "AB"),
			 CK_OK);
	assert_int_equal(ck_commit(fx->st), CK_OK);
	assert_int_equal(store_event_each(fx->st, &all, keep_event, &e), CK_OK);
	assert_int_equal(e.id, CK_EV_CERT_EXPIRED);
	assert_string_equal(e.level, "warning");
	assert_string_equal(e.source, "certkeep");
	assert_string_equal(e.message, "certificate AB expired");
	assert_string_equal(e.fields, "{\"A\":\"z\",\"Thumbprint\":\"AB\"}"); /* sorted, compact */
	assert_int_equal(count_events(fx->st, 0), 1);
}

/*
 * Regression (src/core/events.c ck_event_emit): with fields == NULL, which events.h
 * allows, the function serialises a json_object() it creates in place and
 * never releases. The assertions below pass; LeakSanitizer reports the
 * leaked object when build/unit-san/test_certs exits.
 */
static void test_event_emit_without_fields(void **state)
{
	struct fx *fx = *state;
	struct store_event_filter all = { 0 };
	struct last_event e = { 0 };

	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_event_emit(fx->st, CK_EV_CERT_DELETED, NULL, "no fields"), CK_OK);
	assert_int_equal(ck_commit(fx->st), CK_OK);
	assert_int_equal(store_event_each(fx->st, &all, keep_event, &e), CK_OK);
	assert_int_equal(e.id, CK_EV_CERT_DELETED);
	assert_string_equal(e.fields, "{}");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_host_certificate),
		T(test_init_twice),
		T(test_init_after_host_certificate_removed),
		T(test_init_host_without_domain),
		T(test_init_refuses_bad_input),
		T(test_new_normalizes_domains),
		T(test_new_invalid_domain_changes_nothing),
		T(test_new_days),
		T(test_new_request_out),
		T(test_new_request_out_unwritable),
		T(test_new_request_many_domains),
		T(test_new_long_first_domain),
		T(test_import_joins_request),
		T(test_import_mismatching_key),
		T(test_import_garbage),
		T(test_import_without_key),
		T(test_pkcs12_round_trip),
		T(test_export_failed_output),
		T(test_export_pem),
		T(test_export_files),
		T(test_export_unwritable),
		T(test_services_change),
		T(test_clone),
		T(test_clone_days_and_other_certs),
		T(test_clone_refusals),
		T(test_remove),
		T(test_remove_keeps_shared_key),
		T(test_remove_pending_request),
		T(test_status),
		T(test_show),
		T(test_list),
		T(test_event_emit),
		T(test_event_emit_without_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
