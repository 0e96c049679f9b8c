/*
 * exitmod.c - rendering a mailed event into outbox rows (DESIGN.md §9;
 * exitmod.h).
 *
 * Runs inside the transaction of the event, so the mail is queued exactly
 * when the event is recorded (transactional outbox): a crash loses both or
 * neither. Nothing here may fail the event except the database itself: a
 * mail that cannot be made is stored as a failed row that says why.
 */
#include "core/events/exitmod.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "store/store_ca.h"
#include "store/store_mail.h"
#include "base/buf.h"
#include "base/clock.h"
#include "core/events/catalogue.h"
#include "core/events/exitreg.h"
#include "mail/addr.h"
#include "base/strlist.h"

#define BODY_MAX (256 * 1024)

/* A JSON value as text: strings as they are, arrays joined by ", ". */
static void value_text(const json_t *v, struct ck_buf *b)
{
	char num[32];
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		ck_buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		ck_buf_add_str(b, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		ck_buf_add_str(b, num);
		break;
	case JSON_TRUE:
		ck_buf_add_str(b, "true");
		break;
	case JSON_FALSE:
		ck_buf_add_str(b, "false");
		break;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				ck_buf_add_str(b, ", ");
			value_text(json_array_get(v, i), b);
		}
		break;
	case JSON_OBJECT: {
		char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);

		if (s)
			ck_buf_add_str(b, s);
		free(s);
		break;
	}
	case JSON_NULL:
		ck_buf_add_str(b, CK_EXIT_PROP_NOT_FOUND);
		break;
	}
}

/* Appends the value of property name to b; "???" if there is none. */
static void property(const char *name, const json_t *fields, const struct ck_exit_sys *sys,
		     struct ck_buf *b)
{
	const json_t *v = fields ? json_object_get(fields, name) : NULL;
	char tmp[32];

	if (v == NULL && fields && strncasecmp(name, "Request.", 8) == 0)
		v = json_object_get(fields, name + 8);
	if (v) {
		value_text(v, b);
		return;
	}
	if (strcasecmp(name, "EventId") == 0) {
		snprintf(tmp, sizeof(tmp), "%d", sys->event_id);
		ck_buf_add_str(b, tmp);
	} else if (strcasecmp(name, "EventSeq") == 0) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)sys->seq);
		ck_buf_add_str(b, tmp);
	} else if (strcasecmp(name, "EventTime") == 0) {
		ck_time_format(sys->time, tmp, sizeof(tmp));
		ck_buf_add_str(b, tmp);
	} else if (strcasecmp(name, "EventName") == 0 && sys->event_name) {
		ck_buf_add_str(b, sys->event_name);
	} else if (strcasecmp(name, "EventMessage") == 0 && sys->message) {
		ck_buf_add_str(b, sys->message);
	} else if (strcasecmp(name, "MachineDNSName") == 0 && sys->fqdn) {
		ck_buf_add_str(b, sys->fqdn);
	} else if (strcasecmp(name, "SanitizedCAName") == 0) {
		v = fields ? json_object_get(fields, "CAName") : NULL;
		if (v)
			value_text(v, b);
		else
			ck_buf_add_str(b, sys->ca_name ? sys->ca_name
						: sys->fqdn ? sys->fqdn : CK_EXIT_PROP_NOT_FOUND);
	} else {
		ck_buf_add_str(b, CK_EXIT_PROP_NOT_FOUND);
	}
}

/* Makes the value at b->data[from..] safe where it lands (see exitmod.h). */
static void clean_value(struct ck_buf *b, size_t from, bool header)
{
	size_t i, j = from;

	if (b->data == NULL)
		return; /* nothing added yet */
	for (i = from; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->data[i];

		if (header && (ch < 0x20 || ch == 0x7f))
			ch = ' ';
		else if (!header && ch == '\r')
			ch = (i + 1 < b->len && b->data[i + 1] == '\n') ? 0 : '\n';
		else if (!header && ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f))
			ch = '?';
		if (ch)
			b->data[j++] = (char)ch;
	}
	b->len = j;
	b->data[j] = '\0';
}

