/*
 * exitmod.h - the exit module: turning a mailed event into outbox rows
 * (DESIGN.md §9), called by ck_event_emit inside the event's transaction.
 * It reads the catalogue and the exit module's settings, never writes an
 * event: the event step (events.c) records what it reports.
 *
 * Which events are mailed, to whom and with what text is configuration
 * (exitreg.h). Templates take %1..%99 from the property names listed in
 * TitleArg/BodyArg, looked up in the event's fields (AD CS names such as
 * Request.RequestID find the field RequestID), then among the system
 * properties EventId, EventName, EventMessage, EventTime, EventSeq,
 * MachineDNSName and SanitizedCAName (the CAName field, else the name
 * of this store's CA, else the host's FQDN). A property that is missing is "???"
 * (AD CS's wszREGEXITPROPNOTFOUND).
 */
#ifndef CK_EXITMOD_H
#define CK_EXITMOD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "base/err.h"

#define CK_EXIT_PROP_NOT_FOUND "???"
#define CK_EXIT_SUBJECT_MAX 900

/* What the system properties are made of. */
struct ck_exit_sys {
	int event_id;
	const char *event_name;
	const char *message;
	int64_t time, seq;
	const char *fqdn;
	const char *ca_name; /* NULL: the FQDN */
};

/*
 * Expands fmt: %N is the value of the N-th name in args (one name a line),
 * "%%" a '%'. For a header (the subject) every control byte of a value
 * becomes a space and the result is cut to CK_EXIT_SUBJECT_MAX bytes on a
 * character boundary, so event data can never start a new header line.
 * In a body, line ends become "\n" and other control bytes '?'.
 */
enum ck_err ck_exit_render(const char *fmt, const char *args, const json_t *fields,
			   const struct ck_exit_sys *sys, bool header, char **out);

/* A mail that could not be made: the failed row ck_exit_enqueue stored,
 * for the event (46) the event step records about it. Strings are
 * malloc'ed; ck_exit_unmade_clear frees them. */
struct ck_exit_unmade {
	bool unmade;           /* false: every mail was queued (or none was due) */
	bool nobody;           /* none was due: its group names no recipient */
	int64_t mail_id;       /* the failed row */
	char *message_id;
	char *error;           /* why it could not be made */
};
void ck_exit_unmade_clear(struct ck_exit_unmade *u);

/*
 * Queues the mail for event seq (id, fields, message), when mail is on
 * (SMTPServer set) and EventFilter names its group: recipients are the
 * requester's RequesterEmail (request events) and To, plus Cc. With none
 * of them there is no mail, as in AD CS, and no error (unmade->nobody
 * says so). A mail that cannot be made (a bad address) becomes a failed row with
 * the reason, described in *unmade (zeroed first) so the caller records
 * event 46: the event itself still succeeds. Writes no event itself. Only
 * a database failure is returned. Call inside the event's transaction.
 */
enum ck_err ck_exit_enqueue(struct store *st, int64_t seq, int id, const json_t *fields,
			    const char *message, int64_t when, struct ck_exit_unmade *unmade);

#endif
