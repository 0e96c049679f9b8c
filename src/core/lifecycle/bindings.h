/*
 * bindings.h - sites bound to certificates, deployed to the files their
 * servers read, and moved to a renewed certificate (DESIGN.md §7; IIS 8.5
 * certificate rebind).
 */
#ifndef CK_BINDINGS_H
#define CK_BINDINGS_H

#include <stdbool.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

/* Checks the binding, deploys its files (the key checked against the
 * certificate first), runs its reload command, and records it (event
 * 1050). Nothing is recorded if the files cannot be written. Unless force,
 * a certificate not enabled for the binding's service is refused
 * (CK_EINVAL, with the enable command that fixes it). */
enum ck_err ck_bind_add(struct store *st, struct store_binding *b, bool force);

/* Forgets a binding (event 1051); its files stay where they are. */
enum ck_err ck_bind_remove(struct store *st, const char *site);

/* Every binding with its certificate and whether the files on disk still
 * hold that certificate (and a matching key). */
enum ck_err ck_bind_list(struct store *st, json_t **out);

/*
 * Moves every binding on old_thumb, and on any certificate old_thumb
 * replaced before it (A->B->C: A's and B's), to new_thumb: deploys each,
 * records event 1052 per binding, then runs each distinct reload command
 * once. A failed deployment or reload is event 1053 and an error; the
 * bindings that did move stay moved. *report lists what happened. Unless
 * force, nothing moves if new_thumb is not enabled for the service of a
 * binding to move (CK_EINVAL, with the enable command that fixes it).
 */
enum ck_err ck_rebind(struct store *st, const char *old_thumb, const char *new_thumb,
		      bool force, json_t **report);

/* Runs the reload commands still owed after a failure or a crash (each
 * distinct command once); appends what happened to report if not NULL. */
enum ck_err ck_reloads_owed(struct store *st, json_t *report);

/* With autorebind on, moves every binding still on a certificate that a
 * newer one replaced to the end of its replacement chain: what a failed or
 * interrupted rebind left behind. Appends what moved to report. Then
 * removes the deployed generations an interrupted deployment left
 * (ck_deploy_sweep), whether autorebind is on or not. */
enum ck_err ck_bindings_catch_up(struct store *st, json_t *report);

/* autorebind on|off (server level): every 1001 event rebinds. */
enum ck_err ck_autorebind_set(struct store *st, bool on);
bool ck_autorebind_get(struct store *st);

/* Reacts to the events not yet seen by each consumer: for "autorebind",
 * each 1001 rebinds old to new when autorebind is on (the cursor moves
 * after the reaction, so a crash repeats it: rebinding is idempotent; a
 * failure is event 1053 and left to ck_bindings_catch_up); then
 * the tasks (ck_tasks_run). */
enum ck_err ck_reactions_run(struct store *st);

#endif
