/*
 * test_exitreg.c - unit tests for the exit module's configuration and mail
 * rendering (src/core/exitreg.h, exitmod.h, mail/addr.h, mail.h; DESIGN.md
 * §9).
 *
 * Covers: key names (case, '\' or '/', trailing separators, groups) and
 * the nearest-name suggestion; bounds and types of values; EventFilter's
 * +NAME, -NAME, plain list and AD CS bit mask; %n placeholders checked
 * against the argument count, and "???" for missing properties; CR, LF and
 * NUL refused in headers, addresses and the SMTP login; address checks;
 * recipients (requester plus To and Cc, a To required for CA-level
 * groups); and, through the CA event ids 1101-1109 given JSON fields, the
 * default AD CS titles and bodies of the rows queued with an event, or
 * the failed row (and event 46) when a mail cannot be made. Each test that
 * needs a store gets a fresh one in a mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/events/events.h"
#include "core/events/exitmod.h"
#include "core/events/exitreg.h"
#include "core/exit/mail.h"
#include "mail/addr.h"
#include "base/strlist.h"
#include "store/store_mail.h"
#include "unit_util.h"

static int setup(void **state)
{
	struct fx *fx = fx_new("exitreg", 0);

	/* A fixed FQDN, so From and Message-IDs do not depend on the host. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_config_set(fx->st, "host.fqdn", "ca.test.example"), CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void set_ok(struct store *st, const char *key, const char *value)
{
	if (ck_reg_set(st, key, value) != CK_OK)
		fail_msg("setreg %s %s: %s", key, value, ck_errmsg());
}

static void set_fails(struct store *st, const char *key, const char *value, const char *why)
{
	assert_int_not_equal(ck_reg_set(st, key, value), CK_OK);
	assert_contains(ck_errmsg(), why);
}

static char *value_of(struct store *st, const char *group, const char *name)
{
	char *v = NULL;

	assert_int_equal(ck_reg_value_of(st, group, name, &v), CK_OK);
	return v;
}

/* ---- key names ---- */

static void test_lookup_normalises(void **state)
{
	static const struct {
		const char *in, *canonical;
	} cases[] = {
		{ "exit\\smtp\\SMTPServer", "exit\\smtp\\SMTPServer" },
		{ "EXIT/SMTP/smtpserver", "exit\\smtp\\SMTPServer" },
		{ "exit/smtp\\smtpport/", "exit\\smtp\\SMTPPort" },
		{ "exit\\smtp\\issued\\to", "exit\\smtp\\Issued\\To" },
		{ "Exit/Smtp/CRLISSUED/titleformat", "exit\\smtp\\CRLIssued\\TitleFormat" },
		{ "exit/smtp/expiring/bodyarg", "exit\\smtp\\Expiring\\BodyArg" },
		{ "exit/smtp/eventfilter", "exit\\smtp\\EventFilter" },
	};
	struct ck_reg_ref ref;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ck_reg_lookup(cases[i].in, false, &ref) != CK_OK)
			fail_msg("%s: %s", cases[i].in, ck_errmsg());
		assert_string_equal(ref.name, cases[i].canonical);
		assert_non_null(ref.key);
	}
	/* A group is a key only where getreg allows it. */
	assert_int_not_equal(ck_reg_lookup("exit\\smtp\\Issued", false, &ref), CK_OK);
	assert_int_equal(ck_reg_lookup("exit\\smtp\\Issued", true, &ref), CK_OK);
	assert_null(ref.key);
	assert_string_equal(ref.group->name, "Issued");
}

