/*
 * array.h - growing an array one element at a time (DESIGN.md §1, base),
 * for lists gathered from the store or from a certificate: candidates,
 * bindings, tasks, domain names.
 *
 * An array is a pointer and a count, as the structs that hold them already
 * have: no capacity is stored. The capacity is implied by the count (the
 * smallest power of two at least the count, and at least CK_ARRAY_FIRST), so
 * the block is reallocated only when the count reaches a power of two:
 * geometric growth, amortised O(1) per element. Lowering the count (by
 * removing an element) keeps that true. The size arithmetic is checked, so
 * a count that would overflow size_t fails instead of wrapping.
 *
 * The one rule that follows: an array is grown only by ck_array_grow from
 * NULL (a block of exactly n elements made otherwise has less room than
 * its count implies).
 *
 * Ownership: the array is an ordinary malloc'ed block; free it with free().
 */
#ifndef CK_ARRAY_H
#define CK_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* The first block holds this many elements. */
#define CK_ARRAY_FIRST 8

/*
 * Returns the array items (of n elements of size bytes each) made able to
 * hold element n, reallocated if need be; the caller stores the result,
 * then fills element n and counts it. NULL when out of memory or when the
 * size would overflow: the message is set and items is untouched (still
 * the caller's to free).
 */
void *ck_array_grow(void *items, size_t n, size_t size);

/* *out = n * size; false (message set, CK_ENOMEM) when that overflows. */
bool ck_array_size(size_t n, size_t size, size_t *out);

#endif
