/*
 * test_ca.c - unit tests for the certificate authority (src/core/ca.h,
 * src/pki/pki_ca.h, src/store/store_ca.h; DESIGN.md §8).
 *
 * Each test runs on a fresh store in its own mkdtemp directory with the
 * clock fixed at NOW. Requests are made with OpenSSL directly (a test
 * stands in for the requester). Covered: serial numbers (positive, 16
 * octets, unique, a collision retried, exhaustion changing nothing),
 * policy decisions (suffixes, wildcards, key types and sizes, validity
 * cap, default disposition, names that are not DNS names), weak requests
 * (RSA exponents other than 65537, MD5, SHA-1, SHA-224 and RSA-PSS
 * signatures, invalid A-labels) refused and strong ones issued, bad requests
 * (garbage, truncated, bad signature, trailing bytes) changing nothing,
 * approve/deny state rules, revocation reasons and their CRL entries,
 * CRL numbers increasing and CRLs verifying, ck_ca_crl_due, the syslog
 * cap of a large transaction, the service start/stop events,
 * submissions over the CA service's socket, and the limits of its frame
 * reader (a frame's length refused before its bytes arrive, the
 * submission's total, a stalled or cut stream).
 */
#define _GNU_SOURCE /* memfd_create */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/ca/ca-int.h"
#include "core/ca/ca.h"
#include "daemon/ca_service-int.h"
#include "daemon/ca_service.h"
#include "base/fileio.h"
#include "base/clock.h"
#include "core/events/events.h"
#include "pki/pki_ca.h"
#include "store/store_ca.h"
#include "unit_util.h"

#define NOW INT64_C(1795000000) /* 2026-11-18T10:13:20Z */
#define DAY INT64_C(86400)

static int setup(void **state)
{
	struct fx *f = fx_new("ca", NOW);
	struct ck_ca_init_opts o = { .name = "Unit CA" };
	json_t *out = NULL;

	assert_int_equal(ck_ca_init(f->st, &o, &out), CK_OK);
	json_decref(out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	ca_serial_fn = pki_ca_serial_new;
	fx_free(*state);
	return 0;
}

/* ---- requests made by a test requester ---- */

/* A DER CSR for cn (NULL: none) and SAN (openssl.cnf syntax, NULL: none)
 * with key k, signed with digest md (RSA-PSS padding when pss). */
static uint8_t *make_csr_signed(const char *cn, const char *san, EVP_PKEY *k, const EVP_MD *md,
				bool pss, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	assert_non_null(k);
	if (cn)
		assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
						       (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(req, name));
	assert_true(X509_REQ_set_pubkey(req, k));
	if (san) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(e);
		sk_X509_EXTENSION_push(exts, e);
		assert_true(X509_REQ_add_extensions(req, exts));
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md, NULL, k), 1);
	if (pss)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	assert_true(X509_REQ_sign_ctx(req, mctx) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	copy = malloc((size_t)n);
	memcpy(copy, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return copy;
}

/* An RSA key of bits with public exponent e. */
static EVP_PKEY *rsa_key(unsigned bits, unsigned long e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = BN_new();
	EVP_PKEY *k = NULL;

	assert_non_null(ctx);
	assert_true(BN_set_word(bn, e));
	if (e == 0) { /* 2^64 + 1: an exponent of more than 64 bits */
		assert_true(BN_set_word(bn, 1));
		assert_true(BN_set_bit(bn, 64));
	}
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* As make_csr_signed, SHA-256, with a fresh key of type ("ec", "p384",
 * "rsa1024", "rsa2048"). */
static uint8_t *make_csr(const char *cn, const char *san, const char *type, size_t *len)
{
	EVP_PKEY *k = strcmp(type, "ec") == 0	     ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		      : strcmp(type, "p384") == 0    ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")
		      : strcmp(type, "rsa1024") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024)
						     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	uint8_t *der = make_csr_signed(cn, san, k, EVP_sha256(), false, len);

	EVP_PKEY_free(k);
	return der;
}

static int64_t count_requests(struct fx *f, const char *status)
{
	int64_t n = -1;

	assert_int_equal(store_ca_count(f->st, status, &n), CK_OK);
	return n;
}

struct results {
	json_t *items;
};

static int collect(json_t *res, void *arg)
{
	if (res != NULL) /* NULL ends a batch */
		json_array_append(((struct results *)arg)->items, res);
	return 0;
}

/* Submits one DER request; returns its result (new reference) or NULL. */
static json_t *submit(struct fx *f, const uint8_t *der, size_t len, int days, enum ck_err want)
{
	struct ck_ca_input in = { .name = "req.csr", .buf = der, .len = len };
	struct ck_ca_submit_opts o = { .requester = "alice", .email = "alice@example.org",
				       .days = days };
	struct results r = { json_array() };
	json_t *one;

	assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, collect, &r), want);
	one = json_array_get(r.items, 0);
	json_incref(one);
	json_decref(r.items);
	return one;
}

static void set_policy(struct fx *f, const char *suffixes, const char *keys, const char *disp,
		       int max_days)
{
	struct ck_ca_policy_opts o = { .suffixes = suffixes, .key_types = keys,
				       .disposition = disp, .max_days = max_days };

	assert_int_equal(ck_ca_policy_set(f->st, &o), CK_OK);
}

/* ---- serial numbers ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_serials_positive_unique(void **state)
{
	enum { N = 20000 };
	char (*s)[PKI_CA_SERIAL_HEX + 1] = calloc(N, sizeof(*s));
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		assert_int_equal(pki_ca_serial_new(s[i]), CK_OK);
		assert_int_equal(strlen(s[i]), 32);
		/* First octet 01..7F: positive and exactly 16 octets. */
		assert_true(strncmp(s[i], "00", 2) != 0);
		assert_true(s[i][0] >= '0' && s[i][0] <= '7');
	}
	qsort(s, N, sizeof(*s), cmp_str);
	for (i = 1; i < N; i++)
		assert_true(strcmp(s[i - 1], s[i]) != 0);
	free(s);
}

static int fixed_calls;
static enum ck_err fixed_serial(char out[PKI_CA_SERIAL_HEX + 1])
{
	/* The first two calls collide, then fresh ones. */
	if (fixed_calls++ < 2) {
		snprintf(out, PKI_CA_SERIAL_HEX + 1, "%s", "11111111111111111111111111111111");
		return CK_OK;
	}
	return pki_ca_serial_new(out);
}

