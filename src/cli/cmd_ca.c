/*
 * cmd_ca.c - certkeep ca: the certificate authority's sub-commands
 * (DESIGN.md §8, §10), one handler per row of the command table. Each
 * reads its arguments and options, calls the CA service and prints text
 * or --json; the service does all checking and writing.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ca/ca.h"
#include "pki/pki.h"
#include "daemon/ca_service.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/fileio.h"
#include "base/strlist.h"
#include "base/text.h"

static enum ck_err print_obj(struct cli *c, json_t *o, const char *text_key)
{
	enum ck_err rc = CK_OK;

	if (c->json)
		return cli_print_json_new(o);
	if (text_key && json_string_value(json_object_get(o, text_key)))
		rc = fputs(json_string_value(json_object_get(o, text_key)), stdout) == EOF
			     ? ck_fail_errno(CK_EIO, "cannot write output")
			     : CK_OK;
	json_decref(o);
	return rc;
}

/* A request id: a positive decimal number. */
static enum ck_err parse_id(const char *s, int64_t *id)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1)
		return ck_fail(CK_EUSAGE, "'%.40s' is not a request id (a positive number)", s);
	*id = n;
	return CK_OK;
}

enum ck_err cmd_ca_init(struct cli *c)
{
	struct ck_ca_init_opts o = {
		.name = cli_value(c, "--name"),
		.key_type = cli_value(c, "--key"),
		.request_out = cli_value(c, "--request-out"),
	};
	json_t *out = NULL;
	enum ck_err rc = cli_text(c, "--name", true, &o.name);

	if (rc != CK_OK)
		return rc;
	if (o.name == NULL)
		return ck_fail(CK_EUSAGE, "ca init --name CN");
	rc = cli_key_type(c, "--key");
	if (rc == CK_OK)
		rc = cli_int(c, "--days", 1, 36500, &o.days);
	if (rc == CK_OK)
		rc = ck_ca_init(c->st, &o, &out);
	if (rc != CK_OK)
		return rc;
	if (!c->json) {
		if (o.request_out)
			printf("CA '%s' created; its request for the parent CA is in %s ('certkeep ca "
			       "install CERT' when issued)\n",
			       ck_text_safe(o.name), ck_text_safe(o.request_out));
		else
			printf("CA '%s' created: serial %s, valid until %s\n", ck_text_safe(o.name),
			       json_string_value(json_object_get(out, "SerialNumber")),
			       json_string_value(json_object_get(out, "NotAfter")));
		json_decref(out);
		return CK_OK;
	}
	return cli_print_json_new(out);
}

enum ck_err cmd_ca_install(struct cli *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *out = NULL;
	enum ck_err rc;

	rc = ck_read_file(c->args[0], CK_INPUT_MAX, &buf, &len);
	if (rc == CK_OK)
		rc = ck_ca_install(c->st, buf, len, &out);
	free(buf);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	printf("CA certificate installed: %s\n",
	       ck_text_safe(json_string_value(json_object_get(out, "DistinguishedName"))));
	json_decref(out);
	return CK_OK;
}

enum ck_err cmd_ca_policy(struct cli *c)
{
	struct ck_ca_policy_opts o = {
		.suffixes = cli_value(c, "--allow-suffix"),
		.key_types = cli_value(c, "--key-types"),
		.disposition = cli_value(c, "--default"),
		.crl_url = cli_value(c, "--crl-url"),
		.crl_path = cli_value(c, "--crl-path"),
	};
	json_t *out = NULL;
	const char *k;
	json_t *v;
	enum ck_err rc = cli_int(c, "--max-days", 1, 36500, &o.max_days);

