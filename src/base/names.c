/*
 * names.c - domain-name checks and service sets (DESIGN.md §3).
 *
 * The only user of libidn2: A-labels are checked here, where every name
 * from outside is checked, so the CA, "new --domain", connectors and the
 * names read from certificates all apply the same rule.
 */
#include "base/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

static const struct {
	unsigned bit;
	const char *name;
	char letter;
} services[CK_SVC_COUNT] = {
	{ CK_SVC_IMAP, "IMAP", 'I' },
	{ CK_SVC_POP, "POP", 'P' },
	{ CK_SVC_UM, "UM", 'U' },
	{ CK_SVC_IIS, "IIS", 'W' },
	{ CK_SVC_SMTP, "SMTP", 'S' },
};

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* Printable, escaped copy of a hostile string for error messages. */
static void escape_for_message(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in != '\0' && o + 5 < n; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, n - o, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
}

/*
 * A label "xn--..." (lower case) must be a valid IDNA2008 A-label
 * (RFC 5891 §5.4): its punycode decodes to a U-label that IDNA2008
 * permits (no emoji, no upper case, no disallowed or unassigned code
 * points, contextual and bidi rules met), which encodes back to exactly
 * this label. A CA must not certify a name no conforming client can ask
 * for, nor two spellings of one name. No TR46 mapping: an A-label is
 * never mapped, only checked.
 */
static enum ck_err alabel_check(const char *label, size_t len, const char *shown)
{
	char buf[CK_LABEL_MAX + 1], *u = NULL;
	uint8_t *back = NULL;
	int rc;

	memcpy(buf, label, len);
	buf[len] = '\0';
	rc = idn2_to_unicode_8z8z(buf, &u, 0);
	if (rc == IDN2_OK)
		rc = idn2_lookup_u8((const uint8_t *)u, &back, IDN2_NO_TR46);
	if (rc == IDN2_OK && strcmp((const char *)back, buf) != 0)
		rc = IDN2_ALABEL_ROUNDTRIP_FAILED;
	idn2_free(u);
	idn2_free(back);
	if (rc != IDN2_OK)
		return ck_fail(CK_EINVAL,
			       "invalid domain name '%s': '%s' is not a valid IDNA2008 A-label (%s)",
			       shown, buf, idn2_strerror(rc));
	return CK_OK;
}

enum ck_err ck_domain_normalize(const char *in, bool allow_wildcard, char *out, size_t n)
{
	char shown[96];
	size_t len = strlen(in), label = 0, labels = 0, i;

	escape_for_message(in, shown, sizeof(shown));
	if (len == 0)
		return ck_fail(CK_EINVAL, "invalid domain name '': empty");
	if (len > CK_DOMAIN_MAX || len + 1 > n)
		return ck_fail(CK_EINVAL, "invalid domain name '%s': longer than %d characters",
			       shown, CK_DOMAIN_MAX);
	for (i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.' || c == '\0') {
			if (label == 0)
				return ck_fail(CK_EINVAL, "invalid domain name '%s': empty label",
					       shown);
			if (in[i - 1] == '-')
				return ck_fail(CK_EINVAL,
					       "invalid domain name '%s': a label ends with '-'", shown);
			labels++;
			label = 0;
			out[i] = (char)c;
			continue;
		}
		if (c == '*') {
			if (!allow_wildcard)
				return ck_fail(CK_EINVAL,
					       "invalid domain name '%s': wildcards are not allowed here",
					       shown);
			if (i == 0 && in[1] == '\0')
				return ck_fail(CK_EINVAL,
					       "invalid domain name '%s': a wildcard needs two labels after it",
					       shown);
			if (i != 0 || in[1] != '.')
				return ck_fail(CK_EINVAL,
					       "invalid domain name '%s': '*' must be the whole left-most label",
					       shown);
		} else if (c == '\r' || c == '\n') {
			return ck_fail(CK_EINVAL, "invalid domain name '%s': contains CR or LF", shown);
		} else if (c >= 0x80) {
			return ck_fail(CK_EINVAL,
				       "invalid domain name '%s': non-ASCII; give the IDNA A-label (xn--...)",
				       shown);
		} else if (!is_ldh(c)) {
			return ck_fail(CK_EINVAL,
				       "invalid domain name '%s': character 0x%02x is not allowed", shown,
				       c);
		} else if (c == '-' && label == 0) {
			return ck_fail(CK_EINVAL, "invalid domain name '%s': a label starts with '-'",
				       shown);
		}
		if (++label > CK_LABEL_MAX)
			return ck_fail(CK_EINVAL, "invalid domain name '%s': a label is longer than %d",
				       shown, CK_LABEL_MAX);
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	/* A name whose last label is all digits is an IP address in disguise
	 * (RFC 3696 2: top-level labels are never numeric). */
	{
		const char *last = strrchr(out, '.');

		last = last ? last + 1 : out;
		if (strspn(last, "0123456789") == strlen(last))
			return ck_fail(CK_EINVAL,
				       "invalid domain name '%s': the last label is numeric (an IP "
				       "address is not a domain name)",
				       shown);
	}
	if (in[0] == '*' && labels < 3)
		return ck_fail(CK_EINVAL,
			       "invalid domain name '%s': a wildcard needs two labels after it", shown);
	for (i = 0; i < len; i += label + 1) {
		enum ck_err rc;

		label = strcspn(out + i, ".");
		if (label < 4 || memcmp(out + i, "xn--", 4) != 0)
			continue;
		rc = alabel_check(out + i, label, shown);
		if (rc != CK_OK)
			return rc;
	}
	return CK_OK;
}

enum ck_err ck_services_parse(const char *list, unsigned *out)
{
	unsigned set = 0;
	const char *p = list;

	if (strcasecmp(list, "none") == 0) {
		*out = 0;
		return CK_OK;
	}
	while (1) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool found = false;
		size_t i;

		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		for (i = 0; i < CK_SVC_COUNT; i++) {
			if (strlen(services[i].name) == len &&
			    strncasecmp(p, services[i].name, len) == 0) {
				set |= services[i].bit;
				found = true;
			}
		}
		if (!found && len == 5 && strncasecmp(p, "HTTPS", 5) == 0) {
			set |= CK_SVC_IIS;
			found = true;
		}
		if (!found) {
			char shown[64];
			char tmp[64];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)(len < 60 ? len : 60), p);
			escape_for_message(tmp, shown, sizeof(shown));
			return ck_fail(CK_EINVAL,
				       "unknown service '%s': use IMAP, POP, UM, IIS (or HTTPS), SMTP",
				       shown);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = set;
	return CK_OK;
}

void ck_services_compact(unsigned s, char *buf, size_t n)
{
	size_t i;

	if (n < CK_SVC_COUNT + 1) {
		if (n > 0)
			buf[0] = '\0';
		return;
	}
	for (i = 0; i < CK_SVC_COUNT; i++)
		buf[i] = (s & services[i].bit) ? services[i].letter : '.';
	buf[CK_SVC_COUNT] = '\0';
}

void ck_services_long(unsigned s, char *buf, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < CK_SVC_COUNT && o < n; i++) {
		if (!(s & services[i].bit))
			continue;
		o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", services[i].name);
	}
	if (o == 0)
		snprintf(buf, n, "None");
}

const char *ck_service_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < CK_SVC_COUNT; i++)
		if (services[i].bit == bit)
			return services[i].name;
	return NULL;
}
