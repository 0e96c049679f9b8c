/*
 * store_mail.c - the mail outbox table (DESIGN.md §9; store_mail.h).
 *
 * Invariant: a row leaves "queued" only for "sent" (the server accepted
 * it) or "failed" (retry limit, or not renderable); nothing deletes rows.
 * The claim moves next_attempt forward instead of adding a state, so a
 * sender that dies mid-batch leaves rows that are simply due again later.
 */
#include "store/store_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

#define MAIL_COLS                                                                           \
	"id, event_seq, event_id, created, status, attempts, next_attempt, last_attempt,"   \
	" sent, last_error, message_id, mail_from, rcpt, to_hdr, cc_hdr, subject, body"

void store_mail_clear(struct store_mail *m)
{
	free(m->last_error);
	free(m->message_id);
	free(m->mail_from);
	free(m->rcpt);
	free(m->to_hdr);
	free(m->cc_hdr);
	free(m->subject);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

static char *dup_or_empty(sqlite3_stmt *stmt, int i)
{
	char *s = store_col_strdup(stmt, i);

	return s ? s : strdup("");
}

static void read_row(sqlite3_stmt *stmt, struct store_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(stmt, 0);
	m->event_seq = sqlite3_column_int64(stmt, 1);
	m->event_id = sqlite3_column_int(stmt, 2);
	m->created = sqlite3_column_int64(stmt, 3);
	store_col_copy(stmt, 4, m->status, sizeof(m->status));
	m->attempts = sqlite3_column_int(stmt, 5);
	m->next_attempt = sqlite3_column_int64(stmt, 6);
	m->last_attempt = sqlite3_column_int64(stmt, 7);
	m->sent = sqlite3_column_int64(stmt, 8);
	m->last_error = dup_or_empty(stmt, 9);
	m->message_id = dup_or_empty(stmt, 10);
	m->mail_from = dup_or_empty(stmt, 11);
	m->rcpt = dup_or_empty(stmt, 12);
	m->to_hdr = dup_or_empty(stmt, 13);
	m->cc_hdr = dup_or_empty(stmt, 14);
	m->subject = dup_or_empty(stmt, 15);
	m->body = dup_or_empty(stmt, 16);
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	sqlite3_bind_text(stmt, i, s ? s : "", -1, SQLITE_STATIC);
}

enum ck_err store_mail_insert(struct store *st, struct store_mail *m, const char *random,
			      const char *host)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc;

	if (!st->in_tx)
		return ck_fail(CK_ERROR, "a mail must be queued with its event");
	rc = store_prepare(st,
			   "INSERT INTO mail_outbox(event_seq, event_id, created, status,"
			   " next_attempt, last_error, message_id, mail_from, rcpt, to_hdr,"
			   " cc_hdr, subject, body)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, ?9, ?10, ?11, ?12)",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, m->event_seq);
	sqlite3_bind_int(stmt, 2, m->event_id);
	sqlite3_bind_int64(stmt, 3, m->created);
	bind_text(stmt, 4, m->status);
	sqlite3_bind_int64(stmt, 5, m->next_attempt);
	bind_text(stmt, 6, m->last_error);
	bind_text(stmt, 7, m->mail_from);
	bind_text(stmt, 8, m->rcpt);
	bind_text(stmt, 9, m->to_hdr);
	bind_text(stmt, 10, m->cc_hdr);
	bind_text(stmt, 11, m->subject);
	bind_text(stmt, 12, m->body);
	rc = store_step_done(st, stmt, "cannot queue the mail");
	if (rc != CK_OK)
		return rc;
	m->id = sqlite3_last_insert_rowid(st->db);
	/* The Message-ID names the row and its event, so a copy delivered
	 * twice after a crash is recognisable as the same message. */
	free(m->message_id);
	m->message_id = NULL;
	{
		char buf[512];

		snprintf(buf, sizeof(buf), "<certkeep.%lld.%lld.%s@%s>", (long long)m->id,
			 (long long)m->event_seq, random, host);
		m->message_id = strdup(buf);
	}
	if (m->message_id == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	rc = store_prepare(st, "UPDATE mail_outbox SET message_id = ? WHERE id = ?", &stmt);
	if (rc != CK_OK)
		return rc;
	bind_text(stmt, 1, m->message_id);
	sqlite3_bind_int64(stmt, 2, m->id);
	return store_step_done(st, stmt, "cannot queue the mail");
}

/* The rows a claim took, read before its transaction ends. */
struct claimed {
	struct store_mail *rows;
	size_t n, max;
};

static int claim_row(sqlite3_stmt *stmt, void *ctx)
{
	struct claimed *c = ctx;

	/* At most max rows come back (the UPDATE's LIMIT). */
	if (c->n < c->max)
		read_row(stmt, &c->rows[c->n++]);
	return 0;
}

enum ck_err store_mail_claim(struct store *st, int64_t now, int64_t lease_until,
			     int64_t after_id, int max, bool all,
			     int (*fn)(const struct store_mail *m, void *arg), void *arg)
{
	sqlite3_stmt *stmt = NULL;
	struct store_mail *rows = NULL;
	struct claimed claimed;
	size_t i;
	enum ck_err rc;

	if (max <= 0)
		return CK_OK;
	rows = calloc((size_t)max, sizeof(*rows));
	if (rows == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	claimed.rows = rows;
	claimed.n = 0;
	claimed.max = (size_t)max;
	rc = store_begin(st);
	if (rc != CK_OK)
		goto out;
	rc = store_prepare(st,
			   "UPDATE mail_outbox SET next_attempt = ?3, leased_until = ?3 WHERE id IN ("
			   " SELECT id FROM mail_outbox WHERE status = 'queued' AND id > ?4"
			   " AND (next_attempt <= ?1 OR (?5 AND leased_until <= ?1))"
			   " ORDER BY id LIMIT ?2) RETURNING " MAIL_COLS,
			   &stmt);
	if (rc == CK_OK) {
		sqlite3_bind_int64(stmt, 1, now);
		sqlite3_bind_int(stmt, 2, max);
		sqlite3_bind_int64(stmt, 3, lease_until);
		sqlite3_bind_int64(stmt, 4, after_id);
		sqlite3_bind_int(stmt, 5, all ? 1 : 0);
		rc = store_each_row(st, stmt, claim_row, &claimed, "cannot read the mail outbox");
	}
	if (rc == CK_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	/* RETURNING gives rows in no set order: send oldest first. */
	for (i = 1; rc == CK_OK && i < claimed.n; i++) {
		struct store_mail t = rows[i];
		size_t j = i;

		for (; j > 0 && rows[j - 1].id > t.id; j--)
			rows[j] = rows[j - 1];
		rows[j] = t;
	}
	for (i = 0; rc == CK_OK && i < claimed.n; i++) {
		int stop = fn(&rows[i], arg);

		if (stop == STORE_STOP)
			break;
		if (stop != 0)
			rc = (enum ck_err)stop;
	}
out:
	for (i = 0; i < claimed.n; i++)
		store_mail_clear(&rows[i]);
	free(rows);
	return rc;
}

enum ck_err store_mail_mark_sent(struct store *st, int64_t id, int64_t when)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc = store_prepare(
		st,
		"UPDATE mail_outbox SET status = 'sent', sent = ?2, last_attempt = ?2,"
		" attempts = attempts + 1, last_error = '', leased_until = 0 WHERE id = ?1",
		&stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, when);
	return store_step_done(st, stmt, "cannot mark the mail sent");
}

enum ck_err store_mail_mark_attempt(struct store *st, int64_t id, int64_t when,
				    const char *error, bool failed, int64_t next_attempt)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc = store_prepare(
		st,
		"UPDATE mail_outbox SET attempts = attempts + 1, last_attempt = ?2,"
		" last_error = ?3, status = ?4, next_attempt = ?5, leased_until = 0 WHERE id = ?1",
		&stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, when);
	bind_text(stmt, 3, error);
	bind_text(stmt, 4, failed ? STORE_MAIL_FAILED : STORE_MAIL_QUEUED);
	sqlite3_bind_int64(stmt, 5, next_attempt);
	return store_step_done(st, stmt, "cannot record the mail attempt");
}

struct mail_each {
	int (*fn)(const struct store_mail *m, void *arg);
	void *arg;
};

static int mail_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct mail_each *e = ctx;
	struct store_mail m;
	int r;

	read_row(stmt, &m);
	r = e->fn(&m, e->arg);
	store_mail_clear(&m);
	return r;
}

