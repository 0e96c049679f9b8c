/*
 * store_connectors.c - TLS endpoints (receive and send connectors) whose
 * certificate selection certkeep explains and checks (DESIGN.md §4), and
 * the directory of published transport certificates (DESIGN.md §5).
 */
#include "store/store-int.h"

#include <stdio.h>
#include <string.h>

enum ck_err store_connector_insert(struct store *st, const struct store_connector *c)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT INTO connectors(name, type, fqdn, tls, service_account,"
				       " created) VALUES(?,?,?,?,?,?)",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, c->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, c->fqdn, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, c->tls);
	sqlite3_bind_text(stmt, 5, c->service_account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, c->created);
	rc = store_step_done(st, stmt, "cannot add the connector");
	if (rc == CK_EEXIST)
		rc = ck_fail(CK_EEXIST, "a connector named '%s' exists already", c->name);
	return rc;
}

enum ck_err store_connector_delete(struct store *st, const char *name)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM connectors WHERE name = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot remove the connector");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "no connector named '%.64s'", name);
	return rc;
}

struct connector_each {
	int (*fn)(const struct store_connector *c, void *arg);
	void *arg;
};

static int connector_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct connector_each *e = ctx;
	struct store_connector c;

	memset(&c, 0, sizeof(c));
	store_col_copy(stmt, 0, c.name, sizeof(c.name));
	store_col_copy(stmt, 1, c.type, sizeof(c.type));
	store_col_copy(stmt, 2, c.fqdn, sizeof(c.fqdn));
	c.tls = sqlite3_column_int(stmt, 3) != 0;
	store_col_copy(stmt, 4, c.service_account, sizeof(c.service_account));
	c.created = sqlite3_column_int64(stmt, 5);
	return e->fn(&c, e->arg);
}

enum ck_err store_connector_each(struct store *st,
				 int (*fn)(const struct store_connector *c, void *arg), void *arg)
{
	struct connector_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT name, type, fqdn, tls, service_account, created"
				       " FROM connectors ORDER BY name",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	return store_each_row(st, stmt, connector_row, &e, "cannot list connectors");
}

enum ck_err store_directory_put(struct store *st, const char *server, const char *thumbprint,
				const uint8_t *der, size_t der_len, int64_t when)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT INTO directory(server, thumbprint, der, published)"
				       " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(server) DO UPDATE SET"
				       " thumbprint = ?2, der = ?3, published = ?4",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, der, (int)der_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, when);
	return store_step_done(st, stmt, "cannot publish the certificate");
}

enum ck_err store_directory_get(struct store *st, const char *server, char thumbprint[41])
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "SELECT thumbprint FROM directory WHERE server = ?",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, server, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		store_col_copy(stmt, 0, thumbprint, 41);
	else
		rc = ck_fail(CK_ENOTFOUND, "nothing is published for server '%.253s'", server);
	sqlite3_finalize(stmt);
	return rc;
}
