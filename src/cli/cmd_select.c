/*
 * cmd_select.c - connector, select and diagnose: which certificate a TLS
 * endpoint uses, and why (DESIGN.md §4, §10).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/clock.h"
#include "core/tls/connectors.h"
#include "base/names.h"
#include "core/tls/select.h"

/* --at TIME fixes the clock for a what-if question. */
static enum ck_err apply_at(const struct cli *c)
{
	const char *at = cli_value(c, "--at");
	int64_t t;
	enum ck_err rc;

	if (at == NULL)
		return CK_OK;
	rc = cli_value_error(ck_time_parse(at, &t), "--at");
	if (rc == CK_OK)
		ck_clock_set(t);
	return rc;
}

static enum ck_err connector_add(struct cli *c)
{
	const char *tls = cli_value(c, "--tls");
	struct ck_connector_opts o = {
		.name = c->args[0],
		.type = cli_value(c, "--type"),
		.fqdn = cli_value(c, "--fqdn"),
		.tls = true,
		.service_account = cli_value(c, "--service-account"),
	};

	if (o.type == NULL)
		return ck_fail(CK_EUSAGE, "give --type receive or --type send");
	if (tls && strcmp(tls, "off") == 0)
		o.tls = false;
	else if (tls && strcmp(tls, "on") != 0)
		return ck_fail(CK_EUSAGE, "--tls must be on or off, not '%.20s'", tls);
	return ck_connector_add(c->st, &o);
}

/* What add and remove did, as text or JSON. */
static enum ck_err connector_done(struct cli *c, const char *action)
{
	if (c->json)
		return cli_print_json_new(json_pack("{s:s, s:s}", "Connector", c->args[0], "Action",
						    action));
	printf("Connector %s %s\n", c->args[0], action);
	return CK_OK;
}

enum ck_err cmd_connector_add(struct cli *c)
{
	enum ck_err rc = connector_add(c);

	return rc == CK_OK ? connector_done(c, "added") : rc;
}

enum ck_err cmd_connector_remove(struct cli *c)
{
	enum ck_err rc = ck_connector_remove(c->st, c->args[0]);

	return rc == CK_OK ? connector_done(c, "removed") : rc;
}

enum ck_err cmd_connector_list(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_connector_list(c->st, &list);
	size_t i;

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(list);
	if (json_array_size(list) == 0)
		fprintf(stderr, "no connectors\n");
	for (i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		const char *acct = json_string_value(json_object_get(o, "ServiceAccount"));

		if (i == 0)
			printf("%-20s %-8s %-4s %-12s %s\n", "Name", "Type", "TLS", "Account", "FQDN");
		printf("%-20s %-8s %-4s %-12s %s%s\n", ck_text_safe(json_string_value(json_object_get(o, "Name"))),
		       json_string_value(json_object_get(o, "Type")),
		       json_is_true(json_object_get(o, "Tls")) ? "on" : "off",
		       acct ? ck_text_safe(acct) : "-", ck_text_safe(json_string_value(json_object_get(o, "Fqdn"))),
		       json_is_true(json_object_get(o, "FqdnFromHost")) ? " (host)" : "");
	}
	json_decref(list);
	return CK_OK;
}

static void print_selection(const struct ck_selection *sel, bool explain)
{
	const char *svc = ck_service_name(sel->service);
	size_t i;

	if (sel->chosen >= 0) {
		const struct ck_candidate *k = &sel->cands[sel->chosen];

		printf("%s for %s: %s %s (%s)%s\n", svc, ck_text_safe(sel->fqdn), k->thumbprint,
		       ck_text_safe(k->subject),
		       ck_status_name(k->status),
		       sel->expired ? " EXPIRED, still used: event 12016" : "");
	} else {
		printf("%s for %s: no certificate (event 12014)\n", svc, ck_text_safe(sel->fqdn));
	}
	if (!explain)
		return;
	for (i = 0; i < sel->n; i++) {
		const struct ck_candidate *k = &sel->cands[i];
		char nb[32];

		ck_time_format(k->not_before, nb, sizeof(nb));
		printf("  %s %s  %s  NotBefore %s  %s\n    %s: %s\n",
		       (int)i == sel->chosen ? "*" : "-", k->thumbprint, ck_text_safe(k->subject), nb,
		       ck_status_name(k->status), ck_sel_reason_name(k->reason), ck_text_safe(k->detail));
	}
	if (sel->n == 0)
		printf("  no certificate in the store holds %s (or a wildcard for it)\n",
		       ck_text_safe(sel->fqdn));
}

enum ck_err cmd_select(struct cli *c)
{
	const char *fqdn = cli_value(c, "--fqdn");
	const char *service = cli_value(c, "--service");
	struct ck_selection sel;
	unsigned svc = 0;
	enum ck_err rc;

	if (fqdn == NULL || service == NULL)
		return ck_fail(CK_EUSAGE, "give --fqdn NAME and --service S");
	rc = cli_value_error(ck_services_parse(service, &svc), "--service");
	if (rc != CK_OK)
		return rc;
	if (ck_service_name(svc) == NULL)
		return ck_fail(CK_EUSAGE, "--service takes one service, not '%.40s'", service);
	rc = apply_at(c);
	if (rc != CK_OK)
		return rc;
	rc = ck_select(c->st, fqdn, svc, cli_value(c, "--service-account"), ck_now(), &sel);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		rc = cli_print_json_new(ck_selection_json(&sel));
	else
		print_selection(&sel, cli_flag(c, "--explain"));
	/* No certificate for the endpoint is a finding, not a failure. */
	if (rc == CK_OK && sel.chosen < 0)
		rc = CK_EPROBLEM;
	ck_selection_clear(&sel);
	if (rc == CK_EPROBLEM)
		ck_errmsg_clear();
	return rc;
}

enum ck_err cmd_diagnose(struct cli *c)
{
	json_t *report = NULL;
	int problems = 0;
	enum ck_err rc;
	size_t i;

	rc = apply_at(c);
	if (rc == CK_OK)
		rc = ck_diagnose(c->st, ck_now(), cli_value(c, "--at") == NULL, &report, &problems);
	if (rc != CK_OK)
		return rc;
	if (c->json) {
		rc = cli_print_json_new(json_pack("{s:o, s:i}", "Connectors", report, "Problems",
						  problems));
	} else {
		if (json_array_size(report) == 0)
			printf("no connectors: add one with 'certkeep connector add NAME --type receive'\n");
		for (i = 0; i < json_array_size(report); i++) {
			json_t *e = json_array_get(report, i);
			json_t *sel = json_object_get(e, "Selection");
			json_t *chosen = json_object_get(sel, "Selected");
			const char *result = json_string_value(json_object_get(e, "Result"));

			printf("%-20s %-28s %-15s %s\n",
			       ck_text_safe(json_string_value(json_object_get(e, "Connector"))),
			       ck_text_safe(json_string_value(json_object_get(e, "Fqdn"))), ck_text_safe(result),
			       json_is_object(chosen)
				       ? json_string_value(json_object_get(chosen, "Thumbprint"))
				       : "");
		}
		printf("%d problem%s found%s\n", problems, problems == 1 ? "" : "s",
		       problems ? " (see 'certkeep events --id 12014' and '--id 12016')" : "");
		json_decref(report);
	}
	if (rc == CK_OK && problems > 0) {
		ck_errmsg_clear();
		return CK_EPROBLEM;
	}
	return rc;
}