static void test_lookup_suggests_nearest(void **state)
{
	static const struct {
		const char *in, *near;
	} cases[] = {
		{ "exit\\smtp\\SMTPSever", "exit\\smtp\\SMTPServer" },
		{ "exit/smtp/smtpprot", "exit\\smtp\\SMTPPort" },
		{ "exit\\smtp\\Isued\\To", "exit\\smtp\\Issued\\To" },
		{ "exit\\smtp\\Issued\\Titleformt", "exit\\smtp\\Issued\\TitleFormat" },
		{ "SMTPServer", "exit\\smtp\\SMTPServer" },
		{ "exit\\smtp\\EventFiltre", "exit\\smtp\\EventFilter" },
		{ "exit\\pop\\SMTPServer", "exit\\smtp\\SMTPServer" },
	};
	struct ck_reg_ref ref;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ck_reg_lookup(cases[i].in, false, &ref), CK_EINVAL);
		snprintf(msg, sizeof(msg), "did you mean %s?", cases[i].near);
		assert_contains(ck_errmsg(), msg);
	}
	/* Control bytes are not echoed back. */
	assert_int_equal(ck_reg_lookup("exit\\smtp\\SMTP\r\nServer", false, &ref), CK_EINVAL);
	assert_null(strchr(ck_errmsg(), '\r'));
}

/* ---- values: bounds and types ---- */

static void test_values_bounds_and_types(void **state)
{
	struct fx *fx = *state;
	char *v;

	set_ok(fx->st, "exit\\smtp\\SMTPPort", "587");
	v = value_of(fx->st, NULL, "SMTPPort");
	assert_string_equal(v, "587");
	free(v);
	set_fails(fx->st, "exit\\smtp\\SMTPPort", "0", "from 1 to 65535");
	set_fails(fx->st, "exit\\smtp\\SMTPPort", "65536", "from 1 to 65535");
	set_fails(fx->st, "exit\\smtp\\SMTPPort", "25x", "not a number");
	set_fails(fx->st, "exit\\smtp\\SMTPAuthenticate", "2", "NTLM");
	set_fails(fx->st, "exit\\smtp\\SMTPRetryLimit", "0", "from 1");
	set_ok(fx->st, "exit\\smtp\\SMTPVerify", "off");
	v = value_of(fx->st, NULL, "SMTPVerify");
	assert_string_equal(v, "0");
	free(v);
	set_fails(fx->st, "exit\\smtp\\SMTPVerify", "maybe", "on or off");
	/* AD CS's 0/1, and the names. */
	set_ok(fx->st, "exit\\smtp\\SMTPUseTLS", "1");
	v = value_of(fx->st, NULL, "SMTPUseTLS");
	assert_string_equal(v, "starttls-required");
	free(v);
	set_ok(fx->st, "exit\\smtp\\SMTPUseTLS", "0");
	v = value_of(fx->st, NULL, "SMTPUseTLS");
	assert_string_equal(v, "none");
	free(v);
	set_ok(fx->st, "exit\\smtp\\SMTPUseTLS", "SMTPS");
	v = value_of(fx->st, NULL, "SMTPUseTLS");
	assert_string_equal(v, "smtps");
	free(v);
	set_fails(fx->st, "exit\\smtp\\SMTPUseTLS", "ssl", "starttls-required");
	set_fails(fx->st, "exit\\smtp\\SMTPServer", "relay.example/x", "host name");
	set_fails(fx->st, "exit\\smtp\\SMTPCAFile", "relative.pem", "absolute");
	/* An empty value restores the default. */
	set_ok(fx->st, "exit\\smtp\\SMTPPort", "");
	v = value_of(fx->st, NULL, "SMTPPort");
	assert_string_equal(v, "25");
	free(v);
	/* Defaults the table promises. */
	v = value_of(fx->st, NULL, "SMTPRetryLimit");
	assert_string_equal(v, "10");
	free(v);
	v = value_of(fx->st, "Issued", "From");
	assert_string_equal(v, "certkeep@ca.test.example");
	free(v);
}

/* ---- EventFilter ---- */

