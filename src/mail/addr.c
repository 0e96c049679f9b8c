/*
 * addr.c - address and header checks for the exit module (DESIGN.md
 * §9; addr.h). Deliberately narrower than RFC 5322: no quoted local
 * parts, comments or display names, which a CA notification never needs
 * and which are where header parsers disagree.
 */
#include "mail/addr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strlist.h"

bool ck_header_safe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

static bool atext(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

static bool domain_ok(const char *d)
{
	size_t label = 0, len = strlen(d);
	const char *p;

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (p = d; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		} else if (isalnum(ch) || (ch == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return p[-1] != '-';
}

enum ck_err ck_addr_check(const char *in, char *out)
{
	size_t len = strlen(in);
	const char *at;
	size_t i, local;

	if (!ck_header_safe(in, len))
		return ck_fail(CK_EINVAL, "an e-mail address must not hold control characters "
					  "(CR, LF, NUL)");
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len == 0)
		return ck_fail(CK_EINVAL, "empty e-mail address");
	if (len > CK_ADDR_MAX)
		return ck_fail(CK_EINVAL, "e-mail address longer than %d characters", CK_ADDR_MAX);
	at = memchr(in, '@', len);
	if (at == NULL)
		return ck_fail(CK_EINVAL, "'%.*s' is not an e-mail address (no '@')", (int)len, in);
	local = (size_t)(at - in);
	if (local == 0 || local > 64 || in[0] == '.' || in[local - 1] == '.')
		return ck_fail(CK_EINVAL, "'%.*s': bad local part", (int)len, in);
	for (i = 0; i < local; i++)
		if (!(atext((unsigned char)in[i]) || (in[i] == '.' && in[i + 1] != '.')))
			return ck_fail(CK_EINVAL, "'%.*s': character '%c' not allowed before '@'",
				       (int)len, in, in[i]);
	memcpy(out, in, len);
	out[len] = '\0';
	if (!domain_ok(out + local + 1))
		return ck_fail(CK_EINVAL, "'%s': bad domain after '@'", out);
	return CK_OK;
}

enum ck_err ck_addr_list_parse(const char *in, char ***list, size_t *n)
{
	const char *p = in;

	while (*p) {
		char item[CK_ADDR_MAX + 3], addr[CK_ADDR_MAX + 1];
		size_t len = strcspn(p, ";,"), i;
		const char *s = p, *e = p + len;
		enum ck_err rc;
		bool dup = false;

		p = *e ? e + 1 : e;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e)
			continue;
		if ((size_t)(e - s) >= sizeof(item))
			return ck_fail(CK_EINVAL, "e-mail address longer than %d characters",
				       CK_ADDR_MAX);
		memcpy(item, s, (size_t)(e - s));
		item[e - s] = '\0';
		rc = ck_addr_check(item, addr);
		if (rc != CK_OK)
			return rc;
		for (i = 0; i < *n && !dup; i++)
			dup = strcasecmp((*list)[i], addr) == 0;
		if (!dup) {
			rc = ck_strlist_push(list, n, addr);
			if (rc != CK_OK)
				return rc;
		}
	}
	return CK_OK;
}