static enum ck_err stuck_serial(char out[PKI_CA_SERIAL_HEX + 1])
{
	snprintf(out, PKI_CA_SERIAL_HEX + 1, "%s", "11111111111111111111111111111111");
	return CK_OK;
}

static void test_serial_collision_retried(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *a = make_csr("a.example.org", NULL, "ec", &len);
	json_t *r1, *r2, *r3;
	int64_t events;

	fixed_calls = 0;
	ca_serial_fn = fixed_serial;
	r1 = submit(f, a, len, 0, CK_OK);
	r2 = submit(f, a, len, 0, CK_OK);
	assert_string_equal(json_string_value(json_object_get(r1, "SerialNumber")),
			    "11111111111111111111111111111111");
	assert_string_not_equal(json_string_value(json_object_get(r2, "SerialNumber")),
				"11111111111111111111111111111111");
	assert_int_equal(fixed_calls, 3);
	/* A generator that only collides: refused, nothing recorded. */
	ca_serial_fn = stuck_serial;
	events = count_events(f->st, 0);
	r3 = submit(f, a, len, 0, CK_ECRYPTO);
	assert_null(r3);
	assert_int_equal(count_events(f->st, 0), events);
	assert_int_equal(count_requests(f, NULL), 2);
	json_decref(r1);
	json_decref(r2);
	free(a);
}

/* ---- policy ---- */

static void test_policy_decisions(void **state)
{
	struct fx *f = *state;
	struct {
		const char *cn, *san, *key, *suffixes, *keys, *disp;
		int max_days, days;
		enum ck_err want;
		const char *disposition; /* when issued/pending */
		int want_days;
	} rows[] = {
		{ "www.example.org", "DNS:www.example.org,DNS:API.example.org", "ec", "example.org",
		  NULL, "issue", 825, 0, CK_OK, "Issued", 365 },
		{ "www.example.org", NULL, "ec", "example.com", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "www.example.org", "DNS:evil.example.com", "ec", "example.org", NULL, "issue", 825,
		  0, CK_EINVAL, NULL, 0 },
		{ NULL, "DNS:*.web.example.org", "ec", "example.org", NULL, "issue", 825, 0, CK_OK,
		  "Issued", 365 },
		{ "notexample.org", NULL, "ec", "example.org", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a.example.org", NULL, "rsa1024", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a.example.org", NULL, "rsa2048", "", NULL, "issue", 825, 0, CK_OK, "Issued", 365 },
		{ "a.example.org", NULL, "rsa2048", "", "rsa:3072,ec:P-256", "issue", 825, 0,
		  CK_EINVAL, NULL, 0 },
		{ "a.example.org", NULL, "p384", "", "ec:P-256", "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a.example.org", NULL, "p384", "", NULL, "issue", 825, 0, CK_OK, "Issued", 365 },
		{ "a.example.org", NULL, "ec", "", NULL, "issue", 90, 400, CK_OK, "Issued", 90 },
		{ "a.example.org", NULL, "ec", "", NULL, "pending", 825, 30, CK_OK, "Pending", 0 },
		{ "a.example.org", "IP:127.0.0.1", "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a.example.org", "email:x@example.org", "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a\nb.example.org", NULL, "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "a..example.org", NULL, "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ "John Doe", NULL, "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
		{ NULL, NULL, "ec", "", NULL, "issue", 825, 0, CK_EINVAL, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		uint8_t *der = make_csr(rows[i].cn, rows[i].san, rows[i].key, &len);
		int64_t events, reqs;
		json_t *r;

		set_policy(f, rows[i].suffixes, rows[i].keys ? rows[i].keys : "ec:P-256,ec:P-384,rsa",
			   rows[i].disp, rows[i].max_days);
		events = count_events(f->st, 0);
		reqs = count_requests(f, NULL);
		r = submit(f, der, len, rows[i].days, rows[i].want);
		if (rows[i].want != CK_OK) {
			/* Refused by the policy: recorded as denied, with 1103 and
			 * the reason (AD CS's denial on receipt). */
			assert_non_null(r);
			assert_string_equal(json_string_value(json_object_get(r, "Disposition")),
					    "Denied");
			assert_non_null(strstr(ck_errmsg(), json_string_value(json_object_get(
								    r, "DispositionMessage"))));
			assert_null(json_object_get(r, "SerialNumber"));
			assert_int_equal(count_events(f->st, CK_EV_CA_CERT_DENIED),
					 count_requests(f, "denied"));
			assert_int_equal(count_events(f->st, 0), events + 1);
			assert_int_equal(count_requests(f, NULL), reqs + 1);
		} else {
			assert_non_null(r);
			assert_string_equal(json_string_value(json_object_get(r, "Disposition")),
					    rows[i].disposition);
			assert_int_equal(count_events(f->st, 0), events + 1);
			if (rows[i].want_days) {
				int64_t nb, na;

				assert_int_equal(ck_time_parse(json_string_value(json_object_get(
								       r, "NotBefore")),
							       &nb),
						 CK_OK);
				assert_int_equal(ck_time_parse(json_string_value(json_object_get(
								       r, "NotAfter")),
							       &na),
						 CK_OK);
				assert_int_equal((na - nb) / DAY, rows[i].want_days);
			}
		}
		json_decref(r);
		free(der);
	}
}

static void test_policy_names_normalised(void **state)
{
	struct ck_ca_policy p = { .max_days = 825 };
	struct pki_csr_info info = { 0 };
	struct ck_ca_decision d;
	char *dns[] = { (char *)"API.Example.ORG", (char *)"www.example.org" };
	char *types[] = { (char *)"ec:P-256" };

	(void)state;
	p.key_types = types;
	p.n_key_types = 1;
	info.cn = (char *)"www.example.org";
	info.dns = dns;
	info.n_dns = 2;
	snprintf(info.key_type, sizeof(info.key_type), "ec:P-256");
	info.key_ec = true;
	assert_int_equal(ck_ca_policy_decide(&p, &info, 0, &d), CK_OK);
	/* CN first, lower case, the duplicate dropped. */
	assert_int_equal(d.n_dns, 2);
	assert_string_equal(d.dns[0], "www.example.org");
	assert_string_equal(d.dns[1], "api.example.org");
	assert_string_equal(d.cn, "www.example.org");
	ck_ca_decision_clear(&d);
	info.bad_string = true; /* a NUL inside a name */
	assert_int_equal(ck_ca_policy_decide(&p, &info, 0, &d), CK_EINVAL);
}

/* Weak requests are refused whatever the policy, with a message naming
 * the file and the weakness, and leave no trace; their strong
 * counterparts issue. */
static void test_weak_requests_refused(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = rsa_key(2048, 65537), *e3 = rsa_key(2048, 3), *e17 = rsa_key(2048, 17);
	EVP_PKEY *ebig = rsa_key(2048, 0);
	struct {
		const char *cn, *san;
		EVP_PKEY *key;
		const EVP_MD *md;
		bool pss;
		const char *why; /* NULL: issued */
		bool denied;     /* well-formed, refused by the policy: recorded */
	} rows[] = {
		{ "a.example.org", NULL, e3, EVP_sha256(), false,
		  "weak key: RSA public exponent 3 (only 65537 is accepted)", true },
		{ "a.example.org", NULL, e17, EVP_sha256(), false, "RSA public exponent 17 ", true },
		{ "a.example.org", NULL, ebig, EVP_sha256(), false,
		  "RSA public exponent of 64 bits or more", true },
		{ "a.example.org", NULL, rsa, EVP_sha1(), false,
		  "signed with SHA1 (sha1WithRSAEncryption)", false },
		{ "a.example.org", NULL, rsa, EVP_md5(), false,
		  "signed with MD5 (md5WithRSAEncryption)", false },
		{ "a.example.org", NULL, rsa, EVP_sha224(), false, "signed with SHA224", false },
		{ "a.example.org", NULL, ec, EVP_sha1(), false,
		  "signed with SHA1 (ecdsa-with-SHA1)", false },
		{ "a.example.org", NULL, rsa, EVP_sha256(), true,
		  "unsupported signature algorithm rsassaPss", false },
		{ "xn--zz.example.org", NULL, ec, EVP_sha256(), false,
		  "the request's CN: invalid domain name 'xn--zz.example.org': 'xn--zz' is not "
		  "a valid IDNA2008 A-label", true },
		{ "a.example.org", "DNS:a.example.org,DNS:xn--ls8h.example.org", ec, EVP_sha256(),
		  false, "'xn--ls8h' is not a valid IDNA2008 A-label", true },
		{ "a.example.org", NULL, rsa, EVP_sha256(), false, NULL, false },
		{ "a.example.org", NULL, rsa, EVP_sha512(), false, NULL, false },
		{ "a.example.org", NULL, ec, EVP_sha384(), false, NULL, false },
		{ "a.example.org", NULL, p384, EVP_sha512(), false, NULL, false },
		{ "xn--mnchen-3ya.example.org", "DNS:XN--Bcher-KVA.example.org", ec, EVP_sha256(),
		  false, NULL, false },
	};
	struct ck_ca_submit_opts o = { .requester = "alice" };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		uint8_t *der = make_csr_signed(rows[i].cn, rows[i].san, rows[i].key, rows[i].md,
					       rows[i].pss, &len);
		struct ck_ca_input in = { .name = "weak.csr", .buf = der, .len = len };
		int64_t events = count_events(f->st, 0), reqs = count_requests(f, NULL);

		if (rows[i].why == NULL) {
			if (ck_ca_submit(f->st, &in, 1, &o, NULL, NULL) != CK_OK)
				fail_msg("row %zu refused: %s", i, ck_errmsg());
			assert_int_equal(count_requests(f, NULL), reqs + 1);
		} else {
			assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, NULL, NULL), CK_EINVAL);
			if (strncmp(ck_errmsg(), "weak.csr: ", 10) != 0 ||
			    strstr(ck_errmsg(), rows[i].why) == NULL)
				fail_msg("row %zu: expected \"weak.csr: ...%s\" in \"%s\"", i,
					 rows[i].why, ck_errmsg());
			/* A weak signature is no valid request: nothing recorded. */
			assert_int_equal(count_events(f->st, 0), events + rows[i].denied);
			assert_int_equal(count_requests(f, NULL), reqs + rows[i].denied);
			assert_int_equal(count_requests(f, "denied"),
					 count_events(f->st, CK_EV_CA_CERT_DENIED));
		}
		free(der);
	}
	/* The IDN is issued under its A-labels, lower case. */
	{
		struct store_ca_request r;

		assert_int_equal(count_requests(f, "denied"), 5);
		assert_int_equal(store_ca_get_by_id(f->st, count_requests(f, NULL), &r), CK_OK);
		assert_string_equal(r.subject, "CN=xn--mnchen-3ya.example.org");
		store_ca_request_clear(&r);
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(e3);
	EVP_PKEY_free(e17);
	EVP_PKEY_free(ebig);
}

