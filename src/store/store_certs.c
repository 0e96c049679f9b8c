/*
 * store_certs.c - certificates and their CertificateDomains in the database
 * (DESIGN.md §2, §3).
 *
 * Domains live in their own indexed table so that finding the certificates
 * for a name is an index lookup at any store size; the DER is kept whole so
 * that every other property can be recomputed from it.
 */
#include "store/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CERT_COLUMNS                                                                   \
	"c.id, c.thumbprint, c.sha256, c.key_id, c.serial, c.key_type, c.subject,"     \
	" c.issuer, c.not_before, c.not_after, c.version, c.self_signed, c.services," \
	" c.replaced_by, c.friendly_name, c.added, c.der, c.chain_pem,"              \
	" EXISTS(SELECT 1 FROM keys k WHERE k.key_id = c.key_id)"

void store_cert_clear(struct store_cert *c)
{
	free(c->subject);
	free(c->issuer);
	free(c->friendly_name);
	free(c->der);
	free(c->chain_pem);
	ck_strlist_free(c->domains, c->n_domains);
	memset(c, 0, sizeof(*c));
}

static enum ck_err load_domains(struct store *st, struct store_cert *c)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_cached(
		st, STMT_DOMAINS_OF,
		"SELECT domain FROM certificate_domains WHERE cert_id = ? ORDER BY position", &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, c->id);
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = ck_strlist_push(&c->domains, &c->n_domains,
				     (const char *)sqlite3_column_text(stmt, 0));
		if (rc != CK_OK)
			break;
	}
	if (rc == CK_OK && r != SQLITE_DONE)
		rc = store_fail_db(st, "reading domains");
	store_release(stmt);
	return rc;
}

/* Fills c from a row selected with CERT_COLUMNS, domains included. */
static enum ck_err row_to_cert(struct store *st, sqlite3_stmt *stmt, struct store_cert *c)
{
	const void *der;
	int der_len;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	store_col_copy(stmt, 1, c->thumbprint, sizeof(c->thumbprint));
	store_col_copy(stmt, 2, c->sha256, sizeof(c->sha256));
	store_col_copy(stmt, 3, c->key_id, sizeof(c->key_id));
	store_col_copy(stmt, 4, c->serial, sizeof(c->serial));
	store_col_copy(stmt, 5, c->key_type, sizeof(c->key_type));
	c->subject = store_col_strdup(stmt, 6);
	c->issuer = store_col_strdup(stmt, 7);
	c->not_before = sqlite3_column_int64(stmt, 8);
	c->not_after = sqlite3_column_int64(stmt, 9);
	c->version = sqlite3_column_int(stmt, 10);
	c->self_signed = sqlite3_column_int(stmt, 11) != 0;
	c->services = (unsigned)sqlite3_column_int(stmt, 12);
	store_col_copy(stmt, 13, c->replaced_by, sizeof(c->replaced_by));
	c->friendly_name = store_col_strdup(stmt, 14);
	c->added = sqlite3_column_int64(stmt, 15);
	der = sqlite3_column_blob(stmt, 16);
	der_len = sqlite3_column_bytes(stmt, 16);
	c->chain_pem = store_col_strdup(stmt, 17);
	c->has_key = sqlite3_column_int(stmt, 18) != 0;
	c->der = malloc(der_len > 0 ? (size_t)der_len : 1);
	if (c->subject == NULL || c->issuer == NULL || c->der == NULL) {
		store_cert_clear(c);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	memcpy(c->der, der, (size_t)der_len);
	c->der_len = (size_t)der_len;
	return load_domains(st, c);
}

enum ck_err store_cert_insert(struct store *st, struct store_cert *c)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc;
	size_t i;

