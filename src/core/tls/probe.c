/*
 * probe.c - `certkeep probe`: the certificate a server really serves,
 * checked against the store's selection (DESIGN.md §4, §10).
 */
#include "core/tls/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/probe.h"
#include "base/clock.h"
#include "core/tls/connectors.h"
#include "base/names.h"
#include "core/tls/select.h"

enum ck_err ck_probe_url_parse(const char *url, enum pki_probe_kind *kind, char *host, size_t hn,
			       char *port, size_t pn)
{
	const char *p, *end, *colon;
	size_t len;

	if (strncmp(url, "smtp://", 7) == 0) {
		*kind = PKI_PROBE_SMTP;
		p = url + 7;
		snprintf(port, pn, "25");
	} else if (strncmp(url, "https://", 8) == 0) {
		*kind = PKI_PROBE_HTTPS;
		p = url + 8;
		snprintf(port, pn, "443");
	} else {
		return ck_fail(CK_EUSAGE, "the URL must be smtp://HOST[:PORT] or https://HOST[:PORT]");
	}
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return ck_fail(CK_EINVAL, "invalid URL '%.80s': unclosed '['", url);
		len = (size_t)(end - p - 1);
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && end[1] != ':')
			return ck_fail(CK_EINVAL, "invalid URL '%.80s'", url);
	} else {
		colon = strchr(p, ':');
		len = colon ? (size_t)(colon - p) : strlen(p);
	}
	if (len == 0 || len >= hn)
		return ck_fail(CK_EINVAL, "invalid URL '%.80s': give scheme://HOST[:PORT]", url);
	memcpy(host, p, len);
	host[len] = '\0';
	/* A bracket in the host ("[[]", "a]b") is no name and no IPv6 literal. */
	if (strpbrk(host, "/?#@ []") != NULL)
		return ck_fail(CK_EINVAL, "invalid URL '%.80s': give scheme://HOST[:PORT]", url);
	if (colon) {
		const char *q = colon + 1;
		char *rest;
		long v;

		errno = 0;
		v = strtol(q, &rest, 10);
		if (errno != 0 || rest == q || *rest != '\0' || q[0] < '0' || q[0] > '9' || v < 1 ||
		    v > 65535)
			return ck_fail(CK_EINVAL, "invalid port in '%.80s'", url);
		snprintf(port, pn, "%ld", v); /* not q: "00000443" would not fit */
	}
	return CK_OK;
}

static json_t *time_json(int64_t t)
{
	char buf[32];

	ck_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static const char *trust_status(const struct pki_cert_info *info, enum pki_trust t, int64_t now)
{
	if (now < info->not_before || now > info->not_after || t == PKI_TRUST_DATE)
		return "DateInvalid";
	return t == PKI_TRUST_OK ? "Valid" : t == PKI_TRUST_INVALID ? "Invalid" : "Untrusted";
}

enum ck_err ck_probe(struct store *st, const char *url, const char *name, int timeout_ms,
		     int64_t now, json_t **out, bool *as_expected)
{
	char host[256], port[8], fqdn[CK_DOMAIN_MAX + 1], norm[CK_DOMAIN_MAX + 1];
	struct pki_probe_opts o = { 0 };
	struct pki_probe_result r;
	struct pki_cert_info info;
	struct ck_selection sel;
	struct store_cert c;
	const char *selected = NULL;
	bool holds, in_store;
	enum ck_err rc;
	json_t *served;

	memset(&info, 0, sizeof(info));
	*as_expected = false;
	rc = ck_probe_url_parse(url, &o.kind, host, sizeof(host), port, sizeof(port));
	if (rc == CK_OK)
		rc = ck_domain_normalize(name, false, norm, sizeof(norm));
	if (rc == CK_OK)
		rc = ck_host_fqdn(st, fqdn, sizeof(fqdn));
	if (rc != CK_OK)
		return rc;
	o.host = host;
	o.port = port;
	o.sni = norm;
	o.ehlo_name = fqdn;
	o.timeout_ms = timeout_ms;
	rc = pki_probe(&o, &r);
	if (rc != CK_OK) {
		pki_probe_result_clear(&r);
		return rc;
	}
	rc = pki_cert_info_get(r.cert, &info);
	if (rc != CK_OK) {
		pki_probe_result_clear(&r);
		return rc;
	}
	holds = pki_cert_check_host(r.cert, norm);
	in_store = store_cert_find(st, info.thumbprint, &c) == CK_OK;
	if (in_store)
		store_cert_clear(&c);
	ck_errmsg_clear();
	rc = ck_select(st, norm, o.kind == PKI_PROBE_SMTP ? CK_SVC_SMTP : CK_SVC_IIS, NULL, now,
		       &sel);
	if (rc != CK_OK) {
		pki_cert_info_clear(&info);
		pki_probe_result_clear(&r);
		return rc;
	}
	if (sel.chosen >= 0)
		selected = sel.cands[sel.chosen].thumbprint;
	*as_expected = holds && selected && strcmp(selected, info.thumbprint) == 0;
	{
		json_t *domains = json_array();
		size_t i;

		for (i = 0; domains && i < info.n_domains; i++)
			json_array_append_new(domains, json_string(info.domains[i]));
		served = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:b, s:b}",
				   "Thumbprint", info.thumbprint, "Subject", info.subject, "Issuer",
				   info.issuer, "SerialNumber", info.serial, "NotBefore",
				   time_json(info.not_before), "NotAfter",
				   time_json(info.not_after), "CertificateDomains", domains,
				   "Status",
				   trust_status(&info, pki_cert_verify(r.cert, r.chain, now), now),
				   "IsSelfSigned", info.self_signed, "HoldsName", holds);
	}
	*out = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s?, s:o?, s:b, s:s?, s:b}", "Url", url,
			 "Name", norm, "Served", served, "Protocol", r.protocol, "Cipher",
			 r.cipher, "Banner", o.kind == PKI_PROBE_SMTP ? r.banner : NULL,
			 "StartTlsOffered",
			 o.kind == PKI_PROBE_SMTP ? json_boolean(r.starttls_offered) : NULL,
			 "InStore", in_store, "Selected", selected, "IsSelected", *as_expected);
	ck_selection_clear(&sel);
	pki_cert_info_clear(&info);
	pki_probe_result_clear(&r);
	return *out ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
}
