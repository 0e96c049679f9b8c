/*
 * tasks.c - running commands on events, with the event in the environment,
 * a time limit and a record of every run (DESIGN.md §7).
 */
#include "core/lifecycle/tasks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/clock.h"
#include "base/spawn.h"
#include "core/events/events.h"

static enum ck_err in_tx(struct store *st, enum ck_err rc)
{
	if (rc != CK_OK) {
		ck_rollback(st);
		return rc;
	}
	return ck_commit(st);
}

enum ck_err ck_task_add(struct store *st, int event_id, const char *command, int timeout,
			int64_t *id)
{
	struct store_task t;
	char cursor[32];
	int64_t last = 0;
	enum ck_err rc;

	memset(&t, 0, sizeof(t));
	if (ck_event_kind(event_id) == NULL)
		return ck_fail(CK_EINVAL, "no event %d in the catalogue (see man certkeep, EVENTS)",
			       event_id);
	if (command[0] == '\0' || strlen(command) >= sizeof(t.command))
		return ck_fail(CK_EINVAL, "the command must be 1 to %zu characters",
			       sizeof(t.command) - 1);
	t.event_id = event_id;
	snprintf(t.command, sizeof(t.command), "%s", command);
	t.timeout = timeout > 0 ? timeout : CK_TASK_TIMEOUT_DEFAULT;
	t.created = ck_now();
	rc = store_begin(st);
	if (rc != CK_OK)
		return rc;
	rc = store_task_insert(st, &t);
	/* A new task acts on events from now on, not on the past. */
	if (rc == CK_OK)
		rc = store_event_last_seq(st, &last);
	snprintf(cursor, sizeof(cursor), "task:%lld", (long long)t.id);
	if (rc == CK_OK)
		rc = store_cursor_set(st, cursor, last);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_TASK_ADDED,
				   json_pack("{s:I, s:i}", "Task", (json_int_t)t.id, "EventId",
					     event_id),
				   "Task %lld added: on event %d, run a command.", (long long)t.id,
				   event_id);
	if (rc == CK_OK)
		*id = t.id;
	return in_tx(st, rc);
}

enum ck_err ck_task_remove(struct store *st, int64_t id)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = store_task_delete(st, id);
	if (rc == CK_OK)
		rc = ck_event_emit(st, CK_EV_TASK_REMOVED, json_pack("{s:I}", "Task", (json_int_t)id),
				   "Task %lld removed.", (long long)id);
	return in_tx(st, rc);
}

static int task_json(const struct store_task *t, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:I, s:i, s:s, s:i}", "Id",
						    (json_int_t)t->id, "On", t->event_id, "Run",
						    t->command, "TimeoutSeconds", t->timeout)) == 0
		       ? 0
		       : CK_ENOMEM;
}

enum ck_err ck_task_list(struct store *st, json_t **out)
{
	json_t *a = json_array();
	enum ck_err rc = a ? store_task_each(st, task_json, a) : CK_ENOMEM;

	if (rc != CK_OK) {
		json_decref(a);
		return rc == CK_ENOMEM ? ck_fail(rc, "out of memory") : rc;
	}
	*out = a;
	return CK_OK;
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	ck_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static int run_json(const struct store_task_run *r, void *arg)
{
	return json_array_append_new(
		       arg, json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:s}", "Run",
				      (json_int_t)r->id, "Task", (json_int_t)r->task_id, "EventSeq",
				      (json_int_t)r->event_seq, "Started", time_or_null(r->started),
				      "Ended", time_or_null(r->ended), "ExitStatus",
				      r->ended ? json_integer(r->status) : json_null(), "Output",
				      r->output)) == 0
		       ? 0
		       : CK_ENOMEM;
}

enum ck_err ck_task_runs(struct store *st, int64_t limit, json_t **out)
{
	json_t *a = json_array();
	enum ck_err rc = a ? store_task_run_each(st, limit, run_json, a) : CK_ENOMEM;

	if (rc != CK_OK) {
		json_decref(a);
		return rc == CK_ENOMEM ? ck_fail(rc, "out of memory") : rc;
	}
	*out = a;
	return CK_OK;
}

/* "OldThumbprint" -> "CERTKEEP_OLD_THUMBPRINT". */
static void env_name(const char *field, char *buf, size_t n)
{
	size_t o = (size_t)snprintf(buf, n, "CERTKEEP_");
	size_t i;

	for (i = 0; field[i] && o + 2 < n; i++) {
		unsigned char c = (unsigned char)field[i];

		if (!isalnum(c))
			continue;
		if (i > 0 && isupper(c) && islower((unsigned char)field[i - 1]))
			buf[o++] = '_';
		buf[o++] = (char)toupper(c);
	}
	buf[o] = '\0';
}

/* The environment of a run: certkeep's own, and the event's fields as
 * variables, built before the command is started. */
static enum ck_err event_env(const struct store_event *ev, struct ck_env *env)
{
	json_t *fields = json_loads(ev->fields, 0, NULL);
	const struct ck_event_kind *kind = ck_event_kind(ev->id);
	const char *key;
	json_t *v;
	char name[96], num[32];
	enum ck_err rc = ck_env_from_current(env);

