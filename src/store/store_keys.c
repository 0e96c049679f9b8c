/*
 * store_keys.c - private key files of the store (DESIGN.md §2).
 *
 * Invariant: a row in keys means the file keys/<key_id>.pem exists and is
 * 0600. Files are born private (O_EXCL, mode 0600 at creation, never
 * chmod'ed later), written before their row, and removed only after the
 * transaction that dropped their last user has committed. A crash can
 * therefore leave an orphan file but never a row without its key.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fileio.h"

static bool valid_key_id(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'F')))
			return false;
	return i == 64;
}

void store_key_path(const struct store *st, const char *key_id, char *buf, size_t n)
{
	int r = snprintf(buf, n, "%s/keys/%s.pem", st->dir, key_id);

	if (r < 0 || (size_t)r >= n)
		buf[0] = '\0'; /* cannot happen: store_open bounds the directory */
}

bool store_key_exists(struct store *st, const char *key_id)
{
	sqlite3_stmt *stmt;
	bool found = false;

	if (store_cached(st, STMT_KEY_EXISTS, "SELECT 1 FROM keys WHERE key_id = ?", &stmt) !=
	    CK_OK)
		return false;
	sqlite3_bind_text(stmt, 1, key_id, -1, SQLITE_STATIC);
	found = sqlite3_step(stmt) == SQLITE_ROW;
	store_release(stmt);
	return found;
}

static enum ck_err insert_key_row(struct store *st, const char *key_id, const char *key_type)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "INSERT INTO keys(key_id, key_type, created) VALUES(?,?,?)", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, ck_now());
	return store_step_done(st, stmt, "cannot record the key");
}

enum ck_err store_key_save(struct store *st, const char *key_id, const char *key_type,
			   const char *pem, size_t len)
{
	char path[PATH_MAX];
	enum ck_err rc;
	size_t i;

	if (!st->in_tx)
		return ck_fail(CK_ERROR, "store_key_save outside a transaction");
	if (!valid_key_id(key_id))
		return ck_fail(CK_EINVAL, "invalid key id");
	if (store_key_exists(st, key_id))
		return CK_OK;
	/* Released earlier in this transaction and wanted again: its file is
	 * still there and must survive both commit and rollback untouched, so
	 * only the row comes back. */
	for (i = 0; i < st->n_released; i++) {
		if (strcmp(st->released_keys[i], key_id) == 0) {
			free(st->released_keys[i]);
			st->released_keys[i] = st->released_keys[--st->n_released];
			return insert_key_row(st, key_id, key_type);
		}
	}
	store_key_path(st, key_id, path, sizeof(path));
	rc = ck_write_new(path, pem, len, 0600);
	if (rc == CK_EEXIST) {
		/* An orphan from a crash: replace it, it has no row. */
		if (unlink(path) != 0)
			return ck_fail_errno(CK_EIO, "cannot remove stale key file '%s'", path);
		rc = ck_write_new(path, pem, len, 0600);
	}
	if (rc != CK_OK)
		return rc;
	rc = ck_strlist_push(&st->created_keys, &st->n_created, key_id);
	if (rc != CK_OK) {
		unlink(path);
		return rc;
	}
	return insert_key_row(st, key_id, key_type);
}

enum ck_err store_key_load(struct store *st, const char *key_id, char **pem, size_t *len)
{
	char path[PATH_MAX];
	struct stat sb;
	uint8_t *buf = NULL;
	enum ck_err rc;

	if (!valid_key_id(key_id) || !store_key_exists(st, key_id))
		return ck_fail(CK_ENOTFOUND, "the store has no private key for this certificate");
	store_key_path(st, key_id, path, sizeof(path));
	/* Trust a key file only while it is still private and ours. */
	if (lstat(path, &sb) != 0)
		return ck_fail_errno(CK_EIO, "key file '%s'", path);
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077))
		return ck_fail(CK_EIO, "key file '%s' is not a private (0600) file of ours", path);
	rc = ck_read_file(path, 64 * 1024, &buf, len);
	if (rc != CK_OK)
		return rc;
	*pem = (char *)buf;
	return CK_OK;
}

enum ck_err store_key_release(struct store *st, const char *key_id)
{
	sqlite3_stmt *stmt;
	enum ck_err rc;
	bool used;

	rc = store_prepare(st,
			   "SELECT EXISTS(SELECT 1 FROM certificates WHERE key_id = ?1)"
			   " OR EXISTS(SELECT 1 FROM requests WHERE key_id = ?1)",
			   &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key_id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = store_fail_db(st, "cannot check the key's users");
		sqlite3_finalize(stmt);
		return rc;
	}
	used = sqlite3_column_int(stmt, 0) != 0;
	sqlite3_finalize(stmt);
	if (used || !store_key_exists(st, key_id))
		return CK_OK;
	rc = store_prepare(st, "DELETE FROM keys WHERE key_id = ?", &stmt);
	if (rc != CK_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key_id, -1, SQLITE_STATIC);
	rc = store_step_done(st, stmt, "cannot forget the key");
	if (rc == CK_OK)
		rc = ck_strlist_push(&st->released_keys, &st->n_released, key_id);
	return rc;
}
