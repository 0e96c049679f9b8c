/*
 * store_anchors.c - trust anchors added to the store (DESIGN.md §3): CA
 * certificates trusted for Status and selection besides the system's.
 */
#include "store/store-int.h"

#include <stdio.h>
#include <string.h>

enum ck_err store_anchor_insert(struct store *st, const struct store_anchor *a)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT INTO trust_anchors(thumbprint, subject, not_after, der,"
				       " added) VALUES(?,?,?,?,?)",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, a->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, a->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, a->not_after);
	sqlite3_bind_blob(stmt, 4, a->der, (int)a->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, a->added);
	rc = store_step_done(st, stmt, "cannot add the trust anchor");
	if (rc == CK_EEXIST)
		rc = ck_fail(CK_EEXIST, "trust anchor %s is there already", a->thumbprint);
	return rc;
}

enum ck_err store_anchor_delete(struct store *st, const char *thumb)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM trust_anchors WHERE thumbprint = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot remove the trust anchor");
	if (rc == CK_OK && sqlite3_changes(st->db) == 0)
		rc = ck_fail(CK_ENOTFOUND, "no trust anchor %s", thumb);
	return rc;
}

struct each {
	int (*fn)(const struct store_anchor *a, void *arg);
	void *arg;
};

static int anchor_row(sqlite3_stmt *stmt, void *ctx)
{
	struct each *e = ctx;
	struct store_anchor a;

	memset(&a, 0, sizeof(a));
	store_col_copy(stmt, 0, a.thumbprint, sizeof(a.thumbprint));
	store_col_copy(stmt, 1, a.subject, sizeof(a.subject));
	a.not_after = sqlite3_column_int64(stmt, 2);
	a.der = sqlite3_column_blob(stmt, 3);
	a.der_len = (size_t)sqlite3_column_bytes(stmt, 3);
	a.added = sqlite3_column_int64(stmt, 4);
	return e->fn(&a, e->arg);
}

enum ck_err store_anchor_each(struct store *st, int (*fn)(const struct store_anchor *a, void *arg),
			      void *arg)
{
	struct each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT thumbprint, subject, not_after, der, added"
				       " FROM trust_anchors ORDER BY thumbprint",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	return store_each_row(st, stmt, anchor_row, &e, "cannot read the trust anchors");
}