	if (rc == CK_OK)
		rc = cli_int(c, "--crl-hours", 1, 24 * 3660, &o.crl_hours);
	if (rc == CK_OK && o.suffixes && strcmp(o.suffixes, "any") == 0)
		o.suffixes = "";
	if (rc == CK_OK && (o.suffixes || o.key_types || o.disposition || o.crl_url || o.crl_path ||
			    o.max_days || o.crl_hours))
		rc = ck_ca_policy_set(c->st, &o);
	if (rc == CK_OK)
		rc = ck_ca_policy_json(c->st, &out);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	json_object_foreach(out, k, v)
		printf("%-32s %s\n", k, ck_text_safe(json_string_value(v)));
	json_decref(out);
	return CK_OK;
}

enum ck_err cmd_ca_show(struct cli *c)
{
	json_t *out = NULL;
	enum ck_err rc = ck_ca_show(c->st, &out);

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	printf("CA %s\n", ck_text_safe(json_string_value(json_object_get(out, "CAName"))));
	if (json_object_get(out, "SerialNumber"))
		printf("  subject %s\n  serial %s\n  valid until %s\n  SHA-1 %s\n",
		       ck_text_safe(json_string_value(json_object_get(out, "DistinguishedName"))),
		       json_string_value(json_object_get(out, "SerialNumber")),
		       json_string_value(json_object_get(out, "NotAfter")),
		       json_string_value(json_object_get(out, "CertificateHash")));
	else
		printf("  waiting for its certificate ('certkeep ca install CERT')\n");
	printf("  key %s, last CRL number %lld\n",
	       json_string_value(json_object_get(out, "KeyType")),
	       (long long)json_integer_value(json_object_get(out, "CRLNumber")));
	json_decref(out);
	return CK_OK;
}

/* Output of submit: JSON array items, or PEM (to stdout or collected for
 * --out) with one status line per request. Status lines for stderr are
 * held until their batch is reported when stderr is not a terminal (one
 * write per batch, not per request). */
/* What one submit may print or write: bounds memory, not requests. */
#define SUBMIT_OUT_MAX ((size_t)1 << 30)

struct submit_out {
	struct cli *c;
	size_t count;
	struct ck_buf pem;   /* for --out */
	struct ck_buf lines; /* held status lines */
	bool to_file, hold_lines;
	int write_errno; /* set when output failed */
};

static int status_line(struct submit_out *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return CK_EIO;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (s->hold_lines)
		return ck_buf_add(&s->lines, line, (size_t)n) == CK_OK ? 0 : CK_ENOMEM;
	return fputs(line, s->to_file ? stdout : stderr) == EOF ? CK_EIO : 0;
}

static int report_one(json_t *res, struct submit_out *s)
{
	const char *disp, *pem;
	long long id;
	int rc;

	if (res == NULL) { /* the end of a batch */
		if (s->lines.len > 0 &&
		    fwrite(s->lines.data, 1, s->lines.len, stderr) != s->lines.len)
			return CK_EIO;
		ck_buf_reset(&s->lines);
		return fflush(stdout) == EOF ? CK_EIO : 0;
	}
	if (s->c->json)
		return cli_json_array_item(res, s->count++);
	disp = json_string_value(json_object_get(res, "Disposition"));
	pem = json_string_value(json_object_get(res, "RawCertificate"));
	id = (long long)json_integer_value(json_object_get(res, "RequestID"));
	s->count++;
	if (pem == NULL)
		return status_line(s, "Request %lld: %s (%s)\n", id, disp,
				   ck_text_safe(json_string_value(json_object_get(res, "DispositionMessage"))));
	rc = status_line(s, "Request %lld: %s, serial %s, %s\n", id, disp,
			 json_string_value(json_object_get(res, "SerialNumber")),
			 ck_text_safe(json_string_value(json_object_get(res, "DistinguishedName"))));
	if (rc != 0)
		return rc;
	if (!s->to_file)
		return fputs(pem, stdout) == EOF ? CK_EIO : 0;
	return ck_buf_add_str(&s->pem, pem) == CK_OK ? 0 : CK_ENOMEM;
}

