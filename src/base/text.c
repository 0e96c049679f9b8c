/*
 * text.c - strict UTF-8 decoding (RFC 3629 §4 table), shared by the checks
 * of stored text and the escaping of printed text (DESIGN.md §10).
 */
#include "base/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ck_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, C0/C1 (always overlong), F5-FF */
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and the range past U+10FFFF are not
	 * UTF-8 at all (RFC 3629 §3). */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

bool ck_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	uint32_t cp;

	while (len > 0) {
		size_t n = ck_utf8_next(p, len, &cp);

		if (n == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

bool ck_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

char *ck_text_escape(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	uint32_t cp;

	/* At most 6 bytes ("\u009b") for each byte of input. */
	if (len > (SIZE_MAX - 1) / 6)
		return NULL;
	out = malloc(len * 6 + 1);
	if (out == NULL)
		return NULL;
	o = out;
	while (len > 0) {
		size_t n = ck_utf8_next(p, len, &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			snprintf(o, 5, "\\x%02x", p[0]);
			o += 4;
			n = 1;
		} else if (cp >= 0x80 && cp <= 0x9f) {
			snprintf(o, 7, "\\u%04x", (unsigned)cp);
			o += 6;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
		len -= n;
	}
	*o = '\0';
	return out;
}

const char *ck_text_safe(const char *s)
{
	static _Thread_local char *ring[16];
	static _Thread_local size_t next;
	char *e;

	if (s == NULL)
		return "";
	e = ck_text_escape(s, strlen(s));
	if (e == NULL)
		return "?"; /* out of memory: print nothing of it rather than raw */
	free(ring[next]);
	ring[next] = e;
	next = (next + 1) % (sizeof(ring) / sizeof(ring[0]));
	return e;
}
