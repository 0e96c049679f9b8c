/*
 * exitreg.c - the exit module's keys and event groups, setreg/getreg and
 * the SMTP login (DESIGN.md §9; exitreg.h).
 *
 * The defaults mirror AD CS's sample configuration (REFERENCE.md Part A
 * §1.1): the same titles, body lines and property names, so an
 * administrator's habits and scripts carry over. Mail is off until
 * SMTPServer is set and EventFilter names an event: "By default, no
 * messages are enabled for the CA."
 */
#include "core/events/exitreg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/host.h"
#include "mail/addr.h"
#include "base/strlist.h"
#include "base/suggest.h"

#define REG_PREFIX "exit\\smtp\\"
#define PASSWORD_FILE "smtp-password"
#define VALUE_MAX 16384

#define L "\n"
const struct ck_exit_group ck_exit_groups[] = {
	{ "Issued", 0x1, true,
	  "Your certificate has been issued by %1", "SanitizedCAName",
	  "Request ID: %1" L "UPN: %2" L "Requester Name: %3" L "Serial Number: %4" L
	  "Valid not before: %5" L "Valid not after: %6" L "Distinguished Name: %7" L
	  "Certificate Template: %8" L "Certificate Hash: %9" L
	  "Request Disposition Message: %10" L "Binary Certificate: %11",
	  "Request.RequestID" L "UPN" L "Request.RequesterName" L "SerialNumber" L "NotBefore" L
	  "NotAfter" L "Request.DistinguishedName" L "CertificateTemplate" L "CertificateHash" L
	  "Request.DispositionMessage" L "RawCertificate" },
	{ "Pending", 0x2, true,
	  "Your certificate is pending on %1", "SanitizedCAName",
	  "Request ID: %1" L "UPN: %2" L "Requester Name: %3" L "Time submitted: %4" L
	  "Distinguished Name: %5" L "Certificate Template: %6" L
	  "Request Disposition Message: %7",
	  "Request.RequestID" L "UPN" L "Request.RequesterName" L "Request.SubmittedWhen" L
	  "Request.DistinguishedName" L "CertificateTemplate" L "Request.DispositionMessage" },
	{ "Denied", 0x4, true,
	  "Your certificate request was denied by %1", "SanitizedCAName",
	  "Request ID: %1" L "Requester Name: %2" L "Submission Date: %3" L "Subject Name: %4" L
	  "Disposition Message: %5" L "StatusCode: %6",
	  "Request.RequestID" L "Request.RequesterName" L "Request.SubmittedWhen" L
	  "Request.DistinguishedName" L "Request.DispositionMessage" L "Request.StatusCode" },
	{ "Revoked", 0x8, true,
	  "Your certificate was revoked by %1", "SanitizedCAName",
	  "Request ID: %1" L "Revoked When: %2" L "Effective When: %3" L "Revocation Reason: %4" L
	  "UPN: %5" L "Requester Name: %6" L "Serial Number: %7" L "Valid not before: %8" L
	  "Valid not after: %9" L "Distinguished Name: %10" L "Certificate Template: %11" L
	  "Certificate Hash: %12" L "Request Status Code: %13",
	  "Request.RequestID" L "Request.RevokedWhen" L "Request.RevokedEffectiveWhen" L
	  "Request.RevokedReason" L "UPN" L "Request.RequesterName" L "SerialNumber" L
	  "NotBefore" L "NotAfter" L "Request.DistinguishedName" L "CertificateTemplate" L
	  "CertificateHash" L "Request.StatusCode" },
	{ "CRLIssued", 0x20, false,
	  "A new CRL was issued by %1", "SanitizedCAName",
	  "A new CRL has been issued", "" },
	{ "Startup", 0x80, false,
	  "Certificate Services started on %1", "MachineDNSName",
	  "Certificate Services for %1 started at %2.", "SanitizedCAName" L "EventTime" },
	{ "Shutdown", 0x40, false,
	  "Certificate Services stopped on %1", "MachineDNSName",
	  "Certificate Services for %1 stopped at %2.", "SanitizedCAName" L "EventTime" },
	{ "Imported", 0x200, true,
	  "A certificate was imported into %1", "SanitizedCAName",
	  "Request ID: %1" L "Requester Name: %2" L "Serial Number: %3" L "Valid not before: %4" L
	  "Valid not after: %5" L "Distinguished Name: %6" L "Certificate Hash: %7",
	  "Request.RequestID" L "Request.RequesterName" L "SerialNumber" L "NotBefore" L
	  "NotAfter" L "Request.DistinguishedName" L "CertificateHash" },
	{ "Unrevoked", 0, true,
	  "Your certificate was unrevoked by %1", "SanitizedCAName",
	  "Request ID: %1" L "Requester Name: %2" L "Serial Number: %3" L
	  "Distinguished Name: %4" L "Certificate Hash: %5",
	  "Request.RequestID" L "Request.RequesterName" L "SerialNumber" L
	  "Request.DistinguishedName" L "CertificateHash" },
	{ "Expiring", 0, false,
	  "Certificate %1 expires within %2 days", "Subject" L "ThresholdDays",
	  "The certificate %1 expires at %2." L "Thumbprint: %3" L "Host: %4" L L
	  "Renew it (certkeep clone %3) or let autorenew do it.",
	  "Subject" L "NotAfter" L "Thumbprint" L "MachineDNSName" },
	{ "Expired", 0, false,
	  "Certificate %1 has expired", "Subject",
	  "The certificate %1 expired at %2." L "Thumbprint: %3" L "Host: %4",
	  "Subject" L "NotAfter" L "Thumbprint" L "MachineDNSName" },
	{ "Replaced", 0, false,
	  "Certificate replaced on %1", "MachineDNSName",
	  "A certificate has been replaced (%1)." L "Old thumbprint: %2" L "New thumbprint: %3" L
	  "Names: %4",
	  "Action" L "OldThumbprint" L "NewThumbprint" L "SubjectNames" },
	{ "NoCertificate", 0, false,
	  "No certificate for %1 (connector %2)", "Fqdn" L "Connector",
	  "%1", "EventMessage" },
	{ "RenewalFailed", 0, false,
	  "Certificate renewal failed on %1", "MachineDNSName",
	  "The certificate %1 could not be renewed: %2" L "Failures: %3" L "Next attempt: %4",
	  "Thumbprint" L "Error" L "Failures" L "NextAttempt" },
	{ "BindingFailed", 0, false,
	  "Binding %1 failed on %2", "Site" L "MachineDNSName",
	  "Site %1 could not be moved to certificate %2: %3",
	  "Site" L "NewThumbprint" L "Error" },
};
#undef L
const size_t ck_exit_n_groups = sizeof(ck_exit_groups) / sizeof(ck_exit_groups[0]);

