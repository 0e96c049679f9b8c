/*
 * store_ca.c - the certificate authority's tables (DESIGN.md §2, §8).
 *
 * Invariants: a request's status is 'issued' or 'revoked' exactly when a
 * ca_certs row points at it, and 'revoked' exactly when that row has a
 * revoked_when; both are changed in one statement pair inside the caller's
 * transaction. Serials are UNIQUE, so a (vanishingly unlikely) random
 * collision is a constraint error the caller retries with a new serial.
 */
#include "store/store_ca.h"
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void store_ca_state_clear(struct store_ca_state *s)
{
	free(s->cert);
	memset(s, 0, sizeof(*s));
}

void store_ca_request_clear(struct store_ca_request *r)
{
	free(r->requester);
	free(r->email);
	free(r->subject);
	free(r->message);
	free(r->csr);
	free(r->der);
	memset(r, 0, sizeof(*r));
	r->reason = -1;
}

static enum ck_err col_blob(sqlite3_stmt *stmt, int i, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);

	*out = NULL;
	*len = 0;
	if (p == NULL || n <= 0)
		return CK_OK;
	*out = malloc((size_t)n);
	if (*out == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	return CK_OK;
}

enum ck_err store_ca_state_get(struct store *st, struct store_ca_state *out)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT name, key_type, cert, created, crl_number,"
				       " crl_this_update, crl_next_update FROM ca_state WHERE id = 1",
				       &stmt);
	int r;

	memset(out, 0, sizeof(*out));
	if (rc != CK_OK)
		return rc;
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW) {
		store_col_copy(stmt, 0, out->name, sizeof(out->name));
		store_col_copy(stmt, 1, out->key_type, sizeof(out->key_type));
		rc = col_blob(stmt, 2, &out->cert, &out->cert_len);
		out->created = sqlite3_column_int64(stmt, 3);
		out->crl_number = sqlite3_column_int64(stmt, 4);
		out->crl_this_update = sqlite3_column_int64(stmt, 5);
		out->crl_next_update = sqlite3_column_int64(stmt, 6);
	} else if (r == SQLITE_DONE) {
		rc = ck_fail(CK_ENOTFOUND, "no certificate authority here: run 'certkeep ca init' first");
	} else {
		rc = store_fail_db(st, "cannot read the CA");
	}
	sqlite3_finalize(stmt);
	return rc;
}

enum ck_err store_ca_state_insert(struct store *st, const char *name, const char *key_type,
				  const uint8_t *cert, size_t cert_len, int64_t created)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "INSERT INTO ca_state(id, name, key_type, cert, created) VALUES(1,?,?,?,?)", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key_type, -1, SQLITE_STATIC);
	if (cert)
		sqlite3_bind_blob(stmt, 3, cert, (int)cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, created);
	rc = store_step_done(st, stmt, "cannot record the CA");
	if (rc == CK_EEXIST)
		rc = ck_fail(CK_EEXIST, "a certificate authority exists already in this store");
	return rc;
}

enum ck_err store_ca_state_set_cert(struct store *st, const uint8_t *der, size_t len)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "UPDATE ca_state SET cert = ? WHERE id = 1", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_blob(stmt, 1, der, (int)len, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot record the CA certificate");
}

enum ck_err store_ca_crl_record(struct store *st, int64_t this_update, int64_t next_update,
				int64_t *number)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "UPDATE ca_state SET crl_number = crl_number + 1,"
				       " crl_this_update = ?, crl_next_update = ? WHERE id = 1"
				       " RETURNING crl_number",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, this_update);
	sqlite3_bind_int64(stmt, 2, next_update);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*number = sqlite3_column_int64(stmt, 0);
	else
		rc = store_fail_db(st, "cannot record the CRL");
	sqlite3_finalize(stmt);
	return rc;
}

void store_ca_key_path(const struct store *st, char *buf, size_t n)
{
	snprintf(buf, n, "%s/ca/ca.key", st->dir);
}

enum ck_err store_ca_dir_make(struct store *st)
{
	char path[PATH_MAX + 8];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/ca", st->dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return ck_fail_errno(CK_EIO, "cannot create '%s'", path);
	if (lstat(path, &sb) != 0)
		return ck_fail_errno(CK_EIO, "cannot open '%s'", path);
	/* The CA key's directory must be ours alone (OpenSMTPD secure_file). */
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077))
		return ck_fail(CK_EIO, "'%s' must be a directory of ours with mode 0700", path);
	return CK_OK;
}

