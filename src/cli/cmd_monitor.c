/*
 * cmd_monitor.c - monitor: one lifecycle pass (DESIGN.md §6, §7).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/clock.h"
#include "core/lifecycle/monitor.h"
#include "core/lifecycle/renew.h"

static void print_entry(const json_t *e, bool what_if)
{
	const char *renewal = json_string_value(json_object_get(e, "Renewal"));
	const char *reload = json_string_value(json_object_get(e, "Reload"));
	const char *site = json_string_value(json_object_get(e, "Site"));
	const char *error = json_string_value(json_object_get(e, "Error"));
	const char *thumb = json_string_value(json_object_get(e, "Thumbprint"));

	if (site) /* a binding moved off a replaced certificate */
		printf("rebind %s %s%s%s\n", ck_text_safe(site),
		       json_string_value(json_object_get(e, "Result")), error ? ": " : "",
		       error ? ck_text_safe(error) : "");
	else if (renewal && json_object_get(e, "Error"))
		printf("renewal %s %s: %s\n", thumb, renewal,
		       ck_text_safe(json_string_value(json_object_get(e, "Error"))));
	else if (renewal)
		printf("renewal %s %s%s%s\n", thumb, renewal,
		       json_object_get(e, "NewThumbprint") ? " -> " : "",
		       json_object_get(e, "NewThumbprint")
			       ? json_string_value(json_object_get(e, "NewThumbprint"))
			       : "");
	else if (reload)
		printf("reload %s: %s\n", json_string_value(json_object_get(e, "Result")),
		       ck_text_safe(reload));
	else
		printf("%s%d %s %s\n", what_if ? "would raise " : "",
		       (int)json_integer_value(json_object_get(e, "Id")),
		       json_string_value(json_object_get(e, "Kind")), thumb);
}

struct printer {
	bool json, what_if;
	size_t count;
};

/* Each entry is printed as the pass hands it out, so that a pass over
 * many due certificates holds none of them (a JSON array, item by item). */
static enum ck_err print_one(const json_t *e, void *arg)
{
	struct printer *p = arg;

	if (p->json) {
		if (cli_json_array_item(e, p->count) != 0)
			return ck_fail_errno(CK_EIO, "cannot write output");
	} else {
		print_entry(e, p->what_if);
	}
	p->count++;
	return CK_OK;
}

enum ck_err cmd_monitor(struct cli *c)
{
	const char *at = cli_value(c, "--at");
	bool apply = cli_flag(c, "--apply");
	struct printer p = { c->json, at && !apply, 0 };
	struct ck_report out = { print_one, &p };
	int64_t t = ck_now();
	enum ck_err rc = CK_OK;

	if (apply && at == NULL)
		return ck_fail(CK_EUSAGE, "--apply goes with --at TIME");
	if (at)
		rc = cli_value_error(ck_time_parse(at, &t), "--at");
	if (rc != CK_OK)
		return rc;
	if (c->json)
		printf("[");
	rc = ck_monitor_pass(c->st, t, at == NULL || apply, &out);
	/* What was handed out happened: the array is closed whole, and a
	 * failure follows on stderr. */
	if (c->json)
		cli_json_array_end(p.count);
	else if (rc == CK_OK && p.count == 0)
		printf("nothing due%s\n", at ? " then" : "");
	return rc;
}

/* autorenew with no argument: its state. */
static enum ck_err autorenew_show(struct cli *c)
{
	int window = 0;
	bool on = ck_autorenew_get(c->st, &window);

	if (c->json)
		return cli_print_json_new(json_pack("{s:b, s:i}", "Autorenew", on, "RenewDays",
						    window));
	if (window > 0)
		printf("autorenew: %s (renew-days %d)\n", on ? "on" : "off", window);
	else
		printf("autorenew: %s (renew-days 0: in the last third of each certificate's "
		       "life)\n", on ? "on" : "off");
	return CK_OK;
}

enum ck_err cmd_autorenew(struct cli *c)
{
	const char *v = c->nargs > 0 ? c->args[0] : NULL;
	int days = -1;
	enum ck_err rc;

	if (v == NULL) {
		if (cli_value(c, "--renew-days"))
			return ck_fail(CK_EUSAGE, "--renew-days goes with on|off");
		return autorenew_show(c);
	}
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return ck_fail(CK_EUSAGE, "autorenew on|off");
	rc = cli_int(c, "--renew-days", 0, 3650, &days);
	if (rc == CK_OK)
		rc = ck_autorenew_set(c->st, strcmp(v, "on") == 0, days);
	if (rc == CK_OK && !c->json) {
		int window = 0;
		bool on = ck_autorenew_get(c->st, &window);

		if (!on)
			printf("autorenew off\n");
		else if (window > 0)
			printf("autorenew on: %d days before expiry\n", window);
		else
			printf("autorenew on: in the last third of each certificate's life\n");
	}
	return rc;
}