static const struct ck_exit_group *group_named(const char *name)
{
	size_t i;

	for (i = 0; i < ck_exit_n_groups; i++)
		if (strcasecmp(name, ck_exit_groups[i].name) == 0)
			return &ck_exit_groups[i];
	return NULL;
}

const struct ck_exit_group *ck_exit_group_by_event(int id)
{
	const struct ck_event_kind *kind = ck_event_kind(id);

	return kind && kind->exit_group ? group_named(kind->exit_group) : NULL;
}

const struct ck_event_kind *ck_exit_group_event(const struct ck_exit_group *g)
{
	size_t i;

	for (i = 0; i < ck_event_n_kinds; i++)
		if (ck_event_catalogue[i].exit_group &&
		    strcmp(ck_event_catalogue[i].exit_group, g->name) == 0)
			return &ck_event_catalogue[i];
	return NULL;
}

/* The name of the event g mails, "CertIssued". */
static const char *event_name(const struct ck_exit_group *g)
{
	const struct ck_event_kind *kind = ck_exit_group_event(g);

	return kind ? kind->name : "?";
}

const struct ck_exit_group *ck_exit_group_match(const char *name)
{
	size_t i;

	if (strncasecmp(name, "EXITEVENT_", 10) == 0)
		name += 10;
	for (i = 0; i < ck_exit_n_groups; i++)
		if (strcasecmp(name, ck_exit_groups[i].name) == 0 ||
		    strcasecmp(name, event_name(&ck_exit_groups[i])) == 0)
			return &ck_exit_groups[i];
	return NULL;
}

/* ---- key names ---- */

static const struct ck_config_key *key_named(const char *name, bool per_group)
{
	size_t i;

	for (i = 0; i < ck_reg_n_keys; i++)
		if (ck_reg_keys[i].per_group == per_group && strcasecmp(name, ck_reg_keys[i].name) == 0)
			return &ck_reg_keys[i];
	return NULL;
}

/* The candidate nearer than any before it, copied to out. */
static void consider(struct ck_nearest *near, const char *cand, char *out, size_t n)
{
	if (ck_nearest_consider(near, cand))
		snprintf(out, n, "%s", cand);
}

void ck_reg_suggest(const char *in, char *out, size_t n)
{
	char full[512], cand[128];
	struct ck_nearest near;
	size_t i, g;

	/* A name given without the exit\smtp\ prefix is measured with it,
	 * and with \ for /, as the candidates are spelt. */
	if (strncasecmp(in, "exit", 4) == 0)
		snprintf(full, sizeof(full), "%s", in);
	else
		snprintf(full, sizeof(full), REG_PREFIX "%s", in);
	for (i = 0; full[i]; i++)
		if (full[i] == '/')
			full[i] = '\\';
	ck_nearest_init(&near, full);
	for (i = 0; i < ck_reg_n_keys; i++) {
		if (ck_reg_keys[i].per_group)
			continue;
		snprintf(cand, sizeof(cand), REG_PREFIX "%s", ck_reg_keys[i].name);
		consider(&near, cand, out, n);
	}
	for (g = 0; g < ck_exit_n_groups; g++) {
		snprintf(cand, sizeof(cand), REG_PREFIX "%s", ck_exit_groups[g].name);
		consider(&near, cand, out, n);
		for (i = 0; i < ck_reg_n_keys; i++) {
			if (!ck_reg_keys[i].per_group)
				continue;
			snprintf(cand, sizeof(cand), REG_PREFIX "%s\\%s", ck_exit_groups[g].name,
				 ck_reg_keys[i].name);
			consider(&near, cand, out, n);
		}
	}
}

