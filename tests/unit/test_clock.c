/*
 * test_clock.c - unit tests for src/base/clock.h (DESIGN.md §1).
 *
 * Covers ck_time_parse on the RFC 3339 forms certkeep accepts (Z, lower-case
 * t/z, fractional seconds, +hh:mm and -hh:mm offsets, a plain date at
 * midnight UTC, times before 1970) and on a table of refusals (junk, missing
 * zone, trailing garbage, out-of-range fields and offsets), each CK_EINVAL
 * with a message; ck_time_format and the parse/format round trip both ways;
 * and the injectable clock: ck_clock_set fixes ck_now (even at 0),
 * ck_clock_reset returns to the real time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"

#define T_2026_11_23_10 INT64_C(1795428000) /* 2026-11-23T10:00:00Z */
#define T_2026_11_23_00 INT64_C(1795392000) /* 2026-11-23T00:00:00Z */

static void test_time_parse_accepts(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
		{ "2026-11-23T10:00:00Z", T_2026_11_23_10 },
		{ "2026-11-23t10:00:00z", T_2026_11_23_10 },
		{ "2026-11-23 10:00:00Z", T_2026_11_23_10 },
		{ "2026-11-23T10:00:00.5Z", T_2026_11_23_10 },
		{ "2026-11-23T10:00:00.123456789Z", T_2026_11_23_10 },
		{ "2026-11-23T12:00:00+02:00", T_2026_11_23_10 },
		{ "2026-11-23T04:30:00-05:30", T_2026_11_23_10 },
		{ "2026-11-23T10:00:00+00:00", T_2026_11_23_10 },
		{ "2026-11-23T10:00:00-00:00", T_2026_11_23_10 },
		{ "2026-11-23T12:00:00.25+02:00", T_2026_11_23_10 },
		{ "2026-11-24T09:59:00+23:59", T_2026_11_23_10 },
		{ "2026-11-23", T_2026_11_23_00 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2038-01-19T03:14:08Z", INT64_C(2147483648) },
		{ "2024-02-29T00:00:00Z", INT64_C(1709164800) },
		{ "9999-12-31T23:59:59Z", INT64_C(253402300799) },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = INT64_MIN;

		if (ck_time_parse(cases[i].in, &got) != CK_OK)
			fail_msg("'%s' refused: %s", cases[i].in, ck_errmsg());
		if (got != cases[i].want)
			fail_msg("'%s' gave %lld, want %lld", cases[i].in, (long long)got,
				 (long long)cases[i].want);
	}
}

static void test_time_parse_refusals(void **state)
{
	static const char *const cases[] = {
		"",
		"junk",
		"tomorrow",
		"1795428000",
		"2026-11",
		"2026/11/23",
		"2026-11-23T10:00:00",       /* no zone */
		"2026-11-23T10:00Z",         /* no seconds */
		"2026-11-23T",
		"2026-11-23X10:00:00Z",
		"2026-11-23T10:00:00Zjunk",  /* trailing garbage */
		"2026-11-23T10:00:00Z ",
		"2026-11-23junk",
		"2026-11-23Z",
		"2026-11-23T10:00:00.Z",     /* a dot needs digits */
		"2026-11-23T10:00:00.5",
		"2026-11-23T10:00:00+24:00", /* offsets out of range */
		"2026-11-23T10:00:00+02:60",
		"2026-11-23T10:00:00-99:00",
		"2026-11-23T10:00:00+0200",  /* offsets need hh:mm */
		"2026-11-23T10:00:00+2:00",
		"2026-11-23T10:00:00+02",
		"2026-11-23T10:00:00+02:00junk",
		"2026-11-23T10:00:00UTC",
		"2026-13-01",                /* fields out of range */
		"2026-00-10",
		"2026-11-32",
		"2026-11-23T24:00:00Z",
		"2026-11-23T10:60:00Z",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = 42;

		ck_errmsg_clear();
		if (ck_time_parse(cases[i], &got) != CK_EINVAL)
			fail_msg("'%s' was not refused (got %lld)", cases[i], (long long)got);
		if (strstr(ck_errmsg(), "invalid time") == NULL)
			fail_msg("'%s': no message, got \"%s\"", cases[i], ck_errmsg());
		/* A refused time leaves the output alone. */
		assert_int_equal(got, 42);
	}
}

static void test_time_format(void **state)
{
	char buf[32];

	(void)state;
	ck_time_format(T_2026_11_23_10, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T10:00:00Z");
	ck_time_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	ck_time_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	ck_time_format(INT64_C(2147483648), buf, sizeof(buf));
	assert_string_equal(buf, "2038-01-19T03:14:08Z");
	/* 21 bytes is enough, as documented. */
	ck_time_format(T_2026_11_23_10, buf, 21);
	assert_string_equal(buf, "2026-11-23T10:00:00Z");
}

/* format(parse(s)) == s for canonical strings and parse(format(t)) == t. */
static void test_time_round_trip(void **state)
{
	static const char *const texts[] = {
		"2026-11-23T10:00:00Z", "2000-02-29T23:59:59Z", "1999-12-31T00:00:01Z",
		"2106-02-07T06:28:16Z", "1901-12-13T20:45:52Z",
	};
	static const int64_t times[] = {
		0, 1, -86400, T_2026_11_23_10, INT64_C(4102444800), INT64_C(253402300799),
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int64_t t;

		assert_int_equal(ck_time_parse(texts[i], &t), CK_OK);
		ck_time_format(t, buf, sizeof(buf));
		assert_string_equal(buf, texts[i]);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int64_t back = INT64_MIN;

		ck_time_format(times[i], buf, sizeof(buf));
		assert_int_equal(ck_time_parse(buf, &back), CK_OK);
		assert_int_equal(back, times[i]);
	}
}

static void test_clock_set_and_reset(void **state)
{
	int64_t before, after;

	(void)state;
	ck_clock_set(T_2026_11_23_10);
	assert_int_equal(ck_now(), T_2026_11_23_10);
	assert_int_equal(ck_now(), T_2026_11_23_10); /* fixed: it does not tick */
	ck_clock_set(-5);
	assert_int_equal(ck_now(), -5);
	/* 0 is a time like any other, not "unset". */
	ck_clock_set(0);
	assert_int_equal(ck_now(), 0);

	ck_clock_reset();
	before = (int64_t)time(NULL);
	after = ck_now();
	assert_in_range(after, before, before + 5);
	/* Resetting twice is harmless. */
	ck_clock_reset();
	assert_in_range(ck_now(), before, (int64_t)time(NULL) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse_accepts),
		cmocka_unit_test(test_time_parse_refusals),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_clock_set_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