/* ---- bad requests ---- */

static void test_bad_requests_change_nothing(void **state)
{
	struct fx *f = *state;
	size_t len, i;
	uint8_t *good = make_csr("a.example.org", NULL, "ec", &len);
	uint8_t *bad = malloc(len + 4);
	int64_t events = count_events(f->st, 0);
	struct {
		size_t len;
		int corrupt; /* 0 none, 1 last byte (signature), 2 trailing bytes */
	} cases[] = { { 0, 0 }, { 10, 0 }, { 0, 1 }, { 0, 2 }, { 0, 3 } };

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].len ? cases[i].len : len;
		json_t *r;

		memcpy(bad, good, len);
		if (cases[i].corrupt == 1)
			bad[len - 5] ^= 0x55; /* inside the signature value */
		if (cases[i].corrupt == 2) {
			memcpy(bad + len, "JUNK", 4);
			n = len + 4;
		}
		if (cases[i].corrupt == 3)
			memset(bad, 'A', len); /* garbage */
		if (i == 0)
			n = 0; /* empty */
		r = submit(f, bad, n, 0, CK_EINVAL);
		assert_null(r);
	}
	assert_int_equal(count_events(f->st, 0), events);
	assert_int_equal(count_requests(f, NULL), 0);
	/* One bad request among good ones refuses them all. */
	{
		struct ck_ca_input in[2] = { { "good.csr", good, len }, { "bad.csr", bad, 10 } };
		struct ck_ca_submit_opts o = { .requester = "bob" };

		assert_int_equal(ck_ca_submit(f->st, in, 2, &o, NULL, NULL), CK_EINVAL);
		assert_non_null(strstr(ck_errmsg(), "bad.csr"));
		assert_int_equal(count_requests(f, NULL), 0);
	}
	free(good);
	free(bad);
}