enum ck_err ck_exit_render(const char *fmt, const char *args, const json_t *fields,
			   const struct ck_exit_sys *sys, bool header, char **out)
{
	struct ck_buf b;
	char **names = NULL;
	size_t nnames = 0;
	const char *p, *a = args ? args : "";
	enum ck_err rc = CK_OK;

	*out = NULL;
	/* The ceiling only bounds memory; the limit is checked on the cleaned
	 * text below. */
	ck_buf_init(&b, 2 * BODY_MAX);
	/* Names keep their positions: an empty line is an empty name. */
	while (*a && rc == CK_OK) {
		size_t l = strcspn(a, "\n");
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)(l < 255 ? l : 255), a);
		rc = ck_strlist_push(&names, &nnames, name);
		a += l;
		if (*a)
			a++;
	}
	for (p = fmt; rc == CK_OK && *p; p++) {
		size_t from;
		int n = 0, digits = 0;

		if (*p != '%') {
			ck_buf_add(&b, p, 1);
			continue;
		}
		if (p[1] == '%') {
			ck_buf_add(&b, "%", 1);
			p++;
			continue;
		}
		while (isdigit((unsigned char)p[1]) && digits < 2) {
			n = n * 10 + (p[1] - '0');
			digits++;
			p++;
		}
		if (digits == 0) {
			ck_buf_add(&b, "%", 1);
			continue;
		}
		from = b.len;
		if (n >= 1 && (size_t)n <= nnames && names[n - 1][0])
			property(names[n - 1], fields, sys, &b);
		else
			ck_buf_add_str(&b, CK_EXIT_PROP_NOT_FOUND);
		if (ck_buf_error(&b) == CK_OK)
			clean_value(&b, from, header);
		if (b.len > BODY_MAX || ck_buf_error(&b) == CK_EINVAL)
			rc = ck_fail(CK_EINVAL, "the mail would be longer than %d bytes", BODY_MAX);
	}
	if (rc == CK_OK && ck_buf_error(&b) != CK_OK)
		rc = ck_fail(CK_ENOMEM, "out of memory");
	/* The format is checked at setreg; clean all of it anyway. */
	if (rc == CK_OK)
		clean_value(&b, 0, header);
	if (rc == CK_OK && header) {
		if (b.len > CK_EXIT_SUBJECT_MAX) {
			size_t cut = CK_EXIT_SUBJECT_MAX - 3;

			/* Not inside a UTF-8 sequence. */
			while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
				cut--;
			memcpy(b.data + cut, "...", 4);
			b.len = cut + 3;
		}
	}
	ck_strlist_free(names, nnames);
	if (rc != CK_OK) {
		ck_buf_free(&b);
		return rc;
	}
	*out = ck_buf_detach(&b, NULL);
	return *out ? CK_OK : CK_ENOMEM;
}

/* ---- queueing ---- */

static bool listed(const char *lines, const char *name)
{
	const char *p = lines;
	size_t n = strlen(name);

	while (*p) {
		size_t l = strcspn(p, "\n");

		if (l == n && strncasecmp(p, name, n) == 0)
			return true;
		p += l;
		if (*p)
			p++;
	}
	return false;
}

static void random_hex(char out[17])
{
	unsigned char r[8] = { 0 };
	size_t i;

	/* Uniqueness comes from the row id; the random part only keeps ids
	 * of two stores on one host apart. */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

struct mail_parts {
	char *from, *to, *cc, *title, *title_args, *body, *body_args, *server, *filter, *tmpl;
};

static void parts_free(struct mail_parts *p)
{
	free(p->from);
	free(p->to);
	free(p->cc);
	free(p->title);
	free(p->title_args);
	free(p->body);
	free(p->body_args);
	free(p->server);
	free(p->filter);
	free(p->tmpl);
}

static enum ck_err read_parts(struct store *st, const char *g, struct mail_parts *p)
{
	enum ck_err rc = ck_reg_string(st, g, CK_REG_FROM, &p->from);

	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_TO, &p->to);
	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_CC, &p->cc);
	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_TITLE_FORMAT, &p->title);
	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_TITLE_ARG, &p->title_args);
	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_BODY_FORMAT, &p->body);
	if (rc == CK_OK)
		rc = ck_reg_string(st, g, CK_REG_BODY_ARG, &p->body_args);
	return rc;
}