static enum ck_err unknown_key(const char *in)
{
	char near[128] = "";

	ck_reg_suggest(in, near, sizeof(near));
	if (!ck_header_safe(in, strlen(in)))
		return ck_fail(CK_EINVAL, "unknown key (with control characters): did you mean %s?",
			       near);
	return ck_fail(CK_EINVAL, "unknown key '%.100s': did you mean %s?", in, near);
}

enum ck_err ck_reg_lookup(const char *in, bool allow_group, struct ck_reg_ref *ref)
{
	char buf[128], *part[5];
	size_t len = strlen(in), n = 0;
	char *p;

	memset(ref, 0, sizeof(*ref));
	if (len == 0 || len >= sizeof(buf))
		return unknown_key(in);
	memcpy(buf, in, len + 1);
	while (len > 0 && (buf[len - 1] == '\\' || buf[len - 1] == '/'))
		buf[--len] = '\0';
	for (p = buf; n < 5;) {
		part[n++] = p;
		p += strcspn(p, "\\/");
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	if (*p != '\0' || n < 3 || strcasecmp(part[0], "exit") != 0 ||
	    strcasecmp(part[1], "smtp") != 0)
		return unknown_key(in);
	if (n == 3) {
		ref->key = key_named(part[2], false);
		if (ref->key == NULL && allow_group)
			ref->group = group_named(part[2]);
		if (ref->key == NULL && ref->group == NULL)
			return unknown_key(in);
		snprintf(ref->name, sizeof(ref->name), REG_PREFIX "%s",
			 ref->key ? ref->key->name : ref->group->name);
		return CK_OK;
	}
	if (n != 4)
		return unknown_key(in);
	ref->group = group_named(part[2]);
	ref->key = ref->group ? key_named(part[3], true) : NULL;
	if (ref->key == NULL)
		return unknown_key(in);
	snprintf(ref->name, sizeof(ref->name), REG_PREFIX "%s\\%s", ref->group->name,
		 ref->key->name);
	return CK_OK;
}

/* "exit.smtp.issued.from": the config table's key for ref. */
static void config_key(const struct ck_reg_ref *ref, char *out, size_t n)
{
	size_t i;

	snprintf(out, n, "exit.smtp.%s", ref->name + strlen(REG_PREFIX));
	for (i = 0; out[i]; i++)
		out[i] = out[i] == '\\' ? '.' : (char)tolower((unsigned char)out[i]);
}

/* ---- values ---- */

int ck_template_max_arg(const char *fmt)
{
	int max = 0;
	const char *p;

	for (p = fmt; *p; p++) {
		int v = 0, digits = 0;

		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		while (isdigit((unsigned char)p[1]) && digits < 3) {
			v = v * 10 + (p[1] - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			continue; /* a lone '%' is literal */
		if (v == 0 || v > 99) {
			ck_fail(CK_EINVAL, "placeholder %%%d: they run from %%1 to %%99", v);
			return -1;
		}
		if (v > max)
			max = v;
	}
	return max;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	while (*s) {
		n++;
		s += strcspn(s, "\n");
		if (*s)
			s++;
	}
	return n;
}

/* Splits a list value (items separated by any of seps) into *items,
 * skipping empty ones and trimming spaces. */
static enum ck_err split(const char *in, const char *seps, char ***items, size_t *n)
{
	while (*in) {
		size_t len = strcspn(in, seps);
		const char *s = in, *e = in + len;
		char item[VALUE_MAX];
		enum ck_err rc;

		in = *e ? e + 1 : e;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e)
			continue;
		if ((size_t)(e - s) >= sizeof(item))
			return ck_fail(CK_EINVAL, "list item too long");
		memcpy(item, s, (size_t)(e - s));
		item[e - s] = '\0';
		rc = ck_strlist_push(items, n, item);
		if (rc != CK_OK)
			return rc;
	}
	return CK_OK;
}

static enum ck_err join(char **items, size_t n, const char *sep, char **out)
{
	size_t len = 1, i, sl = strlen(sep);
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(items[i]) + sl;
	s = malloc(len);
	if (s == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	*s = '\0';
	for (i = 0, len = 0; i < n; i++) {
		size_t il = strlen(items[i]);

		if (i) {
			memcpy(s + len, sep, sl);
			len += sl;
		}
		memcpy(s + len, items[i], il);
		len += il;
	}
	s[len] = '\0';
	*out = s;
	return CK_OK;
}

static bool name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return false;
	return true;
}

static int find_ci(char **items, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(items[i], s) == 0)
			return (int)i;
	return -1;
}

/* Lists (names, addresses): +ITEMS adds, -ITEMS removes, ITEMS replaces. */
static enum ck_err parse_list(const struct ck_reg_ref *ref, const char *current,
			      const char *input, char **out)
{
	bool addrs = ref->key->type == CK_CFG_ADDRS;
	char **cur = NULL, **given = NULL;
	size_t ncur = 0, ngiven = 0, i;
	char sign = (input[0] == '+' || input[0] == '-') ? input[0] : 0;
	enum ck_err rc;

	if (sign)
		input++;
	rc = addrs ? ck_addr_list_parse(input, &given, &ngiven) : split(input, ",;", &given, &ngiven);
	if (rc != CK_OK)
		goto out;
	for (i = 0; !addrs && i < ngiven; i++)
		if (!name_ok(given[i])) {
			rc = ck_fail(CK_EINVAL, "%s: '%.64s' is not a name (letters, digits, '.', "
						"'_', '-')", ref->name, given[i]);
			goto out;
		}
	if (sign && current)
		rc = split(current, addrs ? ";" : "\n", &cur, &ncur);
	for (i = 0; rc == CK_OK && i < ngiven; i++) {
		int at = find_ci(cur, ncur, given[i]);

		if (sign == '-' && at < 0) {
			rc = ck_fail(CK_EINVAL, "%s does not hold %.100s", ref->name, given[i]);
		} else if (sign == '-') {
			free(cur[at]);
			memmove(&cur[at], &cur[at + 1], (ncur - (size_t)at - 1) * sizeof(*cur));
			ncur--;
		} else if (at < 0 || !sign) {
			rc = ck_strlist_push(&cur, &ncur, given[i]);
		}
	}
	if (rc == CK_OK && ref->key->max > 0 && ncur > (size_t)ref->key->max)
		rc = ck_fail(CK_EINVAL, "%s takes at most %ld address%s", ref->name, ref->key->max,
			     ref->key->max == 1 ? "" : "es");
	if (rc == CK_OK)
		rc = join(cur, ncur, addrs ? ";" : "\n", out);
out:
	ck_strlist_free(cur, ncur);
	ck_strlist_free(given, ngiven);
	return rc;
}

/* EventFilter: +NAMES, -NAMES, NAMES or AD CS's bit mask, kept as group
 * names in table order. */
static enum ck_err parse_filter(const char *current, const char *input, char **out)
{
	bool on[64] = { false };
	char **given = NULL, **names = NULL;
	size_t ngiven = 0, nnames = 0, i;
	char sign = (input[0] == '+' || input[0] == '-') ? input[0] : 0;
	enum ck_err rc = CK_OK;
	char *end;
	unsigned long mask;