/* A thread verifies request after request with one key per curve whose
 * point changes: each must be checked against its own key. */
static void test_requests_verified_in_turn(void **state)
{
	size_t la, lb, lc, i;
	uint8_t *a = make_csr("a.example.org", NULL, "ec", &la);
	uint8_t *b = make_csr("b.example.org", NULL, "ec", &lb);
	uint8_t *c = make_csr("c.example.org", NULL, "p384", &lc);
	uint8_t *b_bad = malloc(lb);
	struct {
		const uint8_t *der;
		size_t len;
		enum ck_err want;
	} seq[] = {
		{ a, la, CK_OK },	 { b, lb, CK_OK }, { b_bad, lb, CK_EINVAL }, { a, la, CK_OK },
		{ c, lc, CK_OK },	 { b, lb, CK_OK }, { b_bad, lb, CK_EINVAL }, { c, lc, CK_OK },
	};

	(void)state;
	memcpy(b_bad, b, lb);
	b_bad[lb - 5] ^= 0x55; /* inside the signature value */
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct pki_csr *csr = NULL;

		if (pki_csr_parse(seq[i].der, seq[i].len, &csr) != seq[i].want)
			fail_msg("request %zu: %s", i, ck_errmsg());
		pki_csr_free(csr);
	}
	free(a);
	free(b);
	free(c);
	free(b_bad);
}

static void test_bulk_one_bad_refuses_all(void **state)
{
	struct fx *f = *state;
	enum { N = 600, BAD = 437 };
	struct ck_ca_input *in = calloc(N, sizeof(*in));
	struct ck_ca_submit_opts o = { .requester = "bulk" };
	size_t len, bad_len, i;
	uint8_t *der = make_csr("ok.example.org", NULL, "ec", &len);
	uint8_t *bad = make_csr("bad.example.org", NULL, "ec", &bad_len);
	char names[N][16];

	/* Not a request: its signature (the DER's last bytes) fails. */
	bad[bad_len - 6] ^= 0x01;
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu.csr", i);
		in[i] = i == BAD ? (struct ck_ca_input){ names[i], bad, bad_len }
				 : (struct ck_ca_input){ names[i], der, len };
	}
	/* Checked in parallel; the refused one is named, nothing recorded. */
	assert_int_equal(ck_ca_submit(f->st, in, N, &o, NULL, NULL), CK_EINVAL);
	assert_non_null(strstr(ck_errmsg(), "r437.csr"));
	assert_int_equal(count_requests(f, NULL), 0);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_ISSUED), 0);
	free(in);
	free(der);
	free(bad);
}

/* A request the policy refuses, among many: it is recorded as denied with
 * 1103, every other one is issued, and the call still fails naming it. */
static void test_bulk_policy_denial_recorded(void **state)
{
	struct fx *f = *state;
	enum { N = 600, BAD = 437 };
	struct ck_ca_input *in = calloc(N, sizeof(*in));
	struct ck_ca_submit_opts o = { .requester = "bulk", .email = "bulk@example.org" };
	struct results r = { json_array() };
	struct store_ca_request req;
	size_t len, bad_len, i;
	uint8_t *der = make_csr("ok.example.org", NULL, "ec", &len);
	uint8_t *bad = make_csr("www.evil.test", NULL, "ec", &bad_len);
	char names[N][16];

	set_policy(f, "example.org", NULL, NULL, 0);
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu.csr", i);
		in[i] = i == BAD ? (struct ck_ca_input){ names[i], bad, bad_len }
				 : (struct ck_ca_input){ names[i], der, len };
	}
	assert_int_equal(ck_ca_submit(f->st, in, N, &o, collect, &r), CK_EINVAL);
	assert_non_null(strstr(ck_errmsg(), "r437.csr: denied by policy: www.evil.test"));
	assert_int_equal(count_requests(f, "issued"), N - 1);
	assert_int_equal(count_requests(f, "denied"), 1);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_ISSUED), N - 1);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_DENIED), 1);
	assert_int_equal(json_array_size(r.items), N);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r.items, BAD),
							       "Disposition")),
			    "Denied");
	/* In input order: the denied one has its place among the ids. */
	assert_int_equal(store_ca_get_by_id(f->st, BAD + 1, &req), CK_OK);
	assert_string_equal(req.status, "denied");
	assert_string_equal(req.subject, "CN=www.evil.test");
	assert_string_equal(req.email, "bulk@example.org");
	assert_non_null(strstr(req.message, "not under an allowed suffix"));
	assert_true(req.resolved > 0);
	store_ca_request_clear(&req);
	json_decref(r.items);
	free(in);
	free(der);
	free(bad);
}

static void test_submitter_checked(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *der = make_csr("a.example.org", NULL, "ec", &len);
	struct ck_ca_input in = { "a.csr", der, len };
	struct ck_ca_submit_opts o = { .requester = "bob\r\nBcc: x@evil" };

	assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, NULL, NULL), CK_EINVAL);
	o.requester = "bob";
	o.email = "bob@example.org\r\nBcc: x@evil.example";
	assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, NULL, NULL), CK_EINVAL);
	o.email = "bob..smith@example.org"; /* the exit module could not mail it */
	assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, NULL, NULL), CK_EINVAL);
	o.email = "bob@example.org";
	assert_int_equal(ck_ca_submit(f->st, &in, 1, &o, NULL, NULL), CK_OK);
	assert_int_equal(count_requests(f, NULL), 1);
	free(der);
}

/* ---- approve, deny ---- */

static void test_approve_deny(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *der = make_csr("p.example.org", NULL, "ec", &len);
	json_t *r1, *r2, *out = NULL;
	int64_t id1, id2;

	set_policy(f, NULL, NULL, "pending", 0);
	r1 = submit(f, der, len, 0, CK_OK);
	r2 = submit(f, der, len, 0, CK_OK);
	id1 = json_integer_value(json_object_get(r1, "RequestID"));
	id2 = json_integer_value(json_object_get(r2, "RequestID"));
	assert_int_equal(count_requests(f, "pending"), 2);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_PENDING), 2);
	assert_int_equal(ck_ca_approve(f->st, id1, &out), CK_OK);
	assert_string_equal(json_string_value(json_object_get(out, "Disposition")), "Issued");
	assert_non_null(json_object_get(out, "RawCertificate"));
	json_decref(out);
	out = NULL;
	assert_int_equal(ck_ca_deny(f->st, id2, "no such host", &out), CK_OK);
	assert_non_null(strstr(json_string_value(json_object_get(out, "DispositionMessage")),
			       "no such host"));
	json_decref(out);
	out = NULL;
	/* Approving a denied or an issued request, or an unknown one: refused. */
	assert_int_equal(ck_ca_approve(f->st, id2, &out), CK_EINVAL);
	assert_int_equal(ck_ca_approve(f->st, id1, &out), CK_EINVAL);
	assert_int_equal(ck_ca_deny(f->st, id1, NULL, &out), CK_EINVAL);
	assert_int_equal(ck_ca_approve(f->st, 999, &out), CK_ENOTFOUND);
	assert_null(out);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_ISSUED), 1);
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_DENIED), 1);
	json_decref(r1);
	json_decref(r2);
	free(der);
}

