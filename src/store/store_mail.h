/*
 * store_mail.h - the mail outbox (DESIGN.md §9): one row per mail a
 * mailed event produced, written in the event's own transaction.
 *
 * A row is born "queued" with everything the sender needs already
 * rendered (envelope, headers, body, a Message-ID fixed at insert), so the
 * sender never looks at configuration that may have changed since. It
 * becomes "sent" only after the server accepted it, or "failed" after the
 * retry limit (or at once, when it could not be rendered). Rows are never
 * deleted by certkeep: a failed one stays visible until retried.
 * Strings in struct store_mail are owned by it and freed by
 * store_mail_clear.
 */
#ifndef CK_STORE_MAIL_H
#define CK_STORE_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_MAIL_QUEUED "queued"
#define STORE_MAIL_SENT "sent"
#define STORE_MAIL_FAILED "failed"

struct store_mail {
	int64_t id;
	int64_t event_seq;
	int event_id;
	int64_t created;
	char status[8];
	int attempts;
	int64_t next_attempt, last_attempt, sent;
	char *last_error;
	char *message_id; /* "<certkeep.ID.SEQ.RANDOM@host>" */
	char *mail_from;  /* envelope sender, a bare address */
	char *rcpt;       /* envelope recipients, one address a line */
	char *to_hdr, *cc_hdr, *subject, *body;
};
void store_mail_clear(struct store_mail *m);

/*
 * Inserts a row (status, next_attempt, last_error and the rendered parts
 * from m) and sets m->id and m->message_id: "<certkeep.ID.SEQ.RANDOM@HOST>"
 * with the new row id, where random is 16 hex digits. Inside a transaction.
 */
enum ck_err store_mail_insert(struct store *st, struct store_mail *m, const char *random,
			      const char *host);

/* Claims up to max queued rows due at now (with all, every queued row
 * whatever its back-off, but none another sender holds) with an id above
 * after_id, oldest first, for a sender (a pass moves after_id forward, so
 * it tries each row at most once):
 * their next_attempt and lease move to lease_until, so a second sender
 * running at the same time does not pick them too (and a sender killed
 * mid-batch gives them back when the lease ends). fn is called for each
 * claimed row after the claim committed. Opens and commits its own
 * transaction. */
enum ck_err store_mail_claim(struct store *st, int64_t now, int64_t lease_until,
			     int64_t after_id, int max, bool all,
			     int (*fn)(const struct store_mail *m, void *arg), void *arg);

/* How many rows are queued. */
enum ck_err store_mail_count_queued(struct store *st, int64_t *n);

/* The server accepted row id. */
enum ck_err store_mail_mark_sent(struct store *st, int64_t id, int64_t when);

/* An attempt failed: attempts+1, the error, and either the next attempt
 * time (still queued) or, with failed, status "failed". Inside a
 * transaction. *attempts is set to the new count. */
enum ck_err store_mail_mark_attempt(struct store *st, int64_t id, int64_t when,
				    const char *error, bool failed, int64_t next_attempt);

/* Rows, newest first; only failed ones with only_failed; at most limit
 * (0: all). */
enum ck_err store_mail_each(struct store *st, bool only_failed, int64_t limit,
			    int (*fn)(const struct store_mail *m, void *arg), void *arg);

/* One row; CK_ENOTFOUND if there is none. */
enum ck_err store_mail_get(struct store *st, int64_t id, struct store_mail *out);

/* Puts a failed or queued row (id > 0) or every failed row (id 0) back in
 * the queue, due at now, attempts reset. *n is the number of rows. A sent
 * row is refused (CK_EINVAL): sending it again would be a duplicate. */
enum ck_err store_mail_requeue(struct store *st, int64_t id, int64_t now, int64_t *n);

#endif