	rc = store_cached(st, STMT_CERT_INSERT,
			   "INSERT INTO certificates(thumbprint, sha256, key_id, serial, key_type,"
			   " subject, issuer, not_before, not_after, version, self_signed, services,"
			   " replaced_by, friendly_name, added, der, chain_pem)"
			   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, c->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, c->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, c->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, c->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, c->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, c->not_before);
	sqlite3_bind_int64(stmt, 9, c->not_after);
	sqlite3_bind_int(stmt, 10, c->version);
	sqlite3_bind_int(stmt, 11, c->self_signed);
	sqlite3_bind_int(stmt, 12, (int)c->services);
	if (c->replaced_by[0])
		sqlite3_bind_text(stmt, 13, c->replaced_by, -1, SQLITE_STATIC);
	if (c->friendly_name)
		sqlite3_bind_text(stmt, 14, c->friendly_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 15, c->added);
	sqlite3_bind_blob(stmt, 16, c->der, (int)c->der_len, SQLITE_STATIC);
	if (c->chain_pem)
		sqlite3_bind_text(stmt, 17, c->chain_pem, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		if (sqlite3_errcode(st->db) == SQLITE_CONSTRAINT)
			rc = ck_fail(CK_EEXIST, "certificate %s is already in the store",
				     c->thumbprint);
		else
			rc = store_fail_db(st, "cannot add the certificate");
		store_release(stmt);
		return rc;
	}
	store_release(stmt);
	c->id = sqlite3_last_insert_rowid(st->db);

	rc = store_cached(st, STMT_DOMAIN_INSERT,
			  "INSERT INTO certificate_domains(cert_id, position, domain) VALUES(?,?,?)",
			  &stmt);
	if (rc != CK_OK)
		return rc;
	for (i = 0; i < c->n_domains; i++) {
		sqlite3_bind_int64(stmt, 1, c->id);
		sqlite3_bind_int(stmt, 2, (int)i);
		sqlite3_bind_text(stmt, 3, c->domains[i], -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			rc = store_fail_db(st, "cannot add the certificate's domains");
			break;
		}
		sqlite3_reset(stmt);
	}
	store_release(stmt);
	return rc;
}

enum ck_err store_cert_find(struct store *st, const char *thumb, struct store_cert *out)
{
	char norm[41], hi[42];
	sqlite3_stmt *stmt;
	enum ck_err rc;
	int r;