/* ---- revocation and CRLs ---- */

static X509_CRL *make_crl(struct fx *f, int64_t *number)
{
	struct ck_ca_crl_opts o = { 0 };
	json_t *out = NULL;
	char *pem = NULL;
	BIO *bio;
	X509_CRL *crl;

	assert_int_equal(ck_ca_crl(f->st, &o, &out, &pem), CK_OK);
	*number = json_integer_value(json_object_get(out, "CRLNumber"));
	json_decref(out);
	bio = BIO_new_mem_buf(pem, -1);
	crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	assert_non_null(crl);
	BIO_free(bio);
	free(pem);
	return crl;
}

static EVP_PKEY *ca_pubkey(struct fx *f)
{
	struct store_ca_state s;
	const unsigned char *p;
	X509 *x;
	EVP_PKEY *k;

	assert_int_equal(store_ca_state_get(f->st, &s), CK_OK);
	p = s.cert;
	x = d2i_X509(NULL, &p, (long)s.cert_len);
	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	store_ca_state_clear(&s);
	return k;
}

static void test_revocation_reasons_in_crl(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "unspecified",	   "keyCompromise",
					     "cACompromise",	   "affiliationChanged",
					     "superseded",	   "cessationOfOperation",
					     "certificateHold",	   "privilegeWithdrawn",
					     "aACompromise" };
	static const int codes[] = { 0, 1, 2, 3, 4, 5, 6, 9, 10 };
	char serials[9][41];
	EVP_PKEY *pub = ca_pubkey(f);
	X509_CRL *crl;
	int64_t number, events;
	size_t len, i;
	uint8_t *der = make_csr("r.example.org", NULL, "ec", &len);
	json_t *out = NULL;

	for (i = 0; i < 9; i++) {
		json_t *r = submit(f, der, len, 0, CK_OK);

		snprintf(serials[i], sizeof(serials[i]), "%s",
			 json_string_value(json_object_get(r, "SerialNumber")));
		json_decref(r);
		assert_int_equal(ck_ca_revoke(f->st, serials[i], names[i], &out), CK_OK);
		assert_string_equal(json_string_value(json_object_get(out, "RevokedReason")), names[i]);
		json_decref(out);
		out = NULL;
	}
	assert_int_equal(count_requests(f, "revoked"), 9);
	events = count_events(f->st, 0);
	/* Refused, changing nothing: unknown reason, double revocation, an
	 * unknown serial, unrevoking what is not on hold. */
	assert_int_equal(ck_ca_revoke(f->st, serials[0], "removeFromCRL", &out), CK_EUSAGE);
	assert_int_equal(ck_ca_revoke(f->st, serials[1], "keyCompromise", &out), CK_EINVAL);
	assert_int_equal(ck_ca_revoke(f->st, serials[6], "certificateHold", &out), CK_EINVAL);
	assert_int_equal(ck_ca_revoke(f->st, "DEADBEEF", "keyCompromise", &out), CK_ENOTFOUND);
	assert_int_equal(ck_ca_unrevoke(f->st, serials[1], &out), CK_EINVAL);
	assert_int_equal(ck_ca_unrevoke(f->st, "zz", &out), CK_EINVAL);
	assert_null(out);
	assert_int_equal(count_events(f->st, 0), events);

	crl = make_crl(f, &number);
	assert_int_equal(number, 1);
	assert_int_equal(X509_CRL_verify(crl, pub), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 9);
	for (i = 0; i < 9; i++) {
		X509_REVOKED *rv = NULL;
		ASN1_INTEGER *sn = NULL;
		BIGNUM *bn = NULL;
		ASN1_ENUMERATED *reason;

		assert_true(BN_hex2bn(&bn, serials[i]) > 0);
		sn = BN_to_ASN1_INTEGER(bn, NULL);
		assert_int_equal(X509_CRL_get0_by_serial(crl, &rv, sn), 1);
		reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL);
		if (codes[i] == 0) {
			assert_null(reason); /* RFC 5280: omitted for unspecified */
		} else {
			assert_non_null(reason);
			assert_int_equal(ASN1_ENUMERATED_get(reason), codes[i]);
		}
		ASN1_ENUMERATED_free(reason);
		ASN1_INTEGER_free(sn);
		BN_free(bn);
	}
	X509_CRL_free(crl);

	/* A hold taken back leaves the next CRL; one made permanent stays. */
	assert_int_equal(ck_ca_unrevoke(f->st, serials[6], &out), CK_OK);
	json_decref(out);
	out = NULL;
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_UNREVOKED), 1);
	crl = make_crl(f, &number);
	assert_int_equal(number, 2);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 8);
	X509_CRL_free(crl);
	assert_int_equal(ck_ca_revoke(f->st, serials[6], "certificateHold", &out), CK_OK);
	json_decref(out);
	out = NULL;
	assert_int_equal(ck_ca_revoke(f->st, serials[6], "keyCompromise", &out), CK_OK);
	json_decref(out);
	assert_int_equal(count_events(f->st, CK_EV_CA_CRL_ISSUED), 2);
	EVP_PKEY_free(pub);
	free(der);
}

