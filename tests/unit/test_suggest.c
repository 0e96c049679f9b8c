/*
 * test_suggest.c - unit tests for src/base/suggest.h (DESIGN.md §10).
 *
 * Covers ck_edit_distance (insertions, deletions, substitutions, swaps, case,
 * empty strings, names past the measured length) and ck_nearest: the
 * nearest candidate wins, the first of equally near ones, none before the
 * first candidate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/suggest.h"

static void test_edit_distance(void **state)
{
	static const struct {
		const char *a, *b;
		size_t d;
	} cases[] = {
		{ "", "", 0 },
		{ "", "list", 4 },
		{ "list", "", 4 },
		{ "list", "list", 0 },
		{ "LIST", "list", 0 },
		{ "lst", "list", 1 },     /* an insertion */
		{ "lisst", "list", 1 },   /* a deletion */
		{ "lost", "list", 1 },    /* a substitution */
		{ "sumbit", "submit", 1 }, /* two neighbours swapped */
		{ "abc", "ca", 3 },       /* no swap of letters edited again */
		{ "SMTPSever", "SMTPServer", 1 },
		{ "kitten", "sitting", 3 },
		{ "init", "crl", 4 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ck_edit_distance(cases[i].a, cases[i].b) != cases[i].d)
			fail_msg("%s / %s: %zu, not %zu", cases[i].a, cases[i].b,
				 ck_edit_distance(cases[i].a, cases[i].b), cases[i].d);
		/* The distance is symmetric. */
		assert_int_equal(ck_edit_distance(cases[i].b, cases[i].a), cases[i].d);
	}
}

static void test_edit_distance_long_names(void **state)
{
	char a[400], b[400];

	(void)state;
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	/* Only the first CK_NEAREST_MAX_LEN bytes are measured. */
	b[sizeof(b) - 2] = 'b';
	assert_int_equal(ck_edit_distance(a, b), 0);
	b[0] = 'b';
	assert_int_equal(ck_edit_distance(a, b), 1);
	assert_int_equal(ck_edit_distance(a, ""), CK_NEAREST_MAX_LEN);
}

static void test_nearest(void **state)
{
	static const char *const names[] = { "init", "install", "show", "policy", "submit",
					     "pending", "approve", "deny", "list", "get",
					     "revoke", "unrevoke", "crl" };
	static const struct {
		const char *in, *near;
	} cases[] = {
		{ "sumbit", "submit" }, { "SUBMIT", "submit" }, { "lsit", "list" },
		{ "unrevok", "unrevoke" }, { "pendign", "pending" }, { "instal", "install" },
		/* "ge" is one edit from "get" (and two from "deny"). */
		{ "ge", "get" },
	};
	struct ck_nearest n;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_nearest_init(&n, cases[i].in);
		assert_null(n.name);
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			ck_nearest_consider(&n, names[j]);
		assert_non_null(n.name);
		assert_string_equal(n.name, cases[i].near);
	}
}

static void test_nearest_first_of_a_tie(void **state)
{
	struct ck_nearest n;

	(void)state;
	ck_nearest_init(&n, "bat");
	assert_true(ck_nearest_consider(&n, "cat"));
	assert_false(ck_nearest_consider(&n, "hat")); /* as near: the first stays */
	assert_string_equal(n.name, "cat");
	assert_int_equal(n.distance, 1);
	assert_true(ck_nearest_consider(&n, "bat"));
	assert_int_equal(n.distance, 0);
	/* The first candidate always wins, however far. */
	ck_nearest_init(&n, "x");
	assert_true(ck_nearest_consider(&n, "a much longer name"));
	assert_string_equal(n.name, "a much longer name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_edit_distance_long_names),
		cmocka_unit_test(test_nearest),
		cmocka_unit_test(test_nearest_first_of_a_tie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