enum ck_err store_ca_request_insert(struct store *st, struct store_ca_request *r)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_cached(st, STMT_CA_REQ_INSERT,
				      "INSERT INTO ca_requests(status, requester, email, submitted,"
				      " resolved, subject, days, message, csr) VALUES(?,?,?,?,?,?,?,?,?)",
				      &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, r->requester ? r->requester : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, r->email ? r->email : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, r->submitted);
	sqlite3_bind_int64(stmt, 5, r->resolved);
	sqlite3_bind_text(stmt, 6, r->subject ? r->subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 7, r->days);
	sqlite3_bind_text(stmt, 8, r->message ? r->message : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 9, r->csr, (int)r->csr_len, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_fail_db(st, "cannot record the request");
	else
		r->id = sqlite3_last_insert_rowid(st->db);
	store_release(stmt);
	return rc;
}

enum ck_err store_ca_request_resolve(struct store *st, int64_t id, const char *status,
				     int64_t resolved, const char *message)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "UPDATE ca_requests SET status = ?, resolved = ?, message = ? WHERE id = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, resolved);
	sqlite3_bind_text(stmt, 3, message ? message : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, id);
	rc = store_step_done(st, stmt, "cannot update the request");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "no request %lld", (long long)id);
	return rc;
}

enum ck_err store_ca_cert_insert(struct store *st, int64_t request_id, const char *serial,
				 int64_t not_before, int64_t not_after, const char *sha1,
				 const uint8_t *der, size_t der_len)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_cached(st, STMT_CA_CERT_INSERT,
				      "INSERT INTO ca_certs(serial, request_id, not_before, not_after,"
				      " sha1, der) VALUES(?,?,?,?,?,?)",
				      &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, request_id);
	sqlite3_bind_int64(stmt, 3, not_before);
	sqlite3_bind_int64(stmt, 4, not_after);
	sqlite3_bind_text(stmt, 5, sha1, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 6, der, (int)der_len, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	if (r == SQLITE_CONSTRAINT)
		rc = ck_fail(CK_EEXIST, "serial number %s is taken", serial);
	else if (r != SQLITE_DONE)
		rc = store_fail_db(st, "cannot record the certificate");
	store_release(stmt);
	return rc;
}

#define REQ_COLS                                                                               \
	"r.id, r.status, r.requester, r.email, r.submitted, r.resolved, r.subject, r.days,"     \
	" r.message, c.serial, c.not_before, c.not_after, c.sha1, c.revoked_when, c.reason"

/* Fills r from a row of REQ_COLS (blobs, if selected, follow at 15, 16). */
static enum ck_err row_read(sqlite3_stmt *stmt, struct store_ca_request *r, bool blobs)
{
	enum ck_err rc = CK_OK;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	store_col_copy(stmt, 1, r->status, sizeof(r->status));
	r->requester = store_col_strdup(stmt, 2);
	r->email = store_col_strdup(stmt, 3);
	r->submitted = sqlite3_column_int64(stmt, 4);
	r->resolved = sqlite3_column_int64(stmt, 5);
	r->subject = store_col_strdup(stmt, 6);
	r->days = sqlite3_column_int(stmt, 7);
	r->message = store_col_strdup(stmt, 8);
	store_col_copy(stmt, 9, r->serial, sizeof(r->serial));
	r->not_before = sqlite3_column_int64(stmt, 10);
	r->not_after = sqlite3_column_int64(stmt, 11);
	store_col_copy(stmt, 12, r->sha1, sizeof(r->sha1));
	r->revoked_when = sqlite3_column_int64(stmt, 13);
	r->reason = sqlite3_column_type(stmt, 14) == SQLITE_NULL ? -1 : sqlite3_column_int(stmt, 14);
	if (r->requester == NULL || r->email == NULL || r->subject == NULL || r->message == NULL)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	if (rc == CK_OK && blobs)
		rc = col_blob(stmt, 15, &r->csr, &r->csr_len);
	if (rc == CK_OK && blobs)
		rc = col_blob(stmt, 16, &r->der, &r->der_len);
	if (rc != CK_OK)
		store_ca_request_clear(r);
	return rc;
}

static enum ck_err get_one(struct store *st, const char *where, sqlite3_int64 num,
			   const char *text, struct store_ca_request *out, const char *what)
{
	char sql[512];
	sqlite3_stmt *stmt;
	enum ck_err rc;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(sql, sizeof(sql),
		 "SELECT " REQ_COLS ", r.csr, c.der FROM ca_requests r"
		 " LEFT JOIN ca_certs c ON c.request_id = r.id WHERE %s",
		 where);
	rc = store_prepare(st, sql, &stmt);
	if (rc != CK_OK)
		return rc;
	if (text)
		sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 1, num);
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW)
		rc = row_read(stmt, out, true);
	else if (r == SQLITE_DONE)
		rc = ck_fail(CK_ENOTFOUND, "no %s %s", what, text ? text : "");
	else
		rc = store_fail_db(st, "cannot read the request");
	sqlite3_finalize(stmt);
	if (rc == CK_ENOTFOUND && text == NULL)
		rc = ck_fail(CK_ENOTFOUND, "no %s %lld", what, (long long)num);
	return rc;
}

