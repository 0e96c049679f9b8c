/*
 * test_array.c - unit tests for src/base/array.h: elements kept in order
 * across growth, reallocation only at powers of two (geometric), removal
 * by lowering the count keeps room, and sizes that would overflow size_t
 * fail with CK_ENOMEM and leave the array to its owner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/array.h"

struct item {
	int n;
	char name[20];
};

static void test_push_many(void **state)
{
	struct item *items = NULL;
	size_t n = 0, i, moves = 0;

	(void)state;
	for (i = 0; i < 100000; i++) {
		struct item *grown = ck_array_grow(items, n, sizeof(*items));

		assert_non_null(grown);
		if (grown != items || i == 0)
			moves++;
		items = grown;
		items[n].n = (int)i;
		items[n].name[0] = (char)('a' + i % 26);
		n++;
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(items[i].n, (int)i);
		assert_int_equal(items[i].name[0], 'a' + i % 26);
	}
	/* 8, 16, ... 131072: at most 15 allocations (a realloc may stay). */
	assert_true(moves <= 15);
	free(items);
}

static void test_room_is_implied(void **state)
{
	int *a = NULL, *same;
	size_t n;

	(void)state;
	for (n = 0; n < 8; n++) {
		int *grown = ck_array_grow(a, n, sizeof(*a));

		assert_non_null(grown);
		assert_true(n == 0 || grown == a); /* one block for the first 8 */
		a = grown;
		a[n] = (int)n;
	}
	/* Removing one (the count goes down) and adding again needs no room. */
	n = 7;
	same = ck_array_grow(a, n, sizeof(*a));
	assert_ptr_equal(same, a);
	a[n++] = 70;
	a = ck_array_grow(a, n, sizeof(*a)); /* the ninth: a bigger block */
	assert_non_null(a);
	a[n++] = 8;
	assert_int_equal(a[7], 70);
	assert_int_equal(a[8], 8);
	free(a);
}

static void test_overflow(void **state)
{
	char *keep = malloc(16);
	size_t bytes = 1;

	(void)state;
	assert_non_null(keep);
	/* 2^62 elements of 8 bytes, grown to 2^63: more than size_t counts. */
	assert_null(ck_array_grow(keep, (SIZE_MAX >> 2) + 1, 8));
	assert_non_null(strstr(ck_errmsg(), "out of memory"));
	assert_null(ck_array_grow(keep, SIZE_MAX, 1));
	free(keep); /* still the caller's */
	assert_false(ck_array_size(SIZE_MAX / 2 + 1, 2, &bytes));
	assert_int_equal(bytes, 1);
	assert_true(ck_array_size(SIZE_MAX / 2, 2, &bytes));
	assert_int_equal(bytes, SIZE_MAX - 1);
	assert_true(ck_array_size(5, 0, &bytes));
	assert_int_equal(bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_many),
		cmocka_unit_test(test_room_is_implied),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
