/*
 * events.h - the event catalogue and writing events with their change
 * (DESIGN.md §6).
 *
 * Callers open a store transaction, make their change, call ck_event_emit
 * for each event, then ck_commit: the events are durable exactly when the
 * change is, and are then copied to syslog. An event the exit module
 * mails (exitmod.h) queues its mail in the same transaction.
 */
#ifndef CK_EVENTS_H
#define CK_EVENTS_H

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

enum ck_event_id {
	CK_EV_EXIT_SEND_FAILED = 46,
	CK_EV_CERT_REPLACED = 1001,
	CK_EV_CERT_EXPIRED = 1002,
	CK_EV_CERT_EXPIRING = 1003,
	CK_EV_CERT_DELETED = 1004,
	CK_EV_CERT_INSTALLED = 1006,
	CK_EV_CERT_EXPORTED = 1007,
	CK_EV_SERVICES_CHANGED = 1020,
	CK_EV_REQUEST_CREATED = 1021,
	CK_EV_CONNECTOR_ADDED = 1030,
	CK_EV_CONNECTOR_REMOVED = 1031,
	CK_EV_DIRECT_TRUST_LOCAL = 1037,
	CK_EV_DIRECT_TRUST_OUTBOUND = 2019,
	CK_EV_TRANSPORT_CERT_PUBLISHED = 1040,
	CK_EV_HOST_NAMES_CHANGED = 1041,
	CK_EV_BINDING_ADDED = 1050,
	CK_EV_BINDING_REMOVED = 1051,
	CK_EV_BINDING_MOVED = 1052,
	CK_EV_BINDING_FAILED = 1053,
	CK_EV_TASK_ADDED = 1060,
	CK_EV_TASK_REMOVED = 1061,
	CK_EV_RENEWAL_FAILED = 1070,
	/* The certificate authority (DESIGN.md §8); the exit module mails these. */
	CK_EV_CA_CERT_ISSUED = 1101,
	CK_EV_CA_CERT_PENDING = 1102,
	CK_EV_CA_CERT_DENIED = 1103,
	CK_EV_CA_CERT_REVOKED = 1104,
	CK_EV_CA_CRL_ISSUED = 1105,
	CK_EV_CA_STARTUP = 1106,
	CK_EV_CA_SHUTDOWN = 1107,
	CK_EV_CA_CERT_IMPORTED = 1108,
	CK_EV_CA_CERT_UNREVOKED = 1109,
	CK_EV_CA_INITIALIZED = 1110,
	CK_EV_NO_CERT_FOR_FQDN = 12014,
	CK_EV_INTERNAL_CERT_EXPIRED = 12015,
	CK_EV_STARTTLS_CERT_EXPIRED = 12016,
};

struct ck_event_kind {
	int id;
	const char *name;  /* "CertificateReplaced" */
	const char *level; /* "info", "warning", "error" */
};

/* The catalogue entry for id, or NULL. */
const struct ck_event_kind *ck_event_kind(int id);

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