/* Fills the rendered parts of m, or returns CK_EINVAL with the reason a
 * mail cannot be made; other codes are real failures. *nobody is set (and
 * nothing rendered) when no recipient is configured at all: no To, no Cc,
 * no RequesterEmail. */
static enum ck_err render_mail(const struct ck_exit_group *g, const struct mail_parts *p,
			       const json_t *fields, const struct ck_exit_sys *sys,
			       struct store_mail *m, bool *nobody)
{
	char **to = NULL, **cc = NULL, **rcpt = NULL, from[CK_ADDR_MAX + 1];
	size_t nto = 0, ncc = 0, nrcpt = 0, i;
	const json_t *req = json_object_get(fields, "RequesterEmail");
	char skipped[320] = "";
	enum ck_err rc;
	struct ck_buf b;

	rc = ck_addr_check(p->from, from);
	if (rc == CK_OK)
		m->mail_from = strdup(from);
	/* The requester is the first recipient of request events; an
	 * address from a request is outside input and checked like any. */
	if (rc == CK_OK && g->request && json_is_string(req) && json_string_length(req) > 0) {
		char addr[CK_ADDR_MAX + 1];

		if (strlen(json_string_value(req)) == json_string_length(req) &&
		    ck_addr_check(json_string_value(req), addr) == CK_OK)
			rc = ck_strlist_push(&to, &nto, addr);
		else
			snprintf(skipped, sizeof(skipped), " (RequesterEmail is not a valid address)");
		ck_errmsg_clear();
	}
	if (rc == CK_OK)
		rc = ck_addr_list_parse(p->to, &to, &nto);
	if (rc == CK_OK)
		rc = ck_addr_list_parse(p->cc, &cc, &ncc);
	for (i = 0; rc == CK_OK && i < nto; i++)
		rc = ck_strlist_push(&rcpt, &nrcpt, to[i]);
	for (i = 0; rc == CK_OK && i < ncc; i++) {
		size_t j;
		bool dup = false;

		for (j = 0; j < nrcpt && !dup; j++)
			dup = strcasecmp(rcpt[j], cc[i]) == 0;
		if (!dup)
			rc = ck_strlist_push(&rcpt, &nrcpt, cc[i]);
	}
	/* No address means no mail, as in AD CS; a RequesterEmail that is
	 * not an address is a mail that cannot be made. */
	if (rc == CK_OK && nrcpt == 0 && skipped[0] == '\0')
		*nobody = true;
	else if (rc == CK_OK && nrcpt == 0)
		rc = ck_fail(CK_EINVAL, "no recipient%s: set exit\\smtp\\%s\\To", skipped, g->name);
	if (*nobody)
		goto out;
	if (rc == CK_OK)
		rc = ck_exit_render(p->title, p->title_args, fields, sys, true, &m->subject);
	if (rc == CK_OK)
		rc = ck_exit_render(p->body, p->body_args, fields, sys, false, &m->body);
	if (rc == CK_OK) {
		ck_buf_init(&b, BODY_MAX);
		for (i = 0; i < nrcpt; i++)
			ck_buf_printf(&b, "%s\n", rcpt[i]);
		m->rcpt = ck_buf_error(&b) == CK_OK ? ck_buf_detach(&b, NULL) : NULL;
		for (i = 0; i < nto; i++)
			ck_buf_printf(&b, "%s%s", i ? ", " : "", to[i]);
		m->to_hdr = ck_buf_error(&b) == CK_OK ? ck_buf_detach(&b, NULL) : NULL;
		for (i = 0; i < ncc; i++)
			ck_buf_printf(&b, "%s%s", i ? ", " : "", cc[i]);
		m->cc_hdr = ck_buf_error(&b) == CK_OK ? ck_buf_detach(&b, NULL) : NULL;
		ck_buf_free(&b);
		if (m->rcpt == NULL || m->to_hdr == NULL || m->cc_hdr == NULL)
			rc = ck_fail(CK_ENOMEM, "out of memory");
	}
out:
	ck_strlist_free(to, nto);
	ck_strlist_free(cc, ncc);
	ck_strlist_free(rcpt, nrcpt);
	return rc;
}

