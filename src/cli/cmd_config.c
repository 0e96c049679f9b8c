/*
 * cmd_config.c - config get [KEY] | set KEY VALUE: every configuration
 * key, from the one table of keys (DESIGN.md §10; core/events/configure.h),
 * and the CONFIGURATION section of certkeep(1) made from that table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "core/events/config.h"
#include "core/events/configure.h"

/* A Value as one line of text: list items joined by "; ", body lines by
 * a line end that prints escaped, so each key stays on its line. */
static void print_value(const json_t *v, const char *type)
{
	const char *sep = strcmp(type, "lines") == 0 ? "\n" : "; ";
	size_t i, len = 0, cap = 1;
	char *s;

	if (!json_is_array(v)) {
		fputs(ck_text_safe(json_string_value(v)), stdout);
		return;
	}
	for (i = 0; i < json_array_size(v); i++)
		cap += json_string_length(json_array_get(v, i)) + 2;
	s = malloc(cap);
	if (s == NULL)
		return;
	s[0] = '\0';
	for (i = 0, len = 0; i < json_array_size(v); i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? sep : "",
					json_string_value(json_array_get(v, i)));
	fputs(ck_text_safe(s), stdout);
	free(s);
}

static enum ck_err print_entries(struct cli *c, json_t *list)
{
	size_t i;

	if (c->json)
		return cli_print_json_new(list);
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);

		printf("%s = ", json_string_value(json_object_get(e, "Key")));
		print_value(json_object_get(e, "Value"),
			    json_string_value(json_object_get(e, "Type")));
		putchar('\n');
	}
	json_decref(list);
	return CK_OK;
}

enum ck_err cmd_config_get(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_configure_get(c->st, c->nargs == 1 ? c->args[0] : NULL, &list);

	return rc == CK_OK ? print_entries(c, list) : rc;
}

enum ck_err cmd_config_set(struct cli *c)
{
	json_t *list = NULL;
	enum ck_err rc = ck_configure_set(c->st, c->args[0], c->args[1]);

	/* Show what is now in effect. */
	if (rc == CK_OK)
		rc = ck_configure_get(c->st, c->args[0], &list);
	return rc == CK_OK ? print_entries(c, list) : rc;
}

void cli_man_config(FILE *f)
{
	char buf[256];
	size_t i;

	for (i = 0; i < ck_config_n_keys; i++) {
		const struct ck_config_key *k = &ck_config_keys[i];

		fputs(".TP\n.B ", f);
		cli_roff_text(f, k->name);
		fputs("\n", f);
		cli_roff_text(f, k->help);
		buf[0] = '\0';
		if (k->type == CK_CFG_INT || k->type == CK_CFG_DAYS)
			snprintf(buf, sizeof(buf), "; %sfrom %ld to %ld",
				 k->type == CK_CFG_DAYS ? "each " : "", k->min, k->max);
		if (k->type == CK_CFG_CHOICE) {
			const char *p = k->choices;

			/* "a|b|c" reads "a, b or c". */
			snprintf(buf, sizeof(buf), "; ");
			while (*p) {
				size_t l = strcspn(p, "|");

				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%.*s%s", (int)l,
					 p, p[l] == '\0' ? "" : strchr(p + l + 1, '|') ? ", " : " or ");
				p += l + (p[l] != '\0');
			}
		}
		cli_roff_text(f, buf);
		if (k->def[0]) {
			snprintf(buf, sizeof(buf), "; default %s", k->def);
			cli_roff_text(f, buf);
		}
		if (k->set_by) {
			snprintf(buf, sizeof(buf), "; set by %s", k->set_by);
			cli_roff_text(f, buf);
		}
		fputs(".\n", f);
	}
}