static void test_crl_large_sorted_and_numbers_increase(void **state)
{
	struct fx *f = *state;
	enum { N = 1500 };
	EVP_PKEY *pub = ca_pubkey(f);
	struct ck_ca_input *in = calloc(N, sizeof(*in));
	struct ck_ca_submit_opts o = { .requester = "bulk" };
	struct results r = { json_array() };
	size_t len, i;
	uint8_t *der = make_csr("bulk.example.org", NULL, "ec", &len);
	int64_t number = 0, prev = 0;
	X509_CRL *crl;

	for (i = 0; i < N; i++)
		in[i] = (struct ck_ca_input){ "bulk.csr", der, len };
	assert_int_equal(ck_ca_submit(f->st, in, N, &o, collect, &r), CK_OK);
	assert_int_equal(json_array_size(r.items), N);
	for (i = 0; i < N; i += 2) {
		json_t *out = NULL;

		assert_int_equal(ck_ca_revoke(f->st,
					      json_string_value(json_object_get(
						      json_array_get(r.items, i), "SerialNumber")),
					      "superseded", &out),
				 CK_OK);
		json_decref(out);
	}
	for (i = 0; i < 3; i++) {
		crl = make_crl(f, &number);
		assert_true(number > prev);
		prev = number;
		assert_int_equal(X509_CRL_verify(crl, pub), 1);
		assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), N / 2);
		X509_CRL_free(crl);
	}
	json_decref(r.items);
	free(in);
	free(der);
	EVP_PKEY_free(pub);
}

/* Every 50th serial repeats the first one: signing threads make those
 * certificates ahead, the store refuses them, and the writer makes them
 * again under a new serial. */
static atomic_int bulk_calls;
static enum ck_err every_50th_collides(char out[PKI_CA_SERIAL_HEX + 1])
{
	if (atomic_fetch_add(&bulk_calls, 1) % 50 == 0) {
		snprintf(out, PKI_CA_SERIAL_HEX + 1, "%s", "22222222222222222222222222222222");
		return CK_OK;
	}
	return pki_ca_serial_new(out);
}

static void test_bulk_signed_ahead_in_order(void **state)
{
	struct fx *f = *state;
	enum { N = 700 };
	EVP_PKEY *pub = ca_pubkey(f);
	struct ck_ca_input *in = calloc(N, sizeof(*in));
	struct ck_ca_submit_opts o = { .requester = "bulk" };
	struct results r = { json_array() };
	size_t len, i;
	uint8_t *der = make_csr("ahead.example.org", NULL, "ec", &len);
	json_int_t prev_id = 0;
	const char *when = NULL;

	for (i = 0; i < N; i++)
		in[i] = (struct ck_ca_input){ "ahead.csr", der, len };
	atomic_store(&bulk_calls, 0);
	ca_serial_fn = every_50th_collides;
	assert_int_equal(ck_ca_submit(f->st, in, N, &o, collect, &r), CK_OK);
	assert_int_equal(json_array_size(r.items), N);
	assert_int_equal(count_requests(f, "issued"), N);
	/* Input order, one submission time, every certificate signed by the CA. */
	for (i = 0; i < N; i++) {
		json_t *it = json_array_get(r.items, i);
		const char *pem = json_string_value(json_object_get(it, "RawCertificate"));
		json_int_t id = json_integer_value(json_object_get(it, "RequestID"));
		BIO *bio = BIO_new_mem_buf(pem, -1);
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		assert_true(id > prev_id);
		prev_id = id;
		if (when == NULL)
			when = json_string_value(json_object_get(it, "SubmittedWhen"));
		assert_string_equal(json_string_value(json_object_get(it, "SubmittedWhen")), when);
		assert_non_null(x);
		assert_int_equal(X509_verify(x, pub), 1);
		X509_free(x);
		BIO_free(bio);
	}
	/* The colliding serial was used once; the others were remade. */
	assert_true(atomic_load(&bulk_calls) > N);
	json_decref(r.items);
	free(in);
	free(der);
	EVP_PKEY_free(pub);
}

/* A failure while signing ahead stops the threads and records nothing. */
static void test_bulk_sign_failure_records_nothing(void **state)
{
	struct fx *f = *state;
	enum { N = 400 };
	struct ck_ca_input *in = calloc(N, sizeof(*in));
	struct ck_ca_submit_opts o = { .requester = "bulk" };
	size_t len, i;
	uint8_t *der = make_csr("stuck.example.org", NULL, "ec", &len);
	int64_t events = count_events(f->st, 0);

	for (i = 0; i < N; i++)
		in[i] = (struct ck_ca_input){ "stuck.csr", der, len };
	ca_serial_fn = stuck_serial;
	assert_int_equal(ck_ca_submit(f->st, in, N, &o, NULL, NULL), CK_ECRYPTO);
	assert_int_equal(count_requests(f, NULL), 0);
	assert_int_equal(count_events(f->st, 0), events);
	free(in);
	free(der);
}

/* Entry dates on both sides of 2050 (UTCTime, then GeneralizedTime),
 * each read back by OpenSSL, and a signature over the whole CRL. */
static void test_crl_entry_dates(void **state)
{
	struct fx *f = *state;
	struct pki_ca *ca = NULL;
	struct pki_crl *crl = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_CRL *x;
	EVP_PKEY *pub = ca_pubkey(f);
	static const int64_t when[] = { 0, 1800000000, 2524607999, 2524608000, 4102444800 };
	static const char *const text[] = { "700101000000Z", "270115080000Z", "491231235959Z",
					     "20500101000000Z", "21000101000000Z" };
	char serial[8];
	int i;

	assert_int_equal(ca_load(f->st, &ca), CK_OK);
	assert_int_equal(pki_crl_begin(ca, 7, 1700000000, 1700086400, &crl), CK_OK);
	for (i = 0; i < 5; i++) {
		snprintf(serial, sizeof(serial), "%02X", 0x10 + i);
		assert_int_equal(pki_crl_add(crl, serial, when[i], i % 2), CK_OK);
	}
	assert_int_equal(pki_crl_finish(crl, false, &der, &len), CK_OK);
	p = der;
	x = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	assert_int_equal(X509_CRL_verify(x, pub), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x)), 5);
	for (i = 0; i < 5; i++) {
		const ASN1_TIME *t =
			X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(x), i));

		assert_int_equal(ASN1_STRING_length(t), (int)strlen(text[i]));
		assert_memory_equal(ASN1_STRING_get0_data(t), text[i], strlen(text[i]));
		assert_int_equal(ASN1_STRING_type(t),
				 strlen(text[i]) == 13 ? V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME);
	}
	X509_CRL_free(x);
	free(der);
	pki_crl_free(crl);
	pki_ca_free(ca);
	EVP_PKEY_free(pub);
}

