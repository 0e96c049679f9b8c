/*
 * store_bindings.c - bindings of sites to certificates (DESIGN.md §7), and
 * the replacement chains that rebinding follows.
 */
#include "store/store-int.h"

#include <stdio.h>
#include <string.h>

enum ck_err store_binding_insert(struct store *st, const struct store_binding *b)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st,
		"INSERT INTO bindings(site, endpoint, service, thumbprint, cert_file, chain_file,"
		" key_file, combined_file, owner, grp, mode, reload, created, check_cmd, reload_pending)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		&stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, b->site, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, b->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, (int)b->service);
	sqlite3_bind_text(stmt, 4, b->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, b->cert_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, b->chain_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, b->key_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, b->combined_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, b->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, b->group, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 11, (int)b->mode);
	sqlite3_bind_text(stmt, 12, b->reload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 13, b->created);
	sqlite3_bind_text(stmt, 14, b->check, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 15, b->reload_pending);
	rc = store_step_done(st, stmt, "cannot add the binding");
	if (rc == CK_EEXIST)
		rc = ck_fail(CK_EEXIST, "site '%s' is bound already (bind remove it first)", b->site);
	return rc;
}

enum ck_err store_binding_exists(struct store *st, const char *site)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "SELECT 1 FROM bindings WHERE site = ?", &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, site, -1, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (r == SQLITE_ROW)
		return ck_fail(CK_EEXIST, "site '%s' is bound already (bind remove it first)", site);
	return r == SQLITE_DONE ? CK_OK : store_fail_db(st, "cannot read bindings");
}

enum ck_err store_binding_delete(struct store *st, const char *site)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM bindings WHERE site = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, site, -1, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot remove the binding");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "no binding for site '%.64s'", site);
	return rc;
}

enum ck_err store_binding_set_thumbprint(struct store *st, const char *site, const char *thumb)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "UPDATE bindings SET thumbprint = ?, reload_pending = reload != ''"
				       " WHERE site = ?",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, site, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot move the binding");
}

enum ck_err store_binding_set_reload_pending(struct store *st, const char *reload, bool pending)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "UPDATE bindings SET reload_pending = ? WHERE reload = ?",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, pending);
	sqlite3_bind_text(stmt, 2, reload, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot record the reload");
}

struct binding_each {
	int (*fn)(const struct store_binding *b, void *arg);
	void *arg;
};

static int binding_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct binding_each *e = ctx;
	struct store_binding b;

	memset(&b, 0, sizeof(b));
	store_col_copy(stmt, 0, b.site, sizeof(b.site));
	store_col_copy(stmt, 1, b.endpoint, sizeof(b.endpoint));
	b.service = (unsigned)sqlite3_column_int(stmt, 2);
	store_col_copy(stmt, 3, b.thumbprint, sizeof(b.thumbprint));
	store_col_copy(stmt, 4, b.cert_file, sizeof(b.cert_file));
	store_col_copy(stmt, 5, b.chain_file, sizeof(b.chain_file));
	store_col_copy(stmt, 6, b.key_file, sizeof(b.key_file));
	store_col_copy(stmt, 7, b.combined_file, sizeof(b.combined_file));
	store_col_copy(stmt, 8, b.owner, sizeof(b.owner));
	store_col_copy(stmt, 9, b.group, sizeof(b.group));
	b.mode = (unsigned)sqlite3_column_int(stmt, 10);
	store_col_copy(stmt, 11, b.reload, sizeof(b.reload));
	b.created = sqlite3_column_int64(stmt, 12);
	store_col_copy(stmt, 13, b.check, sizeof(b.check));
	b.reload_pending = sqlite3_column_int(stmt, 14) != 0;
	return e->fn(&b, e->arg);
}

enum ck_err store_binding_each(struct store *st, const char *thumb,
			       int (*fn)(const struct store_binding *b, void *arg), void *arg)
{
	struct binding_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st,
		"SELECT site, endpoint, service, thumbprint, cert_file, chain_file, key_file,"
		" combined_file, owner, grp, mode, reload, created, check_cmd, reload_pending"
		" FROM bindings"
		" WHERE ?1 IS NULL OR thumbprint = ?1 ORDER BY site",
		&stmt);

	if (rc != CK_OK)
		return rc;
	if (thumb)
		sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	return store_each_row(st, stmt, binding_row, &e, "cannot list bindings");
}

struct thumb_each {
	int (*fn)(const char *thumb, void *arg);
	void *arg;
};

static int thumb_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct thumb_each *e = ctx;

	return e->fn((const char *)sqlite3_column_text(stmt, 0), e->arg);
}

enum ck_err store_cert_each_predecessor(struct store *st, const char *thumb,
					int (*fn)(const char *thumb, void *arg), void *arg)
{
	struct thumb_each e = { fn, arg };
	sqlite3_stmt *stmt;
	/* A->B->C: from C, walk back along replaced_by (indexed), at most 64
	 * links, so a cycle made by hand cannot loop forever. */
	enum ck_err rc = store_prepare(
		st,
		"WITH RECURSIVE pred(t, depth) AS ("
		" SELECT thumbprint, 1 FROM certificates WHERE replaced_by = ?1"
		" UNION SELECT c.thumbprint, p.depth + 1 FROM certificates c JOIN pred p"
		" ON c.replaced_by = p.t WHERE p.depth < 64)"
		" SELECT DISTINCT t FROM pred",
		&stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	return store_each_row(st, stmt, thumb_row, &e, "cannot follow the replacement chain");
}
