/*
 * cmd_mail.c - mail list | flush | retry: the exit module's outbox
 * (DESIGN.md §9, §10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/exit/mail.h"

enum ck_err cmd_mail_list(struct cli *c)
{
	json_t *rows = NULL;
	enum ck_err rc = ck_mail_list(c->st, cli_flag(c, "--failed"), &rows);
	size_t i, j;

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(rows);
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *to = json_object_get(r, "Recipients");
		const char *err = json_string_value(json_object_get(r, "LastError"));

		printf("%lld  %-6s  attempts %lld  event %lld  to ",
		       (long long)json_integer_value(json_object_get(r, "Id")),
		       json_string_value(json_object_get(r, "Status")),
		       (long long)json_integer_value(json_object_get(r, "Attempts")),
		       (long long)json_integer_value(json_object_get(r, "EventId")));
		for (j = 0; j < json_array_size(to); j++)
			printf("%s%s", j ? ", " : "",
			       ck_text_safe(json_string_value(json_array_get(to, j))));
		printf("%s\n    %s\n", json_array_size(to) ? "" : "(nobody)",
		       ck_text_safe(json_string_value(json_object_get(r, "Subject"))));
		if (err && *err)
			printf("    last error: %s\n", ck_text_safe(err));
	}
	if (json_array_size(rows) == 0)
		fprintf(stderr, "no %smail in the outbox\n", cli_flag(c, "--failed") ? "failed " : "");
	json_decref(rows);
	return CK_OK;
}

enum ck_err cmd_mail_flush(struct cli *c)
{
	struct ck_mail_flush_result r;
	/* Asked for by hand: every queued mail now, as postqueue -f. */
	enum ck_err rc = ck_mail_flush(c->st, 0, true, &r);

	if (rc != CK_OK)
		return rc;
	if (c->json)
		rc = cli_print_json_new(json_pack("{s:b, s:I, s:I, s:I, s:I, s:s}", "Off", r.off,
						  "Sent", (json_int_t)r.sent, "Deferred",
						  (json_int_t)r.deferred, "Failed",
						  (json_int_t)r.failed, "Waiting",
						  (json_int_t)r.waiting, "LastError", r.last_error));
	else if (r.off)
		printf("mail is off (exit\\smtp\\SMTPServer is not set)\n");
	else
		printf("%lld sent, %lld to retry, %lld failed; %lld still queued\n",
		       (long long)r.sent, (long long)r.deferred, (long long)r.failed,
		       (long long)r.waiting);
	if (rc == CK_OK && (r.deferred || r.failed))
		return ck_fail(r.failed ? CK_ERROR : CK_ETEMP, "%s", r.last_error);
	return rc;
}

enum ck_err cmd_mail_retry(struct cli *c)
{
	int64_t id = 0, n = 0;
	enum ck_err rc;

	if (cli_flag(c, "--all") == (c->nargs == 1))
		return ck_fail(CK_EUSAGE, "mail retry ID | --all");
	if (c->nargs == 1) {
		char *end;
		long long v = strtoll(c->args[0], &end, 10);

		if (*c->args[0] == '\0' || *end != '\0' || v < 1)
			return ck_fail(CK_EUSAGE, "mail retry takes a mail number");
		id = v;
	}
	rc = ck_mail_retry(c->st, id, &n);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(json_pack("{s:I}", "Queued", (json_int_t)n));
	printf("%lld mail%s queued again\n", (long long)n, n == 1 ? "" : "s");
	return CK_OK;
}