	rc = store_thumb_normalize(thumb, norm);
	if (rc != CK_OK)
		return rc;
	/* A prefix P selects the range [P, P + "G"): 'G' sorts after every
	 * upper-case hex digit, so the index on thumbprint answers it. */
	snprintf(hi, sizeof(hi), "%sG", norm);
	rc = store_prepare(st,
			   "SELECT " CERT_COLUMNS " FROM certificates c"
			   " WHERE c.thumbprint >= ?1 AND c.thumbprint < ?2 LIMIT 2",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, hi, -1, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	if (r == SQLITE_DONE) {
		rc = ck_fail(CK_ENOTFOUND, "no certificate with thumbprint %s in the store", norm);
	} else if (r != SQLITE_ROW) {
		rc = store_fail_db(st, "cannot read the certificate");
	} else {
		rc = row_to_cert(st, stmt, out);
		if (rc == CK_OK && sqlite3_step(stmt) == SQLITE_ROW) {
			store_cert_clear(out);
			rc = ck_fail(CK_EAMBIGUOUS,
				     "thumbprint prefix %s matches several certificates: give more digits",
				     norm);
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

struct cert_each {
	struct store *st;
	int (*fn)(const struct store_cert *c, void *arg);
	void *arg;
};

static int cert_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct cert_each *e = ctx;
	struct store_cert c;
	int r = row_to_cert(e->st, stmt, &c);

	if (r != CK_OK)
		return r;
	r = e->fn(&c, e->arg);
	store_cert_clear(&c);
	return r;
}

/* Gives fn each row of stmt (certificate columns), then finalizes it; fn
 * stops it as store.h says. */
static enum ck_err stream_certs(struct store *st, sqlite3_stmt *stmt,
				int (*fn)(const struct store_cert *c, void *arg), void *arg,
				const char *what)
{
	struct cert_each e = { st, fn, arg };

	return store_each_row(st, stmt, cert_row, &e, what);
}

enum ck_err store_cert_each(struct store *st, const struct store_cert_filter *f,
			    int (*fn)(const struct store_cert *c, void *arg), void *arg)
{
	char sql[1536], hi[42];
	sqlite3_stmt *stmt;
	enum ck_err rc;
	size_t o, i;

	if (f->n_domains > STORE_FILTER_DOMAINS)
		return ck_fail(CK_EINVAL, "too many domain names in one lookup");
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT " CERT_COLUMNS " FROM certificates c");
	if (f->n_domains) {
		/* Driven by the domain index: only the matching rows are read. */
		o += (size_t)snprintf(sql + o, sizeof(sql) - o,
				      " WHERE c.id IN (SELECT cert_id FROM certificate_domains"
				      " WHERE domain IN (?1");
		for (i = 1; i < f->n_domains; i++)
			o += (size_t)snprintf(sql + o, sizeof(sql) - o, ", ?%zu", i + 1);
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "))");
	} else {
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, " WHERE 1");
	}
	if (f->thumb_prefix)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o,
				      " AND c.thumbprint >= :tlo AND c.thumbprint < :thi");
	if (f->services)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o,
				      " AND (c.services & :svc) = :svc");
	if (f->key_id)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, " AND c.key_id = :key");
	/* With a domain, the few rows are sorted afterwards ("+" keeps the
	 * planner from walking the whole not_before index instead). */
	snprintf(sql + o, sizeof(sql) - o, " ORDER BY %sc.not_before DESC, c.id DESC",
		 f->n_domains ? "+" : "");

	rc = store_prepare(st, sql, &stmt);
	if (rc != CK_OK)
		return rc;
	for (i = 0; i < f->n_domains; i++)
		sqlite3_bind_text(stmt, (int)i + 1, f->domains[i], -1, SQLITE_STATIC);
	if (f->thumb_prefix) {
		snprintf(hi, sizeof(hi), "%sG", f->thumb_prefix);
		sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":tlo"),
				  f->thumb_prefix, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":thi"), hi, -1,
				  SQLITE_STATIC);
	}
	if (f->services)
		sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":svc"),
				 (int)f->services);
	if (f->key_id)
		sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":key"), f->key_id, -1,
				  SQLITE_STATIC);
	return stream_certs(st, stmt, fn, arg, "cannot list certificates");
}

static enum ck_err update_one(struct store *st, const char *sql, int64_t id,
			      const char *text, int64_t num, const char *what)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, sql, &stmt);

	if (rc != CK_OK)
		return rc;
	if (text)
		sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 1, num);
	sqlite3_bind_int64(stmt, 2, id);
	rc = store_step_done(st, stmt, what);
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "%s: no such certificate", what);
	return rc;
}

enum ck_err store_cert_set_services(struct store *st, int64_t id, unsigned services)
{
	return update_one(st, "UPDATE certificates SET services = ? WHERE id = ?", id, NULL,
			  (int64_t)services, "cannot change services");
}

enum ck_err store_cert_set_replaced_by(struct store *st, int64_t id, const char *thumbprint)
{
	return update_one(st, "UPDATE certificates SET replaced_by = ? WHERE id = ?", id,
			  thumbprint, 0, "cannot mark the certificate replaced");
}

enum ck_err store_cert_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM certificates WHERE id = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	rc = store_step_done(st, stmt, "cannot remove the certificate");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "no such certificate");
	return rc;
}

enum ck_err store_cert_repoint_replaced(struct store *st, const char *from, const char *to)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "UPDATE certificates SET replaced_by = ?1 WHERE replaced_by = ?2", &stmt);

	if (rc != CK_OK)
		return rc;
	if (to && *to)
		sqlite3_bind_text(stmt, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, from, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot update replaced certificates");
}

/* The two keys a due scan is ordered by, with the index each uses. */
#define KEY_NOT_AFTER "c.not_after"
#define KEY_LAST_THIRD "c.not_after - (c.not_after - c.not_before) / 3"

static int64_t key_of(const struct store_cert *c, bool last_third)
{
	/* As SQLite computes it: integer division truncates toward zero in both. */
	return last_third ? c->not_after - (c->not_after - c->not_before) / 3 : c->not_after;
}