void ck_exit_unmade_clear(struct ck_exit_unmade *u)
{
	free(u->message_id);
	free(u->error);
	memset(u, 0, sizeof(*u));
}

enum ck_err ck_exit_enqueue(struct store *st, int64_t seq, int id, const json_t *fields,
			    const char *message, int64_t when, struct ck_exit_unmade *unmade)
{
	/* A group is found through the event's catalogue entry. */
	const struct ck_exit_group *g = ck_exit_group_by_event(id);
	const struct ck_event_kind *kind = ck_event_kind(id);
	struct mail_parts p;
	struct store_mail m;
	struct ck_exit_sys sys;
	char fqdn[256], rnd[17], *ca_name = NULL;
	bool nobody = false;
	enum ck_err rc;

	memset(unmade, 0, sizeof(*unmade));
	if (g == NULL)
		return CK_OK;
	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	rc = ck_reg_string(st, NULL, CK_REG_SMTP_SERVER, &p.server);
	if (rc == CK_OK && p.server[0] == '\0')
		goto out; /* mail is off */
	if (rc == CK_OK)
		rc = ck_reg_string(st, NULL, CK_REG_EVENT_FILTER, &p.filter);
	if (rc != CK_OK || !listed(p.filter, g->name))
		goto out;
	/* Templates limits certificate mail to the listed templates. */
	if (g->request) {
		const json_t *t = json_object_get(fields, "CertificateTemplate");

		rc = ck_reg_string(st, NULL, CK_REG_TEMPLATES, &p.tmpl);
		if (rc != CK_OK || (p.tmpl[0] && !(json_is_string(t) &&
						    listed(p.tmpl, json_string_value(t)))))
			goto out;
	}
	rc = read_parts(st, g->name, &p);
	if (rc != CK_OK)
		goto out;
	ck_exit_fqdn(st, fqdn, sizeof(fqdn));
	{
		struct store_ca_state cas = { 0 };

		/* The CA's name, for SanitizedCAName. */
		if (store_ca_state_get(st, &cas) == CK_OK)
			ca_name = strdup(cas.name);
		else
			ck_errmsg_clear();
		store_ca_state_clear(&cas);
	}
	sys = (struct ck_exit_sys){ id, kind->name, message, when, seq,
				    fqdn, ca_name };
	m.event_seq = seq;
	m.event_id = id;
	m.created = when;
	m.next_attempt = when;
	snprintf(m.status, sizeof(m.status), "%s", STORE_MAIL_QUEUED);
	rc = render_mail(g, &p, fields, &sys, &m, &nobody);
	if (rc == CK_OK && nobody) {
		unmade->nobody = true;
		goto out;
	}
	if (rc == CK_EINVAL) {
		/* Not a failure of the event: the row keeps the reason. */
		m.last_error = strdup(ck_errmsg());
		snprintf(m.status, sizeof(m.status), "%s", STORE_MAIL_FAILED);
		rc = CK_OK;
	}
	random_hex(rnd);
	if (rc == CK_OK)
		rc = store_mail_insert(st, &m, rnd, fqdn);
	if (rc == CK_OK && strcmp(m.status, STORE_MAIL_FAILED) == 0) {
		unmade->unmade = true;
		unmade->mail_id = m.id;
		unmade->message_id = strdup(m.message_id ? m.message_id : "");
		unmade->error = strdup(m.last_error ? m.last_error : "");
		if (unmade->message_id == NULL || unmade->error == NULL) {
			ck_exit_unmade_clear(unmade);
			rc = ck_fail(CK_ENOMEM, "out of memory");
		}
	}
out:
	parts_free(&p);
	store_mail_clear(&m);
	free(ca_name);
	return rc;
}
