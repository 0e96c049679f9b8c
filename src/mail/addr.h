/*
 * addr.h - e-mail addresses and header text as the exit module accepts
 * them (DESIGN.md §9).
 *
 * Everything that becomes a mail header or an SMTP command argument passes
 * here first: a CR or LF would let a value start a new header or a new SMTP
 * command (header and command injection, curl lib/smtp.c refuses the
 * same), so they are refused, with NUL and the other control bytes.
 * Lists returned are malloc'ed; free with ck_strlist_free.
 */
#ifndef CK_MAILADDR_H
#define CK_MAILADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define CK_ADDR_MAX 254

/* True if the len bytes of s hold no CR, LF, NUL or other control byte
 * (a tab is allowed). */
bool ck_header_safe(const char *s, size_t len);

/* Checks one bare address, local@domain: a dot-atom local part of at most
 * 64 octets, a DNS domain; 254 octets at most. "<a@b>" is accepted and
 * written without its brackets to out (CK_ADDR_MAX + 1 bytes). */
enum ck_err ck_addr_check(const char *in, char *out);

/* Splits a list of addresses separated by ';' or ',' (spaces around them
 * ignored), checks each, and appends those not already in *list (compared
 * without case) to it. An empty list is fine. */
enum ck_err ck_addr_list_parse(const char *in, char ***list, size_t *n);

#endif
