/*
 * cmd_exitreg.c - ca setreg | getreg | setsmtpinfo: the exit module's
 * configuration (DESIGN.md §9, §10), three rows of the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "core/events/exitreg.h"
#include "base/fileio.h"

static void print_entry(const json_t *e)
{
	const json_t *v = json_object_get(e, "Value");
	const char *key = json_string_value(json_object_get(e, "Key"));
	bool def = json_is_true(json_object_get(e, "Default"));
	size_t i;

	if (!json_is_array(v)) {
		printf("%s = %s%s\n", key, ck_text_safe(json_string_value(v)), def ? "  (default)" : "");
		return;
	}
	if (strcmp(json_string_value(json_object_get(e, "Type")), "lines") == 0) {
		printf("%s%s =\n", key, def ? "  (default)" : "");
		for (i = 0; i < json_array_size(v); i++)
			printf("    %s\n", ck_text_safe(json_string_value(json_array_get(v, i))));
		return;
	}
	printf("%s = ", key);
	for (i = 0; i < json_array_size(v); i++)
		printf("%s%s", i ? "; " : "", ck_text_safe(json_string_value(json_array_get(v, i))));
	printf("%s\n", def ? "  (default)" : "");
}

static enum ck_err getreg(struct cli *c, const char *key)
{
	json_t *list = NULL;
	enum ck_err rc = ck_reg_get(c->st, key, &list);
	size_t i;

	if (rc != CK_OK)
		return rc;
	if (c->json)
		return cli_print_json_new(list);
	for (i = 0; i < json_array_size(list); i++)
		print_entry(json_array_get(list, i));
	json_decref(list);
	return CK_OK;
}

enum ck_err cmd_ca_setsmtpinfo(struct cli *c)
{
	char *password = NULL;
	enum ck_err rc;

	/* The password never comes from argv: other users can read that. */
	rc = cli_read_password(c, "SMTP password: ", !cli_flag(c, "--password-stdin"),
			       &password);
	if (rc == CK_OK)
		rc = ck_reg_set_smtp_info(c->st, c->args[0], password);
	if (password)
		ck_free_secret(password, strlen(password) + 1);
	if (rc == CK_OK && !c->json)
		printf("SMTP login set for %s (password stored, not shown)\n", c->args[0]);
	if (rc == CK_OK && c->json)
		return cli_print_json_new(json_pack("{s:s, s:s}", "SMTPUser", c->args[0],
						    "SMTPPassword", "set"));
	return rc;
}

enum ck_err cmd_ca_setreg(struct cli *c)
{
	enum ck_err rc = ck_reg_set(c->st, c->args[0], c->args[1]);

	if (rc != CK_OK)
		return rc;
	/* Show what is now in effect, as certutil does. */
	return getreg(c, c->args[0]);
}

enum ck_err cmd_ca_getreg(struct cli *c)
{
	return getreg(c, c->nargs > 0 ? c->args[0] : NULL);
}

void cli_man_exitreg(FILE *f)
{
	char buf[512];
	size_t i;

	for (i = 0; i < ck_reg_n_keys; i++) {
		const struct ck_config_key *k = &ck_reg_keys[i];

		snprintf(buf, sizeof(buf), "exit\\smtp\\%s%s", k->per_group ? "GROUP\\" : "",
			 k->name);
		fputs(".TP\n.B ", f);
		cli_roff_text(f, buf);
		fputs("\n", f);
		cli_roff_text(f, k->help);
		if (k->def && k->def[0]) {
			snprintf(buf, sizeof(buf), "; default %s", k->def);
			cli_roff_text(f, buf);
		}
		fputs(".\n", f);
	}
	fputs(".PP\nGROUP is one of:\n", f);
	for (i = 0; i < ck_exit_n_groups; i++) {
		const struct ck_exit_group *g = &ck_exit_groups[i];
		const struct ck_event_kind *ev = ck_exit_group_event(g);

		snprintf(buf, sizeof(buf), "%s (event %d %s%s%s)%s", g->name, ev->id, ev->name,
			 g->request ? ", to the requester" : ", needs a To",
			 g->adcs_bit ? ", an AD CS EXITEVENT" : "",
			 i + 1 < ck_exit_n_groups ? "," : ".");
		cli_roff_text(f, buf);
		fputs("\n", f);
	}
}
