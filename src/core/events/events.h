/*
 * events.h - the event catalogue and writing events with their change
 * (DESIGN.md §6).
 *
 * Callers open a store transaction, make their change, call ck_event_emit
 * for each event, then ck_commit: the events are durable exactly when the
 * change is, and are then copied to syslog. An event the exit module
 * mails (exitmod.h) queues its mail in the same transaction. The events
 * themselves are described in catalogue.h (events.def).
 */
#ifndef CK_EVENTS_H
#define CK_EVENTS_H

#include <jansson.h>

#include "core/events/catalogue.h"
#include "store/store.h"
#include "base/err.h"

/* Appends an event (message printf-style) with its fields (a JSON object,
 * reference stolen; may be NULL) inside the open transaction. */
enum ck_err ck_event_emit(struct store *st, int id, json_t *fields, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reads the log like store_event_each, with the RawCertificate of CA
 * events put back into their fields (they are stored by reference). */
enum ck_err ck_event_each(struct store *st, const struct store_event_filter *f,
			  int (*fn)(const struct store_event *ev, void *arg), void *arg);

/* Commits the transaction, then sends the events it carried to syslog (the
 * first CK_EVENT_SYSLOG_MAX one by one, then one line counting the rest, so
 * a bulk transaction cannot flood the log). On failure everything, events
 * included, is rolled back. */
#define CK_EVENT_SYSLOG_MAX 16
enum ck_err ck_commit(struct store *st);

/* Rolls back and forgets events not yet committed. */
void ck_rollback(struct store *st);

#endif
