/*
 * events.c - writing events with their mail, syslog copies (DESIGN.md §6).
 *
 * The one step that records an event: it appends the row, has the exit
 * module queue its mail in the same transaction, and records event 46
 * when that mail could not be made (the exit module itself writes no
 * event, so nothing leads back here).
 */
#include "core/events/events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "pki/pki_ca.h"
#include "base/clock.h"
#include "core/events/exitmod.h"

/* Messages of the open transaction, for syslog once it commits: the first
 * CK_EVENT_SYSLOG_MAX in full, the rest only counted (by worst level).
 * Per thread, as transactions are: the daemon's CA service has its own. */
static _Thread_local char *pending[CK_EVENT_SYSLOG_MAX];
static _Thread_local int pending_level[CK_EVENT_SYSLOG_MAX];
static _Thread_local size_t n_pending, n_more;
static _Thread_local int more_level = LOG_INFO;

static void forget_pending(void)
{
	size_t i;

	for (i = 0; i < n_pending; i++)
		free(pending[i]);
	n_pending = n_more = 0;
	more_level = LOG_INFO;
}

/* A CA event's certificate is kept once, in ca_certs: the event stores its
 * serial instead of its PEM, and ck_event_each puts the PEM back. Returns
 * the serial when fields carry both (CA events only), else NULL. */
static const char *stored_by_reference(int id, const json_t *fields)
{
	if (id < CK_EV_CA_CERT_ISSUED || id > CK_EV_CA_INITIALIZED ||
	    !json_is_string(json_object_get(fields, "RawCertificate")))
		return NULL;
	return json_string_value(json_object_get(fields, "SerialNumber"));
}

enum ck_err ck_event_emit(struct store *st, int id, json_t *fields, const char *fmt, ...)
{
	const struct ck_event_kind *kind = ck_event_kind(id);
	struct ck_exit_unmade unmade = { 0 };
	struct store_event ev;
	char message[1024];
	char *fields_text = NULL;
	const char *cert_serial;
	int64_t seq = 0;
	enum ck_err rc;
	va_list ap;

	if (kind == NULL) {
		json_decref(fields);
		return ck_fail(CK_ERROR, "event %d is not in the catalogue", id);
	}
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (fields == NULL)
		fields = json_object();
	cert_serial = stored_by_reference(id, fields);
	if (cert_serial) {
		json_t *stored = json_copy(fields); /* shallow */

		if (stored)
			json_object_del(stored, "RawCertificate");
		fields_text = stored ? json_dumps(stored, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
		json_decref(stored);
	} else {
		fields_text = json_dumps(fields, JSON_SORT_KEYS | JSON_COMPACT);
	}
	if (fields_text == NULL) {
		json_decref(fields);
		return ck_fail(CK_ENOMEM, "out of memory");
	}
	ev = (struct store_event){
		.time = ck_now(),
		.id = id,
		.level = kind->level,
		.source = kind->source,
		.message = message,
		.fields = fields_text,
		.cert_serial = cert_serial,
	};
	rc = store_event_append(st, &ev, &seq);
	free(fields_text);
	/* The mail goes into the outbox with the event, or neither does. */
	if (rc == CK_OK)
		rc = ck_exit_enqueue(st, seq, id, fields, message, ev.time, &unmade);
	json_decref(fields);
	/* A mail that could not be made is not a failure of the event: it
	 * stays in the outbox as failed, and event 46 says so. */
	if (rc == CK_OK && unmade.unmade)
		rc = ck_event_emit(st, CK_EV_EXIT_SEND_FAILED,
				   json_pack("{s:I, s:s, s:i, s:I, s:s}", "MailId",
					     (json_int_t)unmade.mail_id, "MessageId", unmade.message_id,
					     "EventId", id, "EventSeq", (json_int_t)seq, "Error",
					     unmade.error),
				   "The exit module could not make the mail for event %d (%s): %s. "
				   "It stays in the outbox as mail %lld (certkeep mail list "
				   "--failed).",
				   id, kind->name, unmade.error, (long long)unmade.mail_id);
	/* No address, no mail: not an error, only a note for whoever looks. */
	if (rc == CK_OK && unmade.nobody)
		syslog(LOG_DAEMON | LOG_DEBUG,
		       "event %d %s: no mail, its exit module group has no recipient", id,
		       kind->name);
	ck_exit_unmade_clear(&unmade);
	if (rc == CK_OK) {
		int level = strcmp(kind->level, "error") == 0	  ? LOG_ERR
			    : strcmp(kind->level, "warning") == 0 ? LOG_WARNING
								  : LOG_INFO;
		char line[1100];

		snprintf(line, sizeof(line), "event %d %s: %s", id, kind->name, message);
		if (n_pending < CK_EVENT_SYSLOG_MAX)
			pending[n_pending] = strdup(line);
		if (n_pending < CK_EVENT_SYSLOG_MAX && pending[n_pending] != NULL) {
			pending_level[n_pending++] = level;
		} else {
			n_more++;
			if (level < more_level) /* LOG_ERR < LOG_WARNING < LOG_INFO */
				more_level = level;
		}
	}
	return rc;
}

enum ck_err ck_commit(struct store *st)
{
	enum ck_err rc = store_commit(st);
	size_t i;

	if (rc == CK_OK) {
		for (i = 0; i < n_pending; i++)
			syslog(LOG_DAEMON | pending_level[i], "%s", pending[i]);
		if (n_more > 0)
			syslog(LOG_DAEMON | more_level,
			       "and %zu more events in the same transaction ('certkeep events' lists them)",
			       n_more);
	}
	forget_pending();
	return rc;
}

void ck_rollback(struct store *st)
{
	store_rollback(st);
	forget_pending();
}

struct each_arg {
	int (*fn)(const struct store_event *ev, void *arg);
	void *arg;
};

static int with_certificate(const struct store_event *ev, void *arg)
{
	struct each_arg *a = arg;
	struct store_event full = *ev;
	json_t *fields = NULL;
	char *pem = NULL, *text = NULL;
	int r;

	if (ev->cert_der == NULL || ev->cert_der_len == 0)
		return a->fn(ev, a->arg);
	fields = json_loads(ev->fields, 0, NULL);
	if (json_is_object(fields) && json_object_get(fields, "RawCertificate") == NULL &&
	    pki_der_to_pem(ev->cert_der, ev->cert_der_len, &pem) == CK_OK &&
	    json_object_set_new(fields, "RawCertificate", json_string(pem)) == 0)
		text = json_dumps(fields, JSON_SORT_KEYS | JSON_COMPACT);
	if (text == NULL)
		ck_errmsg_clear();
	full.fields = text ? text : ev->fields;
	full.cert_der = NULL;
	full.cert_der_len = 0;
	r = a->fn(&full, a->arg);
	free(text);
	free(pem);
	json_decref(fields);
	return r;
}

enum ck_err ck_event_each(struct store *st, const struct store_event_filter *f,
			  int (*fn)(const struct store_event *ev, void *arg), void *arg)
{
	struct each_arg a = { fn, arg };

	return store_event_each(st, f, with_certificate, &a);
}
