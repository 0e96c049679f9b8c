/*
 * store_tasks.c - tasks run on events and the record of their runs
 * (DESIGN.md §7).
 */
#include "store/store-int.h"

#include <stdio.h>
#include <string.h>

enum ck_err store_task_insert(struct store *st, struct store_task *t)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "INSERT INTO tasks(event_id, command, timeout, created) VALUES(?,?,?,?)", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, t->event_id);
	sqlite3_bind_text(stmt, 2, t->command, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, t->timeout);
	sqlite3_bind_int64(stmt, 4, t->created);
	rc = store_step_done(st, stmt, "cannot add the task");
	if (rc == CK_OK)
		t->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

enum ck_err store_task_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st, "DELETE FROM tasks WHERE id = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	rc = store_step_done(st, stmt, "cannot remove the task");
	if (rc == CK_OK && sqlite3_changes(st->db) != 1)
		rc = ck_fail(CK_ENOTFOUND, "no task %lld", (long long)id);
	return rc;
}

struct task_each {
	int (*fn)(const struct store_task *t, void *arg);
	void *arg;
};

static int task_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct task_each *e = ctx;
	struct store_task t;

	memset(&t, 0, sizeof(t));
	t.id = sqlite3_column_int64(stmt, 0);
	t.event_id = sqlite3_column_int(stmt, 1);
	store_col_copy(stmt, 2, t.command, sizeof(t.command));
	t.timeout = sqlite3_column_int(stmt, 3);
	t.created = sqlite3_column_int64(stmt, 4);
	return e->fn(&t, e->arg);
}

enum ck_err store_task_each(struct store *st, int (*fn)(const struct store_task *t, void *arg),
			    void *arg)
{
	struct task_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "SELECT id, event_id, command, timeout, created FROM tasks ORDER BY id", &stmt);

	if (rc != CK_OK)
		return rc;
	return store_each_row(st, stmt, task_row, &e, "cannot list tasks");
}

enum ck_err store_task_run_start(struct store *st, struct store_task_run *r)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "INSERT INTO task_runs(task_id, event_seq, started) VALUES(?,?,?)", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, r->task_id);
	sqlite3_bind_int64(stmt, 2, r->event_seq);
	sqlite3_bind_int64(stmt, 3, r->started);
	rc = store_step_done(st, stmt, "cannot record the task run");
	if (rc == CK_OK)
		r->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

enum ck_err store_task_run_finish(struct store *st, const struct store_task_run *r)
{
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(
		st, "UPDATE task_runs SET ended = ?, status = ?, output = ? WHERE id = ?", &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, r->ended);
	sqlite3_bind_int(stmt, 2, r->status);
	sqlite3_bind_text(stmt, 3, r->output, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, r->id);
	return store_step_done(st, stmt, "cannot record the task run");
}

struct run_each {
	int (*fn)(const struct store_task_run *r, void *arg);
	void *arg;
};

static int run_row(sqlite3_stmt *stmt, void *ctx)
{
	const struct run_each *e = ctx;
	struct store_task_run run;

	memset(&run, 0, sizeof(run));
	run.id = sqlite3_column_int64(stmt, 0);
	run.task_id = sqlite3_column_int64(stmt, 1);
	run.event_seq = sqlite3_column_int64(stmt, 2);
	run.started = sqlite3_column_int64(stmt, 3);
	run.ended = sqlite3_column_int64(stmt, 4);
	run.status = sqlite3_column_int(stmt, 5);
	store_col_copy(stmt, 6, run.output, sizeof(run.output));
	return e->fn(&run, e->arg);
}

enum ck_err store_task_run_each(struct store *st, int64_t limit,
				int (*fn)(const struct store_task_run *r, void *arg), void *arg)
{
	struct run_each e = { fn, arg };
	sqlite3_stmt *stmt;
	enum ck_err rc = store_prepare(st,
				       "SELECT id, task_id, event_seq, started, ended, status, output"
				       " FROM task_runs ORDER BY id DESC LIMIT ?",
				       &stmt);

	if (rc != CK_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, limit > 0 ? limit : -1);
	return store_each_row(st, stmt, run_row, &e, "cannot list task runs");
}
