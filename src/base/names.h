/*
 * names.h - domain names and service sets as certkeep accepts them
 * (DESIGN.md §3).
 *
 * Domain names come from users and from certificates, both untrusted: they
 * are checked here once, normalised to lower case, and only then stored,
 * compared or printed.
 */
#ifndef CK_NAMES_H
#define CK_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define CK_DOMAIN_MAX 253
#define CK_LABEL_MAX 63
/* Names a certificate or a request may carry (CertificateDomains). */
#define CK_MAX_DOMAINS 100

/* Services, one bit each; the order is the display order "IPUWS". */
enum ck_service {
	CK_SVC_IMAP = 1u << 0,
	CK_SVC_POP = 1u << 1,
	CK_SVC_UM = 1u << 2,
	CK_SVC_IIS = 1u << 3,
	CK_SVC_SMTP = 1u << 4,
};
#define CK_SVC_ALL 0x1fu
#define CK_SVC_COUNT 5

/*
 * Checks a DNS name and writes its lower-case form into out (>= 254 bytes).
 * Accepted: ASCII letters, digits and hyphens in labels of 1-63 octets (no
 * leading or trailing hyphen), 253 octets in all. A label starting with
 * "xn--" (any case) must be a valid IDNA2008 A-label (checked with
 * libidn2: decodes to a permitted U-label that encodes back to it). A
 * wildcard is accepted only when allow_wildcard and only as the whole
 * left-most label ("*.example.com"), with at least two labels after it.
 * Anything else fails with CK_EINVAL and a message that names the problem.
 */
enum ck_err ck_domain_normalize(const char *in, bool allow_wildcard, char *out, size_t n);

/* Parses "IMAP,POP,SMTP" (case-insensitive, HTTPS = IIS, "None" = empty). */
enum ck_err ck_services_parse(const char *list, unsigned *out);

/* Compact form in fixed positions: "IP.WS" (buf >= 6). */
void ck_services_compact(unsigned services, char *buf, size_t n);

/* Long form "IMAP, POP, IIS, SMTP" or "None" (buf >= 32). */
void ck_services_long(unsigned services, char *buf, size_t n);

/* Name of one service bit ("IMAP"), or NULL. */
const char *ck_service_name(unsigned bit);

#endif