	if (sign)
		input++;
	errno = 0;
	mask = strtoul(input, &end, 0);
	if (!sign && *input && *end == '\0' && errno == 0) {
		for (i = 0; i < ck_exit_n_groups; i++)
			if (ck_exit_groups[i].adcs_bit & mask) {
				on[i] = true;
				mask &= ~(unsigned long)ck_exit_groups[i].adcs_bit;
			}
		if (mask)
			return ck_fail(CK_EINVAL, "EventFilter: bits 0x%lx name no event", mask);
		goto done;
	}
	if (sign && current) {
		rc = split(current, "\n", &names, &nnames);
		for (i = 0; rc == CK_OK && i < nnames; i++) {
			const struct ck_exit_group *g = ck_exit_group_match(names[i]);

			if (g)
				on[g - ck_exit_groups] = true;
		}
	}
	if (rc == CK_OK)
		rc = split(input, ",;| \t", &given, &ngiven);
	for (i = 0; rc == CK_OK && i < ngiven; i++) {
		const struct ck_exit_group *g = ck_exit_group_match(given[i]);

		if (g == NULL && !sign && strcasecmp(given[i], "none") == 0)
			continue;
		if (g == NULL)
			rc = ck_fail(CK_EINVAL,
				     "EventFilter: no mailed event is called '%.64s' (names: "
				     "EXITEVENT_CERTISSUED, CertIssued, Issued, ...; see man certkeep)",
				     given[i]);
		else
			on[g - ck_exit_groups] = sign != '-';
	}
done:
	ck_strlist_free(names, nnames);
	names = NULL;
	nnames = 0;
	for (i = 0; rc == CK_OK && i < ck_exit_n_groups; i++)
		if (on[i])
			rc = ck_strlist_push(&names, &nnames, ck_exit_groups[i].name);
	if (rc == CK_OK)
		rc = join(names, nnames, "\n", out);
	ck_strlist_free(names, nnames);
	ck_strlist_free(given, ngiven);
	return rc;
}

static enum ck_err parse_tls(const char *in, char **out)
{
	static const char *const modes[] = { "starttls-required", "starttls-if-offered", "smtps",
					     "none" };
	const char *v = NULL;
	size_t i;

