/*
 * test_names.c - unit tests for src/base/names.h (DESIGN.md §3).
 *
 * Covers ck_domain_normalize: names it accepts and the lower-case form it
 * writes (IDNA2008 A-labels in any case, single labels, the 253-octet and
 * 63-octet limits, wildcards only as the whole left-most label with two
 * labels after it), and a table of names it refuses (A-labels libidn2
 * finds invalid among them), each with CK_EINVAL and a message naming
 * the problem, never echoing control bytes. Covers the service sets too:
 * ck_services_parse (case, spaces, the HTTPS alias, "None", unknown and
 * empty items), ck_services_compact, ck_services_long and ck_service_name,
 * with a parse(long(s)) == s round trip over every set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/names.h"
#include "unit_util.h"

/* A name of exactly len octets: labels of 63 'a'..'d' joined by dots,
 * the last label shortened to fit (len must leave it non-empty). */
static void make_long_name(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i % 64 == 63) ? '.' : (char)('a' + (i / 64) % 4);
	buf[len] = '\0';
}

/* ---- ck_domain_normalize: accepted names ---- */

static void test_domain_accepts_and_lowercases(void **state)
{
	static const struct {
		const char *in;
		bool wildcard;
		const char *out;
	} cases[] = {
		{ "mx1.contoso.com", false, "mx1.contoso.com" },
		{ "MX1.Contoso.COM", false, "mx1.contoso.com" },
		{ "xn--bcher-kva.example", false, "xn--bcher-kva.example" },
		{ "XN--Bcher-KVA.Example", false, "xn--bcher-kva.example" },
		{ "vm", false, "vm" },
		{ "a-b.c--d.example", false, "a-b.c--d.example" },
		{ "0.9x.example", false, "0.9x.example" },
		{ "*.example.com", true, "*.example.com" },
		{ "*.Web.Contoso.TEST", true, "*.web.contoso.test" },
		{ "mx1.example.com", true, "mx1.example.com" },
		/* Valid IDNA2008 A-labels: münchen.de, café, βόλος, ß (valid in
		 * IDNA2008, unlike IDNA2003), under a wildcard, in upper case. */
		{ "xn--mnchen-3ya.de", false, "xn--mnchen-3ya.de" },
		{ "XN--MNCHEN-3YA.DE", false, "xn--mnchen-3ya.de" },
		{ "xn--caf-dma.xn--bcher-kva.example", false, "xn--caf-dma.xn--bcher-kva.example" },
		{ "xn--nxasmq6b.example", false, "xn--nxasmq6b.example" },
		{ "xn--zca.example", false, "xn--zca.example" },
		{ "*.xn--bcher-kva.example", true, "*.xn--bcher-kva.example" },
	};
	char out[CK_DOMAIN_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		if (ck_domain_normalize(cases[i].in, cases[i].wildcard, out, sizeof(out)) != CK_OK)
			fail_msg("'%s' refused: %s", cases[i].in, ck_errmsg());
		assert_string_equal(out, cases[i].out);
	}
}

static void test_domain_length_limits(void **state)
{
	char in[CK_DOMAIN_MAX + 8], out[512];
	char label[CK_LABEL_MAX + 16];

	(void)state;
	/* 253 octets in all is the limit; 254 is refused even when the output
	 * buffer would hold it. */
	make_long_name(in, CK_DOMAIN_MAX);
	assert_int_equal(strlen(in), 253);
	assert_int_equal(ck_domain_normalize(in, false, out, sizeof(out)), CK_OK);
	assert_string_equal(out, in);
	make_long_name(in, CK_DOMAIN_MAX + 1);
	assert_int_equal(ck_domain_normalize(in, false, out, sizeof(out)), CK_EINVAL);
	assert_contains(ck_errmsg(), "longer than 253");

	/* A label of 63 octets is the limit; 64 is refused. */
	memset(label, 'a', CK_LABEL_MAX);
	snprintf(label + CK_LABEL_MAX, sizeof(label) - CK_LABEL_MAX, ".example");
	assert_int_equal(ck_domain_normalize(label, false, out, sizeof(out)), CK_OK);
	assert_string_equal(out, label);
	memset(label, 'a', CK_LABEL_MAX + 1);
	snprintf(label + CK_LABEL_MAX + 1, sizeof(label) - CK_LABEL_MAX - 1, ".example");
	assert_int_equal(ck_domain_normalize(label, false, out, sizeof(out)), CK_EINVAL);
	assert_contains(ck_errmsg(), "longer than 63");
}

/* An output buffer too small for the name is refused, not overrun (ASan
 * would report a write past the 5 bytes). */
static void test_domain_small_output_buffer(void **state)
{
	char out[5];

	(void)state;
	assert_int_equal(ck_domain_normalize("example.com", false, out, sizeof(out)), CK_EINVAL);
	assert_int_equal(ck_domain_normalize("a.bc", false, out, sizeof(out)), CK_OK);
	assert_string_equal(out, "a.bc");
}

/* ---- ck_domain_normalize: refused names ---- */

