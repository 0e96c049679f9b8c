/*
 * store.c - opening the store, its schema and migrations, transactions
 * (DESIGN.md §2).
 *
 * Invariants: the directory and keys/ are 0700 and owned by us; the
 * database runs in WAL mode with synchronous=FULL, so a committed
 * transaction survives kill -9 and power loss, and an interrupted one is
 * rolled back on the next open.
 *
 * The log is not checkpointed at every close: a checkpoint costs two more
 * syncs, and every open rebuilds the log's index by reading the whole log,
 * so a command pays for the log's size twice. Instead the log is copied
 * back and truncated once it holds STORE_LOG_FRAMES pages (see
 * store_close), which keeps both costs small. Migrations run inside one transaction each
 * and bump PRAGMA user_version, so a half-applied migration cannot exist.
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Schema version 1. Times are seconds since the epoch, UTC. */
static const char schema_v1[] =
	"CREATE TABLE certificates("
	" id INTEGER PRIMARY KEY,"
	" thumbprint TEXT NOT NULL UNIQUE,"
	" sha256 TEXT NOT NULL,"
	" key_id TEXT NOT NULL,"
	" serial TEXT NOT NULL,"
	" key_type TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" issuer TEXT NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" version INTEGER NOT NULL,"
	" self_signed INTEGER NOT NULL,"
	" services INTEGER NOT NULL DEFAULT 0,"
	" replaced_by TEXT,"
	" friendly_name TEXT,"
	" added INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" chain_pem TEXT"
	") STRICT;"
	"CREATE INDEX certificates_key ON certificates(key_id);"
	"CREATE INDEX certificates_not_before ON certificates(not_before);"
	"CREATE TABLE certificate_domains("
	" cert_id INTEGER NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,"
	" position INTEGER NOT NULL,"
	" domain TEXT NOT NULL,"
	" PRIMARY KEY(cert_id, position)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX certificate_domains_domain ON certificate_domains(domain);"
	"CREATE TABLE keys("
	" key_id TEXT PRIMARY KEY,"
	" key_type TEXT NOT NULL,"
	" created INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE requests("
	" id INTEGER PRIMARY KEY,"
	" thumbprint TEXT NOT NULL UNIQUE,"
	" key_id TEXT NOT NULL,"
	" key_type TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" domains TEXT NOT NULL,"
	" services INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" der BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX requests_key ON requests(key_id);"
	"CREATE TABLE events("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL,"
	" id INTEGER NOT NULL,"
	" level TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" fields TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX events_id ON events(id, seq);"
	"CREATE INDEX events_time ON events(time);"
	"CREATE TABLE event_cursors("
	" consumer TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE config("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL"
	") STRICT;";

/* Version 2: find the certificates a removed one had replaced (remove must
 * re-point their ReplacedBy) without reading the whole table. */
static const char schema_v2[] =
	"CREATE INDEX certificates_replaced_by ON certificates(replaced_by)"
	" WHERE replaced_by IS NOT NULL;";

/* Version 3: TLS endpoints (connectors) whose certificate is selected. */
static const char schema_v3[] =
	"CREATE TABLE connectors("
	" name TEXT PRIMARY KEY,"
	" type TEXT NOT NULL CHECK(type IN ('receive', 'send')),"
	" fqdn TEXT NOT NULL,"
	" tls INTEGER NOT NULL,"
	" service_account TEXT NOT NULL,"
	" created INTEGER NOT NULL"
	") STRICT;";

/* Version 4: the directory of published internal transport certificates
 * (direct trust), one per server name. */
static const char schema_v4[] =
	"CREATE TABLE directory("
	" server TEXT PRIMARY KEY,"
	" thumbprint TEXT NOT NULL,"
	" der BLOB NOT NULL,"
	" published INTEGER NOT NULL"
	") STRICT;";

/* Version 5: bindings of sites to certificates and the files they read. */
static const char schema_v5[] =
	"CREATE TABLE bindings("
	" site TEXT PRIMARY KEY,"
	" endpoint TEXT NOT NULL,"
	" service INTEGER NOT NULL,"
	" thumbprint TEXT NOT NULL,"
	" cert_file TEXT NOT NULL,"
	" chain_file TEXT NOT NULL,"
	" key_file TEXT NOT NULL,"
	" combined_file TEXT NOT NULL,"
	" owner TEXT NOT NULL,"
	" grp TEXT NOT NULL,"
	" mode INTEGER NOT NULL,"
	" reload TEXT NOT NULL,"
	" created INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX bindings_thumbprint ON bindings(thumbprint);";

