/*
 * connectors.c - connectors and their diagnosis (DESIGN.md §4, §6).
 *
 * A connector is a TLS endpoint of the mail server: its FQDN (or the
 * host's) is the name a certificate must hold, SMTP the service it must be
 * enabled for, and its service account the user that must be able to read
 * the key. diagnose reproduces Exchange's events 12014 and 12016.
 */
#include "core/tls/connectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/account.h"
#include "base/clock.h"
#include "core/events/config.h"
#include "core/events/events.h"
#include "base/host.h"
#include "base/names.h"
#include "core/tls/select.h"

static bool valid_connector_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i >= 1 && i <= 64;
}

enum ck_err ck_host_fqdn(struct store *st, char *buf, size_t n)
{
	char short_name[CK_DOMAIN_MAX + 1];
	char *v = NULL;

	if (ck_config_stored(st, CK_CFG_HOST_FQDN, &v) == CK_OK) {
		snprintf(buf, n, "%s", v);
		free(v);
		return CK_OK;
	}
	ck_errmsg_clear();
	return ck_host_names(short_name, sizeof(short_name), buf, n);
}

enum ck_err ck_connector_add(struct store *st, const struct ck_connector_opts *o)
{
	struct store_connector c;
	enum ck_err rc;

	memset(&c, 0, sizeof(c));
	if (!valid_connector_name(o->name))
		return ck_fail(CK_EINVAL,
			       "invalid connector name '%.64s': 1-64 letters, digits, '.', '_', '-'",
			       o->name);
	if (strcmp(o->type, "receive") != 0 && strcmp(o->type, "send") != 0)
		return ck_fail(CK_EUSAGE, "--type must be receive or send, not '%.20s'", o->type);
	if (o->fqdn) {
		rc = ck_domain_normalize(o->fqdn, false, c.fqdn, sizeof(c.fqdn));
		if (rc != CK_OK)
			return rc;
	}
	if (o->service_account) {
		if (!ck_account_name_valid(o->service_account))
			return ck_fail(CK_EINVAL, "invalid account name '%.32s'", o->service_account);
		snprintf(c.service_account, sizeof(c.service_account), "%s", o->service_account);
	}
	snprintf(c.name, sizeof(c.name), "%s", o->name);
	snprintf(c.type, sizeof(c.type), "%s", o->type);
	c.tls = o->tls;
	c.created = ck_now();
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_connector_insert(st, &c);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_CONNECTOR_ADDED,
				   json_pack("{s:s, s:s, s:s, s:b, s:s}", "Connector", c.name, "Type",
					     c.type, "Fqdn", c.fqdn, "Tls", c.tls, "ServiceAccount",
					     c.service_account),
				   "Connector %s (%s) added, FQDN %s, TLS %s.", c.name, c.type,
				   c.fqdn[0] ? c.fqdn : "(the host's)", c.tls ? "on" : "off");
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

enum ck_err ck_connector_remove(struct store *st, const char *name)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = store_connector_delete(st, name);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_CONNECTOR_REMOVED,
				   json_pack("{s:s}", "Connector", name), "Connector %s removed.",
				   name);
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

struct list_ctx {
	json_t *array;
	const char *host_fqdn;
};

static json_t *connector_json(const struct store_connector *c, const char *host_fqdn)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:s?}", "Name", c->name, "Type", c->type,
			 "Fqdn", c->fqdn[0] ? c->fqdn : host_fqdn, "FqdnFromHost", !c->fqdn[0],
			 "Tls", c->tls, "ServiceAccount",
			 c->service_account[0] ? c->service_account : NULL);
}

static int list_one(const struct store_connector *c, void *arg)
{
	struct list_ctx *ctx = arg;

	return json_array_append_new(ctx->array, connector_json(c, ctx->host_fqdn)) == 0
		       ? 0
		       : CK_ENOMEM;
}

enum ck_err ck_connector_list(struct store *st, json_t **out)
{
	char fqdn[CK_DOMAIN_MAX + 1];
	struct list_ctx ctx;
	enum ck_err rc = ck_host_fqdn(st, fqdn, sizeof(fqdn));

