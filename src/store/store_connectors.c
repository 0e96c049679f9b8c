/*
 * store_connectors.c - TLS endpoints (receive and send connectors) whose
 * certificate selection certkeep explains and checks (DESIGN.md §4).
 */
#include "store-int.h"

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

enum ck_err store_connector_each(struct store *st,
				 int (*fn)(const struct store_connector *c, void *arg), void *arg)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT name, type, fqdn, tls, service_account, created"
				       " FROM connectors ORDER BY name",
				       &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_connector c;
		int stop;

		memset(&c, 0, sizeof(c));
		store_col_copy(stmt, 0, c.name, sizeof(c.name));
		store_col_copy(stmt, 1, c.type, sizeof(c.type));
		store_col_copy(stmt, 2, c.fqdn, sizeof(c.fqdn));
		c.tls = sqlite3_column_int(stmt, 3) != 0;
		store_col_copy(stmt, 4, c.service_account, sizeof(c.service_account));
		c.created = sqlite3_column_int64(stmt, 5);
		stop = fn(&c, arg);
		if (stop) {
			rc = (enum ck_err)stop;
			break;
		}
	}
	if (rc == CK_OK && r != SQLITE_DONE)
		rc = store_fail_db(st, "cannot list connectors");
	sqlite3_finalize(stmt);
	return rc;
}