enum ck_err store_ca_get_by_id(struct store *st, int64_t id, struct store_ca_request *out)
{
	return get_one(st, "r.id = ?1", id, NULL, out, "request");
}

enum ck_err store_ca_get_by_serial(struct store *st, const char *serial,
				   struct store_ca_request *out)
{
	return get_one(st, "r.id = (SELECT request_id FROM ca_certs WHERE serial = ?1)", 0, serial,
		       out, "certificate with serial number");
}

enum ck_err store_ca_get_by_sha1(struct store *st, const char *sha1, struct store_ca_request *out)
{
	return get_one(st, "r.id = (SELECT request_id FROM ca_certs WHERE sha1 = ?1)", 0, sha1,
		       out, "certificate issued by this CA with hash");
}

/* Runs a two-statement change: the certificate row, then its request. */
static enum ck_err revoke_set(struct store *st, const char *serial, int64_t when, int reason,
			      bool revoke)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       revoke ? "UPDATE ca_certs SET revoked_when = ?, reason = ?"
						" WHERE serial = ?3"
					      : "UPDATE ca_certs SET revoked_when = NULL,"
						" reason = NULL WHERE serial = ?3",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	if (revoke) {
		sqlite3_bind_int64(stmt, 1, when);
		sqlite3_bind_int(stmt, 2, reason);
	}
	sqlite3_bind_text(stmt, 3, serial, -1, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot change the revocation");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		return ck_fail(CK_ENOTFOUND, "no certificate with serial number %s", serial);
	if (rc != CK_OK)
		return rc;
	rc = store_prepare(st,
			   "UPDATE ca_requests SET status = ? WHERE id ="
			   " (SELECT request_id FROM ca_certs WHERE serial = ?)",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, revoke ? "revoked" : "issued", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, serial, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot change the revocation");
}

enum ck_err store_ca_set_revoked(struct store *st, const char *serial, int64_t when, int reason)
{
	return revoke_set(st, serial, when, reason, true);
}

enum ck_err store_ca_clear_revoked(struct store *st, const char *serial)
{
	return revoke_set(st, serial, 0, 0, false);
}

struct request_each {
	int (*fn)(const struct store_ca_request *r, void *arg);
	void *arg;
};

static int request_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct request_each *e = ctx;
	struct store_ca_request req;
	int r = row_read(stmt, &req, false);

	if (r != CK_OK)
		return r;
	r = e->fn(&req, e->arg);
	store_ca_request_clear(&req);
	return r;
}

enum ck_err store_ca_each(struct store *st, const char *status, int64_t limit,
			  int (*fn)(const struct store_ca_request *r, void *arg), void *arg)
{
	struct request_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc;

	/* Two statements rather than "?1 IS NULL OR status = ?1", so that the
	 * status filter is a range of the (status, id) index. */
	rc = store_prepare(st,
			   status ? "SELECT " REQ_COLS " FROM ca_requests r"
				    " LEFT JOIN ca_certs c ON c.request_id = r.id"
				    " WHERE r.status = ?1 ORDER BY r.id LIMIT ?2"
				  : "SELECT " REQ_COLS " FROM ca_requests r"
				    " LEFT JOIN ca_certs c ON c.request_id = r.id"
				    " ORDER BY r.id LIMIT ?2",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	if (status)
		sqlite3_bind_text(stmt, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, limit > 0 ? limit : -1);
	return store_each_row(st, stmt, request_row, &e, "cannot list requests");
}

struct revoked_each {
	int (*fn)(const char *serial, int64_t when, int reason, void *arg);
	void *arg;
};

static int revoked_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct revoked_each *e = ctx;

	return e->fn((const char *)sqlite3_column_text(stmt, 0), sqlite3_column_int64(stmt, 1),
		     sqlite3_column_int(stmt, 2), e->arg);
}

enum ck_err store_ca_each_revoked(struct store *st,
				  int (*fn)(const char *serial, int64_t when, int reason, void *arg),
				  void *arg)
{
	struct revoked_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT serial, revoked_when, reason FROM ca_certs"
				       " INDEXED BY ca_certs_revoked"
				       " WHERE revoked_when IS NOT NULL ORDER BY serial",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	return store_each_row(st, stmt, revoked_row, &e, "cannot read the revoked certificates");
}

enum ck_err store_ca_count(struct store *st, const char *status, int64_t *n)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "SELECT count(*) FROM ca_requests WHERE ?1 IS NULL OR status = ?1", &stmt);

	if (rc != CK_OK)
		return rc;
	if (status)
		sqlite3_bind_text(stmt, 1, status, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*n = sqlite3_column_int64(stmt, 0);
	else
		rc = store_fail_db(st, "cannot count requests");
	sqlite3_finalize(stmt);
	return rc;
}
