/*
 * tasks.h - commands run on events (DESIGN.md §7; Windows certificate
 * notification tasks). The event reaches the command only through its
 * environment (CERTKEEP_EVENT_ID, CERTKEEP_THUMBPRINT,
 * CERTKEEP_OLD_THUMBPRINT, CERTKEEP_NEW_THUMBPRINT, CERTKEEP_FQDN, ... one
 * variable per field), never through its text.
 */
#ifndef CK_TASKS_H
#define CK_TASKS_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

#define CK_TASK_TIMEOUT_DEFAULT 300

/* Adds a task for future events with that id (event 1060); *id is set. */
enum ck_err ck_task_add(struct store *st, int event_id, const char *command, int timeout,
			int64_t *id);
/* Removes one (event 1061). */
enum ck_err ck_task_remove(struct store *st, int64_t id);
enum ck_err ck_task_list(struct store *st, json_t **out);
/* The last runs, newest first. */
enum ck_err ck_task_runs(struct store *st, int64_t limit, json_t **out);

/*
 * Runs every task on the events its cursor has not passed. Before a run
 * starts, the run is recorded and the cursor moved, in one transaction: an
 * event missed by a crash runs later, once; a run cut short by one stays
 * recorded as unfinished and is not repeated.
 */
enum ck_err ck_tasks_run(struct store *st);

#endif