static void test_event_filter(void **state)
{
	struct fx *fx = *state;
	char *v;

	set_ok(fx->st, "exit\\smtp\\EventFilter", "+EXITEVENT_CERTISSUED");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "+ExitEvent_CertRevoked");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "+Denied");
	v = value_of(fx->st, NULL, "EventFilter");
	assert_string_equal(v, "Issued\nDenied\nRevoked");
	free(v);
	set_ok(fx->st, "exit\\smtp\\EventFilter", "-CERTDENIED");
	v = value_of(fx->st, NULL, "EventFilter");
	assert_string_equal(v, "Issued\nRevoked");
	free(v);
	/* A plain list replaces. */
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertPending, CertImported");
	v = value_of(fx->st, NULL, "EventFilter");
	assert_string_equal(v, "Pending\nImported");
	free(v);
	/* AD CS's bit mask: ISSUED | REVOKED. */
	set_ok(fx->st, "exit\\smtp\\EventFilter", "0x9");
	v = value_of(fx->st, NULL, "EventFilter");
	assert_string_equal(v, "Issued\nRevoked");
	free(v);
	set_fails(fx->st, "exit\\smtp\\EventFilter", "0x400", "bits 0x400");
	set_fails(fx->st, "exit\\smtp\\EventFilter", "+CertExploded", "CertExploded");
	/* CA-level and lifecycle groups need a To first. */
	set_fails(fx->st, "exit\\smtp\\EventFilter", "+EXITEVENT_CRLISSUED", "CRLIssued\\To first");
	set_fails(fx->st, "exit\\smtp\\EventFilter", "+Startup", "Startup\\To first");
	set_fails(fx->st, "exit\\smtp\\EventFilter", "+CertificateAboutToExpire", "Expiring\\To");
	set_ok(fx->st, "exit\\smtp\\CRLIssued\\To", "pki@test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "+EXITEVENT_CRLISSUED");
	/* ... and keep it while enabled. */
	set_fails(fx->st, "exit\\smtp\\CRLIssued\\To", "", "remove it first");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "none");
	v = value_of(fx->st, NULL, "EventFilter");
	assert_string_equal(v, "");
	free(v);
	set_ok(fx->st, "exit\\smtp\\CRLIssued\\To", "");
	assert_ptr_equal(ck_exit_group_match("EXITEVENT_SHUTDOWN"), ck_exit_group_by_event(1107));
	assert_ptr_equal(ck_exit_group_match("cashutdown"), ck_exit_group_by_event(1107));
	assert_null(ck_exit_group_match("EXITEVENT_"));
}

/* ---- templates ---- */

static void test_template_counts(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(ck_template_max_arg("none"), 0);
	assert_int_equal(ck_template_max_arg("%1 and %12, 100%% sure"), 12);
	assert_int_equal(ck_template_max_arg("50% off"), 0);
	assert_int_equal(ck_template_max_arg("%0"), -1);
	assert_int_equal(ck_template_max_arg("%100"), -1);
	/* The default title has one argument: %2 is refused until there
	 * are two, and a shorter list is refused while %2 is used. */
	set_fails(fx->st, "exit\\smtp\\Issued\\TitleFormat", "Issued %1 for %2", "names 1 property");
	set_ok(fx->st, "exit\\smtp\\Issued\\TitleArg", "+Request.RequesterName");
	set_ok(fx->st, "exit\\smtp\\Issued\\TitleFormat", "Issued %1 for %2");
	set_fails(fx->st, "exit\\smtp\\Issued\\TitleArg", "-Request.RequesterName", "uses %2");
	set_fails(fx->st, "exit\\smtp\\Issued\\TitleArg", "-NotThere", "does not hold");
	set_fails(fx->st, "exit\\smtp\\Issued\\TitleArg", "+bad name", "is not a name");
	set_ok(fx->st, "exit\\smtp\\Issued\\BodyFormat", "Only %1");
	set_ok(fx->st, "exit\\smtp\\Issued\\BodyArg", "SerialNumber");
	set_ok(fx->st, "exit\\smtp\\Issued\\BodyFormat", "+Then %1 again");
	set_fails(fx->st, "exit\\smtp\\Issued\\BodyFormat", "+and %2", "names 1 property");
	/* A reset checks the default against the other key. */
	set_fails(fx->st, "exit\\smtp\\Issued\\BodyFormat", "", "uses %11");
	set_ok(fx->st, "exit\\smtp\\Issued\\BodyArg", "");
	set_ok(fx->st, "exit\\smtp\\Issued\\BodyFormat", "");
}

