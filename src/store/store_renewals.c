/*
 * store_renewals.c - failures and back-off of automatic renewal, one row
 * per certificate that failed (DESIGN.md §7).
 */
#include "store/store-int.h"

#include <stdio.h>
#include <string.h>

enum ck_err store_renewal_get(struct store *st, const char *thumb, struct store_renewal *out)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT failures, last_attempt, next_attempt, last_error"
				       " FROM renewals WHERE thumbprint = ?",
				       &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		out->failures = sqlite3_column_int(stmt, 0);
		out->last_attempt = sqlite3_column_int64(stmt, 1);
		out->next_attempt = sqlite3_column_int64(stmt, 2);
		store_col_copy(stmt, 3, out->last_error, sizeof(out->last_error));
	} else if (r == SQLITE_DONE) {
		rc = CK_ENOTFOUND;
	} else {
		rc = store_fail_db(st, "cannot read renewal state");
	}
	sqlite3_finalize(stmt);
	return rc;
}

enum ck_err store_renewal_put(struct store *st, const char *thumb, const struct store_renewal *r)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT OR REPLACE INTO renewals(thumbprint, failures,"
				       " last_attempt, next_attempt, last_error) VALUES(?,?,?,?,?)",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, r->failures);
	sqlite3_bind_int64(stmt, 3, r->last_attempt);
	sqlite3_bind_int64(stmt, 4, r->next_attempt);
	sqlite3_bind_text(stmt, 5, r->last_error, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot record the renewal");
}

enum ck_err store_renewal_clear(struct store *st, const char *thumb)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM renewals WHERE thumbprint = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot record the renewal");
}