/* Version 6: expiry notices raised (once per certificate and threshold),
 * and an index to find what expires soon without reading the table. */
static const char schema_v6[] =
	"CREATE TABLE notices("
	" thumbprint TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" raised INTEGER NOT NULL,"
	" PRIMARY KEY(thumbprint, kind)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX certificates_current_not_after ON certificates(not_after)"
	" WHERE replaced_by IS NULL;";

/* Version 7: tasks run on events, and their runs. */
static const char schema_v7[] =
	"CREATE TABLE tasks("
	" id INTEGER PRIMARY KEY,"
	" event_id INTEGER NOT NULL,"
	" command TEXT NOT NULL,"
	" timeout INTEGER NOT NULL,"
	" created INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE task_runs("
	" id INTEGER PRIMARY KEY,"
	" task_id INTEGER NOT NULL,"
	" event_seq INTEGER NOT NULL,"
	" started INTEGER NOT NULL,"
	" ended INTEGER NOT NULL DEFAULT 0,"
	" status INTEGER NOT NULL DEFAULT -1,"
	" output TEXT NOT NULL DEFAULT ''"
	") STRICT;";

/* Version 8: automatic renewal (failures and back-off per certificate, an
 * index on the start of the default window, the last third of a
 * certificate's life), bindings' check command, and reloads still owed
 * after a failure. */
static const char schema_v8[] =
	"CREATE TABLE renewals("
	" thumbprint TEXT PRIMARY KEY,"
	" failures INTEGER NOT NULL,"
	" last_attempt INTEGER NOT NULL,"
	" next_attempt INTEGER NOT NULL,"
	" last_error TEXT NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX certificates_renew_from ON certificates("
	" not_after - (not_after - not_before) / 3) WHERE replaced_by IS NULL;"
	"ALTER TABLE bindings ADD COLUMN check_cmd TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bindings ADD COLUMN reload_pending INTEGER NOT NULL DEFAULT 0;";

/* Version 9: the mail outbox (DESIGN.md §9, store_mail.h). The partial
 * index holds only queued rows, so the sender's "what is due" query stays
 * small however many sent rows accumulate. One self-contained statement
 * list, so it can be renumbered when branches merge. */
static const char schema_v9[] =
	"CREATE TABLE mail_outbox("
	" id INTEGER PRIMARY KEY,"
	" event_seq INTEGER NOT NULL,"
	" event_id INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK(status IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL,"
	" last_attempt INTEGER NOT NULL DEFAULT 0,"
	" sent INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL,"
	" mail_from TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" to_hdr TEXT NOT NULL,"
	" cc_hdr TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" body TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX mail_outbox_queued ON mail_outbox(id) WHERE status = 'queued';"
	"CREATE INDEX mail_outbox_failed ON mail_outbox(id) WHERE status = 'failed';";

/* Version 10: the certificate authority (DESIGN.md §8). One row of CA state
 * (its certificate, NULL while a parent CA has the request; the last CRL's
 * number and dates); every request submitted, with its disposition; every
 * certificate issued, by serial. Indexes serve what the commands read at
 * 1,000,000 rows: listing by status, finding by serial or request, and the
 * CRL's revoked serials in order (a partial index holding only them). */
