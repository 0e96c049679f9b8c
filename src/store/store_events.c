/*
 * store_events.c - the event log, consumers' cursors and config keys
 * (DESIGN.md §1 transactional outbox, §6 events).
 *
 * Events are appended inside the transaction of the change they record.
 * Reactions (mail, tasks, rebinding) keep a cursor here and read the log
 * forward from it, so a crash delays a reaction but never loses it.
 */
#include "store/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ck_err store_event_append(struct store *st, const struct store_event *ev, int64_t *seq)
{
	sqlite3_stmt *stmt;
	enum ck_err rc;

	if (!st->in_tx)
		return ck_fail(CK_ERROR, "an event must be written with its change");
	rc = store_cached(st, STMT_EVENT_APPEND,
			  "INSERT INTO events(time, id, level, source, message, fields, cert_serial)"
			  " VALUES(?,?,?,?,?,?,?)",
			  &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, ev->time);
	sqlite3_bind_int(stmt, 2, ev->id);
	sqlite3_bind_text(stmt, 3, ev->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, ev->message, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, ev->fields ? ev->fields : "{}", -1, SQLITE_STATIC);
	if (ev->cert_serial)
		sqlite3_bind_text(stmt, 7, ev->cert_serial, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_fail_db(st, "cannot record the event");
	store_release(stmt);
	if (rc == CK_OK && seq)
		*seq = sqlite3_last_insert_rowid(st->db);
	return rc;
}

struct event_each {
	int (*fn)(const struct store_event *ev, void *arg);
	void *arg;
};

static int event_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct event_each *e = ctx;
	struct store_event ev = {
		.seq = sqlite3_column_int64(stmt, 0),
		.time = sqlite3_column_int64(stmt, 1),
		.id = sqlite3_column_int(stmt, 2),
		.level = (const char *)sqlite3_column_text(stmt, 3),
		.source = (const char *)sqlite3_column_text(stmt, 4),
		.message = (const char *)sqlite3_column_text(stmt, 5),
		.fields = (const char *)sqlite3_column_text(stmt, 6),
		.cert_serial = (const char *)sqlite3_column_text(stmt, 7),
		.cert_der = sqlite3_column_blob(stmt, 8),
		.cert_der_len = (size_t)sqlite3_column_bytes(stmt, 8),
	};

	return e->fn(&ev, e->arg);
}

enum ck_err store_event_each(struct store *st, const struct store_event_filter *f,
			     int (*fn)(const struct store_event *ev, void *arg), void *arg)
{
	struct event_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc;

	/* Two texts, so that an id is looked up in events_id(id, seq) instead
	 * of scanning the whole log (a CA adds an event per certificate). */
#define EVENTS_SELECT                                                                     \
	"SELECT e.seq, e.time, e.id, e.level, e.source, e.message, e.fields,"            \
	" e.cert_serial, c.der FROM events e"                                             \
	" LEFT JOIN ca_certs c ON c.serial = e.cert_serial WHERE "
#define EVENTS_RANGE " e.time >= ?2 AND e.seq > ?3 ORDER BY e.seq LIMIT ?4"
#define EVENTS_NEWEST " e.time >= ?2 AND e.seq > ?3 ORDER BY e.seq DESC LIMIT ?4"
	/* The newest N, read newest first by the index, then put back in order. */
#define NEWEST(q) "SELECT * FROM (" q ") ORDER BY 1"
	if (f->newest && f->limit > 0)
		rc = store_prepare(st,
				   f->id != 0 ? NEWEST(EVENTS_SELECT "e.id = ?1 AND" EVENTS_NEWEST)
					      : NEWEST(EVENTS_SELECT EVENTS_NEWEST),
				   &stmt);
	else
		rc = store_prepare(st,
				   f->id != 0 ? EVENTS_SELECT "e.id = ?1 AND" EVENTS_RANGE
					      : EVENTS_SELECT EVENTS_RANGE,
				   &stmt);
#undef NEWEST
#undef EVENTS_NEWEST
#undef EVENTS_SELECT
#undef EVENTS_RANGE
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, f->id);
	sqlite3_bind_int64(stmt, 2, f->since);
	sqlite3_bind_int64(stmt, 3, f->after_seq);
	sqlite3_bind_int64(stmt, 4, f->limit > 0 ? f->limit : -1);
	return store_each_row(st, stmt, event_row, &e, "cannot read events");
}

enum ck_err store_event_last_seq(struct store *st, int64_t *seq)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "SELECT coalesce(max(seq), 0) FROM events", &stmt);

	if (rc != CK_OK)
		return rc;
	*seq = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return CK_OK;
}

enum ck_err store_cursor_get(struct store *st, const char *consumer, int64_t *seq)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "SELECT seq FROM event_cursors WHERE consumer = ?",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, consumer, -1, SQLITE_STATIC);
	*seq = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return CK_OK;
}

enum ck_err store_cursor_set(struct store *st, const char *consumer, int64_t seq)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT INTO event_cursors(consumer, seq) VALUES(?1, ?2)"
				       " ON CONFLICT(consumer) DO UPDATE SET seq = ?2",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, consumer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, seq);
	return store_step_done(st, stmt, "cannot move the event cursor");
}

enum ck_err store_config_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt *stmt;
	/* Cached: the exit module reads its keys for every event. */
	enum ck_err rc = store_cached(st, STMT_CONFIG_GET, "SELECT value FROM config WHERE key = ?",
				      &stmt);

	if (rc != CK_OK)
		return rc;
	*value = NULL;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*value = store_col_strdup(stmt, 0);
		rc = *value ? CK_OK : ck_fail(CK_ENOMEM, "out of memory");
	} else {
		rc = CK_ENOTFOUND;
	}
	store_release(stmt);
	return rc;
}

int store_config_int(struct store *st, const char *key, long min, long max, int fallback)
{
	char *v = NULL, *end;
	long n = fallback;

	if (store_config_get(st, key, &v) == CK_OK) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < min || n > max)
			n = fallback;
	}
	free(v);
	return (int)n;
}

enum ck_err store_config_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "INSERT INTO config(key, value) VALUES(?1, ?2)"
				       " ON CONFLICT(key) DO UPDATE SET value = ?2",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	return store_step_done(st, stmt, "cannot set config");
}
