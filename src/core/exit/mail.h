/*
 * mail.h - the outbox's sender and its views (DESIGN.md §9).
 *
 * ck_mail_flush is the sender: "certkeep mail flush" runs one pass, and
 * the daemon should call it on every pass of its loop. It never holds a
 * database transaction while talking to the server. A mail is marked sent
 * only after the server accepted it; if certkeep dies between the two,
 * the mail is sent once more later, with the same Message-ID (at most one
 * duplicate, recognisable as such). Nothing is ever dropped: after
 * SMTPRetryLimit attempts a mail is "failed" (event 46) and stays listed
 * until "mail retry" queues it again.
 */
#ifndef CK_MAIL_H
#define CK_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "store/store_mail.h"
#include "base/err.h"

/* Seconds a claimed batch is reserved for its sender (see
 * store_mail_claim): longer than any batch takes. */
#define CK_MAIL_LEASE 900
/* Most mails one connection carries before the next claim. */
#define CK_MAIL_BATCH 100
/* The longest wait between two attempts. */
#define CK_MAIL_BACKOFF_MAX (6 * 3600)

struct ck_mail_flush_result {
	bool off;           /* SMTPServer is not set: nothing was tried */
	int64_t sent;       /* accepted by the server */
	int64_t deferred;   /* failed this time, queued again with back-off */
	int64_t failed;     /* reached the retry limit (event 46 each) */
	int64_t waiting;    /* still queued after the pass (deferred ones included) */
	char last_error[512];
};

/*
 * One pass of the sender: delivers up to max queued mails that are due
 * (max <= 0: all), each at most once, through one connection reused for
 * the whole batch. With all (a manual flush, as postqueue -f), every
 * queued mail is tried whatever its back-off: back-off only spaces the
 * automatic passes; a mail another sender is delivering is left to it.
 * Errors of single mails are recorded on their rows, not returned; the
 * result counts them. Returns an error only when the store fails.
 */
enum ck_err ck_mail_flush(struct store *st, int64_t max, bool all,
			  struct ck_mail_flush_result *res);

/* The rows, newest first (only failed ones with only_failed): Id, Status,
 * Attempts, LastError, Recipients, Subject, EventId, EventSeq, MessageId,
 * Created, NextAttempt, Sent. */
enum ck_err ck_mail_list(struct store *st, bool only_failed, json_t **out);

/* Queues mail id (or, with id 0, every failed mail) again, due now and
 * with its attempts reset; *n is how many. */
enum ck_err ck_mail_retry(struct store *st, int64_t id, int64_t *n);

/* The RFC 5322 message for a row: headers (Date, From, To, Cc, Subject
 * RFC 2047-encoded when not ASCII, Message-ID, MIME, Auto-Submitted) and
 * the body, with CRLF line ends; malloc'ed. */
enum ck_err ck_mail_message(const struct store_mail *m, char **out, size_t *len);

#endif
