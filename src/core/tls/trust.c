/*
 * trust.c - direct trust: the host's names, its internal transport
 * certificate, the directory, and the causes of events 1037/2019
 * (DESIGN.md §5).
 */
#include "core/tls/trust.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"
#include "base/array.h"
#include "base/account.h"
#include "core/certs/certs.h"
#include "base/clock.h"
#include "core/tls/connectors.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "base/host.h"
#include "base/names.h"

static void config_copy(struct store *st, enum ck_config_id key, char *buf, size_t n)
{
	char *v = NULL;

	if (ck_config_stored(st, key, &v) == CK_OK)
		snprintf(buf, n, "%s", v);
	free(v);
	ck_errmsg_clear();
}

enum ck_err ck_trust_names_get(struct store *st, struct ck_trust_names *out)
{
	char sys_host[CK_DOMAIN_MAX + 1], sys_fqdn[CK_DOMAIN_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (ck_host_names(sys_host, sizeof(sys_host), sys_fqdn, sizeof(sys_fqdn)) != CK_OK) {
		sys_host[0] = sys_fqdn[0] = '\0';
		ck_errmsg_clear();
	}
	snprintf(out->physical_host, sizeof(out->physical_host), "%s", sys_host);
	snprintf(out->physical_fqdn, sizeof(out->physical_fqdn), "%s", sys_fqdn);
	snprintf(out->host, sizeof(out->host), "%s", sys_host);
	snprintf(out->fqdn, sizeof(out->fqdn), "%s", sys_fqdn);
	config_copy(st, CK_CFG_HOST_NAME, out->host, sizeof(out->host));
	config_copy(st, CK_CFG_HOST_FQDN, out->fqdn, sizeof(out->fqdn));
	config_copy(st, CK_CFG_HOST_CLUSTER_FQDN, out->cluster_fqdn, sizeof(out->cluster_fqdn));
	return CK_OK;
}

static enum ck_err set_name(struct store *st, enum ck_config_id key, const char *value)
{
	char norm[CK_DOMAIN_MAX + 1];
	enum ck_err rc;

	if (value == NULL)
		return CK_OK;
	if (*value == '\0')
		return ck_config_put(st, key, "");
	rc = ck_domain_normalize(value, false, norm, sizeof(norm));
	return rc == CK_OK ? ck_config_put(st, key, norm) : rc;
}

enum ck_err ck_trust_names_set(struct store *st, const char *host, const char *fqdn,
			       const char *cluster_fqdn)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = set_name(st, CK_CFG_HOST_NAME, host);
	if (rc == CK_OK)
		rc = set_name(st, CK_CFG_HOST_FQDN, fqdn);
	if (rc == CK_OK)
		rc = set_name(st, CK_CFG_HOST_CLUSTER_FQDN, cluster_fqdn);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_HOST_NAMES_CHANGED,
				   json_pack("{s:s?, s:s?, s:s?}", "DnsHostName", host,
					     "DnsFullyQualifiedDomainName", fqdn, "ClusterFqdn",
					     cluster_fqdn),
				   "The host's names for direct trust were changed.");
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

/* Everything the choice and the check need about the certificates that
 * hold the host's FQDN, newest first. */
struct holder {
	char thumbprint[41];
	char key_id[65];
	bool self_signed, has_key, smtp;
	int64_t not_before, not_after;
	uint8_t *der;
	size_t der_len;
};

struct holders {
	struct holder *h;
	size_t n;
};

static int gather_holder(const struct store_cert *c, void *arg)
{
	struct holders *hs = arg;
	struct holder *grown = ck_array_grow(hs->h, hs->n, sizeof(*grown)), *h;

	if (grown == NULL)
		return CK_ENOMEM;
	hs->h = grown;
	h = &hs->h[hs->n];
	memset(h, 0, sizeof(*h));
	h->der = malloc(c->der_len);
	if (h->der == NULL)
		return CK_ENOMEM;
	hs->n++;
	memcpy(h->der, c->der, c->der_len);
	h->der_len = c->der_len;
	snprintf(h->thumbprint, sizeof(h->thumbprint), "%s", c->thumbprint);
	snprintf(h->key_id, sizeof(h->key_id), "%s", c->key_id);
	h->self_signed = c->self_signed;
	h->has_key = c->has_key;
	h->smtp = (c->services & CK_SVC_SMTP) != 0;
	h->not_before = c->not_before;
	h->not_after = c->not_after;
	return 0;
}

