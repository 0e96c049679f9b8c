/*
 * mail.c - the outbox's sender: batches, back-off, the retry limit and
 * event 46; the message format; mail list and retry (DESIGN.md §9;
 * mail.h).
 *
 * Order of a delivery: claim a batch (one short transaction), talk to the
 * server with no transaction open, then record each result in its own
 * transaction right after the server answered. So the window in which a
 * crash can cause a duplicate is one commit long, and a slow server never
 * blocks the commands that write to the store.
 */
#include "core/exit/mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/smtp.h"
#include "base/buf.h"
#include "base/clock.h"
#include "core/events/events.h"
#include "core/events/exitreg.h"
#include "base/fileio.h"
#include "mail/addr.h"
#include "base/strlist.h"

struct flush {
	struct store *st;
	struct smtp_conf conf;
	struct smtp_session *session;
	struct ck_mail_flush_result *res;
	long limit, delay;
	int64_t max_id, claimed;
	char *stop; /* the batch-wide error, once one happened */
	enum ck_err db;
};

/* ---- the message ---- */

/* A message is a few headers and an event's text; this is far above any. */
#define MESSAGE_MAX (16 * 1024 * 1024)

/* A failed add is kept by the buffer and checked once, at the end. */
static void add(struct ck_buf *t, const char *s, size_t n)
{
	ck_buf_add(t, s, n);
}

static void adds(struct ck_buf *t, const char *s)
{
	ck_buf_add_str(t, s);
}

static void header(struct ck_buf *t, const char *name, const char *value)
{
	adds(t, name);
	adds(t, ": ");
	adds(t, value);
	adds(t, "\r\n");
}

/* RFC 5322 date in English whatever the locale. */
static void mail_date(int64_t when, char *buf, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void base64(const unsigned char *in, size_t n, struct ck_buf *t)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		char out[4] = { a[v >> 18 & 63], a[v >> 12 & 63],
				i + 1 < n ? a[v >> 6 & 63] : '=', i + 2 < n ? a[v & 63] : '=' };

		add(t, out, 4);
	}
}

/* Subject: as is when ASCII, else RFC 2047 encoded words of whole UTF-8
 * characters, each at most 75 characters, folded. */
