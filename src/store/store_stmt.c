/*
 * store_stmt.c - the statement helpers every file of the store uses:
 * preparing (once, for hot paths), stepping, reading columns, SQLite's
 * errors as certkeep's, and the one loop that hands rows to a callback
 * (DESIGN.md §2).
 *
 * They sit in a file of their own, below store.c (opening, transactions)
 * and store_keys.c (key files), which both use them: neither needs the
 * other for a statement.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's message, made to name the real cause: SQLITE_FULL is the disk
 * (certkeep sets no page limit), and an I/O error carries the errno SQLite
 * saw. */
enum ck_err store_fail_sqlite(struct store *st, const char *what, const char *msg)
{
	int code = sqlite3_errcode(st->db), sys = sqlite3_system_errno(st->db);

	if (code == SQLITE_FULL)
		return ck_fail(CK_ESTORE, "%s: %s (%s)", what, strerror(ENOSPC), msg);
	if ((code & 0xff) == SQLITE_IOERR && sys != 0)
		return ck_fail(CK_ESTORE, "%s: %s: %s", what, msg, strerror(sys));
	return ck_fail(code == SQLITE_BUSY ? CK_ETEMP : CK_ESTORE, "%s: %s", what, msg);
}

enum ck_err store_fail_db(struct store *st, const char *what)
{
	return store_fail_sqlite(st, what, sqlite3_errmsg(st->db));
}

enum ck_err store_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return store_fail_db(st, "database");
	return CK_OK;
}

enum ck_err store_cached(struct store *st, enum store_stmt_slot slot, const char *sql,
			 sqlite3_stmt **stmt)
{
	if (st->stmts[slot] == NULL &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmts[slot],
			       NULL) != SQLITE_OK)
		return store_fail_db(st, "database");
	*stmt = st->stmts[slot];
	return CK_OK;
}

void store_release(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

enum ck_err store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int r = sqlite3_step(stmt);
	enum ck_err rc = CK_OK;

	if (r == SQLITE_CONSTRAINT)
		rc = ck_fail(CK_EEXIST, "%s: %s", what, sqlite3_errmsg(st->db));
	else if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = store_fail_db(st, what);
	sqlite3_finalize(stmt);
	return rc;
}

char *store_col_strdup(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	return s ? strdup((const char *)s) : NULL;
}

void store_col_copy(sqlite3_stmt *stmt, int i, char *buf, size_t n)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	snprintf(buf, n, "%s", s ? (const char *)s : "");
}

enum ck_err store_each_row(struct store *st, sqlite3_stmt *stmt, store_row_fn row, void *ctx,
			   const char *what)
{
	enum ck_err rc = CK_OK;
	int r;

	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		int stop = row(stmt, ctx);

		if (stop == STORE_STOP)
			break;
		if (stop != 0) {
			rc = (enum ck_err)stop;
			break;
		}
	}
	if (rc == CK_OK && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_fail_db(st, what);
	sqlite3_finalize(stmt);
	return rc;
}