static void test_render_missing_and_hostile(void **state)
{
	struct ck_exit_sys sys = { 1101, "CertIssued", "msg", 1798761600, 7, "ca.test.example",
				   NULL };
	json_t *f = json_pack("{s:s, s:i, s:[s,s], s:s, s:s}", "RequestID", "42", "Count", 3,
			      "Names", "a.example", "b.example", "DistinguishedName",
			      "CN=x\r\nBcc: victim@example.org", "RawCertificate",
			      "-----BEGIN\r\nAAAA\r\n-----END");
	char *out = NULL;

	(void)state;
	assert_int_equal(ck_exit_render("id %1 n %2 names %3 gone %4 %5", "Request.RequestID\nCount\n"
					"Names\nUPN", f, &sys, true, &out), CK_OK);
	assert_string_equal(out, "id 42 n 3 names a.example, b.example gone ??? ???");
	free(out);
	/* A value can never start a header line; in a body it is text. */
	assert_int_equal(ck_exit_render("Subject %1", "Request.DistinguishedName", f, &sys, true,
					&out), CK_OK);
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\n'));
	free(out);
	assert_int_equal(ck_exit_render("cert:\n%1", "RawCertificate", f, &sys, false, &out), CK_OK);
	assert_string_equal(out, "cert:\n-----BEGIN\nAAAA\n-----END");
	free(out);
	assert_int_equal(ck_exit_render("%1 %2 %3 %4 100%%", "EventId\nEventSeq\nSanitizedCAName\n"
					"MachineDNSName", f, &sys, true, &out), CK_OK);
	assert_string_equal(out, "1101 7 ca.test.example ca.test.example 100%");
	free(out);
	json_decref(f);
}

/* ---- headers and addresses ---- */

static void test_header_and_addresses(void **state)
{
	static const char *const good[] = { "a@b.example", "first.last+tag@mail.test.example",
					    "<admin@test.example>", "x@localhost" };
	static const char *const bad[] = { "", "no-at.example", "@b.example", "a@", "a..b@c.example",
					   ".a@c.example", "a@-c.example", "a@c..example",
					   "a b@c.example", "a@c.example\r\nRCPT TO:<x@y>",
					   "\"q\"@c.example", "a@c_d.example" };
	struct fx *fx = *state;
	char out[CK_ADDR_MAX + 1];
	char **list = NULL;
	size_t n = 0, i;

	assert_true(ck_header_safe("Subject text\twith tab", 21));
	assert_false(ck_header_safe("a\rb", 3));
	assert_false(ck_header_safe("a\nb", 3));
	assert_false(ck_header_safe("a\0b", 3));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ck_addr_check(good[i], out) != CK_OK)
			fail_msg("%s refused: %s", good[i], ck_errmsg());
	assert_int_equal(ck_addr_check("<admin@test.example>", out), CK_OK);
	assert_string_equal(out, "admin@test.example");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ck_addr_check(bad[i], out) == CK_OK)
			fail_msg("%s accepted", bad[i]);
	assert_int_equal(ck_addr_list_parse(" a@x.example; b@x.example,A@X.EXAMPLE ;", &list, &n),
			 CK_OK);
	assert_int_equal(n, 2);
	ck_strlist_free(list, n);
	/* Configuration refuses CR, LF (header injection) everywhere. */
	set_fails(fx->st, "exit\\smtp\\Issued\\To", "a@b.example\r\nBcc: c@d.example", "control");
	set_fails(fx->st, "exit\\smtp\\Issued\\TitleFormat", "Hi\r\nBcc: c@d.example", "control");
	set_fails(fx->st, "exit\\smtp\\SMTPServer", "relay\n.example", "control");
	set_fails(fx->st, "exit\\smtp\\Issued\\From", "a@b.example;c@d.example", "at most 1");
	set_fails(fx->st, "exit\\smtp\\Issued\\Cc", "not-an-address", "no '@'");
	set_fails(fx->st, "exit\\smtp\\Issued\\BodyFormat", "bell\a", "control");
	assert_int_not_equal(ck_reg_set_smtp_info(fx->st, "user\r\nAUTH", "pw"), CK_OK);
	assert_int_not_equal(ck_reg_set_smtp_info(fx->st, "user", "pw\r\nQUIT"), CK_OK);
	set_ok(fx->st, "exit\\smtp\\Issued\\Cc", "b@x.example");
	set_ok(fx->st, "exit\\smtp\\Issued\\Cc", "+c@x.example");
	set_ok(fx->st, "exit\\smtp\\Issued\\Cc", "-B@X.example");
	{
		char *v = value_of(fx->st, "Issued", "Cc");

		assert_string_equal(v, "c@x.example");
		free(v);
	}
}

