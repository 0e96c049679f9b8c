/*
 * text.h - strict UTF-8 for the free text users store and certkeep prints
 * (DESIGN.md §6, §8, §10).
 *
 * Requester names, e-mail addresses, reasons and friendly names end up in
 * events, JSON and mail. Nothing but well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) may be stored, as
 * jansson refuses anything else. No library the project links exports such
 * a check (jansson's is internal), so this is the one decoder.
 */
#ifndef CK_TEXT_H
#define CK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence at s[0..len), its
 * code point in *cp; 0 when s does not start with one (len 0 included). */
size_t ck_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* Whether s is well-formed UTF-8 throughout. */
bool ck_utf8_valid(const char *s);

/* Whether code point cp is a control character: C0 (U+0000-U+001F), DEL
 * (U+007F) or C1 (U+0080-U+009F). */
bool ck_is_control(uint32_t cp);

/* A copy of s (NUL-terminated, len bytes) safe to print on a terminal, in
 * a new buffer: C0 controls, DEL and bytes that are not UTF-8 as \xHH, C1
 * controls (U+0080-U+009F, a terminal's 8-bit CSI among them) as \u00HH;
 * everything else, backslashes included, as it is. NULL: out of memory. */
char *ck_text_escape(const char *s, size_t len);

/* s (NULL prints as "") with control characters and bytes that are not
 * UTF-8 escaped (ck_text_escape), for text output of anything that came
 * from outside: certificate names, requester names, event messages. The
 * result lives until 16 more calls of the same thread; never NULL. */
const char *ck_text_safe(const char *s);

#endif