/* Reports one result, or the end of a batch (res NULL). */
static int submit_result(json_t *res, void *arg)
{
	struct submit_out *s = arg;
	int rc = report_one(res, s);

	if (rc != 0 && s->write_errno == 0)
		s->write_errno = errno ? errno : EIO;
	return rc;
}

/* Submits in-process (service < 0) or through the CA service's
 * connection, with the same output either way. */
static enum ck_err ca_submit(struct cli *c, int service)
{
	struct ck_ca_submit_opts o = { .requester = cli_value(c, "--requester"),
				       .email = cli_value(c, "--email") };
	struct submit_out out = { .c = c,
				  .to_file = cli_value(c, "--out") != NULL,
				  .hold_lines = !cli_value(c, "--out") && !isatty(STDERR_FILENO) };
	struct ck_ca_input *in = NULL;
	size_t n = (size_t)c->nargs, i;
	enum ck_err rc, wrc;

	ck_buf_init(&out.pem, SUBMIT_OUT_MAX);
	ck_buf_init(&out.lines, SUBMIT_OUT_MAX);
	rc = cli_text(c, "--requester", true, &o.requester);
	if (rc == CK_OK)
		rc = cli_text(c, "--email", true, &o.email);
	if (rc != CK_OK)
		goto out;
	if (o.requester == NULL) {
		/* The login name; the password database only when the
		 * environment has none (it costs a one-certificate process). */
		struct passwd *pw = NULL;

		o.requester = getenv("LOGNAME");
		if (o.requester == NULL || *o.requester == '\0')
			o.requester = getenv("USER");
		if (o.requester == NULL || *o.requester == '\0') {
			pw = getpwuid(geteuid());
			o.requester = pw ? pw->pw_name : "unknown";
		}
		/* The environment is no more trusted than an option. */
		if (!ck_utf8_valid(o.requester))
			o.requester = "unknown";
	}
	rc = cli_int(c, "--days", 1, 36500, &o.days);
	if (rc != CK_OK)
		goto out;
	in = calloc(n, sizeof(*in));
	if (in == NULL) {
		rc = ck_fail(CK_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		in[i].name = c->args[i]; /* read while they are checked */
	if (rc == CK_OK && c->json)
		printf("[");
	if (rc == CK_OK) {
		rc = service >= 0 ? ck_ca_service_submit(service, in, n, &o, submit_result, &out)
				  : ck_ca_submit(c->st, in, n, &o, submit_result, &out);
		if (out.write_errno) {
			errno = out.write_errno;
			rc = ck_fail_errno(CK_EIO, "cannot write output");
		}
		if (c->json)
			cli_json_array_end(out.count);
	}
	/* What was issued is written even when a later batch failed. */
	if (out.to_file && out.pem.len > 0) {
		wrc = ck_write_output(cli_value(c, "--out"), out.pem.data, out.pem.len, 0644);
		if (rc == CK_OK)
			rc = wrc;
	}
	free(in);
out:
	ck_buf_free(&out.pem);
	ck_buf_free(&out.lines);
	return rc;
}

enum ck_err cmd_ca_submit(struct cli *c)
{
	return ca_submit(c, -1);
}

static int list_row(const struct store_ca_request *r, void *arg)
{
	struct cli *c = arg;
	char when[32];

	if (c->json) {
		json_t *o = ck_ca_request_json(r, NULL);
		int stop = o ? cli_json_array_item(o, (size_t)c->nvals++) : CK_ENOMEM;

		json_decref(o);
		return stop;
	}
	when[0] = '\0';
	if (r->not_after)
		ck_time_format(r->not_after, when, sizeof(when));
	if (printf("%-6lld %-8s %-32s %-20s %s\n", (long long)r->id, r->status,
		   r->serial[0] ? r->serial : "-", when[0] ? when : "-",
		   ck_text_safe(r->subject)) < 0)
		return CK_EIO;
	return 0;
}

static enum ck_err ca_list(struct cli *c, const char *status)
{
	static const char *const flags[] = { "--issued", "--revoked", "--pending", "--denied" };
	int limit = 0, nvals = c->nvals, i;
	enum ck_err rc = cli_int(c, "--limit", 1, 2000000000, &limit);

	for (i = 0; i < 4; i++) {
		if (!cli_flag(c, flags[i]))
			continue;
		if (status)
			return ck_fail(CK_EUSAGE, "give one of --issued, --revoked, --pending, --denied");
		status = flags[i] + 2;
	}
	if (rc != CK_OK)
		return rc;
	/* nvals counts JSON items while streaming (no more options are read). */
	c->nvals = 0;
	if (c->json)
		printf("[");
	rc = ck_ca_list(c->st, status, limit, list_row, c);
	if (rc == CK_EIO)
		rc = ck_fail_errno(CK_EIO, "cannot write output");
	if (c->json)
		cli_json_array_end((size_t)c->nvals);
	c->nvals = nvals;
	return rc;
}

enum ck_err cmd_ca_pending(struct cli *c)
{
	return ca_list(c, "pending");
}

enum ck_err cmd_ca_list(struct cli *c)
{
	return ca_list(c, NULL);
}

enum ck_err cmd_ca_get(struct cli *c)
{
	json_t *out = NULL;
	const char *pem, *file = cli_value(c, "--out");
	enum ck_err rc = ck_ca_get(c->st, c->args[0], &out);

	if (rc != CK_OK)
		return rc;
	pem = json_string_value(json_object_get(out, "RawCertificate"));
	if (file) {
		rc = pem ? ck_write_output(file, pem, strlen(pem), 0644)
			 : ck_fail(CK_EINVAL, "request %s has no certificate (%s)", c->args[0],
				   json_string_value(json_object_get(out, "Disposition")));
		if (rc != CK_OK) {
			json_decref(out);
			return rc;
		}
	}
	if (!c->json && !file && pem == NULL) {
		rc = ck_fail(CK_EINVAL, "request %s has no certificate (%s)", c->args[0],
			     json_string_value(json_object_get(out, "Disposition")));
		json_decref(out);
		return rc;
	}
	return print_obj(c, out, file ? NULL : "RawCertificate");
}

/* approve or deny a pending request. */
static enum ck_err ca_resolve(struct cli *c, bool approve)
{
	json_t *out = NULL;
	const char *reason = NULL;
	int64_t id = 0;
	enum ck_err rc = parse_id(c->args[0], &id);

	if (rc == CK_OK && !approve)
		rc = cli_text(c, "--reason", true, &reason);
	if (rc == CK_OK)
		rc = approve ? ck_ca_approve(c->st, id, &out) : ck_ca_deny(c->st, id, reason, &out);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	printf("Request %lld: %s%s%s\n", (long long)id,
	       json_string_value(json_object_get(out, "Disposition")),
	       json_object_get(out, "SerialNumber") ? ", serial " : "",
	       json_object_get(out, "SerialNumber")
		       ? json_string_value(json_object_get(out, "SerialNumber"))
		       : "");
	json_decref(out);
	return CK_OK;
}

enum ck_err cmd_ca_approve(struct cli *c)
{
	return ca_resolve(c, true);
}

enum ck_err cmd_ca_deny(struct cli *c)
{
	return ca_resolve(c, false);
}

/* revoke with a reason, or take a certificateHold back. */
static enum ck_err ca_revoke(struct cli *c, bool revoke)
{
	json_t *out = NULL;
	const char *reason = NULL;
	enum ck_err rc = CK_OK;

	if (revoke)
		rc = cli_text(c, "--reason", true, &reason);
	if (rc == CK_OK)
		rc = revoke ? ck_ca_revoke(c->st, c->args[0], reason ? reason : "unspecified", &out)
			    : ck_ca_unrevoke(c->st, c->args[0], &out);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(out);
	printf("Certificate %s: %s%s%s\n", json_string_value(json_object_get(out, "SerialNumber")),
	       revoke ? "revoked (" : "no longer on hold",
	       revoke ? ck_text_safe(json_string_value(json_object_get(out, "RevokedReason"))) : "",
	       revoke ? ")" : "");
	json_decref(out);
	return CK_OK;
}

enum ck_err cmd_ca_revoke(struct cli *c)
{
	return ca_revoke(c, true);
}

enum ck_err cmd_ca_unrevoke(struct cli *c)
{
	return ca_revoke(c, false);
}

enum ck_err cmd_ca_crl(struct cli *c)
{
	struct ck_ca_crl_opts o = { .out = cli_value(c, "--out") };
	json_t *out = NULL;
	char *pem = NULL;
	enum ck_err rc = cli_int(c, "--next-update", 1, 24 * 3660, &o.hours);

	if (rc == CK_OK)
		rc = ck_ca_crl(c->st, &o, &out, &pem);
	if (rc != CK_OK)
		return rc;
	if (pem) {
		if (c->json)
			json_object_set_new(out, "CRL", json_string(pem));
		else if (fputs(pem, stdout) == EOF)
			rc = ck_fail_errno(CK_EIO, "cannot write output");
		free(pem);
	}
	if (c->json)
		return cli_print_json_new(out);
	if (json_object_get(out, "Path"))
		printf("CRL %lld (%lld revoked) written to %s; next update %s\n",
		       (long long)json_integer_value(json_object_get(out, "CRLNumber")),
		       (long long)json_integer_value(json_object_get(out, "RevokedCount")),
		       ck_text_safe(json_string_value(json_object_get(out, "Path"))),
		       json_string_value(json_object_get(out, "NextUpdate")));
	json_decref(out);
	return rc;
}

bool cmd_ca_submit_to_service(struct cli *c, const char *store_dir, enum ck_err *rc)
{
	struct ck_ca_input *in;
	size_t n, i;
	int fd;

	n = (size_t)c->nargs;
	in = calloc(n, sizeof(*in));
	if (in == NULL)
		return false;
	for (i = 0; i < n; i++)
		in[i].name = c->args[i];
	fd = ck_ca_service_connect(store_dir, in, n);
	free(in);
	/* Busy, silent or too small for it: nothing was sent, in-process it is. */
	if (fd == -2 && c->verbose)
		fprintf(stderr, "certkeep: %s: submitting in-process\n", ck_text_safe(ck_errmsg()));
	ck_errmsg_clear();
	if (fd < 0)
		return false;
	if (c->verbose)
		fprintf(stderr, "certkeep: submitted to the CA service at %s/%s\n", store_dir,
			CK_CA_SERVICE_SOCKET);
	*rc = ca_submit(c, fd);
	close(fd);
	return true;
}

/* ca cert: the CA's certificate, PEM or --der, to stdout or --out. */
enum ck_err cmd_ca_cert(struct cli *c)
{
	const char *file = cli_value(c, "--out");
	bool der_out = cli_flag(c, "--der");
	struct pki_cert *cert = NULL;
	const uint8_t *der;
	char *pem = NULL;
	size_t len = 0;
	enum ck_err rc = ck_ca_cert_get(c->st, &cert);

	if (rc != CK_OK)
		return rc;
	/* --chain: ca install records the CA certificate alone, so there is
	 * no parent chain to add yet; the option is accepted for scripts. */
	if (der_out)
		pki_cert_der(cert, &der, &len);
	else
		rc = pki_cert_to_pem(cert, &pem, &len);
	if (rc == CK_OK && der_out && !file && isatty(STDOUT_FILENO))
		rc = ck_fail(CK_EUSAGE, "--der writes binary: give --out FILE or redirect stdout");
	if (rc == CK_OK && file)
		rc = ck_write_output(file, der_out ? (const void *)der : pem, len, 0644);
	else if (rc == CK_OK && fwrite(der_out ? (const void *)der : pem, 1, len, stdout) != len)
		rc = ck_fail_errno(CK_EIO, "cannot write output");
	free(pem);
	pki_cert_free(cert);
	return rc;
}
