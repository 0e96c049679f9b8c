/*
 * buf.h - a growable byte buffer with a ceiling (DESIGN.md §1, base: buffers),
 * for text and DER that certkeep builds or reads: a mail message, a CRL,
 * a file's contents.
 *
 * Every buffer has an explicit largest size, checked before it grows (as
 * curl's dynbuf), so no input or message can make certkeep allocate without
 * bound. Its bytes are always followed by a NUL that the length does not
 * count, so text in it is a C string. A failed add leaves the contents as
 * they were and is sticky: every later add fails with the same code until
 * ck_buf_reset, so a run of adds can be checked once at its end.
 *
 * Ownership: the buffer owns its memory until ck_buf_detach hands it over
 * (free it with free()); ck_buf_free releases it.
 */
#ifndef CK_BUF_H
#define CK_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/err.h"

struct ck_buf {
	char *data;     /* NULL until the first byte; then NUL-terminated */
	size_t len;     /* bytes in use, the NUL not counted */
	size_t cap;     /* bytes allocated */
	size_t max;     /* the ceiling for len */
	enum ck_err failed; /* CK_OK, or the code of the first failed add */
};

/* An empty buffer that may hold up to max bytes; allocates nothing. */
void ck_buf_init(struct ck_buf *b, size_t max);

/* Appends n bytes (n may be 0). CK_ENOMEM when memory runs out, CK_EINVAL
 * ("too large: more than MAX bytes") when len would pass the ceiling. */
enum ck_err ck_buf_add(struct ck_buf *b, const void *p, size_t n);

/* Appends a C string, without its NUL. */
enum ck_err ck_buf_add_str(struct ck_buf *b, const char *s);

/* Appends n zero bytes (room to fill in later through data). */
enum ck_err ck_buf_add_zeros(struct ck_buf *b, size_t n);

/* Appends printf-style text. */
enum ck_err ck_buf_printf(struct ck_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum ck_err ck_buf_vprintf(struct ck_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* The contents as a C string: "" while empty, never NULL. */
const char *ck_buf_str(const struct ck_buf *b);

/* CK_OK, or the code of the first add that failed since init or reset. */
enum ck_err ck_buf_error(const struct ck_buf *b);

/* Empties the buffer and clears a failure, keeping its memory. */
void ck_buf_reset(struct ck_buf *b);

/* Hands over the contents (NUL-terminated; *len may be NULL) and leaves the
 * buffer empty. An empty buffer still gives an allocated "". NULL (message
 * set) only when that allocation fails. */
char *ck_buf_detach(struct ck_buf *b, size_t *len);

/* Releases the memory; the buffer is empty again (and may be reused). */
void ck_buf_free(struct ck_buf *b);

#endif