	if (rc != CK_OK)
		return rc;
	ctx.array = json_array();
	ctx.host_fqdn = fqdn;
	if (ctx.array == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = store_connector_each(st, list_one, &ctx);
	if (rc != CK_OK) {
		json_decref(ctx.array);
		return rc;
	}
	*out = ctx.array;
	return CK_OK;
}

/* Connectors are few: they are read into memory before the selections run,
 * so no statement is open while events are written. */
struct conn_list {
	struct store_connector *items;
	size_t n;
};

static int gather(const struct store_connector *c, void *arg)
{
	struct conn_list *l = arg;
	struct store_connector *grown = ck_array_grow(l->items, l->n, sizeof(*grown));

	if (grown == NULL)
		return CK_ENOMEM;
	l->items = grown;
	l->items[l->n++] = *c;
	return 0;
}

/* The 12014 text of Exchange, with certkeep's two fixes spelt out for this
 * FQDN and, when a certificate holds it, for that certificate. */
static enum ck_err emit_12014(struct store *st, const char *conn, const char *fqdn,
			      const struct ck_selection *sel)
{
	char fix_new[CK_DOMAIN_MAX + 64], fix_enable[128];
	const char *holder = NULL;
	json_t *holders = json_array();
	size_t i;

	for (i = 0; holders && i < sel->n; i++) {
		if (sel->cands[i].reason == CK_SEL_NAME_MISMATCH)
			continue;
		json_array_append_new(holders, json_string(sel->cands[i].thumbprint));
		if (holder == NULL)
			holder = sel->cands[i].thumbprint;
	}
	snprintf(fix_new, sizeof(fix_new), "certkeep new --domain %s --services SMTP", fqdn);
	snprintf(fix_enable, sizeof(fix_enable), "certkeep enable %s --services SMTP",
		 holder ? holder : "THUMBPRINT");
	return ck_event_emit(
		st, CK_EV_NO_CERT_FOR_FQDN,
		json_pack("{s:s, s:s, s:o, s:[s,s]}", "Fqdn", fqdn, "Connector", conn,
			  "CertificatesHoldingFqdn", holders, "Fixes", fix_new, fix_enable),
		"certkeep could not find a certificate that contains the domain name %s in the "
		"store. Therefore, it is unable to support the STARTTLS SMTP verb for the connector "
		"%s with a FQDN parameter of %s. If the connector's FQDN is not specified, the "
		"computer's FQDN is used. Verify the connector configuration and the installed "
		"certificates to make sure that there is a certificate with a domain name for that "
		"FQDN (%s). If this certificate exists, run %s to make sure that the mail server can "
		"use it and can read its key.",
		fqdn, conn, fqdn, fix_new, fix_enable);
}

static enum ck_err emit_12016(struct store *st, const char *conn, const char *fqdn,
			      const struct ck_selection *sel)
{
	const char *thumb = sel->cands[sel->chosen].thumbprint;

	return ck_event_emit(st, CK_EV_STARTTLS_CERT_EXPIRED,
			     json_pack("{s:s, s:s, s:s}", "Fqdn", fqdn, "Connector", conn,
				       "Thumbprint", thumb),
			     "There is no valid SMTP Transport Layer Security (TLS) certificate for "
			     "the FQDN of %s. The existing certificate for that FQDN (%s) has "
			     "expired: renew it (certkeep clone %s) or make a new one.",
			     fqdn, thumb, thumb);
}

enum ck_err ck_diagnose(struct store *st, int64_t now, bool record, json_t **report,
			int *problems)
{
	char host_fqdn[CK_DOMAIN_MAX + 1];
	struct conn_list l = { NULL, 0 };
	json_t *out = json_array();
	enum ck_err rc;
	size_t i;

	*problems = 0;
	if (out == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = ck_host_fqdn(st, host_fqdn, sizeof(host_fqdn));
	if (rc == CK_OK)
		rc = store_connector_each(st, gather, &l);
	if (rc == CK_OK)
		rc = store_begin(st);
	for (i = 0; rc == CK_OK && i < l.n; i++) {
		const struct store_connector *c = &l.items[i];
		const char *fqdn = c->fqdn[0] ? c->fqdn : host_fqdn;
		struct ck_selection sel;
		json_t *entry;

		if (!c->tls) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "Connector", c->name,
							     "Fqdn", fqdn, "Result", "tls-off"));
			continue;
		}
		rc = ck_select(st, fqdn, CK_SVC_SMTP, c->service_account, now, &sel);
		if (rc != CK_OK)
			break;
		entry = json_pack("{s:s, s:s, s:s, s:o}", "Connector", c->name, "Fqdn", fqdn,
				  "Result",
				  sel.chosen < 0 ? "no-certificate"
				  : sel.expired  ? "expired"
						 : "ok",
				  "Selection", ck_selection_json(&sel));
		if (sel.chosen < 0) {
			if (record)
				rc = emit_12014(st, c->name, fqdn, &sel);
			(*problems)++;
		} else if (sel.expired) {
			if (record)
				rc = emit_12016(st, c->name, fqdn, &sel);
			(*problems)++;
		}
		json_array_append_new(out, entry);
		ck_selection_clear(&sel);
	}
	free(l.items);
	if (rc == CK_OK)
		rc = ck_commit(st);
	else
		ck_rollback(st);
	if (rc != CK_OK) {
		json_decref(out);
		return rc;
	}
	*report = out;
	return CK_OK;
}