static void test_crl_due(void **state)
{
	struct fx *f = *state;
	struct ck_ca_crl_opts o = { .hours = 100 };
	json_t *out = NULL;
	char *pem = NULL;
	bool due = false;

	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_true(due); /* no CRL yet */
	assert_int_equal(ck_ca_crl(f->st, &o, &out, &pem), CK_OK);
	json_decref(out);
	free(pem);
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_false(due);
	ck_clock_set(NOW + 89 * 3600); /* 11 h before nextUpdate; margin is 10 h */
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_false(due);
	ck_clock_set(NOW + 91 * 3600);
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_true(due);
	/* A CRL valid for an hour is not due again at once, but after half
	 * an hour. */
	o.hours = 1;
	assert_int_equal(ck_ca_crl(f->st, &o, &out, &pem), CK_OK);
	json_decref(out);
	free(pem);
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_false(due);
	ck_clock_set(NOW + 91 * 3600 + 1799);
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_false(due);
	ck_clock_set(NOW + 91 * 3600 + 1800);
	assert_int_equal(ck_ca_crl_due(f->st, &due), CK_OK);
	assert_true(due);
}

static void test_service_events_and_syslog_cap(void **state)
{
	struct fx *f = *state;
	int i;

	int fd;

	assert_int_equal(ck_ca_service_start(f->st, &fd), CK_OK);
	assert_true(fd >= 0);
	assert_int_equal(ck_ca_service_stop(f->st, fd), CK_OK);
	assert_int_equal(count_events(f->st, CK_EV_CA_STARTUP), 1);
	assert_int_equal(count_events(f->st, CK_EV_CA_SHUTDOWN), 1);
	/* More events in one transaction than syslog copies are kept for. */
	assert_int_equal(store_begin(f->st), CK_OK);
	for (i = 0; i < 3 * CK_EVENT_SYSLOG_MAX; i++)
		assert_int_equal(ck_event_emit(f->st, CK_EV_CA_STARTUP, NULL, "burst %d", i), CK_OK);
	assert_int_equal(ck_commit(f->st), CK_OK);
	assert_int_equal(count_events(f->st, CK_EV_CA_STARTUP), 1 + 3 * CK_EVENT_SYSLOG_MAX);
	assert_string_equal(ck_event_kind(1105)->name, "CRLIssued");
	assert_string_equal(ck_event_kind(1110)->name, "CAInitialized");
}

/* ---- the CA service's socket ---- */

struct serve_job {
	const char *dir;
	int listen_fd, served;
};

/* The daemon's side: its own connection, answers n clients. */
static void *serve_clients(void *arg)
{
	struct serve_job *j = arg;
	struct store *st = NULL;
	int i;

	if (store_open(j->dir, false, &st) != CK_OK)
		return NULL;
	for (i = 0; i < 3; i++) {
		int c = accept(j->listen_fd, NULL, NULL);

		if (c < 0)
			break;
		if (ck_ca_service_serve(st, c) == CK_OK)
			j->served++;
		close(c);
	}
	store_close(st);
	return NULL;
}

static void test_service_socket(void **state)
{
	struct fx *f = *state;
	struct serve_job j = { .dir = f->dir };
	struct ck_ca_submit_opts o = { .requester = "unit", .email = "u@example.org", .days = 10 };
	struct ck_ca_input in[2] = { { .name = "a.der" }, { .name = "garbage.der" } };
	char sock[PATH_MAX + 32];
	struct results r = { json_array() };
	json_t *got = r.items;
	struct stat sb;
	pthread_t tid;
	int c, other;

	snprintf(sock, sizeof(sock), "%s/%s", f->dir, CK_CA_SERVICE_SOCKET);
	assert_int_equal(ck_ca_service_connect(f->dir, in, 1), -1); /* none yet */
	/* A socket left by a daemon that died is taken over. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int dead = socket(AF_UNIX, SOCK_STREAM, 0);

		assert_true(strlen(sock) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		assert_int_equal(bind(dead, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(dead);
	}
	assert_int_equal(ck_ca_service_start(f->st, &j.listen_fd), CK_OK);
	assert_true(j.listen_fd >= 0);
	assert_int_equal(stat(sock, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 077, 0);
	/* One that answers is another daemon's. */
	assert_int_equal(ck_ca_service_start(f->st, &other), CK_EEXIST);
	assert_int_equal(other, -1);
	assert_int_equal(pthread_create(&tid, NULL, serve_clients, &j), 0);

	in[0].buf = make_csr("svc.example.org", NULL, "ec", &in[0].len);
	c = ck_ca_service_connect(f->dir, in, 1);
	assert_true(c >= 0);
	assert_int_equal(ck_ca_service_submit(c, in, 1, &o, collect, &r), CK_OK);
	close(c);
	assert_int_equal(json_array_size(got), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "Disposition")),
			    "Issued");
	assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0),
							       "RequesterEmail")),
			    "u@example.org");
	/* A refused submission: its message, nothing issued. */
	in[1].buf = (const uint8_t *)"garbage";
	in[1].len = 7;
	c = ck_ca_service_connect(f->dir, in, 1);
	assert_int_equal(ck_ca_service_submit(c, in, 2, &o, collect, &r), CK_EINVAL);
	close(c);
	assert_non_null(strstr(ck_errmsg(), "garbage.der: not a PKCS#10"));
	assert_int_equal(json_array_size(got), 1);
	/* A file the client cannot read: nothing is sent. */
	in[1].buf = NULL;
	in[1].name = "/nonexistent/x.csr";
	c = ck_ca_service_connect(f->dir, in, 1);
	assert_int_equal(ck_ca_service_submit(c, in, 2, &o, collect, &r), CK_EIO);
	close(c);
	assert_non_null(strstr(ck_errmsg(), "/nonexistent/x.csr"));

	pthread_join(tid, NULL);
	assert_int_equal(j.served, 3); /* the third left quietly, sending nothing */
	assert_int_equal(count_events(f->st, CK_EV_CA_CERT_ISSUED), 1);
	assert_int_equal(ck_ca_service_stop(f->st, j.listen_fd), CK_OK);
	assert_int_not_equal(stat(sock, &sb), 0);
	assert_int_equal(ck_ca_service_connect(f->dir, in, 1), -1);
	free((void *)in[0].buf);
	json_decref(got);
}