static void subject(struct ck_buf *t, const char *s)
{
	size_t len = strlen(s), i, start = 0;
	bool ascii = true;

	for (i = 0; i < len; i++)
		ascii = ascii && (unsigned char)s[i] < 0x80;
	adds(t, "Subject: ");
	if (ascii) {
		adds(t, s);
		adds(t, "\r\n");
		return;
	}
	while (start < len) {
		size_t end = start + 45 < len ? start + 45 : len;

		while (end < len && end > start + 1 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
		adds(t, start ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
		base64((const unsigned char *)s + start, end - start, t);
		adds(t, "?=");
		start = end;
	}
	adds(t, "\r\n");
}

enum ck_err ck_mail_message(const struct store_mail *m, char **out, size_t *len)
{
	struct ck_buf t;
	char date[64], ev[64];
	const char *p;

	*out = NULL;
	ck_buf_init(&t, MESSAGE_MAX);
	/* Rows were checked when queued; check again what goes on the wire. */
	if (!ck_header_safe(m->mail_from, strlen(m->mail_from)) ||
	    !ck_header_safe(m->to_hdr, strlen(m->to_hdr)) ||
	    !ck_header_safe(m->cc_hdr, strlen(m->cc_hdr)) ||
	    !ck_header_safe(m->subject, strlen(m->subject)) ||
	    !ck_header_safe(m->message_id, strlen(m->message_id)))
		return ck_fail(CK_EINVAL, "a header holds control characters");
	mail_date(m->created, date, sizeof(date));
	snprintf(ev, sizeof(ev), "%d (event #%lld)", m->event_id, (long long)m->event_seq);
	header(&t, "Date", date);
	header(&t, "From", m->mail_from);
	header(&t, "To", m->to_hdr[0] ? m->to_hdr : "undisclosed-recipients:;");
	if (m->cc_hdr[0])
		header(&t, "Cc", m->cc_hdr);
	subject(&t, m->subject);
	header(&t, "Message-ID", m->message_id);
	header(&t, "MIME-Version", "1.0");
	header(&t, "Content-Type", "text/plain; charset=UTF-8");
	header(&t, "Content-Transfer-Encoding", "8bit");
	/* RFC 3834: machine-made, so no vacation auto-replies. */
	header(&t, "Auto-Submitted", "auto-generated");
	header(&t, "X-Certkeep-Event", ev);
	adds(&t, "\r\n");
	/* Lines end in CRLF; a line over SMTP's 998-octet limit is broken. */
	for (p = m->body; *p;) {
		size_t l = strcspn(p, "\n");

		while (l > 990) {
			add(&t, p, 990);
			adds(&t, "\r\n");
			p += 990;
			l -= 990;
		}
		add(&t, p, l);
		adds(&t, "\r\n");
		p += l;
		if (*p)
			p++;
	}
	if (ck_buf_error(&t) != CK_OK) {
		enum ck_err rc = ck_buf_error(&t);

		ck_buf_free(&t);
		return rc;
	}
	*out = ck_buf_detach(&t, len);
	return *out ? CK_OK : CK_ENOMEM;
}

/* ---- the sender ---- */

static int64_t backoff(long delay, int attempts)
{
	int64_t d = delay;
	int i;

	for (i = 1; i < attempts && d < CK_MAIL_BACKOFF_MAX; i++)
		d *= 2;
	return d < CK_MAIL_BACKOFF_MAX ? d : CK_MAIL_BACKOFF_MAX;
}

static enum ck_err record_failure(struct flush *f, const struct store_mail *m, const char *why)
{
	int64_t now = ck_now();
	int attempts = m->attempts + 1;
	bool failed = attempts >= f->limit;
	const struct ck_event_kind *kind = ck_event_kind(m->event_id);
	enum ck_err rc = store_begin(f->st);
	char first[CK_ADDR_MAX + 1];

	if (rc != CK_OK)
		return rc;
	rc = store_mail_mark_attempt(f->st, m->id, now, why, failed,
				     failed ? now : now + backoff(f->delay, attempts));
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(m->rcpt, "\n"), m->rcpt);
	if (rc == CK_OK && failed)
		rc = ck_event_emit(
			f->st, CK_EV_EXIT_SEND_FAILED,
			json_pack("{s:I, s:s, s:i, s:I, s:s, s:s, s:i}", "MailId", (json_int_t)m->id,
				  "MessageId", m->message_id, "EventId", m->event_id, "EventSeq",
				  (json_int_t)m->event_seq, "Recipients", m->rcpt, "Error", why,
				  "Attempts", attempts),
			"The exit module was unable to send an e-mail notification for event %d "
			"(%s) to %s after %d attempt%s: %s. The mail stays in the outbox as mail "
			"%lld (certkeep mail retry %lld).",
			m->event_id, kind ? kind->name : "?", first, attempts, attempts == 1 ? "" : "s",
			why, (long long)m->id, (long long)m->id);
	if (rc != CK_OK) {
		ck_rollback(f->st);
		return rc;
	}
	rc = ck_commit(f->st);
	if (rc == CK_OK) {
		if (failed)
			f->res->failed++;
		else
			f->res->deferred++;
		snprintf(f->res->last_error, sizeof(f->res->last_error), "%s", why);
	}
	return rc;
}

static enum ck_err deliver(struct flush *f, const struct store_mail *m, bool *fatal)
{
	char **rcpt = NULL, *msg = NULL;
	size_t nrcpt = 0, len = 0;
	const char *p;
	enum ck_err rc = CK_OK;

	*fatal = false;
	for (p = m->rcpt; rc == CK_OK && *p;) {
		size_t l = strcspn(p, "\n");
		char addr[CK_ADDR_MAX + 1];

		snprintf(addr, sizeof(addr), "%.*s", (int)(l < CK_ADDR_MAX ? l : CK_ADDR_MAX), p);
		if (l)
			rc = ck_strlist_push(&rcpt, &nrcpt, addr);
		p += l;
		if (*p)
			p++;
	}
	if (rc == CK_OK && (nrcpt == 0 || m->mail_from[0] == '\0'))
		rc = ck_fail(CK_EINVAL, "%s", m->last_error[0] ? m->last_error : "no recipient");
	if (rc == CK_OK)
		rc = ck_mail_message(m, &msg, &len);
	if (rc == CK_OK && f->session == NULL) {
		rc = smtp_session_new(&f->conf, &f->session);
		*fatal = rc != CK_OK;
	}
	if (rc == CK_OK)
		rc = smtp_send(f->session, m->mail_from, rcpt, nrcpt, msg, len, fatal);
	ck_strlist_free(rcpt, nrcpt);
	free(msg);
	return rc;
}

static int on_claimed(const struct store_mail *m, void *arg)
{
	struct flush *f = arg;
	enum ck_err rc;
	bool fatal = false;

	f->max_id = m->id;
	f->claimed++;
	if (f->stop) {
		/* The connection or login failed: this one would fail alike. */
		rc = record_failure(f, m, f->stop);
	} else if (deliver(f, m, &fatal) == CK_OK) {
		rc = store_begin(f->st);
		if (rc == CK_OK)
			rc = store_mail_mark_sent(f->st, m->id, ck_now());
		if (rc == CK_OK)
			rc = store_commit(f->st);
		else
			store_rollback(f->st);
		if (rc == CK_OK)
			f->res->sent++;
	} else {
		char why[512];

		snprintf(why, sizeof(why), "%s", ck_errmsg());
		if (fatal)
			f->stop = strdup(why);
		rc = record_failure(f, m, why);
	}
	if (rc != CK_OK) {
		f->db = rc;
		return (int)rc;
	}
	return 0;
}

/* The relay's settings; strings[] and *password hold what c points to. */
static enum ck_err read_conf(struct store *st, struct smtp_conf *c, char **strings,
			     char **password)
{
	char *tls = NULL, *verify = NULL;
	enum ck_err rcv;
	enum ck_err *rc = &rcv;

	*rc = ck_reg_string(st, NULL, CK_REG_SMTP_SERVER, &strings[0]);
	if (*rc == CK_OK)
		*rc = ck_reg_string(st, NULL, CK_REG_SMTP_CA_FILE, &strings[1]);
	if (*rc == CK_OK)
		*rc = ck_reg_string(st, NULL, CK_REG_SMTP_USER, &strings[2]);
	if (*rc == CK_OK)
		*rc = ck_reg_string(st, NULL, CK_REG_SMTP_USE_TLS, &tls);
	if (*rc == CK_OK)
		*rc = ck_reg_string(st, NULL, CK_REG_SMTP_VERIFY, &verify);
	if (*rc == CK_OK) {
		c->server = strings[0];
		c->cafile = strings[1];
		c->port = (int)ck_reg_int(st, CK_REG_SMTP_PORT);
		c->timeout = ck_reg_int(st, CK_REG_SMTP_TIMEOUT);
		c->verify = strcmp(verify, "0") != 0;
		c->tls = strcmp(tls, "starttls-if-offered") == 0 ? SMTP_TLS_TRY
			 : strcmp(tls, "smtps") == 0		 ? SMTP_TLS_IMPLICIT
			 : strcmp(tls, "none") == 0		 ? SMTP_TLS_NONE
								 : SMTP_TLS_REQUIRED;
		if (ck_reg_int(st, CK_REG_SMTP_AUTHENTICATE) == 1) {
			c->user = strings[2];
			if (ck_reg_smtp_password(st, password) != CK_OK) {
				/* Sending then gives the server's refusal. */
				ck_errmsg_clear();
				*password = NULL;
			}
			c->password = *password ? *password : "";
		}
	}
	free(tls);
	free(verify);
	return rcv;
}

enum ck_err ck_mail_flush(struct store *st, int64_t max, bool all,
			  struct ck_mail_flush_result *res)
{
	struct flush f;
	char *strings[3] = { NULL, NULL, NULL }, *password = NULL, fqdn[256];
	int64_t after = 0;
	enum ck_err rc;

	memset(res, 0, sizeof(*res));
	memset(&f, 0, sizeof(f));
	f.st = st;
	f.res = res;
	rc = read_conf(st, &f.conf, strings, &password);
	if (rc != CK_OK)
		goto out;
	if (strings[0][0] == '\0') {
		res->off = true;
		goto out;
	}
	ck_exit_fqdn(st, fqdn, sizeof(fqdn));
	f.conf.helo = fqdn;
	f.limit = ck_reg_int(st, CK_REG_SMTP_RETRY_LIMIT);
	f.delay = ck_reg_int(st, CK_REG_SMTP_RETRY_DELAY);
	for (;;) {
		int64_t now = ck_now();
		int batch = CK_MAIL_BATCH;

		if (max > 0 && max - (res->sent + res->deferred + res->failed) < batch)
			batch = (int)(max - (res->sent + res->deferred + res->failed));
		if (batch <= 0)
			break;
		f.claimed = 0;
		rc = store_mail_claim(st, now, now + CK_MAIL_LEASE, after, batch, all, on_claimed,
				      &f);
		/* After a batch-wide failure the pass goes on, recording it
		 * on every due mail without connecting again. */
		if (rc != CK_OK || f.db != CK_OK || f.claimed == 0)
			break;
		after = f.max_id;
	}
	if (rc == CK_OK)
		rc = f.db;
	if (rc == CK_OK)
		rc = store_mail_count_queued(st, &res->waiting);
out:
	smtp_session_free(f.session);
	free(f.stop);
	free(strings[0]);
	free(strings[1]);
	free(strings[2]);
	if (password)
		ck_free_secret(password, strlen(password) + 1);
	return rc;
}

/* ---- list, retry ---- */

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (t <= 0)
		return json_null();
	ck_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

static int list_row(const struct store_mail *m, void *arg)
{
	json_t *rcpt = json_array();
	const char *p;

	for (p = m->rcpt; *p;) {
		size_t l = strcspn(p, "\n");

		if (l)
			json_array_append_new(rcpt, json_stringn(p, l));
		p += l;
		if (*p)
			p++;
	}
	json_array_append_new(
		arg, json_pack("{s:I, s:s, s:i, s:s, s:o, s:s, s:i, s:I, s:s, s:o, s:o, s:o}", "Id",
			       (json_int_t)m->id, "Status", m->status, "Attempts", m->attempts,
			       "LastError", m->last_error, "Recipients", rcpt, "Subject", m->subject,
			       "EventId", m->event_id, "EventSeq", (json_int_t)m->event_seq,
			       "MessageId", m->message_id, "Created", time_or_null(m->created),
			       "NextAttempt",
			       strcmp(m->status, STORE_MAIL_QUEUED) == 0 ? time_or_null(m->next_attempt)
									 : json_null(),
			       "Sent", time_or_null(m->sent)));
	return 0;
}

enum ck_err ck_mail_list(struct store *st, bool only_failed, json_t **out)
{
	json_t *arr = json_array();
	enum ck_err rc = store_mail_each(st, only_failed, 0, list_row, arr);

	if (rc != CK_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return CK_OK;
}

enum ck_err ck_mail_retry(struct store *st, int64_t id, int64_t *n)
{
	enum ck_err rc = store_begin(st);

	if (rc != CK_OK)
		return rc;
	rc = store_mail_requeue(st, id, ck_now(), n);
	if (rc != CK_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}
