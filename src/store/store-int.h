/*
 * store-int.h - the store module's private state, shared by its files only.
 */
#ifndef CK_STORE_INT_H
#define CK_STORE_INT_H

#include <limits.h>
#include <sqlite3.h>

#include "base/strlist.h"
#include "store/store.h"

/* Statements prepared once per handle (hot paths: bulk insert, listing). */
enum store_stmt_slot {
	STMT_CERT_INSERT,
	STMT_DOMAIN_INSERT,
	STMT_DOMAINS_OF,
	STMT_KEY_EXISTS,
	STMT_EVENT_APPEND,
	STMT_CA_REQ_INSERT,
	STMT_CA_CERT_INSERT,
	STMT_CONFIG_GET,
	STMT_SLOTS
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmts[STMT_SLOTS];
	char dir[PATH_MAX];
	bool in_tx;
	int wal_frames; /* frames in the write-ahead log after our last commit */
	/* Key files written in the open transaction (removed on rollback) and
	 * key files released by it (removed after commit). */
	char **created_keys;
	size_t n_created;
	char **released_keys;
	size_t n_released;
	void *cache; /* store_cache_set */
	void (*cache_free)(void *);
};

/* Sets the message from msg (SQLite's, about the handle's last error),
 * prefixed by what; names a full disk or the errno of an I/O error. */
enum ck_err store_fail_sqlite(struct store *st, const char *what, const char *msg);

/* Sets the message from SQLite's for the handle, prefixed by what. */
enum ck_err store_fail_db(struct store *st, const char *what);

/* Prepares sql or fails with the database's message. */
enum ck_err store_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt);

/* A cached statement for slot, prepared from sql on first use, reset and
 * unbound; give it back with store_release (never finalize it). */
enum ck_err store_cached(struct store *st, enum store_stmt_slot slot, const char *sql,
			 sqlite3_stmt **stmt);
void store_release(sqlite3_stmt *stmt);

/* Executes a statement that returns no rows; finalizes it. */
enum ck_err store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what);

/* Reads the current row of stmt and gives it to the caller's callback
 * (through ctx): 0 to go on, STORE_STOP to stop with no error, else an
 * enum ck_err to stop with. */
typedef int (*store_row_fn)(sqlite3_stmt *stmt, void *ctx);

/* The one loop over a statement's rows: calls row for each, stops as it
 * says (store.h, STORE_STOP), fails with the database's message prefixed
 * by what when a step fails, and finalizes stmt in every case. */
enum ck_err store_each_row(struct store *st, sqlite3_stmt *stmt, store_row_fn row, void *ctx,
			   const char *what);

/* Copies column i as a malloc'ed string (NULL for SQL NULL). */
char *store_col_strdup(sqlite3_stmt *stmt, int i);

/* Copies column i into a fixed buffer. */
void store_col_copy(sqlite3_stmt *stmt, int i, char *buf, size_t n);

/* Normalises a user's thumbprint (prefix): strips spaces and colons,
 * upper-cases; CK_EINVAL unless 8-40 hex digits remain. */
enum ck_err store_thumb_normalize(const char *in, char out[41]);


#endif