static void test_smtp_password(void **state)
{
	struct fx *fx = *state;
	char *pw = NULL, path[256];
	json_t *all = NULL;
	char *text;

	assert_int_equal(ck_reg_smtp_password(fx->st, &pw), CK_ENOTFOUND);
	/* Never through setreg, whose value would be in argv. */
	set_fails(fx->st, "exit/smtp/smtppassword", "s3cret", "ca setsmtpinfo");
	assert_int_equal(ck_reg_set_smtp_info(fx->st, "mailer", "s3cret"), CK_OK);
	assert_int_equal(ck_reg_smtp_password(fx->st, &pw), CK_OK);
	assert_string_equal(pw, "s3cret");
	free(pw);
	snprintf(path, sizeof(path), "%s/store/smtp-password", fx->base);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(ck_reg_get(fx->st, NULL, &all), CK_OK);
	text = json_dumps(all, 0);
	assert_null(strstr(text, "s3cret"));
	assert_contains(text, "\"set\"");
	free(text);
	json_decref(all);
	/* No user: no login at all. */
	assert_int_equal(ck_reg_set_smtp_info(fx->st, "", NULL), CK_OK);
	assert_int_equal(ck_reg_smtp_password(fx->st, &pw), CK_ENOTFOUND);
}

/* ---- queueing with the event: recipients and the default templates ---- */

struct rows {
	struct store_mail m[8];
	size_t n;
};

static int grab(const struct store_mail *m, void *arg)
{
	struct rows *r = arg;

	if (r->n < 8) {
		struct store_mail *d = &r->m[r->n++];

		*d = *m;
		d->last_error = strdup(m->last_error);
		d->message_id = strdup(m->message_id);
		d->mail_from = strdup(m->mail_from);
		d->rcpt = strdup(m->rcpt);
		d->to_hdr = strdup(m->to_hdr);
		d->cc_hdr = strdup(m->cc_hdr);
		d->subject = strdup(m->subject);
		d->body = strdup(m->body);
	}
	return 0;
}

static void rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		store_mail_clear(&r->m[i]);
	r->n = 0;
}

/* Emits event id with fields in a transaction, as a CA service would. */
static void emit(struct store *st, int id, json_t *fields)
{
	assert_int_equal(store_begin(st), CK_OK);
	if (ck_event_emit(st, id, fields, "test event %d", id) != CK_OK)
		fail_msg("emit %d: %s", id, ck_errmsg());
	assert_int_equal(ck_commit(st), CK_OK);
}

static json_t *request_fields(const char *email)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "RequestID", 17, "RequesterName", "alice", "RequesterEmail", email,
			 "SubmittedWhen", "2026-11-23T10:00:00Z", "ResolvedWhen",
			 "2026-11-23T10:01:00Z", "DistinguishedName", "CN=web.test.example",
			 "Disposition", "issued", "DispositionMessage", "Issued", "SerialNumber",
			 "0A1B2C", "NotBefore", "2026-11-23T10:01:00Z", "NotAfter",
			 "2027-11-23T10:01:00Z", "CertificateHash", "AB12CD", "RawCertificate",
			 "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			 "RevokedReason", "keyCompromise");
}

static void test_off_until_configured(void **state)
{
	struct fx *fx = *state;
	struct rows r = { 0 };

	/* A filter but no server: nothing is queued. */
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertIssued");
	emit(fx->st, CK_EV_CA_CERT_ISSUED, request_fields("alice@test.example"));
	assert_int_equal(store_mail_each(fx->st, false, 0, grab, &r), CK_OK);
	assert_int_equal(r.n, 0);
	/* A server but the event not in the filter: nothing either. */
	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	emit(fx->st, CK_EV_CA_CERT_DENIED, request_fields("alice@test.example"));
	emit(fx->st, CK_EV_CERT_INSTALLED, NULL);
	assert_int_equal(store_mail_each(fx->st, false, 0, grab, &r), CK_OK);
	assert_int_equal(r.n, 0);
}