struct page_state {
	struct store_page *page;
	bool last_third;
	int (*fn)(const struct store_cert *c, void *arg);
	void *arg;
};

static int page_row(const struct store_cert *c, void *arg)
{
	struct page_state *ps = arg;

	ps->page->key = key_of(c, ps->last_third);
	ps->page->id = c->id;
	ps->page->n++;
	return ps->fn(c, ps->arg);
}

/*
 * One page of a due scan: the rows with the last key and a higher id, then
 * those with a higher key, up to the page's limit. Two index seeks instead
 * of one row-value range, which SQLite would answer by reading every row of
 * the last key again (a store whose certificates all expire at once).
 */
static enum ck_err page_due(struct store *st, bool last_third, int64_t until,
			    struct store_page *page,
			    int (*fn)(const struct store_cert *c, void *arg), void *arg)
{
	const char *key = last_third ? KEY_LAST_THIRD : KEY_NOT_AFTER;
	const char *index = last_third ? "certificates_renew_from" : "certificates_current_not_after";
	struct page_state ps = { page, last_third, fn, arg };
	char sql[768];
	sqlite3_stmt *stmt;
	enum ck_err rc;
	int pass;

	page->n = 0;
	for (pass = page->started ? 0 : 1; pass < 2 && page->n < page->limit; pass++) {
		if (pass == 0)
			snprintf(sql, sizeof(sql),
				 "SELECT " CERT_COLUMNS " FROM certificates c INDEXED BY %s"
				 " WHERE c.replaced_by IS NULL AND %s = ?1 AND c.id > ?2"
				 " ORDER BY c.id LIMIT ?3",
				 index, key);
		else
			snprintf(sql, sizeof(sql),
				 "SELECT " CERT_COLUMNS " FROM certificates c INDEXED BY %s"
				 " WHERE c.replaced_by IS NULL AND %s > ?1 AND %s <= ?2"
				 " ORDER BY %s, c.id LIMIT ?3",
				 index, key, key, key);
		rc = store_prepare(st, sql, &stmt);
		if (rc != CK_OK)
			return rc;
		if (pass == 0) {
			sqlite3_bind_int64(stmt, 1, page->key);
			sqlite3_bind_int64(stmt, 2, page->id);
		} else {
			sqlite3_bind_int64(stmt, 1, page->started ? page->key : INT64_MIN);
			sqlite3_bind_int64(stmt, 2, until);
		}
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)(page->limit - page->n));
		rc = stream_certs(st, stmt, page_row, &ps, "cannot list certificates by date");
		if (rc != CK_OK)
			return rc;
		/* The first pass's rows keep the key; the second moves it on. */
		if (page->n > 0)
			page->started = true;
	}
	return CK_OK;
}

enum ck_err store_cert_each_expiring(struct store *st, int64_t until, struct store_page *page,
				     int (*fn)(const struct store_cert *c, void *arg), void *arg)
{
	return page_due(st, false, until, page, fn, arg);
}

enum ck_err store_cert_each_in_last_third(struct store *st, int64_t now,
					  struct store_page *page,
					  int (*fn)(const struct store_cert *c, void *arg),
					  void *arg)
{
	return page_due(st, true, now, page, fn, arg);
}

enum ck_err store_notice_add(struct store *st, const char *thumb, const char *kind, int64_t when,
			     bool *was_new)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT OR IGNORE INTO notices(thumbprint, kind, raised)"
				       " VALUES(?,?,?)",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, when);
	rc = store_step_done(st, stmt, "cannot record the notice");
	*was_new = rc == CK_OK && sqlite3_changes(st->db) == 1;
	return rc;
}

bool store_notice_exists(struct store *st, const char *thumb, const char *kind)
{
	sqlite3_stmt *stmt;
	bool found;

	if (store_prepare(st, "SELECT 1 FROM notices WHERE thumbprint = ? AND kind = ?", &stmt) !=
	    CK_OK)
		return false;
	sqlite3_bind_text(stmt, 1, thumb, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	found = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return found;
}