static void test_domain_refusals(void **state)
{
	static const struct {
		const char *in;
		bool wildcard;
		const char *why; /* substring of ck_errmsg() */
	} cases[] = {
		{ "", false, "empty" },
		{ "a..b", false, "empty label" },
		{ "a.b.", false, "empty label" },
		{ ".a.b", false, "empty label" },
		{ ".", false, "empty label" },
		{ "-mx1.example", false, "starts with '-'" },
		{ "mx1.-a.example", false, "starts with '-'" },
		{ "mx1-.example", false, "ends with '-'" },
		{ "mx1.example-", false, "ends with '-'" },
		{ "mx_1.example", false, "0x5f is not allowed" },
		{ "mx 1.example", false, "0x20 is not allowed" },
		{ "mx1.example/x", false, "0x2f is not allowed" },
		{ "mx1.example\r", false, "CR or LF" },
		{ "mx1\n.example", false, "CR or LF" },
		{ "mx1.example\r\nRCPT TO:<x@y>", false, "CR or LF" },
		{ "b\xc3\xbc" "cher.example", false, "non-ASCII" },
		{ "\xff.example", false, "non-ASCII" },
		/* wildcards */
		{ "*.example.com", false, "not allowed here" },
		{ "*.com", true, "two labels after it" },
		{ "a.*.com", true, "whole left-most label" },
		{ "a.*.example.com", true, "whole left-most label" },
		{ "w*.example.com", true, "whole left-most label" },
		{ "*w.example.com", true, "whole left-most label" },
		{ "**.example.com", true, "whole left-most label" },
		{ "*", true, "two labels after it" },
		{ "1.2.3.4", false, "last label is numeric" },
		{ "mail.123", false, "last label is numeric" },
		{ "*.", true, "empty label" },
		{ "*.*.example.com", true, "whole left-most label" },
		/* A-labels that are not IDNA2008: bad punycode, emoji (U+1F4A9,
		 * "i❤"), upper case Ü, a decomposed ü (not NFC), in any label
		 * and any case. */
		{ "xn--abc-.example", false, "ends with '-'" },
		{ "xn--.example", false, "ends with '-'" },
		{ "xn--zz.example", false, "'xn--zz' is not a valid IDNA2008 A-label" },
		{ "xn--ls8h.example", false, "'xn--ls8h' is not a valid IDNA2008 A-label" },
		{ "XN--LS8H.example", false, "'xn--ls8h' is not a valid IDNA2008 A-label" },
		{ "mx1.xn--i-7iq.ws", false, "'xn--i-7iq' is not a valid IDNA2008 A-label" },
		{ "xn--wca.example", false, "'xn--wca' is not a valid IDNA2008 A-label" },
		{ "xn--u-ccb.example", false, "'xn--u-ccb' is not a valid IDNA2008 A-label" },
		{ "xn--a.example", false, "'xn--a' is not a valid IDNA2008 A-label" },
		{ "xn--mnchen-3ya.xn--zz.de", false, "'xn--zz' is not a valid" },
		{ "*.xn--ls8h.example", true, "'xn--ls8h' is not a valid IDNA2008 A-label" },
	};
	char out[CK_DOMAIN_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg;

		ck_errmsg_clear();
		if (ck_domain_normalize(cases[i].in, cases[i].wildcard, out, sizeof(out)) !=
		    CK_EINVAL)
			fail_msg("case %zu was not refused with CK_EINVAL", i);
		msg = ck_errmsg();
		if (strstr(msg, cases[i].why) == NULL)
			fail_msg("case %zu: expected \"%s\" in \"%s\"", i, cases[i].why, msg);
		/* The message quotes the hostile name escaped: no control or
		 * non-ASCII byte reaches a terminal or a log. */
		for (; *msg != '\0'; msg++)
			if ((unsigned char)*msg < 0x20 || (unsigned char)*msg >= 0x7f)
				fail_msg("case %zu: raw byte 0x%02x in the message", i,
					 (unsigned char)*msg);
	}
}

static void test_domain_message_escapes_bytes(void **state)
{
	char out[CK_DOMAIN_MAX + 1];

	(void)state;
	assert_int_equal(ck_domain_normalize("mx1\r.example", false, out, sizeof(out)), CK_EINVAL);
	assert_contains(ck_errmsg(), "mx1\\x0d.example");
	assert_int_equal(ck_domain_normalize("b\xc3\xbc.example", false, out, sizeof(out)),
			 CK_EINVAL);
	assert_contains(ck_errmsg(), "b\\xc3\\xbc.example");
}

/* ---- services ---- */