enum ck_err store_mail_each(struct store *st, bool only_failed, int64_t limit,
			    int (*fn)(const struct store_mail *m, void *arg), void *arg)
{
	struct mail_each e = { fn, arg };
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc = store_prepare(st,
				       "SELECT " MAIL_COLS " FROM mail_outbox"
				       " WHERE ?1 = 0 OR status = 'failed' ORDER BY id DESC LIMIT ?2",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, only_failed);
	sqlite3_bind_int64(stmt, 2, limit > 0 ? limit : -1);
	return store_each_row(st, stmt, mail_row, &e, "cannot list the mail outbox");
}

enum ck_err store_mail_get(struct store *st, int64_t id, struct store_mail *out)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc = store_prepare(st, "SELECT " MAIL_COLS " FROM mail_outbox WHERE id = ?",
				       &stmt);
	int r;

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	r = sqlite3_step(stmt);
	if (r == SQLITE_ROW)
		read_row(stmt, out);
	else if (r == SQLITE_DONE)
		rc = ck_fail(CK_ENOTFOUND, "no mail %lld in the outbox", (long long)id);
	else
		rc = store_fail_db(st, "cannot read the mail outbox");
	sqlite3_finalize(stmt);
	return rc;
}

enum ck_err store_mail_requeue(struct store *st, int64_t id, int64_t now, int64_t *n)
{
	sqlite3_stmt *stmt = NULL;
	enum ck_err rc;

	*n = 0;
	if (id > 0) {
		struct store_mail m;

		rc = store_mail_get(st, id, &m);
		if (rc != CK_OK)
			return rc;
		if (strcmp(m.status, STORE_MAIL_SENT) == 0)
			rc = ck_fail(CK_EINVAL, "mail %lld was sent already: sending it again "
						"would be a duplicate", (long long)id);
		store_mail_clear(&m);
		if (rc != CK_OK)
			return rc;
	}
	rc = store_prepare(st,
			   "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt = ?2"
			   " WHERE status != 'sent' AND (?1 = id OR (?1 = 0 AND status = 'failed'))",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	rc = store_step_done(st, stmt, "cannot requeue the mail");
	if (rc == CK_OK)
		*n = sqlite3_changes(st->db);
	return rc;
}

enum ck_err store_mail_count_queued(struct store *st, int64_t *n)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "SELECT count(*) FROM mail_outbox WHERE status = 'queued'", &stmt);

	if (rc != CK_OK)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*n = sqlite3_column_int64(stmt, 0);
	else
		rc = store_fail_db(st, "cannot count the queued mails");
	sqlite3_finalize(stmt);
	return rc;
}
