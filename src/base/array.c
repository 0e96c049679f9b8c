/*
 * array.c - the implied-capacity growth of array.h (DESIGN.md §1, base).
 */
#include "base/array.h"

#include <stdint.h>
#include <stdlib.h>

bool ck_array_size(size_t n, size_t size, size_t *out)
{
	if (size != 0 && n > SIZE_MAX / size) {
		ck_fail(CK_ENOMEM, "out of memory: %zu elements of %zu bytes", n, size);
		return false;
	}
	*out = n * size;
	return true;
}

/* The capacity an array of n elements has: 0 for none, else the smallest
 * power of two >= n and >= CK_ARRAY_FIRST; 0 too when that overflows. */
static size_t implied_capacity(size_t n)
{
	size_t cap = CK_ARRAY_FIRST;

	if (n == 0)
		return 0;
	while (cap < n) {
		if (cap > SIZE_MAX / 2)
			return 0;
		cap *= 2;
	}
	return cap;
}

void *ck_array_grow(void *items, size_t n, size_t size)
{
	size_t cap, bytes;
	void *grown;

	/* Room for element n already, unless n is exactly the capacity. */
	if (items != NULL && implied_capacity(n) > n)
		return items;
	cap = n == SIZE_MAX ? 0 : implied_capacity(n + 1);
	if (cap == 0 || !ck_array_size(cap, size, &bytes)) {
		ck_fail(CK_ENOMEM, "out of memory: an array of more than %zu elements", n);
		return NULL;
	}
	grown = realloc(items, bytes ? bytes : 1);
	if (grown == NULL)
		ck_fail(CK_ENOMEM, "out of memory");
	return grown;
}