	/* AD CS's 0/1 (SSL off/on): 1 must mean a protected channel. */
	if (strcmp(in, "0") == 0)
		v = "none";
	else if (strcmp(in, "1") == 0)
		v = "starttls-required";
	for (i = 0; v == NULL && i < 4; i++)
		if (strcasecmp(in, modes[i]) == 0)
			v = modes[i];
	if (v == NULL)
		return ck_fail(CK_EINVAL, "SMTPUseTLS is starttls-required (1), starttls-if-offered, "
					  "smtps or none (0)");
	*out = strdup(v);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

enum ck_err ck_reg_parse(const struct ck_reg_ref *ref, const char *current, const char *input,
			 char **out)
{
	const struct ck_config_key *k = ref->key;
	size_t len = strlen(input);

	*out = NULL;
	if (k == NULL)
		return ck_fail(CK_EINVAL, "%s is a group, not a value", ref->name);
	if (len > VALUE_MAX)
		return ck_fail(CK_EINVAL, "%s: value longer than %d bytes", ref->name, VALUE_MAX);
	if (k->type != CK_CFG_LINES && !ck_header_safe(input, len))
		return ck_fail(CK_EINVAL, "%s: control characters (CR, LF, NUL) are not allowed",
			       ref->name);
	if (len == 0)
		return (*out = strdup("")) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	switch (k->type) {
	case CK_CFG_INT: {
		/* AD CS's 2 is NTLM: say so rather than "must be from 0 to 1". */
		char *end;
		long v;

		errno = 0;
		v = strtol(input, &end, 0);
		if (strcmp(k->name, "SMTPAuthenticate") == 0 && errno == 0 && *end == '\0' &&
		    end != input && v == 2)
			return ck_fail(CK_EINVAL, "SMTPAuthenticate 2 (NTLM) is not supported: use 1 "
						  "(basic, over TLS) or 0");
		return ck_config_parse(k, ref->name, input, out);
	}
	case CK_CFG_SECRET:
		return ck_fail(CK_EINVAL, "the password is set with 'ca setsmtpinfo USER' (read "
					  "without echo, never from the command line)");
	case CK_CFG_TLS:
		return parse_tls(input, out);
	case CK_CFG_FILTER:
		return parse_filter(current, input, out);
	case CK_CFG_LIST:
	case CK_CFG_ADDRS:
		return parse_list(ref, current, input, out);
	case CK_CFG_FORMAT:
		if (ck_template_max_arg(input) < 0)
			return CK_EINVAL;
		break;
	case CK_CFG_LINES: {
		const char *text = input[0] == '+' ? input + 1 : input;
		size_t i, tl = strlen(text), cl = current ? strlen(current) : 0;
		char *s;

		for (i = 0; i < tl; i++)
			if (((unsigned char)text[i] < 0x20 && text[i] != '\t' && text[i] != '\n') ||
			    text[i] == 0x7f)
				return ck_fail(CK_EINVAL, "%s: control characters other than "
							  "line ends are not allowed", ref->name);
		if (ck_template_max_arg(text) < 0)
			return CK_EINVAL;
		if (input[0] != '+' || cl == 0)
			return (*out = strdup(text)) ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
		if (cl + tl + 2 > VALUE_MAX)
			return ck_fail(CK_EINVAL, "%s: longer than %d bytes", ref->name, VALUE_MAX);
		s = malloc(cl + tl + 2);
		if (s == NULL)
			return ck_fail(CK_ENOMEM, "out of memory");
		memcpy(s, current, cl);
		s[cl] = '\n';
		memcpy(s + cl + 1, text, tl + 1);
		*out = s;
		return CK_OK;
	}
	default: /* the types every key may have */
		return ck_config_parse(k, ref->name, input, out);
	}
	*out = strdup(input);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

/* ---- reading ---- */

void ck_exit_fqdn(struct store *st, char *out, size_t n)
{
	char *v = NULL, short_name[256];

	if (ck_config_stored(st, CK_CFG_HOST_FQDN, &v) == CK_OK && v[0]) {
		snprintf(out, n, "%s", v);
	} else if (ck_host_names(short_name, sizeof(short_name), out, n) != CK_OK) {
		snprintf(out, n, "localhost");
		ck_errmsg_clear();
	}
	free(v);
}

static const char *group_default(const struct ck_reg_ref *ref)
{
	const char *name = ref->key->name;

	if (strcmp(name, "TitleFormat") == 0)
		return ref->group->title;
	if (strcmp(name, "TitleArg") == 0)
		return ref->group->title_args;
	if (strcmp(name, "BodyFormat") == 0)
		return ref->group->body;
	if (strcmp(name, "BodyArg") == 0)
		return ref->group->body_args;
	return "";
}

/* The stored value, or NULL (with CK_OK) when the key is not set. */
static enum ck_err stored(struct store *st, const struct ck_reg_ref *ref, char **out)
{
	char ckey[160];
	enum ck_err rc;

	config_key(ref, ckey, sizeof(ckey));
	*out = NULL;
	rc = store_config_get(st, ckey, out);
	if (rc == CK_ENOTFOUND || (rc == CK_OK && (*out)[0] == '\0')) {
		free(*out);
		*out = NULL;
		ck_errmsg_clear();
		return CK_OK;
	}
	return rc;
}

/* ref's default, stored form: the key's, the group's template, or
 * certkeep@FQDN for From. */
static enum ck_err reg_default(struct store *st, const struct ck_reg_ref *ref, char **out)
{
	char buf[300];

	if (ref->key->def)
		*out = strdup(ref->key->def);
	else if (strcmp(ref->key->name, "From") == 0) {
		char fqdn[256];

		ck_exit_fqdn(st, fqdn, sizeof(fqdn));
		snprintf(buf, sizeof(buf), "certkeep@%s", fqdn);
		*out = strdup(buf);
	} else
		*out = strdup(group_default(ref));
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}

enum ck_err ck_reg_value(struct store *st, const struct ck_reg_ref *ref, char **out)
{
	enum ck_err rc;

	if (ref->key->secret)
		return ck_fail(CK_EINVAL, "%s is never shown", ref->name);
	rc = stored(st, ref, out);
	if (rc != CK_OK || *out)
		return rc;
	return reg_default(st, ref, out);
}

enum ck_err ck_reg_value_of(struct store *st, const char *group, const char *name, char **out)
{
	char key[128];
	struct ck_reg_ref ref;
	enum ck_err rc;

	if (group)
		snprintf(key, sizeof(key), REG_PREFIX "%s\\%s", group, name);
	else
		snprintf(key, sizeof(key), REG_PREFIX "%s", name);
	rc = ck_reg_lookup(key, false, &ref);
	return rc == CK_OK ? ck_reg_value(st, &ref, out) : rc;
}

enum ck_err ck_reg_string(struct store *st, const char *group, enum ck_reg_id id, char **out)
{
	struct ck_reg_ref ref = { &ck_reg_keys[id], NULL, "" };

	*out = NULL;
	if (group)
		ref.group = group_named(group);
	if (ref.key->per_group != (ref.group != NULL))
		return ck_fail(CK_EINVAL, "exit\\smtp\\%s%s%s: no such key", group ? group : "",
			       group ? "\\" : "", ref.key->name);
	if (group)
		snprintf(ref.name, sizeof(ref.name), REG_PREFIX "%s\\%s", ref.group->name,
			 ref.key->name);
	else
		snprintf(ref.name, sizeof(ref.name), REG_PREFIX "%s", ref.key->name);
	return ck_reg_value(st, &ref, out);
}

long ck_reg_int(struct store *st, enum ck_reg_id id)
{
	char *v = NULL;
	long n = 0;

	if (ck_reg_string(st, NULL, id, &v) == CK_OK)
		n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* ---- setreg ---- */

/* The format and argument list of a group's title or body must agree:
 * AD CS's own sample uses %11 with one BodyArg, and mails "???". */
static enum ck_err check_template(struct store *st, const struct ck_reg_ref *ref,
				  const char *newval)
{
	const char *name = ref->key->name;
	bool title = strncmp(name, "Title", 5) == 0;
	bool is_fmt = strstr(name, "Format") != NULL;
	char *other = NULL;
	const char *fmt, *args;
	enum ck_err rc;
	int max;

	if (ref->group == NULL || (strstr(name, "Format") == NULL && strstr(name, "Arg") == NULL))
		return CK_OK;
	rc = ck_reg_string(st, ref->group->name,
			   title ? (is_fmt ? CK_REG_TITLE_ARG : CK_REG_TITLE_FORMAT)
				 : (is_fmt ? CK_REG_BODY_ARG : CK_REG_BODY_FORMAT),
			   &other);
	if (rc != CK_OK)
		return rc;
	/* An empty new value is a reset: check the default instead. */
	fmt = is_fmt ? (*newval ? newval : group_default(ref)) : other;
	args = is_fmt ? other : (*newval ? newval : group_default(ref));
	max = ck_template_max_arg(fmt);
	if (max < 0)
		rc = CK_EINVAL;
	else if ((size_t)max > count_lines(args))
		rc = ck_fail(CK_EINVAL,
			     "exit\\smtp\\%s\\%s uses %%%d, but exit\\smtp\\%s\\%s names %zu "
			     "propert%s (set the %s first)",
			     ref->group->name, title ? "TitleFormat" : "BodyFormat", max,
			     ref->group->name, title ? "TitleArg" : "BodyArg", count_lines(args),
			     count_lines(args) == 1 ? "y" : "ies", is_fmt ? "names" : "format");
	free(other);
	return rc;
}

/* Groups with no requester (CRLIssued, Startup, lifecycle events) go to
 * their To only, so EventFilter may only enable them once it is set. */
static enum ck_err check_recipients(struct store *st, const struct ck_reg_ref *ref,
				    const char *newval)
{
	char *filter = NULL, *to = NULL, **on = NULL;
	size_t non = 0, i;
	enum ck_err rc = CK_OK;

	if (ref->key->type == CK_CFG_FILTER) {
		rc = split(newval, "\n", &on, &non);
		for (i = 0; rc == CK_OK && i < non; i++) {
			const struct ck_exit_group *g = ck_exit_group_match(on[i]);

			if (g == NULL || g->request)
				continue;
			rc = ck_reg_string(st, g->name, CK_REG_TO, &to);
			if (rc == CK_OK && to[0] == '\0')
				rc = ck_fail(CK_EINVAL,
					     "set exit\\smtp\\%s\\To first: %s mail has no requester "
					     "to go to",
					     g->name, event_name(g));
			free(to);
			to = NULL;
		}
	} else if (ref->group && !ref->group->request && strcmp(ref->key->name, "To") == 0 &&
		   newval[0] == '\0') {
		rc = ck_reg_string(st, NULL, CK_REG_EVENT_FILTER, &filter);
		if (rc == CK_OK)
			rc = split(filter, "\n", &on, &non);
		for (i = 0; rc == CK_OK && i < non; i++)
			if (strcasecmp(on[i], ref->group->name) == 0)
				rc = ck_fail(CK_EINVAL, "EventFilter mails %s: remove it first "
							"(-%s), or keep a To",
					     event_name(ref->group), event_name(ref->group));
	}
	ck_strlist_free(on, non);
	free(filter);
	return rc;
}

enum ck_err ck_reg_set(struct store *st, const char *key, const char *value)
{
	struct ck_reg_ref ref;
	char *current = NULL, *newval = NULL, ckey[160];
	enum ck_err rc;

	rc = ck_reg_lookup(key, false, &ref);
	if (rc != CK_OK)
		return rc;
	if (ref.key->secret)
		return ck_fail(CK_EINVAL, "the password is set with 'ca setsmtpinfo USER' (read "
					  "without echo, never from the command line)");
	rc = ck_reg_value(st, &ref, &current);
	if (rc == CK_OK)
		rc = ck_reg_parse(&ref, current, value, &newval);
	if (rc == CK_OK)
		rc = check_template(st, &ref, newval);
	if (rc == CK_OK)
		rc = check_recipients(st, &ref, newval);
	config_key(&ref, ckey, sizeof(ckey));
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc == CK_OK) {
		rc = store_config_set(st, ckey, newval);
		if (rc == CK_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	free(current);
	free(newval);
	return rc;
}

/* ---- getreg ---- */

/* A value in stored form as getreg shows it: lists as arrays (EventFilter
 * by event names, body lines with their empty lines), else a string. */
static enum ck_err shown(const struct ck_config_key *k, const char *val, json_t **out)
{
	char **items = NULL;
	size_t nitems = 0, i;
	enum ck_err rc = CK_OK;
	const char *p;
	json_t *v;

	switch (k->type) {
	case CK_CFG_FILTER:
	case CK_CFG_LIST:
	case CK_CFG_ADDRS:
		rc = split(val, k->type == CK_CFG_ADDRS ? ";" : "\n", &items, &nitems);
		v = json_array();
		for (i = 0; rc == CK_OK && i < nitems; i++) {
			const struct ck_exit_group *g =
				k->type == CK_CFG_FILTER ? ck_exit_group_match(items[i]) : NULL;

			json_array_append_new(v, json_string(g ? event_name(g) : items[i]));
		}
		break;
	case CK_CFG_LINES:
		v = json_array();
		for (p = val; *p;) {
			size_t l = strcspn(p, "\n");

			json_array_append_new(v, json_stringn(p, l));
			p += l;
			if (*p)
				p++;
		}
		break;
	default:
		v = json_string(val);
	}
	ck_strlist_free(items, nitems);
	if (rc == CK_OK && v == NULL)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	if (rc != CK_OK) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return CK_OK;
}

static bool password_set(struct store *st)
{
	char *pw = NULL;
	bool set = ck_reg_smtp_password(st, &pw) == CK_OK;

	if (pw)
		ck_free_secret(pw, strlen(pw) + 1);
	ck_errmsg_clear();
	return set;
}

enum ck_err ck_reg_entry(struct store *st, const struct ck_reg_ref *ref, json_t **value,
			 json_t **def, bool *set)
{
	char *stored_val = NULL, *dval = NULL;
	enum ck_err rc;

	*value = *def = NULL;
	if (ref->key->secret) {
		*set = password_set(st);
		*value = json_string(*set ? "set" : "unset");
		*def = json_string("unset");
		return *value && *def ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	}
	rc = stored(st, ref, &stored_val);
	*set = stored_val != NULL;
	if (rc == CK_OK)
		rc = reg_default(st, ref, &dval);
	if (rc == CK_OK)
		rc = shown(ref->key, stored_val ? stored_val : dval, value);
	if (rc == CK_OK)
		rc = shown(ref->key, dval, def);
	if (rc != CK_OK) {
		json_decref(*value);
		*value = NULL;
	}
	free(stored_val);
	free(dval);
	return rc;
}

static enum ck_err add_entry(struct store *st, const struct ck_reg_ref *ref, bool only_set,
			     json_t *arr)
{
	json_t *v = NULL, *def = NULL;
	bool set = false;
	enum ck_err rc = ck_reg_entry(st, ref, &v, &def, &set);

	json_decref(def);
	if (rc != CK_OK || (only_set && !set)) {
		json_decref(v);
		return rc;
	}
	json_array_append_new(arr, json_pack("{s:s, s:o, s:b, s:s}", "Key", ref->name, "Value", v,
					     "Default", !set, "Type",
					     ck_config_type_name(ref->key->type)));
	return CK_OK;
}

static enum ck_err add_group(struct store *st, const struct ck_exit_group *g, bool only_set,
			     json_t *arr)
{
	size_t i;
	enum ck_err rc = CK_OK;

	for (i = 0; rc == CK_OK && i < ck_reg_n_keys; i++) {
		struct ck_reg_ref ref = { &ck_reg_keys[i], g, "" };

		if (!ck_reg_keys[i].per_group)
			continue;
		snprintf(ref.name, sizeof(ref.name), REG_PREFIX "%s\\%s", g->name,
			 ck_reg_keys[i].name);
		rc = add_entry(st, &ref, only_set, arr);
	}
	return rc;
}

enum ck_err ck_reg_get(struct store *st, const char *key, json_t **out)
{
	json_t *arr = json_array();
	struct ck_reg_ref ref;
	enum ck_err rc = CK_OK;
	size_t i;

	if (arr == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	if (key) {
		rc = ck_reg_lookup(key, true, &ref);
		if (rc == CK_OK && ref.key)
			rc = add_entry(st, &ref, false, arr);
		else if (rc == CK_OK)
			rc = add_group(st, ref.group, false, arr);
	} else {
		for (i = 0; rc == CK_OK && i < ck_reg_n_keys; i++) {
			struct ck_reg_ref r = { &ck_reg_keys[i], NULL, "" };

			if (ck_reg_keys[i].per_group)
				continue;
			snprintf(r.name, sizeof(r.name), REG_PREFIX "%s", ck_reg_keys[i].name);
			rc = add_entry(st, &r, false, arr);
		}
		for (i = 0; rc == CK_OK && i < ck_exit_n_groups; i++)
			rc = add_group(st, &ck_exit_groups[i], true, arr);
	}
	if (rc != CK_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return CK_OK;
}

/* ---- the SMTP login ---- */

static void password_path(struct store *st, char *buf, size_t n)
{
	snprintf(buf, n, "%s/" PASSWORD_FILE, store_dir(st));
}

enum ck_err ck_reg_set_smtp_info(struct store *st, const char *user, const char *password)
{
	struct ck_reg_ref ref;
	char path[4200], ckey[160];
	enum ck_err rc;

	if (!ck_header_safe(user, strlen(user)) || strlen(user) > 256)
		return ck_fail(CK_EINVAL, "the user name must be one line of at most 256 bytes");
	/* The password becomes an SMTP AUTH argument: no line ends in it. */
	if (password && (!ck_header_safe(password, strlen(password)) || strlen(password) > 1024))
		return ck_fail(CK_EINVAL, "the password must be one line of at most 1024 bytes, "
					  "without control characters");
	password_path(st, path, sizeof(path));
	if (user[0] == '\0') {
		if (unlink(path) != 0 && errno != ENOENT)
			return ck_fail_errno(CK_EIO, "cannot remove '%s'", path);
	} else {
		if (password == NULL || password[0] == '\0')
			return ck_fail(CK_EPASSWORD, "an empty password is not stored");
		rc = ck_write_atomic(path, password, strlen(password), 0600);
		if (rc != CK_OK)
			return rc;
	}
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	ref = (struct ck_reg_ref){ &ck_reg_keys[CK_REG_SMTP_USER], NULL, REG_PREFIX "SMTPUser" };
	config_key(&ref, ckey, sizeof(ckey));
	rc = store_config_set(st, ckey, user);
	if (rc == CK_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

enum ck_err ck_reg_smtp_password(struct store *st, char **out)
{
	char path[4200];
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ck_err rc;

	*out = NULL;
	password_path(st, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return ck_fail(CK_ENOTFOUND, "no SMTP password is set (ca setsmtpinfo USER)");
	rc = ck_read_file(path, 4096, &buf, &len);
	if (rc != CK_OK)
		return rc;
	*out = (char *)buf;
	return CK_OK;
}