static const char schema_v10[] =
	"CREATE TABLE ca_state("
	" id INTEGER PRIMARY KEY CHECK(id = 1),"
	" name TEXT NOT NULL,"
	" key_type TEXT NOT NULL,"
	" cert BLOB,"
	" created INTEGER NOT NULL,"
	" crl_number INTEGER NOT NULL DEFAULT 0,"
	" crl_this_update INTEGER NOT NULL DEFAULT 0,"
	" crl_next_update INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE ca_requests("
	" id INTEGER PRIMARY KEY,"
	" status TEXT NOT NULL CHECK(status IN ('pending', 'issued', 'denied', 'revoked')),"
	" requester TEXT NOT NULL,"
	" email TEXT NOT NULL,"
	" submitted INTEGER NOT NULL,"
	" resolved INTEGER NOT NULL DEFAULT 0,"
	" subject TEXT NOT NULL,"
	" days INTEGER NOT NULL,"
	" message TEXT NOT NULL DEFAULT '',"
	" csr BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX ca_requests_status ON ca_requests(status, id);"
	"CREATE TABLE ca_certs("
	" id INTEGER PRIMARY KEY,"
	" serial TEXT NOT NULL UNIQUE,"
	" request_id INTEGER NOT NULL UNIQUE REFERENCES ca_requests(id),"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" sha1 TEXT NOT NULL,"
	" der BLOB NOT NULL,"
	" revoked_when INTEGER,"
	" reason INTEGER"
	") STRICT;"
	"CREATE INDEX ca_certs_sha1 ON ca_certs(sha1);"
	"CREATE INDEX ca_certs_revoked ON ca_certs(serial, revoked_when, reason)"
	" WHERE revoked_when IS NOT NULL;";

/* Version 11: a CA event keeps its certificate by reference (the serial in
 * ca_certs) rather than a copy of its PEM in fields; readers add it back
 * as RawCertificate. The PEM was half of what issuing a certificate wrote. */
static const char schema_v11[] = "ALTER TABLE events ADD COLUMN cert_serial TEXT;";

/* Version 12: trust anchors added to the store (certkeep trust anchor
 * add), trusted with the system's and the store's own CA certificate. */
static const char schema_v12[] =
	"CREATE TABLE trust_anchors("
	" thumbprint TEXT PRIMARY KEY,"
	" subject TEXT NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" added INTEGER NOT NULL"
	") STRICT;";

/* Version 13: a claimed mail's lease apart from its back-off, so that a
 * manual flush tries every queued mail (back-off only spaces the automatic
 * attempts) but never one another sender is delivering right now. */
static const char schema_v13[] =
	"ALTER TABLE mail_outbox ADD COLUMN leased_until INTEGER NOT NULL DEFAULT 0;";

static const char *const migrations[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
					  schema_v6, schema_v7, schema_v8, schema_v9,
					  schema_v10, schema_v11, schema_v12, schema_v13 };

enum ck_err store_default_dir(const char *explicit_dir, char *out, size_t n)
{
	const char *env = getenv("CERTKEEP_STORE");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int r;

	if (explicit_dir && *explicit_dir)
		r = snprintf(out, n, "%s", explicit_dir);
	else if (env && *env)
		r = snprintf(out, n, "%s", env);
	else if (geteuid() == 0)
		r = snprintf(out, n, "/var/lib/certkeep");
	else if (xdg && *xdg == '/')
		r = snprintf(out, n, "%s/certkeep", xdg);
	else {
		if (home == NULL || *home != '/') {
			struct passwd *pw = getpwuid(geteuid());

			home = pw ? pw->pw_dir : NULL;
		}
		if (home == NULL)
			return ck_fail(CK_ERROR, "cannot find a home directory: use --store DIR");
		r = snprintf(out, n, "%s/.local/state/certkeep", home);
	}
	if (r < 0 || (size_t)r >= n)
		return ck_fail(CK_EINVAL, "store path too long");
	return CK_OK;
}

/* mkdir -p for the parents of dir (0755, as any XDG directory), then dir
 * itself 0700. */
static enum ck_err make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t i;

	snprintf(path, sizeof(path), "%s", dir);
	for (i = 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return ck_fail_errno(CK_EIO, "cannot create '%s'", path);
		path[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ck_fail_errno(CK_EIO, "cannot create store directory '%s'", dir);
	return CK_OK;
}

/* Refuses a store directory that others could read or change: the keys in
 * it would not be private (OpenSMTPD's secure_file). */
static enum ck_err check_private_dir(const char *dir)
{
	struct stat sb;

	if (lstat(dir, &sb) != 0)
		return ck_fail_errno(CK_EIO, "cannot open store '%s'", dir);
	if (!S_ISDIR(sb.st_mode))
		return ck_fail(CK_EIO, "store '%s' is not a directory", dir);
	if (sb.st_uid != geteuid())
		return ck_fail(CK_EIO, "store '%s' is owned by uid %ld, not by us", dir,
			       (long)sb.st_uid);
	if (sb.st_mode & 077)
		return ck_fail(CK_EIO,
			       "store '%s' has mode %04o: it must be 0700 (chmod 700 '%s')", dir,
			       (unsigned)(sb.st_mode & 07777), dir);
	return CK_OK;
}

static enum ck_err exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum ck_err rc = store_fail_sqlite(st, what, msg ? msg : sqlite3_errmsg(st->db));

		sqlite3_free(msg);
		return rc;
	}
	return CK_OK;
}

