/*
 * store_requests.c - pending certificate requests whose keys wait in the
 * store for the issued certificate (DESIGN.md §3: new --request-out, import).
 */
#include "store/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_COLUMNS "id, thumbprint, key_id, key_type, subject, domains, services, created, der"

void store_request_clear(struct store_request *r)
{
	free(r->subject);
	free(r->der);
	ck_strlist_free(r->domains, r->n_domains);
	memset(r, 0, sizeof(*r));
}

/* Domains are kept as one space-separated column: a request has few, they
 * are never searched, and domain names cannot contain spaces. */
static enum ck_err split_domains(const char *text, struct store_request *r)
{
	const char *p = text;

	while (p && *p) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char buf[256];

		if (len > 0 && len < sizeof(buf)) {
			memcpy(buf, p, len);
			buf[len] = '\0';
			if (ck_strlist_push(&r->domains, &r->n_domains, buf) != CK_OK)
				return CK_ENOMEM;
		}
		p = end ? end + 1 : NULL;
	}
	return CK_OK;
}

static enum ck_err row_to_request(sqlite3_stmt *stmt, struct store_request *r)
{
	const void *der;
	int n;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	store_col_copy(stmt, 1, r->thumbprint, sizeof(r->thumbprint));
	store_col_copy(stmt, 2, r->key_id, sizeof(r->key_id));
	store_col_copy(stmt, 3, r->key_type, sizeof(r->key_type));
	r->subject = store_col_strdup(stmt, 4);
	r->services = (unsigned)sqlite3_column_int(stmt, 6);
	r->created = sqlite3_column_int64(stmt, 7);
	der = sqlite3_column_blob(stmt, 8);
	n = sqlite3_column_bytes(stmt, 8);
	r->der = malloc(n > 0 ? (size_t)n : 1);
	if (r->subject == NULL || r->der == NULL ||
	    split_domains((const char *)sqlite3_column_text(stmt, 5), r) != CK_OK) {
		store_request_clear(r);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	memcpy(r->der, der, (size_t)n);
	r->der_len = (size_t)n;
	return CK_OK;
}

enum ck_err store_request_insert(struct store *st, struct store_request *r)
{
	sqlite3_stmt *stmt;
	char *domains;
	size_t i, o = 0, need = 1;
	enum ck_err rc;

	for (i = 0; i < r->n_domains; i++)
		need += strlen(r->domains[i]) + 1;
	domains = malloc(need);
	if (domains == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	domains[0] = '\0';
	for (i = 0; i < r->n_domains; i++)
		o += (size_t)snprintf(domains + o, need - o, "%s%s", i ? " " : "", r->domains[i]);
	rc = store_prepare(st,
			   "INSERT INTO requests(thumbprint, key_id, key_type, subject, domains,"
			   " services, created, der) VALUES(?,?,?,?,?,?,?,?)",
			   &stmt);
	if (rc != CK_OK) {
		free(domains);
		return rc;
	}
	sqlite3_bind_text(stmt, 1, r->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, r->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, r->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, domains, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 6, (int)r->services);
	sqlite3_bind_int64(stmt, 7, r->created);
	sqlite3_bind_blob(stmt, 8, r->der, (int)r->der_len, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot record the request");
	free(domains);
	if (rc == CK_OK)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static enum ck_err find_one(struct store *st, const char *sql, const char *a, const char *b,
			    struct store_request *out, const char *what)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, sql, &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE)
		rc = ck_fail(CK_ENOTFOUND, "%s", what);
	else if (r != SQLITE_ROW)
		rc = store_fail_db(st, "cannot read requests");
	else {
		rc = row_to_request(stmt, out);
		if (rc == CK_OK && b && sqlite3_step(stmt) == SQLITE_ROW) {
			store_request_clear(out);
			rc = ck_fail(CK_EAMBIGUOUS,
				     "thumbprint prefix %s matches several requests: give more digits",
				     a);
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

enum ck_err store_request_find(struct store *st, const char *thumb, struct store_request *out)
{
	char norm[41], hi[42];
	enum ck_err rc = store_thumb_normalize(thumb, norm);

	if (rc != CK_OK)
		return rc;
	snprintf(hi, sizeof(hi), "%sG", norm);
	return find_one(st,
			"SELECT " REQ_COLUMNS " FROM requests WHERE thumbprint >= ?1"
			" AND thumbprint < ?2 LIMIT 2",
			norm, hi, out, "no pending request with that thumbprint");
}

enum ck_err store_request_find_by_key(struct store *st, const char *key_id,
				      struct store_request *out)
{
	return find_one(st, "SELECT " REQ_COLUMNS " FROM requests WHERE key_id = ?1 LIMIT 1",
			key_id, NULL, out, "no pending request for this key");
}

enum ck_err store_request_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM requests WHERE id = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	return store_step_done(st, stmt, "cannot remove the request");
}

struct request_each {
	int (*fn)(const struct store_request *r, void *arg);
	void *arg;
};

static int request_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct request_each *e = ctx;
	struct store_request req;
	int r = row_to_request(stmt, &req);

	if (r != CK_OK)
		return r;
	r = e->fn(&req, e->arg);
	store_request_clear(&req);
	return r;
}

enum ck_err store_request_each(struct store *st,
			       int (*fn)(const struct store_request *r, void *arg), void *arg)
{
	struct request_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "SELECT " REQ_COLUMNS " FROM requests ORDER BY created DESC, id DESC", &stmt);

	if (rc != CK_OK)
		return rc;
	return store_each_row(st, stmt, request_row, &e, "cannot list requests");
}
