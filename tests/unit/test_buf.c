/*
 * test_buf.c - unit tests for src/base/buf.h: bytes, strings and printf
 * appended, always NUL-terminated; the ceiling exact at its edge (CK_EINVAL
 * "too large", the contents kept, the failure sticky until reset); growth
 * past the first allocation; detach hands over the memory, "" when empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

static void test_add_and_terminate(void **state)
{
	struct ck_buf b;

	(void)state;
	ck_buf_init(&b, 1024);
	assert_string_equal(ck_buf_str(&b), "");
	assert_int_equal(ck_buf_add(&b, "ab\0c", 4), CK_OK);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "ab\0c", 5);
	assert_int_equal(ck_buf_add(&b, "", 0), CK_OK);
	assert_int_equal(ck_buf_add_str(&b, "de"), CK_OK);
	assert_int_equal(ck_buf_printf(&b, "-%d-%s", 42, "x"), CK_OK);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "ab\0cde-42-x", 12);
	assert_int_equal(ck_buf_add_zeros(&b, 3), CK_OK);
	assert_int_equal(b.len, 14);
	assert_int_equal(b.data[13], 0);
	assert_int_equal(b.data[14], 0);
	ck_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(ck_buf_str(&b), "");
	ck_buf_free(&b);
	assert_null(b.data);
}

static void test_grows(void **state)
{
	struct ck_buf b;
	char chunk[1000];
	size_t i;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	ck_buf_init(&b, 10 * 1000 * 1000);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ck_buf_add(&b, chunk, sizeof(chunk)), CK_OK);
	assert_int_equal(b.len, 5000 * 1000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], 0);
	assert_int_equal(b.data[b.len - 1], 'x');
	/* A long printf goes in whole. */
	ck_buf_reset(&b);
	assert_int_equal(ck_buf_printf(&b, "%5000d|", 7), CK_OK);
	assert_int_equal(b.len, 5001);
	assert_string_equal(b.data + 4999, "7|");
	ck_buf_free(&b);
}

static void test_ceiling(void **state)
{
	struct ck_buf b;

	(void)state;
	ck_buf_init(&b, 8);
	assert_int_equal(ck_buf_add_str(&b, "12345678"), CK_OK); /* exactly the ceiling */
	assert_int_equal(b.len, 8);
	assert_int_equal(ck_buf_add(&b, "9", 1), CK_EINVAL);
	assert_non_null(strstr(ck_errmsg(), "too large: more than 8 bytes"));
	assert_string_equal(ck_buf_str(&b), "12345678"); /* kept as it was */
	/* Sticky: even what would fit fails, until reset. */
	assert_int_equal(ck_buf_add(&b, "", 0), CK_EINVAL);
	assert_int_equal(ck_buf_error(&b), CK_EINVAL);
	ck_buf_reset(&b);
	assert_int_equal(ck_buf_error(&b), CK_OK);
	assert_int_equal(ck_buf_printf(&b, "%s", "123456789"), CK_EINVAL);
	assert_int_equal(b.len, 0);
	ck_buf_reset(&b);
	assert_int_equal(ck_buf_add_zeros(&b, 9), CK_EINVAL);
	ck_buf_reset(&b);
	assert_int_equal(ck_buf_add_zeros(&b, 8), CK_OK);
	ck_buf_free(&b);

	/* A ceiling of 0 holds only the empty string. */
	ck_buf_init(&b, 0);
	assert_int_equal(ck_buf_add(&b, "", 0), CK_OK);
	assert_string_equal(ck_buf_str(&b), "");
	assert_int_equal(ck_buf_add(&b, "a", 1), CK_EINVAL);
	ck_buf_free(&b);

	/* No ceiling at all: size arithmetic must not wrap. */
	ck_buf_init(&b, SIZE_MAX);
	assert_int_equal(ck_buf_add_str(&b, "a"), CK_OK);
	assert_int_equal(ck_buf_add(&b, "b", SIZE_MAX), CK_EINVAL);
	assert_string_equal(ck_buf_str(&b), "a");
	ck_buf_free(&b);
}

static void test_detach(void **state)
{
	struct ck_buf b;
	size_t len = 99;
	char *s;

	(void)state;
	ck_buf_init(&b, 100);
	s = ck_buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(ck_buf_add_str(&b, "hello"), CK_OK);
	s = ck_buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* The buffer is usable again after it gave its memory away. */
	assert_int_equal(ck_buf_add_str(&b, "again"), CK_OK);
	assert_string_equal(ck_buf_str(&b), "again");
	ck_buf_free(&b);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_terminate),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