/* Ends the open transaction, if SQLite has not already done so itself
 * (SQLITE_FULL, SQLITE_IOERR and SQLITE_NOMEM may roll back on their own;
 * a ROLLBACK then fails with "no transaction is active"). The message that
 * matters is the first failure's, which the rollback must never replace. */
static void rollback_keep_message(struct store *st)
{
	char first[1024];

	if (sqlite3_get_autocommit(st->db))
		return;
	snprintf(first, sizeof(first), "%s", ck_errmsg());
	exec_sql(st, "ROLLBACK", "rollback");
	ck_fail(CK_ESTORE, "%s", first);
}

static enum ck_err user_version(struct store *st, int *v)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "PRAGMA user_version", &stmt);

	if (rc != CK_OK)
		return rc;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		rc = store_fail_db(st, "reading the schema version");
	else
		*v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return rc;
}

static enum ck_err migrate(struct store *st)
{
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	enum ck_err rc;
	int v;

	rc = user_version(st, &v);
	if (rc != CK_OK)
		return rc;
	if (v > latest)
		return ck_fail(CK_ESTORE,
			       "the store's schema (version %d) is newer than this certkeep (%d)", v,
			       latest);
	while (v < latest) {
		char bump[64];

		rc = exec_sql(st, "BEGIN IMMEDIATE", "migration");
		if (rc != CK_OK)
			return rc;
		/* Another process may have migrated while we waited for the lock. */
		rc = user_version(st, &v);
		if (rc == CK_OK && v < latest) {
			snprintf(bump, sizeof(bump), "PRAGMA user_version=%d", v + 1);
			rc = exec_sql(st, migrations[v], "migration");
			if (rc == CK_OK)
				rc = exec_sql(st, bump, "migration");
		}
		if (rc == CK_OK)
			rc = exec_sql(st, "COMMIT", "migration");
		if (rc != CK_OK) {
			rollback_keep_message(st);
			return rc;
		}
		rc = user_version(st, &v);
		if (rc != CK_OK)
			return rc;
	}
	return CK_OK;
}

/* Pages the log may hold when a command ends before it is copied back and
 * truncated (1 MiB: its index is rebuilt in well under a millisecond). */
#define STORE_LOG_FRAMES 256
/* A command that commits many times copies the log back as it goes, as
 * SQLite's own auto-checkpoint would (this hook replaces it). */
#define STORE_LOG_FRAMES_MAX 10000
/* How long a command waits for another's write transaction. */
#define STORE_BUSY_MS 5000

static int log_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	st->wal_frames = frames;
	if (frames >= STORE_LOG_FRAMES_MAX)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

enum ck_err store_open(const char *dir, bool create, struct store **out)
{
	struct store *st = NULL;
	char path[PATH_MAX + 32];
	enum ck_err rc;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct stat sb;

