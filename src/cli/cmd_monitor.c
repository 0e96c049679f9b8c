/*
 * cmd_monitor.c - monitor: one pass of expiry notices (DESIGN.md §6, §7).
 */
#include <stdio.h>

#include "cli.h"
#include "core/clock.h"
#include "core/monitor.h"

enum ck_err cmd_monitor(struct cli *c)
{
	const char *at = cli_value(c, "--at");
	json_t *report = NULL;
	int64_t t = ck_now();
	enum ck_err rc = CK_OK;
	size_t i;

	if (at)
		rc = ck_time_parse(at, &t);
	if (rc == CK_OK)
		rc = ck_monitor(c->st, t, at == NULL, &report);
	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(report);
	for (i = 0; i < json_array_size(report); i++) {
		json_t *e = json_array_get(report, i);

		printf("%s%d %s %s\n", at ? "would raise " : "",
		       (int)json_integer_value(json_object_get(e, "Id")),
		       json_string_value(json_object_get(e, "Kind")),
		       json_string_value(json_object_get(e, "Thumbprint")));
	}
	if (json_array_size(report) == 0)
		printf("nothing due%s\n", at ? " then" : "");
	json_decref(report);
	return CK_OK;
}
