/*
 * test_text.c - unit tests for src/base/text.h (DESIGN.md §10).
 *
 * Covers ck_utf8_next and ck_utf8_valid on the boundaries of RFC 3629
 * (shortest and longest forms of each length, overlong forms, surrogates,
 * U+10FFFF and past it, truncated and stray continuation bytes), and
 * ck_text_escape: C0, DEL, C1 and bytes that are not UTF-8 escaped, other
 * text (backslashes, accents, emoji) kept as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/text.h"

static void test_utf8_accepts(void **state)
{
	static const char *const good[] = {
		"", "plain ASCII", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
		"J\xc3\xa9r\xc3\xb4me", "\xf0\x9f\x94\x92 key",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!ck_utf8_valid(good[i]))
			fail_msg("refused good text #%zu", i);
}

static void test_utf8_refuses(void **state)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "a\xc3", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "\xe2\x28\xa1",
		"ok\xfe", "Latin-1 caf\xe9",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ck_utf8_valid(bad[i]))
			fail_msg("accepted bad text #%zu", i);
}

static void test_utf8_next_code_points(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(ck_utf8_next((const unsigned char *)"\xc2\x9b", 2, &cp), 2);
	assert_int_equal(cp, 0x9b);
	assert_int_equal(ck_utf8_next((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	/* The length given is a hard limit, even with valid bytes beyond it. */
	assert_int_equal(ck_utf8_next((const unsigned char *)"\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(ck_utf8_next((const unsigned char *)"", 0, &cp), 0);
	assert_true(ck_is_control(0x1b) && ck_is_control(0x7f) && ck_is_control(0x9f));
	assert_false(ck_is_control(' ') || ck_is_control(0xa0) || ck_is_control('~'));
}

static void check_escape(const char *in, size_t len, const char *want)
{
	char *got = ck_text_escape(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The literal's length, NULs inside it counted. */
#define CHECK_ESCAPE(lit, want) check_escape(lit, sizeof(lit) - 1, want)

static void test_escape(void **state)
{
	(void)state;
	CHECK_ESCAPE("CN=\x1b[31mred", "CN=\\x1b[31mred");
	CHECK_ESCAPE("a\tb\nc\rd\x7f", "a\\x09b\\x0ac\\x0dd\\x7f");
	CHECK_ESCAPE("\xc2\x9b" "2J", "\\u009b2J");
	CHECK_ESCAPE("raw \x9b\xff", "raw \\x9b\\xff");
	CHECK_ESCAPE("caf\xc3\xa9 \xf0\x9f\x94\x92 a\\b", "caf\xc3\xa9 \xf0\x9f\x94\x92 a\\b");
	/* A NUL inside the given length is escaped, not an end. */
	CHECK_ESCAPE("a\0b", "a\\x00b");
	CHECK_ESCAPE("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_accepts),
		cmocka_unit_test(test_utf8_refuses),
		cmocka_unit_test(test_utf8_next_code_points),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