	if (strlen(dir) + 128 >= PATH_MAX)
		return ck_fail(CK_EINVAL, "store path too long");
	if (create) {
		rc = make_dirs(dir);
		if (rc != CK_OK)
			return rc;
		flags |= SQLITE_OPEN_CREATE;
	} else if (stat(dir, &sb) != 0 && errno == ENOENT) {
		return ck_fail(CK_ENOTFOUND,
			       "no store at '%s': run 'certkeep init' first (or give --store DIR)",
			       dir);
	}
	rc = check_private_dir(dir);
	if (rc != CK_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return ck_fail_errno(CK_EIO, "cannot create '%s'", path);
	rc = check_private_dir(path);
	if (rc != CK_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/" STORE_DB_NAME, dir);
	if (!create && stat(path, &sb) != 0)
		return ck_fail(CK_ENOTFOUND,
			       "no store at '%s': run 'certkeep init' first (or give --store DIR)",
			       dir);

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ck_fail(CK_ENOMEM, "out of memory");
	/* Absolute, so that key paths mean the same thing to everyone who is
	 * shown them or checks them (a service account, an event reader). */
	if (realpath(dir, st->dir) == NULL) {
		rc = ck_fail_errno(CK_EIO, "cannot resolve '%s'", dir);
		goto fail;
	}
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = ck_fail(CK_ESTORE, "cannot open database '%s': %s", path,
			     st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 0);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(st->db, log_committed, st);
	rc = exec_sql(st,
		      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		      " PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
		      "cannot set up the database");
	if (rc != CK_OK)
		goto fail;
	rc = migrate(st);
	if (rc != CK_OK)
		goto fail;
	*out = st;
	return CK_OK;
fail:
	ck_errmsg_prefix("store '%s'", dir);
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	store_rollback(st);
	store_cache_set(st, NULL, NULL);
	for (i = 0; i < STMT_SLOTS; i++)
		sqlite3_finalize(st->stmts[i]);
	if (st->db != NULL)
		store_log_trim(st);
	sqlite3_close_v2(st->db);
	free(st);
}

void store_log_trim(struct store *st)
{
	if (st->in_tx || st->wal_frames < STORE_LOG_FRAMES)
		return;
	/* Never wait here: if a reader holds the log, a later command
	 * truncates it. */
	sqlite3_busy_timeout(st->db, 0);
	sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	st->wal_frames = 0;
}

const char *store_dir(const struct store *st)
{
	return st->dir;
}

enum ck_err store_begin(struct store *st)
{
	enum ck_err rc;

	if (st->in_tx)
		return ck_fail(CK_ERROR, "nested transaction");
	rc = exec_sql(st, "BEGIN IMMEDIATE", "cannot start a transaction");
	if (rc == CK_OK)
		st->in_tx = true;
	return rc;
}

static void forget_key_lists(struct store *st)
{
	ck_strlist_free(st->created_keys, st->n_created);
	ck_strlist_free(st->released_keys, st->n_released);
	st->created_keys = st->released_keys = NULL;
	st->n_created = st->n_released = 0;
}

enum ck_err store_commit(struct store *st)
{
	enum ck_err rc;
	size_t i;

	if (!st->in_tx)
		return ck_fail(CK_ERROR, "commit without a transaction");
	rc = exec_sql(st, "COMMIT", "cannot commit");
	if (rc != CK_OK) {
		store_rollback(st);
		return rc;
	}
	st->in_tx = false;
	/* Only now that no row points at them may released key files go. A
	 * crash before this leaves an orphan file, never a dangling row. */
	for (i = 0; i < st->n_released; i++) {
		char path[PATH_MAX];

		store_key_path(st, st->released_keys[i], path, sizeof(path));
		unlink(path);
	}
	forget_key_lists(st);
	return CK_OK;
}

void store_rollback(struct store *st)
{
	size_t i;

	if (st == NULL || !st->in_tx)
		return;
	rollback_keep_message(st);
	st->in_tx = false;
	for (i = 0; i < st->n_created; i++) {
		char path[PATH_MAX];

		store_key_path(st, st->created_keys[i], path, sizeof(path));
		unlink(path);
	}
	forget_key_lists(st);
}

enum ck_err store_thumb_normalize(const char *in, char out[41])
{
	size_t o = 0;

	for (; *in; in++) {
		char c = *in;

		if (c == ' ' || c == ':')
			continue;
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 32);
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) || o >= 40)
			return ck_fail(CK_EINVAL,
				       "invalid thumbprint: give 8 to 40 hexadecimal digits");
		out[o++] = c;
	}
	out[o] = '\0';
	if (o < 8)
		return ck_fail(CK_EINVAL,
			       "thumbprint prefix too short: give at least 8 hexadecimal digits");
	return CK_OK;
}

void *store_cache(const struct store *st)
{
	return st->cache;
}

void store_cache_set(struct store *st, void *p, void (*free_fn)(void *))
{
	if (st->cache_free && st->cache)
		st->cache_free(st->cache);
	st->cache = p;
	st->cache_free = free_fn;
}
