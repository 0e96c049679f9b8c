/*
 * buf.c - the bounded growable buffer of buf.h (DESIGN.md §1, base:
 * buffers): grows by doubling, checks the ceiling and size arithmetic
 * before every allocation.
 */
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation: small texts need one. */
#define BUF_FIRST 256

void ck_buf_init(struct ck_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	/* One byte is always kept for the NUL. */
	b->max = max < SIZE_MAX ? max : SIZE_MAX - 1;
}

/* Makes room for n more bytes and the NUL, or records why not. */
static enum ck_err grow(struct ck_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed != CK_OK)
		return b->failed;
	if (n > b->max - b->len) {
		b->failed = ck_fail(CK_EINVAL, "too large: more than %zu bytes", b->max);
		return b->failed;
	}
	need = b->len + n + 1; /* len + n <= max < SIZE_MAX: no overflow */
	if (need <= b->cap)
		return CK_OK;
	cap = b->cap ? b->cap : BUF_FIRST;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->failed = ck_fail(CK_ENOMEM, "out of memory");
		return b->failed;
	}
	b->data = p;
	b->cap = cap;
	return CK_OK;
}

enum ck_err ck_buf_add(struct ck_buf *b, const void *p, size_t n)
{
	enum ck_err rc = grow(b, n);

	if (rc != CK_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CK_OK;
}

enum ck_err ck_buf_add_str(struct ck_buf *b, const char *s)
{
	return ck_buf_add(b, s, strlen(s));
}

enum ck_err ck_buf_add_zeros(struct ck_buf *b, size_t n)
{
	enum ck_err rc = grow(b, n);

	if (rc != CK_OK)
		return rc;
	memset(b->data + b->len, 0, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CK_OK;
}

enum ck_err ck_buf_vprintf(struct ck_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	enum ck_err rc;
	int n;

	if (b->failed != CK_OK)
		return b->failed;
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0) {
		b->failed = ck_fail(CK_EINVAL, "cannot format text");
		return b->failed;
	}
	rc = grow(b, (size_t)n);
	if (rc != CK_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CK_OK;
}

enum ck_err ck_buf_printf(struct ck_buf *b, const char *fmt, ...)
{
	enum ck_err rc;
	va_list ap;

	va_start(ap, fmt);
	rc = ck_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *ck_buf_str(const struct ck_buf *b)
{
	return b->data ? b->data : "";
}

enum ck_err ck_buf_error(const struct ck_buf *b)
{
	return b->failed;
}

void ck_buf_reset(struct ck_buf *b)
{
	b->len = 0;
	b->failed = CK_OK;
	if (b->data)
		b->data[0] = '\0';
}

char *ck_buf_detach(struct ck_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL) {
		p = calloc(1, 1);
		if (p == NULL) {
			ck_fail(CK_ENOMEM, "out of memory");
			return NULL;
		}
	}
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = CK_OK;
	return p;
}

void ck_buf_free(struct ck_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = CK_OK;
}