	snprintf(num, sizeof(num), "%d", ev->id);
	if (rc == CK_OK)
		rc = ck_env_set(env, "CERTKEEP_EVENT_ID", num);
	snprintf(num, sizeof(num), "%lld", (long long)ev->seq);
	if (rc == CK_OK)
		rc = ck_env_set(env, "CERTKEEP_EVENT_SEQ", num);
	if (rc == CK_OK)
		rc = ck_env_set(env, "CERTKEEP_EVENT_NAME", kind ? kind->name : "");
	if (rc == CK_OK)
		rc = ck_env_set(env, "CERTKEEP_EVENT_MESSAGE", ev->message);
	json_object_foreach(fields, key, v) {
		if (rc != CK_OK)
			break;
		env_name(key, name, sizeof(name));
		if (json_is_string(v)) {
			rc = ck_env_set(env, name, json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			rc = ck_env_set(env, name, num);
		} else if (json_is_boolean(v)) {
			rc = ck_env_set(env, name, json_is_true(v) ? "1" : "0");
		} else if (json_is_array(v)) {
			char list[4096] = "";
			size_t i, o = 0;

			for (i = 0; i < json_array_size(v) && o < sizeof(list); i++)
				if (json_is_string(json_array_get(v, i)))
					o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
							      o ? " " : "",
							      json_string_value(json_array_get(v, i)));
			rc = ck_env_set(env, name, list);
		}
	}
	json_decref(fields);
	if (rc != CK_OK)
		ck_env_free(env);
	return rc;
}

/* Runs the command with the event in the environment; fills run. */
static void execute(const struct store_task *t, const struct store_event *ev,
		    struct store_task_run *run)
{
	struct ck_tail tail = { run->output, sizeof(run->output), 0 };
	struct ck_env env = { 0 };
	struct ck_spawn_result res;
	enum ck_err rc;
	char *argv[4];
	struct ck_spawn sp = { .path = CK_SPAWN_SHELL,
			       .argv = argv,
			       .timeout_ms = (long)t->timeout * 1000,
			       .umask = 022,
			       .wait_output = true,
			       .echo_fd = -1,
			       .tail = &tail };

	run->output[0] = '\0';
	ck_spawn_shell_argv(t->command, argv);
	rc = event_env(ev, &env);
	sp.envp = env.vars;
	if (rc == CK_OK)
		rc = ck_spawn_run(&sp, &res);
	ck_env_free(&env);
	if (rc != CK_OK) {
		/* Not started: the reason is the run's output. */
		snprintf(run->output, sizeof(run->output), "%s", ck_errmsg());
		run->status = 127;
		return;
	}
	run->status = res.status;
	if (res.timed_out) {
		char note[64];

		snprintf(note, sizeof(note), "\n[killed after %d s]", t->timeout);
		ck_tail_add(&tail, note, strlen(note));
	}
}

struct one_event {
	struct store_event ev;
	char *level, *source, *message, *fields;
};

static int take_event(const struct store_event *ev, void *arg)
{
	struct one_event *o = arg;

	o->ev = *ev;
	o->level = strdup(ev->level);
	o->source = strdup(ev->source);
	o->message = strdup(ev->message);
	o->fields = strdup(ev->fields);
	o->ev.level = o->level;
	o->ev.source = o->source;
	o->ev.message = o->message;
	o->ev.fields = o->fields;
	o->ev.cert_serial = NULL; /* the row's memory ends with the callback */
	return STORE_STOP; /* one at a time: the run writes to the store */
}

static void one_event_clear(struct one_event *o)
{
	free(o->level);
	free(o->source);
	free(o->message);
	free(o->fields);
	memset(o, 0, sizeof(*o));
}

struct tlist {
	struct store_task *t;
	size_t n;
};

static int gather_task(const struct store_task *t, void *arg)
{
	struct tlist *l = arg;
	struct store_task *grown = ck_array_grow(l->t, l->n, sizeof(*grown));

	if (grown == NULL)
		return CK_ENOMEM;
	l->t = grown;
	l->t[l->n++] = *t;
	return 0;
}

enum ck_err ck_tasks_run(struct store *st)
{
	struct tlist l = { NULL, 0 };
	enum ck_err rc = store_task_each(st, gather_task, &l);
	size_t i;

	for (i = 0; rc == CK_OK && i < l.n; i++) {
		const struct store_task *t = &l.t[i];
		char cursor[32];

		snprintf(cursor, sizeof(cursor), "task:%lld", (long long)t->id);
		for (;;) {
			struct store_event_filter f = { .id = t->event_id };
			struct store_task_run run;
			struct one_event o = { 0 };
			int64_t seq = 0;

			rc = store_cursor_get(st, cursor, &seq);
			if (rc != CK_OK)
				break;
			f.after_seq = seq;
			rc = ck_event_each(st, &f, take_event, &o);
			if (rc != CK_OK || o.ev.seq == 0) {
				one_event_clear(&o);
				break;
			}
			memset(&run, 0, sizeof(run));
			run.task_id = t->id;
			run.event_seq = o.ev.seq;
			run.started = ck_now();
			rc = store_begin(st);
			if (rc == CK_OK)
				rc = store_task_run_start(st, &run);
			if (rc == CK_OK)
				rc = store_cursor_set(st, cursor, o.ev.seq);
			rc = rc == CK_OK ? store_commit(st) : (store_rollback(st), rc);
			if (rc == CK_OK) {
				execute(t, &o.ev, &run);
				run.ended = ck_now();
				if (run.ended == 0)
					run.ended = 1;
				rc = store_begin(st);
				if (rc == CK_OK)
					rc = store_task_run_finish(st, &run);
				rc = rc == CK_OK ? store_commit(st) : (store_rollback(st), rc);
			}
			one_event_clear(&o);
		}
	}
	free(l.t);
	return rc;
}
