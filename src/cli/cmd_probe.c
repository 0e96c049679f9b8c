/*
 * cmd_probe.c - probe: the certificate a live server serves, and whether it
 * is the one certkeep selects (DESIGN.md §4, §10).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "base/clock.h"
#include "core/tls/probe.h"

enum ck_err cmd_probe(struct cli *c)
{
	const char *name = cli_value(c, "--fqdn");
	json_t *out = NULL, *served;
	int timeout = 0;
	bool ok = false;
	enum ck_err rc;

	if (name == NULL)
		name = cli_value(c, "--sni");
	if (name == NULL)
		return ck_fail(CK_EUSAGE, "give --fqdn NAME (smtp://) or --sni NAME (https://)");
	rc = cli_int(c, "--timeout", 1, 600, &timeout);
	if (rc != CK_OK)
		return rc;
	rc = ck_probe(c->st, c->args[0], name, timeout * 1000, ck_now(), &out, &ok);
	if (rc != CK_OK)
		return rc;
	served = json_object_get(out, "Served");
	if (c->json) {
		rc = cli_print_json_new(out);
	} else {
		const char *sel = json_string_value(json_object_get(out, "Selected"));

		printf("%s serves %s %s (%s, %s)\n", ck_text_safe(c->args[0]),
		       json_string_value(json_object_get(served, "Thumbprint")),
		       ck_text_safe(json_string_value(json_object_get(served, "Subject"))),
		       json_string_value(json_object_get(served, "Status")),
		       json_string_value(json_object_get(out, "Protocol")));
		printf("  holds %s: %s; in the store: %s; selected by certkeep: %s%s\n",
		       ck_text_safe(json_string_value(json_object_get(out, "Name"))),
		       json_is_true(json_object_get(served, "HoldsName")) ? "yes" : "NO",
		       json_is_true(json_object_get(out, "InStore")) ? "yes" : "no",
		       sel ? sel : "none", ok ? " (the same)" : " (DIFFERENT)");
		json_decref(out);
	}
	if (rc == CK_OK && !ok) {
		ck_errmsg_clear();
		return CK_EPROBLEM;
	}
	return rc;
}