static void test_services_parse(void **state)
{
	static const struct {
		const char *in;
		unsigned want;
	} cases[] = {
		{ "IMAP,POP,IIS,SMTP", CK_SVC_IMAP | CK_SVC_POP | CK_SVC_IIS | CK_SVC_SMTP },
		{ "imap,Pop,iIs", CK_SVC_IMAP | CK_SVC_POP | CK_SVC_IIS },
		{ " IMAP , SMTP ", CK_SVC_IMAP | CK_SVC_SMTP },
		{ "IMAP,  UM", CK_SVC_IMAP | CK_SVC_UM },
		{ "HTTPS", CK_SVC_IIS },
		{ "https,smtp", CK_SVC_IIS | CK_SVC_SMTP },
		{ "IIS,HTTPS", CK_SVC_IIS },
		{ "SMTP,SMTP", CK_SVC_SMTP },
		{ "IMAP,POP,UM,IIS,SMTP", CK_SVC_ALL },
		{ "None", 0 },
		{ "NONE", 0 },
		{ "none", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = 0xdead;

		if (ck_services_parse(cases[i].in, &got) != CK_OK)
			fail_msg("'%s' refused: %s", cases[i].in, ck_errmsg());
		if (got != cases[i].want)
			fail_msg("'%s' gave 0x%x, want 0x%x", cases[i].in, got, cases[i].want);
	}
}

static void test_services_parse_refusals(void **state)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{ "FOO", "'FOO'" },
		{ "IMAP,FOO,SMTP", "'FOO'" },
		{ "IMAP,,POP", "unknown service ''" },
		{ "IMAP,", "unknown service ''" },
		{ ",IMAP", "unknown service ''" },
		{ "", "unknown service ''" },
		{ "IMAPS", "'IMAPS'" },
		{ "IMAP;POP", "'IMAP;POP'" },
		{ "IMAP,None", "'None'" },
		{ "SMTP\r\nQUIT", "'SMTP\\x0d\\x0aQUIT'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = 0;

		if (ck_services_parse(cases[i].in, &got) != CK_EINVAL)
			fail_msg("case %zu was not refused with CK_EINVAL", i);
		if (strstr(ck_errmsg(), cases[i].why) == NULL)
			fail_msg("case %zu: expected \"%s\" in \"%s\"", i, cases[i].why,
				 ck_errmsg());
	}
}

static void test_services_compact(void **state)
{
	char buf[8];

	(void)state;
	ck_services_compact(0x1b, buf, sizeof(buf));
	assert_string_equal(buf, "IP.WS");
	ck_services_compact(0, buf, sizeof(buf));
	assert_string_equal(buf, ".....");
	ck_services_compact(CK_SVC_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "IPUWS");
	ck_services_compact(CK_SVC_UM, buf, sizeof(buf));
	assert_string_equal(buf, "..U..");
	ck_services_compact(CK_SVC_ALL, buf, 6);
	assert_string_equal(buf, "IPUWS");
	/* Too small a buffer gets an empty string, never an overrun. */
	memset(buf, 'X', sizeof(buf));
	ck_services_compact(CK_SVC_ALL, buf, 5);
	assert_string_equal(buf, "");
}

static void test_services_long(void **state)
{
	char buf[32];

	(void)state;
	ck_services_long(0x1b, buf, sizeof(buf));
	assert_string_equal(buf, "IMAP, POP, IIS, SMTP");
	ck_services_long(0, buf, sizeof(buf));
	assert_string_equal(buf, "None");
	ck_services_long(CK_SVC_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "IMAP, POP, UM, IIS, SMTP");
	ck_services_long(CK_SVC_SMTP, buf, sizeof(buf));
	assert_string_equal(buf, "SMTP");
}

/* Every set survives long form -> parse, and its compact form has one
 * letter per bit in the fixed positions. */
static void test_services_round_trip(void **state)
{
	unsigned s;

	(void)state;
	for (s = 0; s <= CK_SVC_ALL; s++) {
		char text[32], compact[8];
		unsigned back = 0xdead;
		int bit;

		ck_services_long(s, text, sizeof(text));
		if (ck_services_parse(text, &back) != CK_OK || back != s)
			fail_msg("0x%x -> '%s' -> 0x%x (%s)", s, text, back, ck_errmsg());
		ck_services_compact(s, compact, sizeof(compact));
		assert_int_equal(strlen(compact), CK_SVC_COUNT);
		for (bit = 0; bit < CK_SVC_COUNT; bit++)
			assert_int_equal(compact[bit] != '.', (s >> bit) & 1u);
	}
}

static void test_service_name(void **state)
{
	(void)state;
	assert_string_equal(ck_service_name(CK_SVC_IMAP), "IMAP");
	assert_string_equal(ck_service_name(CK_SVC_POP), "POP");
	assert_string_equal(ck_service_name(CK_SVC_UM), "UM");
	assert_string_equal(ck_service_name(CK_SVC_IIS), "IIS");
	assert_string_equal(ck_service_name(CK_SVC_SMTP), "SMTP");
	assert_null(ck_service_name(0));
	assert_null(ck_service_name(CK_SVC_IMAP | CK_SVC_POP));
	assert_null(ck_service_name(1u << CK_SVC_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_accepts_and_lowercases),
		cmocka_unit_test(test_domain_length_limits),
		cmocka_unit_test(test_domain_small_output_buffer),
		cmocka_unit_test(test_domain_refusals),
		cmocka_unit_test(test_domain_message_escapes_bytes),
		cmocka_unit_test(test_services_parse),
		cmocka_unit_test(test_services_parse_refusals),
		cmocka_unit_test(test_services_compact),
		cmocka_unit_test(test_services_long),
		cmocka_unit_test(test_services_round_trip),
		cmocka_unit_test(test_service_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
