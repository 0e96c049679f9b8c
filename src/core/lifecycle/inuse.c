/*
 * inuse.c - what uses a certificate: the bindings on it and the connectors
 * whose selection chooses it, checked before a removal (DESIGN.md §3).
 * Here, above tls and certs, because it needs both; the removal asks it
 * from inside its own transaction (ck_remove_if).
 */
#include "core/lifecycle/inuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/clock.h"
#include "base/names.h"
#include "base/strlist.h"
#include "core/certs/certs.h"
#include "core/tls/connectors.h"
#include "core/tls/select.h"

static int add_binding(const struct store_binding *b, void *arg)
{
	struct ck_cert_users *u = arg;

	return (int)ck_strlist_push(&u->bindings, &u->n_bindings, b->site);
}

/* Connectors are read into memory first: no statement is open while the
 * selections run. */
struct conns {
	struct store_connector *c;
	size_t n;
};

static int add_connector(const struct store_connector *c, void *arg)
{
	struct conns *l = arg;
	struct store_connector *grown = ck_array_grow(l->c, l->n, sizeof(*grown));

	if (grown == NULL)
		return CK_ENOMEM;
	l->c = grown;
	l->c[l->n++] = *c;
	return 0;
}

enum ck_err ck_cert_users_find(struct store *st, const char *thumbprint, int64_t now,
			       struct ck_cert_users *u)
{
	char host_fqdn[CK_DOMAIN_MAX + 1];
	struct conns l = { NULL, 0 };
	enum ck_err rc;
	size_t i;

	memset(u, 0, sizeof(*u));
	rc = store_binding_each(st, thumbprint, add_binding, u);
	if (rc == CK_OK)
		rc = store_connector_each(st, add_connector, &l);
	if (rc == CK_OK && l.n > 0)
		rc = ck_host_fqdn(st, host_fqdn, sizeof(host_fqdn));
	for (i = 0; rc == CK_OK && i < l.n; i++) {
		struct ck_selection sel;

		if (!l.c[i].tls)
			continue;
		rc = ck_select(st, l.c[i].fqdn[0] ? l.c[i].fqdn : host_fqdn, CK_SVC_SMTP,
			       l.c[i].service_account, now, &sel);
		if (rc != CK_OK)
			break;
		if (sel.chosen >= 0 && strcmp(sel.cands[sel.chosen].thumbprint, thumbprint) == 0)
			rc = ck_strlist_push(&u->connectors, &u->n_connectors, l.c[i].name);
		ck_selection_clear(&sel);
	}
	free(l.c);
	if (rc != CK_OK)
		ck_cert_users_clear(u);
	return rc;
}

void ck_cert_users_clear(struct ck_cert_users *u)
{
	ck_strlist_free(u->bindings, u->n_bindings);
	ck_strlist_free(u->connectors, u->n_connectors);
	memset(u, 0, sizeof(*u));
}

/* "what 'a', 'b'" (plural with an s) at the end of buf. */
static void names(char *buf, size_t n, const char *what, char **list, size_t count)
{
	size_t i, len = strlen(buf);

	if (count == 0)
		return;
	snprintf(buf + len, n - len, "%s%s%s", len ? " and " : "", what, count > 1 ? "s" : "");
	for (i = 0; i < count; i++) {
		len = strlen(buf);
		snprintf(buf + len, n - len, "%s'%s'", i ? ", " : " ", list[i]);
	}
}

void ck_cert_users_text(const struct ck_cert_users *u, char *buf, size_t n)
{
	buf[0] = '\0';
	names(buf, n, "binding", u->bindings, u->n_bindings);
	names(buf, n, "connector", u->connectors, u->n_connectors);
}

struct remove_ctx {
	bool force;
	struct ck_cert_users *users;
};

static enum ck_err allow_unused(struct store *st, const char *thumbprint, void *arg)
{
	struct remove_ctx *r = arg;
	enum ck_err rc = ck_cert_users_find(st, thumbprint, ck_now(), r->users);
	char text[512];

	if (rc != CK_OK || r->force ||
	    (r->users->n_bindings == 0 && r->users->n_connectors == 0))
		return rc;
	ck_cert_users_text(r->users, text, sizeof(text));
	return ck_fail(CK_EINVAL, "certificate %s is in use by %s; use --force to remove it anyway",
		       thumbprint, text);
}

enum ck_err ck_remove_unused(struct store *st, const char *thumb, bool force,
			     char removed[41], struct ck_cert_users *left)
{
	struct remove_ctx r = { force, left };
	enum ck_err rc;

	memset(left, 0, sizeof(*left));
	rc = ck_remove_if(st, thumb, allow_unused, &r, removed);
	if (rc != CK_OK)
		ck_cert_users_clear(left);
	return rc;
}