static void put_frame(int fd, const void *buf, uint32_t len, uint32_t declared)
{
	uint32_t be = htonl(declared);

	assert_int_equal(write(fd, &be, 4), 4);
	if (len > 0)
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void put_header(int fd, size_t n)
{
	json_t *names = json_array(), *h;
	char *text;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(names, json_string("r.csr"));
	h = json_pack("{s:i,s:s,s:s,s:i,s:o}", "v", 2, "op", "submit", "requester", "u", "days", 1,
		      "names", names);
	text = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	assert_non_null(text);
	put_frame(fd, text, (uint32_t)strlen(text), (uint32_t)strlen(text));
	free(text);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Each frame's length is checked before its bytes are waited for: a
 * stream that only declares a huge frame is refused at once. */
static void test_service_frame_limits(void **state)
{
	struct ck_ca_submission s;
	struct timespec t0;
	uint8_t *mib = calloc(1, CK_INPUT_MAX + 1);
	int sp[2], fd, i;

	(void)state;
	assert_non_null(mib);
	/* A header declared past 8 MiB, with none of its bytes sent. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	put_frame(sp[0], NULL, 0, 8 * 1024 * 1024 + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ck_ca_service_read_submission(sp[1], ck_ca_service_deadline(5000), &s),
			 CK_EINVAL);
	assert_true(elapsed_since(&t0) < 1);
	assert_non_null(strstr(ck_errmsg(), "more than 8388608"));
	ck_ca_submission_clear(&s);
	/* A request declared one byte past CK_INPUT_MAX. */
	put_header(sp[0], 1);
	put_frame(sp[0], NULL, 0, CK_INPUT_MAX + 1);
	assert_int_equal(ck_ca_service_read_submission(sp[1], ck_ca_service_deadline(5000), &s),
			 CK_EINVAL);
	ck_ca_submission_clear(&s);
	/* A stall inside a frame: the deadline, not the peer, ends it. */
	put_header(sp[0], 1);
	put_frame(sp[0], "abc", 3, 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ck_ca_service_read_submission(sp[1], ck_ca_service_deadline(200), &s),
			 CK_ETEMP);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(elapsed_since(&t0) < 2);
	ck_ca_submission_clear(&s);
	/* The stream cut inside a frame: an end, not a wait. */
	put_header(sp[0], 1);
	put_frame(sp[0], "abc", 3, 10);
	close(sp[0]);
	assert_int_equal(ck_ca_service_read_submission(sp[1], ck_ca_service_deadline(5000), &s),
			 CK_ETEMP);
	assert_int_not_equal(errno, ETIMEDOUT);
	ck_ca_submission_clear(&s);
	close(sp[1]);
	/* Frames each within their limit, more than the submission's total
	 * in all: refused at the first one past it, 16 read. */
	fd = memfd_create("frames", 0);
	assert_true(fd >= 0);
	put_header(fd, 20);
	for (i = 0; i < 20; i++)
		put_frame(fd, mib, CK_INPUT_MAX, CK_INPUT_MAX);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ck_ca_service_read_submission(fd, ck_ca_service_deadline(5000), &s),
			 CK_EINVAL);
	assert_non_null(strstr(ck_errmsg(), "more than 16777216 bytes"));
	assert_int_equal(s.got, CK_CA_SERVICE_TOTAL_MAX / CK_INPUT_MAX - 1);
	ck_ca_submission_clear(&s);
	/* Within the limits: read whole, each request's bytes held. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	put_header(fd, 2);
	put_frame(fd, "one", 3, 3);
	put_frame(fd, NULL, 0, 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ck_ca_service_read_submission(fd, ck_ca_service_deadline(5000), &s), CK_OK);
	assert_int_equal(s.got, 2);
	assert_memory_equal(s.in[0].buf, "one", 3);
	assert_non_null(s.in[1].buf);
	assert_int_equal(s.in[1].len, 0);
	assert_string_equal(s.o.requester, "u");
	ck_ca_submission_clear(&s);
	close(fd);
	free(mib);
}

static void test_init_twice_and_key_file(void **state)
{
	struct fx *f = *state;
	struct ck_ca_init_opts o = { .name = "Second" };
	char path[PATH_MAX];
	struct stat sb;
	json_t *out = NULL;

	assert_int_equal(ck_ca_init(f->st, &o, &out), CK_EEXIST);
	assert_null(out);
	store_ca_key_path(f->st, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	o.name = "bad\nname";
	assert_int_equal(ck_ca_init(f->st, &o, &out), CK_EINVAL);
}

static void test_wrong_key_file_refused(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *fp;
	size_t len;
	uint8_t *der = make_csr("a.example.org", NULL, "ec", &len);
	json_t *r;

	/* Another key in ca.key: the CA refuses to sign with it. */
	store_ca_key_path(f->st, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(PEM_write_PrivateKey(fp, other, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
	r = submit(f, der, len, 0, CK_ECRYPTO);
	assert_null(r);
	assert_non_null(strstr(ck_errmsg(), "does not match"));
	assert_int_equal(count_requests(f, NULL), 0);
	EVP_PKEY_free(other);
	free(der);
}

/* pki_init (called first in main, as certkeep's main does) chose
 * Hash_DRBG: no cipher is fetched to make random bytes. */
static void test_random_generator(void **state)
{
	unsigned char b[16];

	(void)state;
	assert_int_equal(RAND_bytes(b, sizeof(b)), 1);
	assert_string_equal(EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(RAND_get0_primary(NULL))),
			    "HASH-DRBG");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_generator),
		cmocka_unit_test(test_serials_positive_unique),
		T(test_serial_collision_retried),
		T(test_policy_decisions),
		cmocka_unit_test(test_policy_names_normalised),
		T(test_bad_requests_change_nothing),
		T(test_weak_requests_refused),
		T(test_requests_verified_in_turn),
		T(test_bulk_one_bad_refuses_all),
		T(test_bulk_policy_denial_recorded),
		T(test_submitter_checked),
		T(test_approve_deny),
		T(test_revocation_reasons_in_crl),
		T(test_crl_large_sorted_and_numbers_increase),
		T(test_bulk_signed_ahead_in_order),
		T(test_bulk_sign_failure_records_nothing),
		T(test_crl_entry_dates),
		T(test_crl_due),
		T(test_service_events_and_syslog_cap),
		T(test_service_socket),
		cmocka_unit_test(test_service_frame_limits),
		T(test_init_twice_and_key_file),
		T(test_wrong_key_file_refused),
	};

	pki_init();
	return cmocka_run_group_tests_name("ca", tests, NULL, NULL);
}