static void test_ca_templates_and_recipients(void **state)
{
	struct fx *fx = *state;
	struct rows r = { 0 };
	char *msg = NULL;
	size_t len = 0;

	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	set_ok(fx->st, "exit\\smtp\\Issued\\From", "ca@test.example");
	set_ok(fx->st, "exit\\smtp\\Issued\\Cc", "pki@test.example; alice@test.example");
	set_ok(fx->st, "exit\\smtp\\Revoked\\To", "sec@test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "Issued,Pending,Denied,Revoked");
	set_ok(fx->st, "exit\\smtp\\CRLIssued\\To", "pki@test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "+CRLIssued");
	emit(fx->st, CK_EV_CA_CERT_ISSUED, request_fields("alice@test.example"));
	emit(fx->st, CK_EV_CA_CERT_REVOKED, request_fields("alice@test.example"));
	emit(fx->st, CK_EV_CA_CRL_ISSUED, json_pack("{s:s}", "CAName", "Test-CA"));
	emit(fx->st, CK_EV_CA_CERT_PENDING, request_fields("bob@test.example"));
	assert_int_equal(store_mail_each(fx->st, false, 0, grab, &r), CK_OK);
	assert_int_equal(r.n, 4);
	/* Newest first: Pending, CRLIssued, Revoked, Issued. */
	assert_string_equal(r.m[3].subject, "Your certificate has been issued by ca.test.example");
	assert_string_equal(r.m[3].mail_from, "ca@test.example");
	/* The requester first, then Cc; alice only once. */
	assert_string_equal(r.m[3].rcpt, "alice@test.example\npki@test.example\n");
	assert_string_equal(r.m[3].to_hdr, "alice@test.example");
	assert_contains(r.m[3].body, "Request ID: 17\nUPN: ???\nRequester Name: alice\n");
	assert_contains(r.m[3].body, "Serial Number: 0A1B2C\n");
	assert_contains(r.m[3].body, "Binary Certificate: -----BEGIN CERTIFICATE-----\nMIIB\n");
	assert_string_equal(r.m[3].status, "queued");
	assert_contains(r.m[3].message_id, "@ca.test.example>");
	assert_true(strncmp(r.m[3].message_id, "<certkeep.", 10) == 0);
	assert_string_equal(r.m[2].subject, "Your certificate was revoked by ca.test.example");
	assert_string_equal(r.m[2].rcpt, "alice@test.example\nsec@test.example\n");
	assert_contains(r.m[2].body, "Revocation Reason: keyCompromise");
	assert_string_equal(r.m[1].subject, "A new CRL was issued by Test-CA");
	assert_string_equal(r.m[1].rcpt, "pki@test.example\n");
	assert_string_equal(r.m[1].body, "A new CRL has been issued");
	assert_string_equal(r.m[0].subject, "Your certificate is pending on ca.test.example");
	assert_string_equal(r.m[0].rcpt, "bob@test.example\n");
	assert_contains(r.m[0].body, "Time submitted: 2026-11-23T10:00:00Z");
	/* The message on the wire: CRLF, headers, the Message-ID fixed. */
	assert_int_equal(ck_mail_message(&r.m[3], &msg, &len), CK_OK);
	assert_contains(msg, "From: ca@test.example\r\nTo: alice@test.example\r\n"
			     "Cc: pki@test.example, alice@test.example\r\n");
	assert_contains(msg, r.m[3].message_id);
	assert_contains(msg, "\r\n\r\nRequest ID: 17\r\n");
	assert_null(strstr(msg, "\n\n"));
	free(msg);
	rows_free(&r);
}

static void test_unmakeable_mail_is_a_failed_row(void **state)
{
	struct fx *fx = *state;
	struct rows r = { 0 };
	json_t *hostile;

	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertDenied");
	/* No To, and the requester's address is hostile: refused, and the
	 * event still succeeds. No To and no requester address at all: no
	 * mail, and no failed row either (AD CS mails no one then). */
	hostile = request_fields("alice@test.example\r\nRCPT TO:<all@corp.example>");
	emit(fx->st, CK_EV_CA_CERT_DENIED, hostile);
	emit(fx->st, CK_EV_CA_CERT_DENIED, json_pack("{s:i}", "RequestID", 5));
	emit(fx->st, CK_EV_CA_CERT_DENIED, request_fields(""));
	assert_int_equal(store_mail_each(fx->st, false, 0, grab, &r), CK_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.m[0].status, "failed");
	assert_contains(r.m[0].last_error, "RequesterEmail is not a valid address");
	assert_contains(r.m[0].last_error, "no recipient");
	assert_string_equal(r.m[0].rcpt, "");
	rows_free(&r);
	/* Subject with a non-ASCII name is RFC 2047 encoded on the wire. */
	{
		struct store_mail m = { 0 };
		char *msg = NULL;
		size_t len;

		m.mail_from = "a@b.example";
		m.to_hdr = "c@d.example";
		m.cc_hdr = "";
		m.subject = "Zertifikat f\xc3\xbcr M\xc3\xbcller";
		m.message_id = "<x@y>";
		m.body = "b";
		assert_int_equal(ck_mail_message(&m, &msg, &len), CK_OK);
		assert_contains(msg, "Subject: =?UTF-8?B?WmVydGlmaWthdCBmw7xyIE3DvGxsZXI=?=\r\n");
		free(msg);
	}
}

static int count_cb(const struct store_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

static void test_event_46_for_unmakeable(void **state)
{
	struct fx *fx = *state;
	struct store_event_filter f = { .id = 46 };
	int n = 0;

	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertIssued");
	/* No recipient configured: no mail, no 46 (every issuance would
	 * otherwise log an error). */
	emit(fx->st, CK_EV_CA_CERT_ISSUED, json_pack("{s:i}", "RequestID", 9));
	assert_int_equal(store_event_each(fx->st, &f, count_cb, &n), CK_OK);
	assert_int_equal(n, 0);
	/* A requester address that is not one: a mail that cannot be made. */
	emit(fx->st, CK_EV_CA_CERT_ISSUED, request_fields("bob@test.example\nBcc: x@evil.test"));
	assert_int_equal(store_event_each(fx->st, &f, count_cb, &n), CK_OK);
	assert_int_equal(n, 1);
}

struct last_event {
	int n;
	char message[1024];
	char *fields;
};

static int last_cb(const struct store_event *ev, void *arg)
{
	struct last_event *l = arg;

	l->n++;
	snprintf(l->message, sizeof(l->message), "%s", ev->message);
	free(l->fields);
	l->fields = strdup(ev->fields);
	return 0;
}

/* The exit module reports a mail it could not make and writes no event;
 * the event step records 46 with the mail's id, Message-ID and reason. */
static void test_enqueue_reports_unmade(void **state)
{
	struct fx *fx = *state;
	struct store_event_filter f = { .id = 46 };
	struct ck_exit_unmade u = { 0 };
	struct last_event l = { 0 };
	json_t *fields = json_pack("{s:i, s:s}", "RequestID", 9, "RequesterEmail", "bad address"),
	       *got;
	char want[512];

	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertIssued");
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_exit_enqueue(fx->st, 77, CK_EV_CA_CERT_ISSUED, fields, "m", 1798761600,
					 &u),
			 CK_OK);
	assert_int_equal(ck_commit(fx->st), CK_OK);
	json_decref(fields);
	assert_true(u.unmade);
	assert_true(u.mail_id > 0);
	assert_contains(u.message_id, "<certkeep.");
	assert_contains(u.error, "no recipient");
	assert_int_equal(store_event_each(fx->st, &f, count_cb, &l.n), CK_OK);
	assert_int_equal(l.n, 0);
	ck_exit_unmade_clear(&u);
	assert_false(u.unmade);
	assert_null(u.error);

	/* Through the event step: one 46, fields and message as always. */
	emit(fx->st, CK_EV_CA_CERT_ISSUED,
	     json_pack("{s:i, s:s}", "RequestID", 10, "RequesterEmail", "bad address"));
	assert_int_equal(store_event_each(fx->st, &f, last_cb, &l), CK_OK);
	assert_int_equal(l.n, 1);
	got = json_loads(l.fields, 0, NULL);
	assert_non_null(got);
	assert_int_equal(json_integer_value(json_object_get(got, "EventId")), 1101);
	assert_true(json_integer_value(json_object_get(got, "MailId")) > 0);
	assert_true(json_integer_value(json_object_get(got, "EventSeq")) > 0);
	assert_contains(json_string_value(json_object_get(got, "MessageId")), "<certkeep.");
	assert_contains(json_string_value(json_object_get(got, "Error")), "no recipient");
	snprintf(want, sizeof(want),
		 "The exit module could not make the mail for event 1101 (CertIssued): %s. It "
		 "stays in the outbox as mail %lld (certkeep mail list --failed).",
		 json_string_value(json_object_get(got, "Error")),
		 (long long)json_integer_value(json_object_get(got, "MailId")));
	assert_string_equal(l.message, want);
	json_decref(got);
	free(l.fields);

	/* A group with no recipient: nothing made, nothing to report. */
	fields = json_pack("{s:i}", "RequestID", 11);
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_exit_enqueue(fx->st, 79, CK_EV_CA_CERT_ISSUED, fields, "m", 1798761600,
					 &u),
			 CK_OK);
	assert_int_equal(ck_commit(fx->st), CK_OK);
	json_decref(fields);
	assert_false(u.unmade);
	assert_true(u.nobody);
	ck_exit_unmade_clear(&u);

	/* An event no group mails reports nothing. */
	fields = json_object();
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(ck_exit_enqueue(fx->st, 78, CK_EV_CERT_INSTALLED, fields, "m", 1798761600,
					 &u),
			 CK_OK);
	assert_int_equal(ck_commit(fx->st), CK_OK);
	json_decref(fields);
	assert_false(u.unmade);
}

static int claimed_cb(const struct store_mail *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static int claim(struct store *st, int64_t now, bool all)
{
	int n = 0;

	assert_int_equal(store_mail_claim(st, now, now + 900, 0, 10, all, claimed_cb, &n), CK_OK);
	return n;
}

/* Back-off holds the automatic passes back, not a manual flush (all); a
 * mail claimed by a sender is held back from both until it is done. */
static void test_claim_all_ignores_backoff_not_leases(void **state)
{
	struct fx *fx = *state;
	const int64_t now = 1798761600;
	struct rows r = { 0 };

	set_ok(fx->st, "exit\\smtp\\SMTPServer", "relay.test.example");
	set_ok(fx->st, "exit\\smtp\\EventFilter", "CertIssued");
	emit(fx->st, CK_EV_CA_CERT_ISSUED, request_fields("alice@test.example"));
	assert_int_equal(store_mail_each(fx->st, false, 0, grab, &r), CK_OK);
	assert_int_equal(r.n, 1);
	/* A failed attempt: due again only in an hour. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_mail_mark_attempt(fx->st, r.m[0].id, now, "421 busy", false,
						 now + 3600),
			 CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_int_equal(claim(fx->st, now, false), 0);
	assert_int_equal(claim(fx->st, now, true), 1);
	/* Now leased by that sender: no one else takes it, not even all. */
	assert_int_equal(claim(fx->st, now + 1, true), 0);
	assert_int_equal(claim(fx->st, now + 1, false), 0);
	/* Its attempt failed again (lease released): all takes it at once. */
	assert_int_equal(store_begin(fx->st), CK_OK);
	assert_int_equal(store_mail_mark_attempt(fx->st, r.m[0].id, now + 2, "421 busy", false,
						 now + 7200),
			 CK_OK);
	assert_int_equal(store_commit(fx->st), CK_OK);
	assert_int_equal(claim(fx->st, now + 3, false), 0);
	assert_int_equal(claim(fx->st, now + 3, true), 1);
	/* A sender killed mid-batch: its lease ends, and the mail is due. */
	assert_int_equal(claim(fx->st, now + 3 + 901, false), 1);
	rows_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_normalises),
		cmocka_unit_test(test_lookup_suggests_nearest),
		cmocka_unit_test(test_render_missing_and_hostile),
		cmocka_unit_test_setup_teardown(test_values_bounds_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_and_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_until_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_templates_and_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmakeable_mail_is_a_failed_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_46_for_unmakeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_reports_unmade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_all_ignores_backoff_not_leases, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
