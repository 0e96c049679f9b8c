/*
 * text.c - strict UTF-8 decoding (RFC 3629 §4 table), shared by the checks
 * of stored text and the escaping of printed text (DESIGN.md §10).
 */
#include "base/text.h"

#include <pthread.h>
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

/* Each thread's last 16 escaped copies, freed when the thread ends (the
 * daemon's CA workers come and go). */
#define SAFE_RING 16
struct safe_ring {
	char *text[SAFE_RING];
	size_t next;
};

static pthread_key_t safe_key;
static pthread_once_t safe_once = PTHREAD_ONCE_INIT;

static void safe_ring_free(void *p)
{
	struct safe_ring *r = p;
	size_t i;

	for (i = 0; i < SAFE_RING; i++)
		free(r->text[i]);
	free(r);
}

static void safe_key_make(void)
{
	pthread_key_create(&safe_key, safe_ring_free);
}

const char *ck_text_safe(const char *s)
{
	struct safe_ring *r;
	char *e;

	if (s == NULL)
		return "";
	pthread_once(&safe_once, safe_key_make);
	r = pthread_getspecific(safe_key);
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL || pthread_setspecific(safe_key, r) != 0) {
			free(r);
			return "?"; /* out of memory: print nothing of it rather than raw */
		}
	}
	e = ck_text_escape(s, strlen(s));
	if (e == NULL)
		return "?";
	free(r->text[r->next]);
	r->text[r->next] = e;
	r->next = (r->next + 1) % SAFE_RING;
	return e;
}