static void holders_free(struct holders *hs)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		free(hs->h[i].der);
	free(hs->h);
	hs->h = NULL;
	hs->n = 0;
}

static enum ck_err load_holders(struct store *st, const char *fqdn, struct holders *hs)
{
	const char *names[1] = { fqdn };
	struct store_cert_filter f = { .domains = names, .n_domains = 1 };

	memset(hs, 0, sizeof(*hs));
	if (fqdn[0] == '\0')
		return CK_OK;
	return store_cert_each(st, &f, gather_holder, hs);
}

static void trace_step(json_t *trace, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void trace_step(json_t *trace, const char *component, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(trace, json_pack("{s:s, s:s}", "Component", component, "Step", line));
}

/* The index of the transport certificate among holders, or -1: the
 * designated one if it is there (*designated set), else the newest valid
 * self-signed one with a key and SMTP. */
static int choose(struct store *st, const struct holders *hs, int64_t now, json_t *trace,
		  bool *is_designated)
{
	char designated[64] = "";
	size_t i;

	*is_designated = false;
	config_copy(st, CK_CFG_TRUST_CERTIFICATE, designated, sizeof(designated));
	for (i = 0; designated[0] && i < hs->n; i++) {
		if (strcmp(hs->h[i].thumbprint, designated) == 0) {
			trace_step(trace, "Transport\\Certificate", "designated certificate %s",
				   designated);
			*is_designated = true;
			return (int)i;
		}
	}
	if (designated[0])
		trace_step(trace, "Transport\\Certificate",
			   "designated certificate %s does not hold the FQDN (or is gone)",
			   designated);
	for (i = 0; i < hs->n; i++) {
		const struct holder *h = &hs->h[i];

		trace_step(trace, "Transport\\Certificate",
			   "candidate %s: %s, %s, SMTP %s, %s", h->thumbprint,
			   h->self_signed ? "self-signed" : "CA-issued",
			   h->has_key ? "private key" : "no private key", h->smtp ? "on" : "off",
			   now > h->not_after ? "expired" : now < h->not_before ? "not yet valid"
										: "valid");
	}
	for (i = 0; i < hs->n; i++) {
		const struct holder *h = &hs->h[i];

		if (h->self_signed && h->has_key && h->smtp && now >= h->not_before &&
		    now <= h->not_after)
			return (int)i;
	}
	return -1;
}

enum ck_err ck_trust_publish(struct store *st, const char *thumb, int64_t now,
			     char published[41])
{
	struct ck_trust_names names;
	struct holders hs;
	struct store_cert c;
	enum ck_err rc;
	int idx;

	memset(&c, 0, sizeof(c));
	ck_trust_names_get(st, &names);
	if (names.fqdn[0] == '\0')
		return ck_fail(CK_ERROR, "this host has no FQDN: run 'certkeep init' or "
					 "'certkeep trust names --fqdn FQDN'");
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	if (thumb) {
		rc = store_cert_find(st, thumb, &c);
		if (rc == CK_OK)
			rc = ck_config_put(st, CK_CFG_TRUST_CERTIFICATE, c.thumbprint);
	} else {
		/* No THUMBPRINT: back to the automatic choice. */
		rc = ck_config_put(st, CK_CFG_TRUST_CERTIFICATE, "");
		if (rc == CK_OK)
			rc = load_holders(st, names.fqdn, &hs);
		if (rc == CK_OK) {
			bool designated;

			idx = choose(st, &hs, now, NULL, &designated);
			if (idx < 0)
				rc = ck_fail(CK_ERROR,
					     "no valid self-signed certificate enabled for SMTP holds %s: "
					     "give a THUMBPRINT, or run 'certkeep trust check'",
					     names.fqdn);
			else
				rc = store_cert_find(st, hs.h[idx].thumbprint, &c);
		}
		holders_free(&hs);
	}
	if (rc == CK_OK)
		rc = store_directory_put(st, names.fqdn, c.thumbprint, c.der, c.der_len, now);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_TRANSPORT_CERT_PUBLISHED,
				   json_pack("{s:s, s:s}", "Server", names.fqdn, "Thumbprint",
					     c.thumbprint),
				   "The internal transport certificate %s was published for %s.",
				   c.thumbprint, names.fqdn);
	if (rc == CK_OK)
		snprintf(published, 41, "%s", c.thumbprint);
	store_cert_clear(&c);
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

enum ck_err ck_trust_verify(struct store *st, const char *server, const uint8_t *cert,
			    size_t len, bool *trusted, char *why, size_t n)
{
	char name[CK_DOMAIN_MAX + 1], published[41];
	struct pki_cert *c = NULL;
	struct pki_cert_info info;
	enum ck_err rc;

	*trusted = false;
	rc = ck_domain_normalize(server, false, name, sizeof(name));
	if (rc == CK_OK)
		rc = pki_cert_parse(cert, len, &c);
	if (rc != CK_OK)
		return rc;
	rc = pki_cert_info_get(c, &info);
	pki_cert_free(c);
	if (rc != CK_OK)
		return rc;
	rc = store_directory_get(st, name, published);
	if (rc == CK_ENOTFOUND) {
		snprintf(why, n, "nothing is published for %s", name);
		rc = CK_OK;
	} else if (rc == CK_OK && strcmp(published, info.thumbprint) != 0) {
		snprintf(why, n, "%s is not the certificate published for %s (%s)",
			 info.thumbprint, name, published);
	} else if (rc == CK_OK) {
		*trusted = true;
		snprintf(why, n, "%s is the certificate published for %s", info.thumbprint, name);
	}
	pki_cert_info_clear(&info);
	return rc;
}

struct check {
	struct store *st;
	json_t *report;
	bool outbound;
	int problems;
	enum ck_err rc;
};

/* One cause: an entry in the report and event 1037 (and 2019). */
static void cause(struct check *ck, const char *kind, const char *thumb, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cause(struct check *ck, const char *kind, const char *thumb, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->problems++;
	json_array_append_new(ck->report, json_pack("{s:s, s:s?, s:s}", "Cause", kind,
						    "Thumbprint", thumb, "Message", msg));
	if (ck->rc == CK_OK)
		ck->rc = ck_event_emit(ck->st, CK_EV_DIRECT_TRUST_LOCAL,
				       json_pack("{s:s, s:s?}", "Cause", kind, "Thumbprint", thumb),
				       "A problem occurred while validating the internal transport "
				       "(direct trust) certificate: %s",
				       msg);
	if (ck->rc == CK_OK && ck->outbound)
		ck->rc = ck_event_emit(ck->st, CK_EV_DIRECT_TRUST_OUTBOUND,
				       json_pack("{s:s, s:s?}", "Cause", kind, "Thumbprint", thumb),
				       "Outbound direct trust would fail: %s", msg);
}

static int has_send(const struct store_connector *c, void *arg)
{
	if (strcmp(c->type, "send") == 0)
		*(bool *)arg = true;
	return 0;
}

/* The checks on the chosen certificate: names, cluster name, key. */
static void check_chosen(struct check *ck, const struct ck_trust_names *names,
			 const struct holder *h, const char *account, json_t *trace)
{
	const struct {
		const char *what, *name;
	} want[] = {
		{ "DnsHostName", names->host },
		{ "DnsFullyQualifiedDomainName", names->fqdn },
		{ "DnsPhysicalHostName", names->physical_host },
		{ "DnsPhysicalFullyQualifiedDomainName", names->physical_fqdn },
	};
	struct pki_cert *cert = NULL;
	size_t i;

	if (pki_cert_parse(h->der, h->der_len, &cert) != CK_OK)
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool ok = want[i].name[0] == '\0' || pki_cert_check_host(cert, want[i].name);

		trace_step(trace, "Common\\Certificate", "%s %s: %s", want[i].what,
			   want[i].name[0] ? want[i].name : "(unknown)",
			   ok ? "in the certificate" : "MISSING");
		if (!ok)
			cause(ck, "host-name-missing", h->thumbprint,
			      "the host name %s (%s) is not in certificate %s: check the DNS and "
			      "machine name configuration (hostname, /etc/hosts, 'certkeep trust "
			      "names'), or make a certificate that holds it",
			      want[i].name, want[i].what, h->thumbprint);
	}
	if (names->cluster_fqdn[0] && pki_cert_check_host(cert, names->cluster_fqdn)) {
		trace_step(trace, "Common\\Certificate", "cluster FQDN %s is in the certificate",
			   names->cluster_fqdn);
		cause(ck, "unexpected-cluster-fqdn", h->thumbprint,
		      "certificate %s holds the cluster (load-balanced) FQDN %s, which direct "
		      "trust does not expect: check the load-balancing configuration and use a "
		      "certificate with the host's own names",
		      h->thumbprint, names->cluster_fqdn);
	}
	pki_cert_free(cert);
	if (account && *account) {
		char path[4096], why[300];
		bool ok = false;

		store_key_path(ck->st, h->key_id, path, sizeof(path));
		if (ck_account_can_read(account, path, &ok, why, sizeof(why)) != CK_OK)
			snprintf(why, sizeof(why), "%s", ck_errmsg());
		trace_step(trace, "NetworkingLayer\\Certificate", "key %s readable by %s: %s", path,
			   account, ok ? "yes" : why);
		if (!ok)
			cause(ck, "key-not-readable", h->thumbprint,
			      "the private key of %s is not readable by %s: %s", h->thumbprint,
			      account, why);
	}
}

enum ck_err ck_trust_check(struct store *st, int64_t now, const char *account, json_t **report,
			   json_t **trace, int *problems)
{
	struct ck_trust_names names;
	struct check ck = { st, json_array(), false, 0, CK_OK };
	struct holders hs;
	json_t *tr = json_array();
	char published[41];
	size_t i, n_self = 0;
	bool designated = false;
	enum ck_err rc;
	int idx;

	*problems = 0;
	memset(&hs, 0, sizeof(hs));
	if (ck.report == NULL || tr == NULL) {
		json_decref(ck.report);
		json_decref(tr);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	ck_trust_names_get(st, &names);
	trace_step(tr, "Common\\Certificate",
		   "host names: DnsHostName %s, DnsFullyQualifiedDomainName %s, "
		   "DnsPhysicalHostName %s, DnsPhysicalFullyQualifiedDomainName %s, cluster %s",
		   names.host, names.fqdn, names.physical_host, names.physical_fqdn,
		   names.cluster_fqdn[0] ? names.cluster_fqdn : "(none)");
	rc = store_connector_each(st, has_send, &ck.outbound);
	if (rc == CK_OK)
		rc = load_holders(st, names.fqdn, &hs);
	if (rc == CK_OK)
		rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	idx = choose(st, &hs, now, tr, &designated);
	for (i = 0; i < hs.n; i++)
		if (hs.h[i].self_signed && hs.h[i].has_key && hs.h[i].smtp &&
		    now >= hs.h[i].not_before && now <= hs.h[i].not_after)
			n_self++;
	if (idx < 0) {
		const struct holder *no_smtp = NULL;

		for (i = 0; i < hs.n && !no_smtp; i++)
			if (!hs.h[i].smtp && hs.h[i].has_key)
				no_smtp = &hs.h[i];
		if (no_smtp)
			cause(&ck, "smtp-not-enabled", no_smtp->thumbprint,
			      "certificate %s holds %s but SMTP is not enabled on it: certkeep "
			      "enable %s --services SMTP",
			      no_smtp->thumbprint, names.fqdn, no_smtp->thumbprint);
		else
			cause(&ck, "no-certificate", NULL,
			      "no valid self-signed certificate with a key and SMTP holds %s: "
			      "certkeep init --force, or certkeep clone the expired one",
			      names.fqdn);
	} else {
		trace_step(tr, "Transport\\Certificate", "internal transport certificate: %s",
			   hs.h[idx].thumbprint);
		check_chosen(&ck, &names, &hs.h[idx], account, tr);
		/* Which of several is used matters only when none is designated. */
		if (n_self > 1 && !designated)
			cause(&ck, "several-self-signed", hs.h[idx].thumbprint,
			      "%zu valid self-signed certificates hold %s; the newest, %s, is used "
			      "(remove the others with certkeep remove if they are not needed)",
			      n_self, names.fqdn, hs.h[idx].thumbprint);
		if (store_directory_get(st, names.fqdn, published) == CK_OK &&
		    strcmp(published, hs.h[idx].thumbprint) != 0)
			cause(&ck, "published-differs", hs.h[idx].thumbprint,
			      "the directory holds %s for %s, not %s: peers will reject this host "
			      "until 'certkeep trust publish' runs",
			      published, names.fqdn, hs.h[idx].thumbprint);
		ck_errmsg_clear();
	}
	rc = ck.rc;
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
out:
	holders_free(&hs);
	if (rc != CK_OK) {
		json_decref(ck.report);
		json_decref(tr);
		return rc;
	}
	*report = ck.report;
	*trace = tr;
	*problems = ck.problems;
	return CK_OK;
}
